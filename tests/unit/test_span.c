/*
 * test_span.c - the span record builder: trace context, attributes, the
 * arena's limits, status and the end stamp.
 *
 * Records are built on the heap (they are about 2.5 KB) and poisoned with
 * 0xa5 first, so a field ts_span_start() forgets to reset shows up.  No
 * pipeline is initialised here: ts_span_end() must then stamp the end time
 * and report the span as not queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/clock.h"
#include "../../preload/ids.h"
#include "../../preload/span.h"
#include "suites.h"

static struct ts_span *new_span(void)
{
	struct ts_span *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	memset(s, 0xa5, sizeof(*s));
	return s;
}

static void start_root(struct ts_span *s, const char *name)
{
	ts_span_start(s, TS_KIND_CLIENT, name, strlen(name), NULL);
}

/* True when the attribute's key is exactly `key`. */
static bool key_is(const struct ts_span *s, const struct ts_attr *a,
		   const char *key)
{
	return a->key_len == strlen(key) &&
	       !memcmp(ts_attr_key(s, a), key, a->key_len);
}

static bool str_is(const struct ts_span *s, uint16_t off, uint16_t len,
		   const char *want, size_t want_len)
{
	return len == want_len && !memcmp(ts_span_str(s, off), want, len);
}

START_TEST(start_without_parent_begins_a_new_sampled_trace)
{
	struct ts_span *s = new_span();
	static const uint8_t zero[8];

	start_root(s, "GET");
	ck_assert(!ts_ids_is_zero(s->trace_id, 16));
	ck_assert(!ts_ids_is_zero(s->span_id, 8));
	ck_assert_mem_eq(s->parent_id, zero, 8);
	ck_assert(!s->parent_remote);
	ck_assert_uint_eq(s->flags, TS_TRACE_FLAG_SAMPLED);
	ck_assert_uint_eq(s->kind, TS_KIND_CLIENT);
	ck_assert_uint_eq(s->status, TS_STATUS_UNSET);
	ck_assert_uint_eq(s->nattrs, 0);
	ck_assert_uint_eq(s->dropped_attrs, 0);
	ck_assert_uint_eq(s->tstate_len, 0);
	ck_assert_uint_eq(s->smsg_len, 0);
	ck_assert(str_is(s, s->name_off, s->name_len, "GET", 3));
	ck_assert_uint_ne(s->start_unix_ns, 0);
	ck_assert_uint_ne(s->start_mono_ns, 0);
	free(s);
}
END_TEST

START_TEST(two_root_spans_get_different_traces)
{
	struct ts_span *a = new_span(), *b = new_span();

	start_root(a, "a");
	start_root(b, "b");
	ck_assert_mem_ne(a->trace_id, b->trace_id, 16);
	ck_assert_mem_ne(a->span_id, b->span_id, 8);
	free(a);
	free(b);
}
END_TEST

START_TEST(start_with_parent_joins_its_trace)
{
	struct ts_span *s = new_span();
	struct ts_span_ctx parent, child;
	size_t i;

	memset(&parent, 0, sizeof(parent)); /* xflags too: no B3 "deferred" */
	for (i = 0; i < 16; i++)
		parent.trace_id[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < 8; i++)
		parent.span_id[i] = (uint8_t)(0xe0 + i);
	parent.flags = 0; /* not sampled: must be kept, not re-sampled */
	parent.remote = true;

	ts_span_start(s, TS_KIND_SERVER, "GET /", 5, &parent);
	ck_assert_mem_eq(s->trace_id, parent.trace_id, 16);
	ck_assert_mem_eq(s->parent_id, parent.span_id, 8);
	ck_assert_mem_ne(s->span_id, parent.span_id, 8);
	ck_assert(!ts_ids_is_zero(s->span_id, 8));
	ck_assert_uint_eq(s->flags, 0);
	ck_assert(s->parent_remote);
	ck_assert_uint_eq(s->kind, TS_KIND_SERVER);

	/* The context handed to children: this span, local, same flags. */
	ts_span_ctx_of(s, &child);
	ck_assert(ts_span_ctx_is_valid(&child));
	ck_assert_mem_eq(child.trace_id, parent.trace_id, 16);
	ck_assert_mem_eq(child.span_id, s->span_id, 8);
	ck_assert_uint_eq(child.flags, 0);
	ck_assert(!child.remote);

	/* A local parent: parent_remote follows it. */
	parent.flags = TS_TRACE_FLAG_SAMPLED;
	parent.remote = false;
	ts_span_start(s, TS_KIND_INTERNAL, "x", 1, &parent);
	ck_assert(!s->parent_remote);
	ck_assert_uint_eq(s->flags, TS_TRACE_FLAG_SAMPLED);
	free(s);
}
END_TEST

