/*
 * guard.h - the per-thread reentrancy guard.
 *
 * Every hook asks ts_guard_enter() before doing any tracing work.  While a
 * thread holds the guard, every call it makes into an interposed function
 * (from our own code, from libc internals we call, from a malloc that logs)
 * goes straight to the real function.  The reporter thread holds the guard
 * for its whole life, so nothing it does is ever traced.
 *
 * The counter is initial-exec TLS: touching it never allocates, so it is
 * safe from signal handlers and from inside dlsym/malloc.
 */
#ifndef TS_GUARD_H
#define TS_GUARD_H

#include "common.h"

extern TS_TLS unsigned ts_guard_depth;

/*
 * Set in ts_guard_depth by the vfork() hook (hooks/process.c) before the
 * real vfork.  The child then runs on its parent's thread, with its TLS
 * and memory, until it execs or exits: every hook it makes passes through
 * (its descriptor table is a copy, so what it closes or dups must not
 * touch the parent's state, nor may it start threads or end spans).  The
 * parent's thread clears the bit at its first hook after vfork returned.
 */
#define TS_GUARD_VFORK 0x80000000u

/* Held only by TS_GUARD_VFORK: true (bit cleared) in the parent, false in
 * the vfork child.  One getpid system call. */
bool ts_guard_vfork_over(void);

/* True when this thread is already inside the shim (or is the reporter). */
static inline bool ts_guard_is_held(void)
{
	return ts_guard_depth != 0;
}

/*
 * Take the guard.  Returns false, without taking it, when the thread
 * already holds it: the caller must then pass the call straight through.
 * The compiler barrier keeps the increment ordered before the work it
 * protects even against a signal handler running on this thread.
 */
static inline bool ts_guard_enter(void)
{
	if (ts_guard_depth != 0 &&
	    (ts_likely(ts_guard_depth != TS_GUARD_VFORK) ||
	     !ts_guard_vfork_over()))
		return false;
	ts_guard_depth = 1;
	__asm__ __volatile__("" ::: "memory");
	return true;
}

static inline void ts_guard_leave(void)
{
	__asm__ __volatile__("" ::: "memory");
	ts_guard_depth = 0;
}

/* Hold the guard unconditionally (reporter thread, fork child setup). */
static inline void ts_guard_hold(void)
{
	ts_guard_depth++;
}

static inline void ts_guard_release(void)
{
	ts_guard_depth--;
}

#endif /* TS_GUARD_H */
