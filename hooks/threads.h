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
 * counted); then, when it was, the new thread runs its start routine
 * through ts_threads_run(), which takes it away however it ends, or
 * ts_threads_not_started() is called when creation failed.
 */
bool ts_threads_add(void);
void *ts_threads_run(void *(*fn)(void *), void *arg);
void ts_threads_not_started(void);

/* pthread_exit(): the calling thread ends (nothing when it is counted by
 * ts_threads_run's clean-up, or not at all). */
void ts_threads_exiting(void);

/*
 * True when every thread counted has ended: the reporter may be the
 * process's last (a hint: /proc decides; see thread_count.c).
 */
bool ts_threads_none_left(void);

#endif /* TS_THREADS_H */
