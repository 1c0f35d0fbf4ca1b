/*
 * test_context.c - the process's context from the environment
 * (ts_ctx_env_load) as the context registry hands it out.
 *
 * What is proved: a valid TRACEPARENT becomes the parent of a request
 * made where no server span is in flight, named by a reference that
 * ts_ctx_ref_is_env() recognises (so pthread_create hands nothing to a
 * new thread, which finds it by itself), never the parent given to a
 * program started (it inherits the variable); TRACESTATE and BAGGAGE
 * come with it normalised as the headers are, cut at their buffers at a
 * member boundary, BAGGAGE only when that propagator is on; an invalid
 * TRACEPARENT is one warning line and no context, and a reload forgets
 * what an earlier one set.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/context.h"
#include "../../preload/clock.h"
#include "../../preload/config.h"
#include "../../preload/span.h"
#include "capture.h"
#include "suites.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static struct ts_prop_config props(bool baggage)
{
	struct ts_prop_config pc = { .n = 0 };

	pc.order[pc.n++] = TS_PROP_TRACECONTEXT;
	pc.mask = TS_PROP_BIT(TS_PROP_TRACECONTEXT);
	if (baggage) {
		pc.order[pc.n++] = TS_PROP_BAGGAGE;
		pc.mask |= TS_PROP_BIT(TS_PROP_BAGGAGE);
	}
	return pc;
}

/* Load with these variables (NULL: unset), warnings into `err`. */
static void load(const char *tp, const char *ts, const char *bg,
		 bool baggage, char *err, size_t size)
{
	struct ts_prop_config pc = props(baggage);
	struct ts_capture cap;

	tp ? setenv("TRACEPARENT", tp, 1) : unsetenv("TRACEPARENT");
	ts ? setenv("TRACESTATE", ts, 1) : unsetenv("TRACESTATE");
	bg ? setenv("BAGGAGE", bg, 1) : unsetenv("BAGGAGE");
	ts_capture_begin(&cap);
	ts_ctx_env_load(&pc);
	ts_capture_end(&cap, err, size);
	unsetenv("TRACEPARENT");
	unsetenv("TRACESTATE");
	unsetenv("BAGGAGE");
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

START_TEST(env_parent_for_requests_not_threads_or_programs)
{
	struct ts_span_ctx c;
	struct ts_ctx_ref ref = { 0, 0 };
	char err[512], tid[33], sid[17], ts[TS_CTX_TS_MAX], bg[TS_CTX_BG_MAX];
	size_t tl, bl;

	load(TP, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7", "k=v", true, err,
	     sizeof(err));
	ck_assert_str_eq(err, "");
	ck_assert(ts_ctx_parent_for_thread(&c, &ref));
	hex(c.trace_id, 16, tid);
	hex(c.span_id, 8, sid);
	ck_assert_str_eq(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
	ck_assert_str_eq(sid, "00f067aa0ba902b7");
	ck_assert(ts_ctx_ref_is_env(&ref));
	ck_assert(ts_ctx_extras(&ref, ts, &tl, bg, &bl));
	ck_assert_str_eq((ts[tl] = '\0', ts), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
	ck_assert_str_eq((bg[bl] = '\0', bg), "k=v");
	/* A program started inherits the variables themselves. */
	ck_assert(!ts_ctx_parent_for_exec(&c, &ref));
	ck_assert(!ts_ctx_ref_is_env(NULL));
	ref.slot = 1;
	ck_assert(!ts_ctx_ref_is_env(&ref));
}
END_TEST

START_TEST(env_baggage_only_with_its_propagator)
{
	struct ts_span_ctx c;
	struct ts_ctx_ref ref;
	char err[512], ts[TS_CTX_TS_MAX], bg[TS_CTX_BG_MAX];
	size_t tl, bl;

	load(TP, NULL, "k=v", false, err, sizeof(err));
	ck_assert_str_eq(err, "");
	ck_assert(ts_ctx_parent_for_thread(&c, &ref));
	ck_assert(!ts_ctx_extras(&ref, ts, &tl, bg, &bl));
	ck_assert_uint_eq(tl, 0);
	ck_assert_uint_eq(bl, 0);
}
END_TEST

START_TEST(env_blocks_cut_at_a_member)
{
	struct ts_span_ctx c;
	struct ts_ctx_ref ref;
	char err[512], ts[TS_CTX_TS_MAX], bg[TS_CTX_BG_MAX];
	char big_ts[2 * TS_CTX_TS_MAX], big_bg[2 * TS_CTX_BG_MAX];
	size_t tl, bl, i, n;

	/* 32-byte members "kNN=vvvv..." joined by ',', far past the buffers. */
	for (n = 0, i = 0; n + 33 < sizeof(big_ts); i++)
		n += (size_t)snprintf(big_ts + n, sizeof(big_ts) - n,
				      "%sk%02zu=%027zu", i ? "," : "", i, i);
	for (n = 0, i = 0; n + 33 < sizeof(big_bg); i++)
		n += (size_t)snprintf(big_bg + n, sizeof(big_bg) - n,
				      "%sk%02zu=%027zu", i ? "," : "", i, i);
	load(TP, big_ts, big_bg, true, err, sizeof(err));
	ck_assert(ts_ctx_parent_for_thread(&c, &ref));
	ck_assert(ts_ctx_extras(&ref, ts, &tl, bg, &bl));
	ck_assert_uint_gt(tl, 0);
	ck_assert_uint_le(tl, TS_CTX_TS_MAX);
	ck_assert_uint_gt(bl, 0);
	ck_assert_uint_le(bl, TS_CTX_BG_MAX);
	/* Whole members only: each prefix of the input, ending before ','. */
	ck_assert(!memcmp(ts, big_ts, tl));
	ck_assert_int_eq(big_ts[tl], ',');
	ck_assert(!memcmp(bg, big_bg, bl));
	ck_assert_int_eq(big_bg[bl], ',');
}
END_TEST

START_TEST(env_invalid_traceparent_warns_and_forgets)
{
	struct ts_span_ctx c;
	struct ts_ctx_ref ref;
	char err[512];

	load(TP, NULL, NULL, true, err, sizeof(err));
	ck_assert(ts_ctx_parent_for_thread(&c, &ref));
	load("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "a=b",
	     NULL, true, err, sizeof(err));
	ck_assert_uint_eq(ts_capture_count_lines(err), 1);
	ck_assert_ptr_nonnull(strstr(err, "TRACEPARENT"));
	ck_assert(!ts_ctx_parent_for_thread(&c, &ref));
	load(NULL, "a=b", "k=v", true, err, sizeof(err));
	ck_assert_str_eq(err, "");
	ck_assert(!ts_ctx_parent_for_thread(&c, &ref));
}

/* A server span registered on this thread, its parent `parent` (NULL: a
 * root), started at CLOCK_MONOTONIC `at` (0: now). */
static uint32_t serve(struct ts_span *s, const struct ts_span_ctx *parent,
		      uint64_t at)
{
	ts_span_start(s, TS_KIND_SERVER, "GET", 3, parent);
	if (at)
		s->start_mono_ns = at;
	return ts_ctx_server_begin(s, NULL, 0, NULL, 0);
}

/*
 * A request this thread reads but cannot follow (TLS, h2c, a head over
 * the limit) may be what its next call is for: while one is read after
 * the followed request began, or was read within a second before it,
 * that request is not the parent.
 */
START_TEST(unseen_request_makes_the_thread_ambiguous)
{
	static struct ts_span s;
	struct ts_span_ctx out;
	char err[256];
	uint32_t slot;
	uint64_t t;

	load(NULL, NULL, NULL, false, err, sizeof(err));
	slot = serve(&s, NULL, 0);
	ck_assert_uint_ne(slot, 0);
	ck_assert(ts_ctx_parent_for_thread(&out, NULL));
	ck_assert(!memcmp(out.span_id, s.span_id, 8));
	t = ts_clock_mono_ns();
	ts_ctx_unseen_request(t);
	ck_assert(!ts_ctx_parent_for_thread(&out, NULL));
	ts_ctx_server_end(slot);
	/* Begun 0.2 s after the unseen read: still ambiguous. */
	slot = serve(&s, NULL, t + 200000000ull);
	ck_assert(!ts_ctx_parent_for_thread(&out, NULL));
	ts_ctx_server_end(slot);
	/* Begun 2 s after it, nothing unseen since: its own again. */
	slot = serve(&s, NULL, t + 2000000000ull);
	ck_assert(ts_ctx_parent_for_thread(&out, NULL));
	ck_assert(!memcmp(out.span_id, s.span_id, 8));
	ts_ctx_server_end(slot);
}
END_TEST

/*
 * A forwarded traceparent that names its caller's span matches only the
 * request that caller made: when no request in flight answers it (the
 * one that did was not followed, or is gone), another request of the
 * same trace is not taken for it.
 */
START_TEST(forwarded_caller_must_answer_the_request_found)
{
	static struct ts_span s;
	struct ts_span_ctx p1, out;
	uint8_t other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	char err[256];
	uint32_t slot;

	load(NULL, NULL, NULL, false, err, sizeof(err));
	memset(&p1, 0, sizeof(p1));
	memset(p1.trace_id, 0x4b, 16);
	memset(p1.span_id, 0x11, 8);
	p1.flags = 1;
	slot = serve(&s, &p1, 0);
	ck_assert_uint_ne(slot, 0);
	ck_assert(ts_ctx_find_trace(p1.trace_id, p1.span_id, &out, NULL));
	ck_assert(!memcmp(out.span_id, s.span_id, 8));
	ck_assert(ts_ctx_find_trace(p1.trace_id, NULL, &out, NULL));
	ck_assert(!ts_ctx_find_trace(p1.trace_id, other, &out, NULL));
	ts_ctx_server_end(slot);
}
END_TEST
END_TEST

Suite *ts_test_context_suite(void)
{
	Suite *s = suite_create("context");
	TCase *tc = tcase_create("env");

	tcase_add_test(tc, env_parent_for_requests_not_threads_or_programs);
	tcase_add_test(tc, env_baggage_only_with_its_propagator);
	tcase_add_test(tc, env_blocks_cut_at_a_member);
	tcase_add_test(tc, env_invalid_traceparent_warns_and_forgets);
	tcase_add_test(tc, unseen_request_makes_the_thread_ambiguous);
	tcase_add_test(tc, forwarded_caller_must_answer_the_request_found);
	suite_add_tcase(s, tc);
	return s;
}