/* A context with a zero trace id or a zero span id is no context. */
START_TEST(invalid_parent_context_is_treated_as_none)
{
	struct ts_span *s = new_span();
	struct ts_span_ctx bad;
	static const uint8_t zero[16];
	int which;

	for (which = 0; which < 2; which++) {
		memset(&bad, 0, sizeof(bad));
		if (which == 0)
			memset(bad.span_id, 0x11, 8);   /* zero trace id */
		else
			memset(bad.trace_id, 0x22, 16); /* zero span id */
		bad.flags = 0;
		bad.remote = true;
		ck_assert(!ts_span_ctx_is_valid(&bad));

		ts_span_start(s, TS_KIND_SERVER, "n", 1, &bad);
		ck_assert(!ts_ids_is_zero(s->trace_id, 16));
		ck_assert_mem_ne(s->trace_id, bad.trace_id, 16);
		ck_assert_mem_eq(s->parent_id, zero, 8);
		ck_assert_uint_eq(s->flags, TS_TRACE_FLAG_SAMPLED);
		ck_assert(!s->parent_remote);
	}
	free(s);
}
END_TEST

START_TEST(attributes_of_each_type_are_stored_and_readable)
{
	struct ts_span *s = new_span();
	const struct ts_attr *a;

	start_root(s, "op");
	ck_assert(ts_span_add_str(s, "http.request.method", "POST", 4));
	ck_assert(ts_span_add_int(s, "http.response.status_code", 503));
	ck_assert(ts_span_add_int(s, "neg", INT64_MIN));
	ck_assert(ts_span_add_bool(s, "error", true));
	ck_assert(ts_span_add_bool(s, "cached", false));
	/* Values are (ptr, len): embedded NULs and empty strings survive. */
	ck_assert(ts_span_add_str(s, "bin", "a\0b", 3));
	ck_assert(ts_span_add_str(s, "empty", "", 0));
	ck_assert_uint_eq(s->nattrs, 7);
	ck_assert_uint_eq(s->dropped_attrs, 0);

	a = &s->attrs[0];
	ck_assert(key_is(s, a, "http.request.method"));
	ck_assert_uint_eq(a->type, TS_ATTR_STRING);
	ck_assert(str_is(s, a->val_off, a->val_len, "POST", 4));
	a = &s->attrs[1];
	ck_assert(key_is(s, a, "http.response.status_code"));
	ck_assert_uint_eq(a->type, TS_ATTR_INT);
	ck_assert_int_eq(a->ival, 503);
	a = &s->attrs[2];
	ck_assert(key_is(s, a, "neg"));
	ck_assert_int_eq(a->ival, INT64_MIN);
	a = &s->attrs[3];
	ck_assert(key_is(s, a, "error"));
	ck_assert_uint_eq(a->type, TS_ATTR_BOOL);
	ck_assert_int_eq(a->ival, 1);
	a = &s->attrs[4];
	ck_assert(key_is(s, a, "cached"));
	ck_assert_uint_eq(a->type, TS_ATTR_BOOL);
	ck_assert_int_eq(a->ival, 0);
	a = &s->attrs[5];
	ck_assert(str_is(s, a->val_off, a->val_len, "a\0b", 3));
	a = &s->attrs[6];
	ck_assert(key_is(s, a, "empty"));
	ck_assert_uint_eq(a->val_len, 0);
	/* The name is still where it was. */
	ck_assert(str_is(s, s->name_off, s->name_len, "op", 2));
	free(s);
}
END_TEST

/*
 * Store `prefix` bytes of 'a' then `ch`, then more 'b's, so `ch` straddles
 * TS_SPAN_VALUE_MAX; the kept value must end at `want_len`, before `ch`
 * (or after it when it ends exactly at the limit).
 */
static void check_cut(const char *ch, size_t prefix, size_t want_len)
{
	struct ts_span *s = new_span();
	char val[TS_SPAN_VALUE_MAX + 16];
	size_t chlen = strlen(ch);
	const struct ts_attr *a;

	memset(val, 'a', prefix);
	memcpy(val + prefix, ch, chlen);
	memset(val + prefix + chlen, 'b', sizeof(val) - prefix - chlen);
	start_root(s, "cut");
	ck_assert(ts_span_add_str(s, "v", val, sizeof(val)));
	a = &s->attrs[0];
	ck_assert_msg(a->val_len == want_len,
		      "%zu-byte char at %zu: kept %u, want %zu", chlen, prefix,
		      a->val_len, want_len);
	ck_assert_mem_eq(ts_span_str(s, a->val_off), val, want_len);
	free(s);
}

