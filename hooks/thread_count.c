/*
 * thread_count.c - the program's threads, counted (see threads.h).
 *
 * A program whose threads all end by pthread_exit() or by returning
 * (main() among them) ends, as exit(0), with its last thread; the
 * reporter must not be that thread for ever.  `live` counts the thread
 * the shim started on and every thread created through the hook: a
 * clean-up handler around the start routine (which glibc runs whether it
 * returns, calls pthread_exit() or is cancelled) takes a created thread
 * away, and the pthread_exit() hook the first one.  The last one wakes
 * the reporter, which confirms with /proc (reporter.c) before it exports
 * what is left and returns.  Nothing of the program's is used (no
 * thread-specific key, no descriptor).
 *
 * The count is a hint, not the rule: a thread it does not know (started
 * before the shim, by C11 thrd_create, or when the trampoline could not
 * be allocated) makes it reach zero early, and /proc then says no; one
 * that ends unseen (main() by thrd_exit or cancellation, a raw
 * SYS_exit) keeps it above zero, and the reporter's slow look at /proc
 * finds the end instead.
 *
 * Threads: any.
 */
#include <pthread.h>

#include "../reporter/reporter.h"
#include "threads.h"

enum { ME_NO, ME_FIRST, ME_CREATED };

static bool counting;            /* set up (the shim is active) */
static unsigned live;            /* counted threads not yet ended */
static TS_TLS uint8_t me;        /* ME_*: how this thread is counted */

static void thread_gone(void)
{
	if (__atomic_sub_fetch(&live, 1, __ATOMIC_ACQ_REL) == 0)
		ts_reporter_wake();
}

void ts_threads_init(void)
{
	me = ME_FIRST;
	__atomic_store_n(&live, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&counting, true, __ATOMIC_RELEASE);
}

void ts_threads_after_fork_child(void)
{
	if (!__atomic_load_n(&counting, __ATOMIC_ACQUIRE))
		return;
	/* The child's only thread: a created one keeps its clean-up
	 * handler, any other is now counted as the first. */
	if (me == ME_NO)
		me = ME_FIRST;
	__atomic_store_n(&live, 1, __ATOMIC_RELEASE);
}

bool ts_threads_none_left(void)
{
	return __atomic_load_n(&counting, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&live, __ATOMIC_ACQUIRE) == 0;
}

bool ts_threads_add(void)
{
	if (!__atomic_load_n(&counting, __ATOMIC_ACQUIRE))
		return false;
	__atomic_add_fetch(&live, 1, __ATOMIC_ACQ_REL);
	return true;
}

void ts_threads_not_started(void)
{
	thread_gone();
}

static void created_gone(void *arg)
{
	(void)arg;
	me = ME_NO;
	thread_gone();
}

void *ts_threads_run(void *(*fn)(void *), void *arg)
{
	void *ret;

	me = ME_CREATED;
	pthread_cleanup_push(created_gone, NULL);
	ret = fn(arg);
	pthread_cleanup_pop(1);
	return ret;
}

void ts_threads_exiting(void)
{
	if (me == ME_FIRST) {
		me = ME_NO;
		thread_gone();
	}
}
