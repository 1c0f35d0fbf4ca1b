/*
 * thread_count.c - the program's threads, counted (see threads.h).
 *
 * A program whose threads all end by pthread_exit() or by
 * returning (main() among them) ends, as exit(0), with its last thread;
 * the reporter must not be that thread for ever.  `live` counts the
 * thread the shim started on and every thread created through the hook;
 * a key's destructor, which glibc runs however a thread ends (return,
 * pthread_exit, cancellation), takes each away, and the last one wakes
 * the reporter, which confirms with /proc (reporter.c) before it exports
 * what is left and returns.  So /proc is read only when the count says
 * no thread is left, never on a schedule.  A thread the count does not
 * know (started before the shim, or when the trampoline could not be
 * allocated) makes the count reach zero early: /proc then says no, and
 * the reporter looks again later.
 *
 * Threads: any.
 */
#include <pthread.h>

#include "../reporter/reporter.h"
#include "threads.h"

static pthread_key_t key;       /* non-NULL on a counted thread */
static bool counting;           /* key exists */
static unsigned live;           /* counted threads not yet ended */

/* Key destructor: a counted thread is ending. */
static void thread_gone(void *v)
{
	(void)v;
	if (__atomic_sub_fetch(&live, 1, __ATOMIC_ACQ_REL) == 0)
		ts_reporter_wake();
}

/* Count the calling thread; false (not counted) when it cannot be. */
static bool count_me(void)
{
	return pthread_setspecific(key, &live) == 0;
}

void ts_threads_init(void)
{
	if (pthread_key_create(&key, thread_gone) != 0)
		return; /* ts_threads_none_left() then always says maybe */
	__atomic_store_n(&live, 1, __ATOMIC_RELEASE);
	if (!count_me())
		__atomic_store_n(&live, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&counting, true, __ATOMIC_RELEASE);
}

void ts_threads_after_fork_child(void)
{
	if (!__atomic_load_n(&counting, __ATOMIC_ACQUIRE))
		return;
	/* The forking thread may not have been counted (it was not known):
	 * it is now, as the child's only thread. */
	__atomic_store_n(&live, count_me() ? 1u : 0u, __ATOMIC_RELEASE);
}

bool ts_threads_none_left(void)
{
	return !__atomic_load_n(&counting, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&live, __ATOMIC_ACQUIRE) == 0;
}

bool ts_threads_add(void)
{
	if (!__atomic_load_n(&counting, __ATOMIC_ACQUIRE))
		return false;
	__atomic_add_fetch(&live, 1, __ATOMIC_ACQ_REL);
	return true;
}

void ts_threads_started(void)
{
	/* A key the thread cannot set (only when the program has used up
	 * the static ones and memory is short) takes the count back. */
	if (!count_me())
		thread_gone(NULL);
}

void ts_threads_not_started(void)
{
	thread_gone(NULL);
}