START_TEST(long_values_are_cut_at_a_utf8_boundary)
{
	const size_t max = TS_SPAN_VALUE_MAX;

	/* Plain ASCII: cut exactly at the limit. */
	check_cut("a", max, max);
	/* Two-byte é (c3 a9) split by the limit: dropped whole. */
	check_cut("\xc3\xa9", max - 1, max - 1);
	/* Three-byte € (e2 82 ac), cut after its 1st and its 2nd byte. */
	check_cut("\xe2\x82\xac", max - 1, max - 1);
	check_cut("\xe2\x82\xac", max - 2, max - 2);
	/* Four-byte 😀 (f0 9f 98 80), cut after 1, 2 and 3 of its bytes. */
	check_cut("\xf0\x9f\x98\x80", max - 1, max - 1);
	check_cut("\xf0\x9f\x98\x80", max - 2, max - 2);
	check_cut("\xf0\x9f\x98\x80", max - 3, max - 3);
	/* A character ending exactly at the limit is kept whole. */
	check_cut("\xf0\x9f\x98\x80", max - 4, max);
	check_cut("\xc3\xa9", max - 2, max);
	/* A character starting exactly at the limit is simply not kept. */
	check_cut("\xe2\x82\xac", max, max);
}
END_TEST

START_TEST(value_at_the_limit_is_kept_whole)
{
	struct ts_span *s = new_span();
	char val[TS_SPAN_VALUE_MAX];

	memset(val, 'z', sizeof(val));
	start_root(s, "n");
	ck_assert(ts_span_add_str(s, "k", val, sizeof(val)));
	ck_assert_uint_eq(s->attrs[0].val_len, TS_SPAN_VALUE_MAX);
	ck_assert_mem_eq(ts_span_str(s, s->attrs[0].val_off), val, sizeof(val));
	free(s);
}
END_TEST

START_TEST(attributes_past_the_descriptor_limit_are_dropped)
{
	struct ts_span *s = new_span();
	char key[16];
	int i;

	start_root(s, "many");
	for (i = 0; i < TS_SPAN_MAX_ATTRS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert(ts_span_attr_int(s, key, strlen(key), i * 7));
	}
	ck_assert(!ts_span_add_int(s, "late.int", 1));
	ck_assert(!ts_span_add_str(s, "late.str", "v", 1));
	ck_assert(!ts_span_add_bool(s, "late.bool", true));
	ck_assert_uint_eq(s->nattrs, TS_SPAN_MAX_ATTRS);
	ck_assert_uint_eq(s->dropped_attrs, 3);
	for (i = 0; i < TS_SPAN_MAX_ATTRS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert(key_is(s, &s->attrs[i], key));
		ck_assert_int_eq(s->attrs[i].ival, i * 7);
	}
	free(s);
}
END_TEST

START_TEST(attributes_past_the_arena_are_dropped_and_counted)
{
	struct ts_span *s = new_span();
	char big[500], rest[TS_SPAN_ARENA];
	uint16_t used;
	size_t left;
	int i;

	start_root(s, "n"); /* 1 byte of arena */
	for (i = 0; i < 3; i++) {
		memset(big, 'A' + i, sizeof(big));
		ck_assert(ts_span_attr_str(s, "k", 1, big, sizeof(big)));
	}
	ck_assert_uint_eq(s->arena_used, 1 + 3 * (1 + 500));

	/* The key fits, the value does not: the key's bytes come back. */
	used = s->arena_used;
	ck_assert(!ts_span_attr_str(s, "k", 1, big, sizeof(big)));
	ck_assert_uint_eq(s->arena_used, used);
	ck_assert_uint_eq(s->nattrs, 3);
	ck_assert_uint_eq(s->dropped_attrs, 1);

	/* Fill the arena to the last byte, then nothing else fits. */
	left = TS_SPAN_ARENA - s->arena_used - 1; /* minus key "r" */
	memset(rest, 'r', left);
	ck_assert(ts_span_attr_str(s, "r", 1, rest, left));
	ck_assert_uint_eq(s->arena_used, TS_SPAN_ARENA);
	ck_assert(!ts_span_attr_int(s, "i", 1, 1));
	ck_assert(!ts_span_attr_bool(s, "b", 1, true));
	ck_assert(!ts_span_attr_str(s, "s", 1, "", 0));
	ck_assert_uint_eq(s->dropped_attrs, 4);
	ck_assert_uint_eq(s->nattrs, 4);
	ck_assert_uint_eq(s->arena_used, TS_SPAN_ARENA);

	/* A literal key takes no arena: numbers still fit, strings not. */
	ck_assert(ts_span_add_int(s, "lit.i", 9));
	ck_assert(ts_span_add_bool(s, "lit.b", true));
	ck_assert(!ts_span_add_str(s, "lit.s", "x", 1));
	ck_assert_uint_eq(s->nattrs, 6);
	ck_assert_uint_eq(s->dropped_attrs, 5);
	ck_assert(key_is(s, &s->attrs[4], "lit.i"));
	ck_assert_ptr_nonnull(s->attrs[4].key); /* kept by address */
	ck_assert_ptr_null(s->attrs[0].key);    /* copied */
	ck_assert_int_eq(s->attrs[5].ival, 1);

	/* What was stored before is intact. */
	ck_assert(str_is(s, s->name_off, s->name_len, "n", 1));
	for (i = 0; i < 3; i++) {
		memset(big, 'A' + i, sizeof(big));
		ck_assert(key_is(s, &s->attrs[i], "k"));
		ck_assert(str_is(s, s->attrs[i].val_off, s->attrs[i].val_len,
				 big, sizeof(big)));
	}
	ck_assert(str_is(s, s->attrs[3].val_off, s->attrs[3].val_len, rest,
			 left));
	free(s);
}
END_TEST

