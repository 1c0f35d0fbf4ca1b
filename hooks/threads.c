/*
 * threads.c - pthread_create and pthread_exit: a new thread inherits its
 * creator's context, and threads are counted (thread_count.c).
 *
 * A request handler that starts a thread to make an outgoing call (the
 * seed's "/async" from a goroutine) must link that call to the request.
 * Each new thread starts in a small trampoline that installs its
 * creator's parent context for outgoing requests, when there is one (not
 * when it is only the environment's, TRACEPARENT, which the new thread
 * falls back to by itself).
 *
 * Threads: any.  Not for signal handlers (neither is pthread_create).
 */
#include <pthread.h>
#include <stdlib.h>

#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "context.h"
#include "threads.h"

struct start {
	void *(*fn)(void *);       /* the application's start routine */
	void *arg;                 /* and its argument */
	bool has_ctx;              /* ctx and ref are the creator's */
	bool counted;              /* in `live` from its creation */
	struct ts_span_ctx ctx;    /* the creator's context */
	struct ts_ctx_ref ref;     /* where the creator found it */
};

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	if (s.has_ctx)
		ts_ctx_set_inherited(&s.ctx, &s.ref);
	return s.counted ? ts_threads_run(s.fn, s.arg) : s.fn(s.arg);
}

static int hook_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			       void *(*fn)(void *), void *arg)
{
	struct start *s = NULL;
	int err;

	if (!ts_guard_enter())
		return TS_REAL(pthread_create)(t, attr, fn, arg);
	if (ts_is_active()) {
		s = malloc(sizeof(*s));
		if (s) {
			s->fn = fn;
			s->arg = arg;
			s->has_ctx = ts_ctx_parent_for_thread(&s->ctx, &s->ref) &&
				     !ts_ctx_ref_is_env(&s->ref);
			s->counted = ts_threads_add();
		}
	}
	ts_guard_leave();
	if (!s)
		return TS_REAL(pthread_create)(t, attr, fn, arg);
	err = TS_REAL(pthread_create)(t, attr, trampoline, s);
	if (err) {
		if (s->counted)
			ts_threads_not_started();
		free(s);
	}
	return err;
}

/* The first thread's end (main() by pthread_exit): see thread_count.c. */
TS_EXPORT TS_NORETURN void pthread_exit(void *ret)
{
	ts_threads_exiting();
	TS_REAL(pthread_exit)(ret);
	__builtin_unreachable();
}

TS_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr,
			     void *(*fn)(void *), void *arg)
{
	return hook_pthread_create(t, attr, fn, arg);
}
