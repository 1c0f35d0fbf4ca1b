/*
 * threads.h - the program's threads, as pthread_create and thread exit
 * show them (see thread_count.c).
 *
 * Threads: any; ts_threads_init and after_fork_child from the entry code.
 */
#ifndef TS_THREADS_H
#define TS_THREADS_H

#include "../preload/common.h"

/* Count the calling thread (the one the shim starts on) as the first. */
void ts_threads_init(void);

/* Forked child: the calling thread is its only one. */
void ts_threads_after_fork_child(void);

/*
 * pthread_create: add the thread about to be created (false: not
 * counted, nothing to call later); then ts_threads_started() on the new
 * thread before the program's code, or ts_threads_not_started() when
 * creation failed.
 */
bool ts_threads_add(void);
void ts_threads_started(void);
void ts_threads_not_started(void);

/*
 * True when every thread counted has ended: the reporter may be the
 * process's last (threads the count never saw, such as ones started
 * before the shim or by a raw clone, are not in it: /proc decides).
 */
bool ts_threads_none_left(void);

#endif /* TS_THREADS_H */