START_TEST(status_message_is_kept_only_with_error)
{
	struct ts_span *s = new_span();

	start_root(s, "n");
	ts_span_set_status(s, TS_STATUS_OK, "fine", 4);
	ck_assert_uint_eq(s->status, TS_STATUS_OK);
	ck_assert_uint_eq(s->smsg_len, 0);
	ts_span_set_status(s, TS_STATUS_UNSET, "meh", 3);
	ck_assert_uint_eq(s->status, TS_STATUS_UNSET);
	ck_assert_uint_eq(s->smsg_len, 0);

	ts_span_set_status(s, TS_STATUS_ERROR, "connection refused", 18);
	ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
	ck_assert(str_is(s, s->smsg_off, s->smsg_len, "connection refused",
			 18));

	/* Going back to OK drops the message again. */
	ts_span_set_status(s, TS_STATUS_OK, NULL, 0);
	ck_assert_uint_eq(s->status, TS_STATUS_OK);
	ck_assert_uint_eq(s->smsg_len, 0);
	free(s);
}
END_TEST

/* A reused record must not carry anything over from its last span. */
START_TEST(restart_clears_the_previous_span)
{
	struct ts_span *s = new_span();
	uint8_t old_trace[16];
	static const uint8_t zero[8];
	struct ts_span_ctx parent;

	memset(&parent, 0x33, sizeof(parent));
	parent.remote = true;
	ts_span_start(s, TS_KIND_SERVER, "first", 5, &parent);
	ts_span_add_int(s, "a", 1);
	ts_span_set_status(s, TS_STATUS_ERROR, "bad", 3);
	ck_assert(ts_span_set_tracestate(s, "k=v", 3));
	memcpy(old_trace, s->trace_id, 16);

	start_root(s, "second");
	ck_assert_mem_ne(s->trace_id, old_trace, 16);
	ck_assert_mem_eq(s->parent_id, zero, 8);
	ck_assert(!s->parent_remote);
	ck_assert_uint_eq(s->nattrs, 0);
	ck_assert_uint_eq(s->status, TS_STATUS_UNSET);
	ck_assert_uint_eq(s->smsg_len, 0);
	ck_assert_uint_eq(s->tstate_len, 0);
	ck_assert_uint_eq(s->arena_used, 6);
	ck_assert(str_is(s, s->name_off, s->name_len, "second", 6));
	free(s);
}
END_TEST

START_TEST(end_stamps_a_time_after_the_start)
{
	struct ts_span *s = new_span();
	uint64_t t0;

	start_root(s, "timed");
	/* Let the monotonic clock move on by 2 ms before ending. */
	t0 = ts_clock_mono_ns();
	while (ts_clock_mono_ns() - t0 < 2000000)
		;
	/* No pipeline in this test: the span is stamped but not queued. */
	ck_assert(!ts_span_end(s));
	ck_assert_uint_ge(s->end_unix_ns, s->start_unix_ns + 2000000);
	/* Measured on the monotonic clock: not absurdly long either. */
	ck_assert_uint_lt(s->end_unix_ns - s->start_unix_ns,
			  ts_clock_mono_ns() - s->start_mono_ns + 1);
	free(s);
}
END_TEST

/* String arrays: strings back to back, each cut like a string value,
 * the array bounded by TS_SPAN_VALUE_MAX; one left empty is dropped. */
