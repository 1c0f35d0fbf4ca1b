/*
 * context.h - which server span an outgoing request belongs to.
 *
 * Every SERVER span whose request head has been read and whose response
 * has not yet been written is registered here with the thread that read
 * it.  An outgoing request on some connection then finds its parent:
 *  - a forwarded traceparent names a trace: the active server span of that
 *    trace is the parent (a proxy forwarding its caller's headers, also
 *    when one event-loop thread serves many clients at once);
 *  - otherwise, when exactly one server span is active on this thread
 *    (thread-per-request servers), that one;
 *  - otherwise the context this thread inherited from its creator
 *    (pthread_create), if any, while the request it came from is in
 *    flight.
 * Ambiguity gives no parent: a missing link is better than a wrong one.
 *
 * The registry is a fixed array of slots claimed with CAS; readers copy a
 * slot under a sequence number and retry if it changed.  Lock-free and
 * async-signal-safe.
 */
#ifndef TS_HOOKS_CONTEXT_H
#define TS_HOOKS_CONTEXT_H

#include "../preload/span.h"

#define TS_CTX_SLOTS 1024
#define TS_CTX_TS_MAX 512     /* tracestate kept with a server span */
#define TS_CTX_BG_MAX 1024    /* baggage kept with a server span */

/* Where a parent was found, to fetch what travels with it later. */
struct ts_ctx_ref {
	uint32_t slot;        /* slot + 1; 0: no slot (inherited context) */
	uint32_t seq;         /* the slot's sequence number when read */
};

/*
 * Register an active server span with the tracestate and baggage its
 * request brought (either may be empty; longer than the maxima: not
 * kept).  Returns its slot + 1, or 0 if full.
 */
uint32_t ts_ctx_server_begin(const struct ts_span *s, const char *ts,
			     size_t ts_len, const char *bg, size_t bg_len);

/* Its response is complete (or the connection gone). */
void ts_ctx_server_end(uint32_t slot);

/*
 * This thread read bytes of a request on an accepted connection that are
 * not followed (TLS, h2c, a head over the limit, a dead parser), at
 * CLOCK_MONOTONIC `now_mono`: until the thread's next request begins a
 * second after it, the one it serves is not taken for its calls' parent.
 */
void ts_ctx_unseen_request(uint64_t now_mono);

/* The parent for a request made now on this thread (see above); `ref`
 * (may be NULL) says where it was found. */
bool ts_ctx_parent_for_thread(struct ts_span_ctx *out, struct ts_ctx_ref *ref);

/*
 * The active server span of trace `trace_id`: the only one, or the only
 * one on this thread; with `parent_id` (may be NULL: the span id a
 * forwarded header names), only those whose caller is that span count
 * when any is.  Several that nothing tells apart: false.
 */
bool ts_ctx_find_trace(const uint8_t trace_id[16], const uint8_t *parent_id,
		       struct ts_span_ctx *out, struct ts_ctx_ref *ref);

/*
 * Copy the tracestate and baggage registered with the parent `ref` found
 * (buffers of TS_CTX_TS_MAX and TS_CTX_BG_MAX bytes).  False, with both
 * lengths 0, when it has none or its slot was reused meanwhile.
 */
bool ts_ctx_extras(const struct ts_ctx_ref *ref, char *ts, size_t *ts_len,
		   char *bg, size_t *bg_len);

/* `ref` names the environment's context (ts_ctx_env_load), which every
 * thread falls back to by itself: a new thread need not be handed it. */
bool ts_ctx_ref_is_env(const struct ts_ctx_ref *ref);

/*
 * This thread's inherited context (pthread_create); NULL clears it.  `ref`
 * (may be NULL) is where the creator found it: inherited from a request's
 * slot, it holds only while that request is in flight.
 */
void ts_ctx_set_inherited(const struct ts_span_ctx *c,
			  const struct ts_ctx_ref *ref);

/*
 * The same for a program this thread starts now (exec, posix_spawn):
 * without writing anything, so a vfork child may ask on its parent's
 * memory; never the environment's context (the program inherits it).
 */
bool ts_ctx_parent_for_exec(struct ts_span_ctx *out, struct ts_ctx_ref *ref);

/*
 * The process's own context, from the environment it was started with
 * (OpenTelemetry's environment carriers: TRACEPARENT, with TRACESTATE,
 * and BAGGAGE when that propagator is on): the parent of a request made
 * where nothing above gives one, so a traced command that a script, a
 * CI step or a scheduler ran with them joins the caller's trace.  Read
 * once at initialisation; an invalid TRACEPARENT is a warning and no
 * context.  Server spans never take it: their parent is their request's.
 */
struct ts_prop_config;
void ts_ctx_env_load(const struct ts_prop_config *pc);

/* Forked child: the forking thread's spans are now this thread's; the
 * other threads' are gone. */
void ts_ctx_after_fork_child(void);

/* This thread's kernel id, cached. */
int ts_ctx_tid(void);

#endif /* TS_HOOKS_CONTEXT_H */