START_TEST(string_arrays_keep_their_strings_in_order)
{
	struct ts_span *s = new_span();
	char big[TS_SPAN_VALUE_MAX * 2];
	const struct ts_attr *a;
	const char *want[] = { "one", "", "three" };
	size_t i = 0, n;

	start_root(s, "arr");
	ck_assert(ts_span_attr_strarray(s, "k", 1, "one\0\0three", 11));
	a = &s->attrs[0];
	ck_assert_uint_eq(a->type, TS_ATTR_STRARRAY);
	ck_assert_uint_eq(a->val_len, 11);
	TS_ATTR_FOREACH_STR(s, a, v, end) {
		ck_assert_uint_lt(i, 3);
		ck_assert_str_eq(v, want[i++]);
	}
	ck_assert_uint_eq(i, 3);
	/* 300 + 300 bytes: the second string does not fit, whole. */
	memset(big, 'x', sizeof(big));
	big[299] = '\0';
	big[599] = '\0';
	ck_assert(ts_span_attr_strarray(s, "big", 3, big, 600));
	a = &s->attrs[1];
	ck_assert_uint_eq(a->val_len, 300);
	/* One string longer than the limit: cut to it (NUL included). */
	big[599] = 'x';
	big[TS_SPAN_VALUE_MAX + 50] = '\0';
	ck_assert(ts_span_attr_strarray(s, "long", 4, big + 300,
					TS_SPAN_VALUE_MAX - 249));
	a = &s->attrs[2];
	n = strlen(ts_span_str(s, a->val_off));
	ck_assert_uint_eq(n + 1, a->val_len);
	ck_assert_uint_le(a->val_len, TS_SPAN_VALUE_MAX);
	/* Nothing: not stored, counted. */
	ck_assert(!ts_span_attr_strarray(s, "none", 4, "", 0));
	ck_assert_uint_eq(s->nattrs, 3);
	ck_assert_uint_eq(s->dropped_attrs, 1);
	free(s);
}
END_TEST

/* A long value where the arena is nearly full is cut to the room left
 * (less a reserve for later attributes), not dropped. */
START_TEST(long_value_in_a_full_arena_is_cut_not_dropped)
{
	struct ts_span *s = new_span();
	static char big[1400], val[600];
	const struct ts_attr *a;

	memset(big, 'b', sizeof(big));
	memset(val, 'v', sizeof(val));
	start_root(s, "n");
	ck_assert(ts_span_add_str(s, "filler", big, sizeof(big)));
	ck_assert(ts_span_add_str(s, "filler2", big, 400));
	ck_assert(ts_span_add_str(s, "filler3", big, 400));
	ck_assert_uint_lt(TS_SPAN_ARENA - s->arena_used, 300);
	ck_assert(ts_span_add_str(s, "long", val, sizeof(val)));
	a = &s->attrs[s->nattrs - 1];
	ck_assert_uint_gt(a->val_len, 0);
	ck_assert_uint_lt(a->val_len, 512);
	ck_assert_uint_eq(s->dropped_attrs, 0);
	ck_assert(ts_span_add_str(s, "after", "x", 1)); /* the reserve */
	free(s);
}
END_TEST

Suite *ts_test_span_suite(void)
{
	Suite *s = suite_create("span");
	TCase *tc = tcase_create("context");

	tcase_add_test(tc, start_without_parent_begins_a_new_sampled_trace);
	tcase_add_test(tc, string_arrays_keep_their_strings_in_order);
	tcase_add_test(tc, two_root_spans_get_different_traces);
	tcase_add_test(tc, start_with_parent_joins_its_trace);
	tcase_add_test(tc, invalid_parent_context_is_treated_as_none);
	tcase_add_test(tc, restart_clears_the_previous_span);
	suite_add_tcase(s, tc);

	tc = tcase_create("attributes");
	tcase_add_test(tc, attributes_of_each_type_are_stored_and_readable);
	tcase_add_test(tc, long_values_are_cut_at_a_utf8_boundary);
	tcase_add_test(tc, value_at_the_limit_is_kept_whole);
	tcase_add_test(tc, attributes_past_the_descriptor_limit_are_dropped);
	tcase_add_test(tc, attributes_past_the_arena_are_dropped_and_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("record");
	tcase_add_test(tc, status_message_is_kept_only_with_error);
	tcase_add_test(tc, end_stamps_a_time_after_the_start);
	tcase_add_test(tc, long_value_in_a_full_arena_is_cut_not_dropped);
	suite_add_tcase(s, tc);
	return s;
}
