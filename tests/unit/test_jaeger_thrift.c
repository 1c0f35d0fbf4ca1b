/*
 * test_jaeger_thrift.c - the Jaeger encoder and datagram packer, read
 * back with an independent compact-protocol reader.
 *
 * The reader (thrift_reader.c) knows nothing of Jaeger: it turns bytes
 * into a tree of typed values (structs of numbered fields, lists, strings,
 * integers), refusing anything malformed: a bad header, a count that does
 * not match the elements, a length past the end.  The tests then
 * check each field of jaeger.thrift by number and type, the tags the
 * OpenTelemetry specification asks for, and the datagram rules: every
 * datagram at most `max` bytes and a whole emitBatch message, spans in
 * order and none lost or repeated, a span too big on its own dropped and
 * counted, memory not growing with the batch.
 *
 * (The integration tests decode the same bytes with Apache Thrift's
 * generated code; this suite pins the details byte by byte.)
 *
 * Spans are built with ts_span_start() and friends but never ended.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/jaeger_thrift.h"
#include "../../reporter/resource.h"
#include "../../reporter/thrift_compact.h"
#include "capture.h"
#include "suites.h"
#include "thrift_reader.h"

/* Encode one span alone and read it back (it must use all its bytes). */
static uint8_t span_bytes[1 << 16];

static const struct ts_tv *encode_span(const struct ts_span *s)
{
	uint8_t *end = ts_jaeger_span(span_bytes, s);
	struct ts_rd r = { span_bytes, end, NULL };
	const struct ts_tv *v;

	ck_assert_uint_le((size_t)(end - span_bytes), ts_jaeger_span_bound(s));
	v = ts_rd_struct(&r, 0);
	ck_assert_msg(!r.err, "span does not parse: %s", r.err);
	ck_assert_msg(r.p == end, "%zu bytes after the span",
		      (size_t)(end - r.p));
	return v;
}

static void ids(uint8_t *trace, uint8_t *span, uint8_t *parent)
{
	for (int i = 0; i < 16; i++)
		trace[i] = (uint8_t)(0xf0 + i); /* high bits set: negative i64 */
	for (int i = 0; i < 8; i++) {
		span[i] = (uint8_t)(0x10 + i);
		if (parent)
			parent[i] = (uint8_t)(0x80 | i);
	}
}

/* --- spans ------------------------------------------------------------------ */

START_TEST(test_span_ids_are_big_endian_halves_as_i64)
{
	struct ts_span s;
	const struct ts_tv *v, *refs, *ref;

	ts_span_start(&s, TS_KIND_SERVER, "GET /x", 6, NULL);
	ids(s.trace_id, s.span_id, s.parent_id);
	v = encode_span(&s);
	/* traceIdLow = bytes 8..15, traceIdHigh = bytes 0..7. */
	ck_assert_int_eq(ts_tv_int(v, 1, TS_TC_I64), (int64_t)0xf8f9fafbfcfdfeffull);
	ck_assert_int_eq(ts_tv_int(v, 2, TS_TC_I64), (int64_t)0xf0f1f2f3f4f5f6f7ull);
	ck_assert_int_eq(ts_tv_int(v, 3, TS_TC_I64), 0x1011121314151617ll);
	ck_assert_int_eq(ts_tv_int(v, 4, TS_TC_I64), (int64_t)0x8081828384858687ull);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 5, TS_TC_BINARY), "GET /x"));
	/* The parent is also the first (here only) reference, CHILD_OF. */
	refs = ts_tv_need(v, 6, TS_TC_LIST);
	ck_assert_int_eq(refs->etype, TS_TC_STRUCT);
	ck_assert_uint_eq(refs->n, 1);
	ref = refs->child;
	ck_assert_int_eq(ts_tv_int(ref, 1, TS_TC_I32), TS_JAEGER_CHILD_OF);
	ck_assert_int_eq(ts_tv_int(ref, 2, TS_TC_I64), (int64_t)0xf8f9fafbfcfdfeffull);
	ck_assert_int_eq(ts_tv_int(ref, 3, TS_TC_I64), (int64_t)0xf0f1f2f3f4f5f6f7ull);
	ck_assert_int_eq(ts_tv_int(ref, 4, TS_TC_I64), (int64_t)0x8081828384858687ull);
	ck_assert_uint_eq(ref->n, 4);
}
END_TEST

START_TEST(test_root_span_has_zero_parent_and_no_references)
{
	struct ts_span s;
	const struct ts_tv *v;

	ts_span_start(&s, TS_KIND_CLIENT, "GET", 3, NULL);
	v = encode_span(&s);
	ck_assert_int_eq(ts_tv_int(v, 4, TS_TC_I64), 0);
	ck_assert_ptr_null(ts_tv_field(v, 6, TS_TC_LIST));
	ck_assert_ptr_null(ts_tv_field(v, 11, TS_TC_LIST)); /* no events: no logs */
	/* Required fields 1-5, 7-9 and the tags. */
	for (int16_t id = 1; id <= 9; id++)
		if (id != 5 && id != 6)
			ts_tv_need(v, id, id == 7 ? TS_TC_I32 : TS_TC_I64);
	ts_tv_need(v, 10, TS_TC_LIST);
}
END_TEST

START_TEST(test_span_flags_follow_the_sampled_bit)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_CLIENT, "GET", 3, NULL);
	ck_assert_int_eq(ts_tv_int(encode_span(&s), 7, TS_TC_I32), 1);
	s.flags = 0;
	ck_assert_int_eq(ts_tv_int(encode_span(&s), 7, TS_TC_I32), 0);
	s.flags = 0x03; /* other W3C bits are not Jaeger's */
	ck_assert_int_eq(ts_tv_int(encode_span(&s), 7, TS_TC_I32), 1);
}
END_TEST

START_TEST(test_times_in_microseconds_child_stays_inside_parent)
{
	struct ts_span p, c;
	const struct ts_tv *pv;
	int64_t ps, pd, cs, cd;

	ts_span_start(&p, TS_KIND_SERVER, "p", 1, NULL);
	ts_span_start(&c, TS_KIND_CLIENT, "c", 1, NULL);
	p.start_unix_ns = 1700000000123456999ull;
	p.end_unix_ns = 1700000000123459001ull;
	c.start_unix_ns = 1700000000123457000ull; /* 1 ns into a new us */
	c.end_unix_ns = 1700000000123458999ull;
	pv = encode_span(&p);
	ps = ts_tv_int(pv, 8, TS_TC_I64);
	pd = ts_tv_int(pv, 9, TS_TC_I64);
	ck_assert_int_eq(ps, 1700000000123456ll);
	ck_assert_int_eq(pd, 3); /* 123459 - 123456 */
	cs = ts_tv_int(encode_span(&c), 8, TS_TC_I64);
	cd = ts_tv_int(encode_span(&c), 9, TS_TC_I64);
	ck_assert_int_eq(cs, 1700000000123457ll);
	ck_assert_int_eq(cd, 1);
	ck_assert(ps <= cs && cs + cd <= ps + pd);
	/* A zero-length span has duration 0, never negative. */
	c.end_unix_ns = c.start_unix_ns;
	ck_assert_int_eq(ts_tv_int(encode_span(&c), 9, TS_TC_I64), 0);
}
END_TEST

START_TEST(test_kind_becomes_span_kind_tag_except_internal)
{
	static const struct {
		enum ts_span_kind kind;
		const char *name;
	} kinds[] = {
		{ TS_KIND_SERVER, "server" },
		{ TS_KIND_CLIENT, "client" },
		{ TS_KIND_PRODUCER, "producer" },
		{ TS_KIND_CONSUMER, "consumer" },
	};
	struct ts_span s;

	for (size_t i = 0; i < TS_ARRAY_SIZE(kinds); i++) {
		ts_span_start(&s, kinds[i].kind, "x", 1, NULL);
		ts_tv_assert_tag_str(encode_span(&s), "span.kind", kinds[i].name);
	}
	ts_span_start(&s, TS_KIND_INTERNAL, "x", 1, NULL);
	ck_assert_ptr_null(ts_tv_tag(encode_span(&s), "span.kind"));
	s.kind = 0; /* unspecified */
	ck_assert_ptr_null(ts_tv_tag(encode_span(&s), "span.kind"));
}
END_TEST

START_TEST(test_attributes_keep_their_types)
{
	struct ts_span s;
	const struct ts_tv *v;

	ts_span_start(&s, TS_KIND_SERVER, "x", 1, NULL);
	ts_span_add_str(&s, "http.request.method", "POST", 4);
	ts_span_add_str(&s, "empty", "", 0);
	ts_span_add_int(&s, "http.response.status_code", 201);
	ts_span_add_int(&s, "neg", -5);
	ts_span_add_int(&s, "min", INT64_MIN);
	ts_span_add_int(&s, "max", INT64_MAX);
	ts_span_add_bool(&s, "yes", true);
	ts_span_add_bool(&s, "no", false);
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "http.request.method", "POST");
	ts_tv_assert_tag_str(v, "empty", "");
	ts_tv_assert_tag_long(v, "http.response.status_code", 201);
	ts_tv_assert_tag_long(v, "neg", -5);
	ts_tv_assert_tag_long(v, "min", INT64_MIN);
	ts_tv_assert_tag_long(v, "max", INT64_MAX);
	ts_tv_assert_tag_bool(v, "yes", true);
	ts_tv_assert_tag_bool(v, "no", false);
	/* 8 attributes, span.kind, 4 scope tags; nothing else when UNSET. */
	ck_assert_uint_eq(ts_tv_need(v, 10, TS_TC_LIST)->n, 13);
	ck_assert_ptr_null(ts_tv_tag(v, "otel.status_code"));
	ck_assert_ptr_null(ts_tv_tag(v, "error"));
	ck_assert_ptr_null(ts_tv_tag(v, "otel.dropped_attributes_count"));
	ck_assert_ptr_null(ts_tv_tag(v, "w3c.tracestate"));
}
END_TEST

START_TEST(test_scope_tags_and_their_deprecated_aliases)
{
	struct ts_span s;
	const struct ts_tv *v;

	ts_span_start(&s, TS_KIND_SERVER, "x", 1, NULL);
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "otel.scope.name", "traceshim");
	ts_tv_assert_tag_str(v, "otel.scope.version", TS_VERSION);
	ts_tv_assert_tag_str(v, "otel.library.name", "traceshim");
	ts_tv_assert_tag_str(v, "otel.library.version", TS_VERSION);
}
END_TEST

START_TEST(test_status_ok_and_error_tags)
{
	struct ts_span s;
	const struct ts_tv *v, *t, *list;
	int errors = 0;

	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	ts_span_set_status(&s, TS_STATUS_OK, NULL, 0);
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "otel.status_code", "OK");
	ck_assert_ptr_null(ts_tv_tag(v, "otel.status_description"));
	ck_assert_ptr_null(ts_tv_tag(v, "error"));

	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	ts_span_add_str(&s, "error", "application's own", 17);
	ts_span_add_str(&s, "error.type", "503", 3);
	ts_span_set_status(&s, TS_STATUS_ERROR, "Service Unavailable", 19);
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "otel.status_code", "ERROR");
	ts_tv_assert_tag_str(v, "otel.status_description", "Service Unavailable");
	ts_tv_assert_tag_str(v, "error.type", "503");
	/* error=true replaces the attribute of the same name: one tag. */
	list = ts_tv_need(v, 10, TS_TC_LIST);
	for (t = list->child; t; t = t->next)
		errors += ts_tv_str_is(ts_tv_need(t, 1, TS_TC_BINARY), "error");
	ck_assert_int_eq(errors, 1);
	ts_tv_assert_tag_bool(v, "error", true);

	/* ERROR without a description. */
	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	ts_span_set_status(&s, TS_STATUS_ERROR, NULL, 0);
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "otel.status_code", "ERROR");
	ck_assert_ptr_null(ts_tv_tag(v, "otel.status_description"));
	ts_tv_assert_tag_bool(v, "error", true);

	/* A status value we do not know: no status tags, still well formed. */
	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	s.status = 7;
	v = encode_span(&s);
	ck_assert_ptr_null(ts_tv_tag(v, "otel.status_code"));
	ck_assert_ptr_null(ts_tv_tag(v, "error"));

	/* Without ERROR an `error` attribute is the application's. */
	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	ts_span_add_bool(&s, "error", false);
	ts_tv_assert_tag_bool(encode_span(&s), "error", false);
}
END_TEST

START_TEST(test_dropped_attributes_and_tracestate_tags)
{
	struct ts_span s;
	const struct ts_tv *v;

	ts_span_start(&s, TS_KIND_SERVER, "x", 1, NULL);
	ts_span_set_tracestate(&s, "rojo=00f067aa0ba902b7", 21);
	for (int i = 0; i < TS_SPAN_MAX_ATTRS + 3; i++)
		ts_span_add_int(&s, "n", i);
	ck_assert_uint_eq(s.dropped_attrs, 3);
	v = encode_span(&s);
	ts_tv_assert_tag_long(v, "otel.dropped_attributes_count", 3);
	ts_tv_assert_tag_str(v, "w3c.tracestate", "rojo=00f067aa0ba902b7");
}
END_TEST

START_TEST(test_invalid_utf8_in_span_strings_is_replaced)
{
	struct ts_span s;
	const struct ts_tv *v;

	ts_span_start(&s, TS_KIND_SERVER, "GET /\xff", 6, NULL);
	ts_span_add_str(&s, "user_agent.original", "a\xc0\xafz", 4);
	v = encode_span(&s);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 5, TS_TC_BINARY), "GET /\xef\xbf\xbd"));
	ts_tv_assert_tag_str(v, "user_agent.original",
		       "a\xef\xbf\xbd\xef\xbf\xbdz");
}
END_TEST

START_TEST(test_span_bound_holds_for_the_worst_span)
{
	struct ts_span s;
	char junk[TS_SPAN_VALUE_MAX], key[40];
	const struct ts_tv *v;
	size_t used;

	memset(junk, 0xff, sizeof(junk)); /* every byte becomes 3 */
	ts_span_start(&s, TS_KIND_SERVER, junk, sizeof(junk), NULL);
	ts_span_set_tracestate(&s, junk, 100);
	ts_span_set_status(&s, TS_STATUS_ERROR, junk, 200);
	for (int i = 0; i < TS_SPAN_MAX_ATTRS; i++) {
		snprintf(key, sizeof(key), "\xff%d", i);
		if (!ts_span_attr_str(&s, key, strlen(key), junk, 20))
			ts_span_attr_int(&s, key, strlen(key), INT64_MIN);
	}
	s.dropped_attrs = UINT16_MAX;
	used = (size_t)(ts_jaeger_span(span_bytes, &s) - span_bytes);
	ck_assert_uint_le(used, ts_jaeger_span_bound(&s));
	v = encode_span(&s);
	ck_assert_uint_eq(ts_tv_need(v, 10, TS_TC_LIST)->n,
			  (size_t)s.nattrs + 1 + 3 + 4 + 1 + 1);
}
END_TEST

/* Literal keys take no arena and values kept where they lie may share
 * bytes: the bound counts what is written, not the arena. */
START_TEST(test_span_bound_holds_for_shared_values_and_literal_keys)
{
	struct ts_span s;
	char junk[TS_SPAN_VALUE_MAX];
	uint16_t off;
	size_t used;

	memset(junk, 0xff, sizeof(junk)); /* every byte becomes 3 */
	ts_span_start(&s, TS_KIND_SERVER, "n", 1, NULL);
	ck_assert(ts_span_arena_put(&s, junk, sizeof(junk), &off));
	for (int i = 0; i < TS_SPAN_MAX_ATTRS; i++)
		ck_assert(ts_span_attr_str_in(
			&s, "a.literal.key.of.some.length.like.ours", 38, off,
			sizeof(junk)));
	ck_assert_uint_lt(s.arena_used, 600);
	used = (size_t)(ts_jaeger_span(span_bytes, &s) - span_bytes);
	/* Each value is kept to what makes 512 bytes as sent (170 bytes,
	 * each written as a 3-byte U+FFFD): 32 of them, near the cap. */
	ck_assert_uint_gt(used, (size_t)TS_SPAN_MAX_ATTRS *
					(TS_SPAN_VALUE_MAX - 3));
	ck_assert_uint_le(used, ts_jaeger_span_bound(&s));
	(void)encode_span(&s);
}
END_TEST

/* --- process ------------------------------------------------------------- */

static void res_add(struct ts_resource *r, const char *key, int type,
		    const char *str, size_t len, int64_t ival)
{
	struct ts_res_attr *a = &r->attrs[r->n++];

	a->key = key;
	a->type = (uint8_t)type;
	a->str = str;
	a->len = len;
	a->ival = ival;
}

static struct ts_resource test_res;

static const struct ts_resource *make_resource(void)
{
	static const char args[] = "/bin/srv\0-p\0say \"hi\"\0";

	memset(&test_res, 0, sizeof(test_res));
	res_add(&test_res, "service.name", TS_RES_STRING, "checkout", 8, 0);
	res_add(&test_res, "process.pid", TS_RES_INT, NULL, 0, 4242);
	res_add(&test_res, "process.command_args", TS_RES_STRARRAY, args,
		sizeof(args) - 1, 0);
	res_add(&test_res, "host.name", TS_RES_STRING, "box\xff", 4, 0);
	return &test_res;
}

static const struct ts_tv *read_process(const struct ts_buf *b)
{
	struct ts_rd r = { (const uint8_t *)b->data,
			(const uint8_t *)b->data + b->len, NULL };
	const struct ts_tv *v = ts_rd_struct(&r, 0);

	ck_assert_msg(!r.err, "process does not parse: %s", r.err);
	ck_assert(r.p == r.end);
	return v;
}

START_TEST(test_process_service_name_and_tags)
{
	struct ts_buf b = { 0 }, scratch = { 0 };
	const struct ts_tv *v;

	ck_assert(ts_jaeger_process(&b, &scratch, make_resource(), true));
	v = read_process(&b);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 1, TS_TC_BINARY), "checkout"));
	ck_assert_uint_eq(ts_tv_need(v, 2, TS_TC_LIST)->n, 3);
	ck_assert_ptr_null(ts_tv_tag(v, "service.name")); /* it is serviceName */
	ts_tv_assert_tag_long(v, "process.pid", 4242);
	/* The specification: arrays as a JSON list in a string. */
	ts_tv_assert_tag_str(v, "process.command_args",
		       "[\"/bin/srv\",\"-p\",\"say \\\"hi\\\"\"]");
	ts_tv_assert_tag_str(v, "host.name", "box\xef\xbf\xbd");
	ck_assert_uint_eq(v->n, 2);

	/* Without tags: serviceName only. */
	ts_buf_reset(&b);
	ck_assert(ts_jaeger_process(&b, &scratch, make_resource(), false));
	v = read_process(&b);
	ck_assert_uint_eq(v->n, 1);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 1, TS_TC_BINARY), "checkout"));
	ts_buf_free(&b);
	ts_buf_free(&scratch);
}
END_TEST

START_TEST(test_process_without_service_name_and_real_resource)
{
	struct ts_buf b = { 0 }, scratch = { 0 };
	struct ts_resource *r = calloc(1, sizeof(*r));
	struct ts_config c;
	const struct ts_tv *v;

	memset(&test_res, 0, sizeof(test_res));
	res_add(&test_res, "a", TS_RES_STRING, "b", 1, 0);
	ck_assert(ts_jaeger_process(&b, &scratch, &test_res, true));
	v = read_process(&b);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 1, TS_TC_BINARY), "unknown_service"));
	ts_tv_assert_tag_str(v, "a", "b");

	/* What the reporter really builds. */
	ts_config_defaults(&c);
	strcpy(c.service_name, "svc");
	ts_resource_build(r, &c);
	ts_buf_reset(&b);
	ck_assert(ts_jaeger_process(&b, &scratch, r, true));
	v = read_process(&b);
	ck_assert(ts_tv_str_is(ts_tv_need(v, 1, TS_TC_BINARY), "svc"));
	ck_assert_uint_eq(ts_tv_need(v, 2, TS_TC_LIST)->n, r->n - 1);
	ts_tv_assert_tag_long(v, "process.pid", r->pid);
	ts_tv_assert_tag_str(v, "telemetry.sdk.name", "traceshim");
	free(r);
	ts_buf_free(&b);
	ts_buf_free(&scratch);
}
END_TEST

/* --- datagrams --------------------------------------------------------------- */

#define MAX_DGRAMS 4096

struct sink {
	uint8_t *data[MAX_DGRAMS]; /* copies of the datagrams */
	size_t len[MAX_DGRAMS];
	size_t nspans[MAX_DGRAMS];
	size_t n;
	int fail_at;               /* emit fails for datagram fail_at (-1 never) */
};

static struct sink sink;

static int sink_emit(void *ctx, const struct iovec *iov, int niov,
		     size_t nspans)
{
	struct sink *k = ctx;
	size_t len = 0, off = 0;

	if ((int)k->n == k->fail_at)
		return -ENETDOWN;
	ck_assert_uint_lt(k->n, MAX_DGRAMS);
	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	k->data[k->n] = malloc(len);
	for (int i = 0; i < niov; i++) {
		memcpy(k->data[k->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	k->len[k->n] = len;
	k->nspans[k->n] = nspans;
	k->n++;
	return 0;
}

static void sink_reset(void)
{
	for (size_t i = 0; i < sink.n; i++)
		free(sink.data[i]);
	memset(&sink, 0, sizeof(sink));
	sink.fail_at = -1;
}

/*
 * Parse datagram i as a whole emitBatch message: returns the Batch
 * struct; *seqid gets the sequence id.
 */
static const struct ts_tv *read_datagram(size_t i, uint32_t *seqid)
{
	struct ts_rd r = { sink.data[i], sink.data[i] + sink.len[i], NULL };
	const struct ts_tv *args, *batch, *spans;
	size_t nlen;

	ts_tv_pool_reset(); /* the previous datagram's values are not needed */
	ck_assert_uint_eq(ts_rd_byte(&r), TS_TC_PROTOCOL_ID);
	ck_assert_uint_eq(ts_rd_byte(&r), TS_TC_VERSION | TS_TC_ONEWAY << 5);
	*seqid = (uint32_t)ts_rd_varint(&r, 5);
	nlen = (size_t)ts_rd_varint(&r, 5);
	ck_assert_uint_eq(nlen, 9);
	ck_assert(r.end - r.p >= 9 && !memcmp(r.p, "emitBatch", 9));
	r.p += 9;
	args = ts_rd_struct(&r, 0);
	ck_assert_msg(!r.err, "datagram %zu does not parse: %s", i, r.err);
	ck_assert_msg(r.p == r.end, "datagram %zu: %zu bytes left over", i,
		      (size_t)(r.end - r.p));
	ck_assert_uint_eq(args->n, 1);
	batch = ts_tv_need(args, 1, TS_TC_STRUCT);
	ck_assert_uint_eq(batch->n, 2);
	ts_tv_need(batch, 1, TS_TC_STRUCT);
	spans = ts_tv_need(batch, 2, TS_TC_LIST);
	ck_assert_int_eq(spans->etype, TS_TC_STRUCT);
	ck_assert_uint_eq(spans->n, sink.nspans[i]);
	return batch;
}

static struct ts_span *span_array(size_t n, size_t attr_bytes)
{
	struct ts_span *s = malloc(n * sizeof(*s));
	char val[TS_SPAN_VALUE_MAX];

	ck_assert(s != NULL);
	memset(val, 'v', sizeof(val));
	for (size_t i = 0; i < n; i++) {
		ts_span_start(&s[i], TS_KIND_CLIENT, "GET", 3, NULL);
		ts_span_add_int(&s[i], "seq", (int64_t)i);
		for (size_t left = attr_bytes; left;) {
			size_t k = left < sizeof(val) ? left : sizeof(val);

			ts_span_add_str(&s[i], "big", val, k);
			left -= k;
		}
	}
	return s;
}

/* Encode spans[0..n) with limit max into the sink; check every datagram. */
static int pack(const struct ts_span *s, size_t n, size_t max,
		struct ts_jaeger_enc *enc, struct ts_jaeger_stats *st)
{
	const struct ts_span **ptrs = malloc((n ? n : 1) * sizeof(*ptrs));
	int err;

	for (size_t i = 0; i < n; i++)
		ptrs[i] = &s[i];
	err = ts_jaeger_encode_batch(enc, make_resource(), ptrs, n, max,
				     sink_emit, &sink, st);
	free(ptrs);
	return err;
}

/* Spans' "seq" tags across all datagrams, in order; checks structure. */
static size_t collect_seqs(int64_t *seqs, size_t max, uint32_t first_seqid)
{
	size_t got = 0;

	for (size_t i = 0; i < sink.n; i++) {
		uint32_t seqid;
		const struct ts_tv *b = read_datagram(i, &seqid), *sp;

		ck_assert_uint_le(sink.len[i], max);
		ck_assert_uint_eq(seqid, first_seqid + i);
		ck_assert(ts_tv_str_is(ts_tv_need(ts_tv_need(b, 1, TS_TC_STRUCT), 1, TS_TC_BINARY),
				 "checkout"));
		for (sp = ts_tv_need(b, 2, TS_TC_LIST)->child; sp; sp = sp->next) {
			const struct ts_tv *t = ts_tv_tag(sp, "seq");

			ck_assert(t != NULL);
			seqs[got++] = ts_tv_int(t, 6, TS_TC_I64);
		}
	}
	return got;
}

START_TEST(test_one_span_one_datagram_exact_layout)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	struct ts_span *s = span_array(1, 0);
	uint32_t seqid;

	sink_reset();
	ck_assert_int_eq(pack(s, 1, TS_JAEGER_MAX_DATAGRAM, &enc, &st), 0);
	ck_assert_uint_eq(sink.n, 1);
	ck_assert_uint_eq(st.datagrams, 1);
	ck_assert_uint_eq(st.spans, 1);
	ck_assert_uint_eq(st.largest, sink.len[0]);
	read_datagram(0, &seqid);
	ck_assert_uint_eq(seqid, 0);
	/* Header bytes: id, version|ONEWAY, seqid 0, "emitBatch", args
	 * field 1 struct, Batch field 1 struct, process field 1 string. */
	ck_assert(!memcmp(sink.data[0], "\x82\x81\x00\x09" "emitBatch\x1c\x1c\x18",
			  16));
	/* Ends with the spans list's last span stop, then Batch's and the
	 * arguments' stops. */
	ck_assert(!memcmp(sink.data[0] + sink.len[0] - 3, "\0\0\0", 3));
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
}
END_TEST

START_TEST(test_big_batch_split_at_65000_bytes_nothing_lost)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	size_t n = 3000;
	struct ts_span *s = span_array(n, 1000);
	int64_t *seqs = malloc(n * sizeof(*seqs));
	size_t got;

	sink_reset();
	ck_assert_int_eq(pack(s, n, TS_JAEGER_MAX_DATAGRAM, &enc, &st), 0);
	ck_assert_uint_gt(sink.n, 30);
	ck_assert_uint_eq(st.datagrams, sink.n);
	ck_assert_uint_eq(st.spans, n);
	ck_assert_uint_eq(st.too_big, 0);
	ck_assert_uint_le(st.largest, TS_JAEGER_MAX_DATAGRAM);
	got = collect_seqs(seqs, TS_JAEGER_MAX_DATAGRAM, 0);
	ck_assert_uint_eq(got, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(seqs[i], (int64_t)i);
	/* Greedy: no datagram could have taken the next one's first span. */
	for (size_t i = 0, first = 0; i + 1 < sink.n; i++) {
		first += sink.nspans[i];
		ck_assert_uint_gt(sink.len[i] + (size_t)(ts_jaeger_span(span_bytes,
							   &s[first]) -
						    span_bytes),
				  TS_JAEGER_MAX_DATAGRAM);
	}
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(seqs);
	free(s);
}
END_TEST

START_TEST(test_small_limit_many_datagrams_and_long_list_headers)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	size_t n = 500;
	struct ts_span *s = span_array(n, 0);
	int64_t seqs[500];

	for (size_t max = 600; max <= 20000; max = max * 3 / 2) {
		sink_reset();
		ck_assert_int_eq(pack(s, n, max, &enc, &st), 0);
		ck_assert_uint_eq(st.spans, n);
		ck_assert_uint_eq(collect_seqs(seqs, max, enc.seqid - sink.n),
				  n);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(seqs[i], (int64_t)i);
		/* Somewhere a list of 15 or more (two-byte header). */
		if (max > 10000)
			ck_assert_uint_ge(sink.nspans[0], 15);
	}
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
}
END_TEST

START_TEST(test_span_too_big_alone_is_dropped_and_counted)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	struct ts_span *s = span_array(5, 0), *big = span_array(1, 1200);
	int64_t seqs[8];

	/* Spans 1 and 3 are big: 1200 bytes of attributes, limit 1000. */
	s[1] = big[0];
	s[3] = big[0];
	sink_reset();
	ck_assert_int_eq(pack(s, 5, 1000, &enc, &st), 0);
	ck_assert_uint_eq(st.too_big, 2);
	ck_assert_uint_eq(st.spans, 3);
	ck_assert_uint_eq(collect_seqs(seqs, 1000, enc.seqid - sink.n), 3);
	ck_assert_int_eq(seqs[0], 0);
	ck_assert_int_eq(seqs[1], 2);
	ck_assert_int_eq(seqs[2], 4);
	/* All big: nothing sent, no error. */
	sink_reset();
	s[0] = s[2] = s[4] = big[0];
	ck_assert_int_eq(pack(s, 5, 1000, &enc, &st), 0);
	ck_assert_uint_eq(sink.n, 0);
	ck_assert_uint_eq(st.too_big, 5);
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
	free(big);
}
END_TEST

START_TEST(test_emit_error_stops_the_batch)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	struct ts_span *s = span_array(200, 500);

	sink_reset();
	sink.fail_at = 1;
	ck_assert_int_eq(pack(s, 200, 10000, &enc, &st), -ENETDOWN);
	ck_assert_uint_eq(sink.n, 1);
	ck_assert_uint_eq(st.datagrams, 1);
	ck_assert_uint_eq(st.spans, sink.nspans[0]);
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
}
END_TEST

START_TEST(test_process_too_big_for_the_limit)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	struct ts_span *s = span_array(3, 0);
	static char huge[3000];
	struct ts_capture cap;
	char err[1024];
	uint32_t seqid;
	const struct ts_span *ptrs[3] = { &s[0], &s[1], &s[2] };

	memset(huge, 'h', sizeof(huge));
	make_resource();
	res_add(&test_res, "huge", TS_RES_STRING, huge, sizeof(huge), 0);
	sink_reset();
	ts_capture_begin(&cap);
	ck_assert_int_eq(ts_jaeger_encode_batch(&enc, &test_res, ptrs, 3, 2000,
						sink_emit, &sink, &st),
			 0);
	ts_capture_end(&cap, err, sizeof(err));
	ck_assert_msg(strstr(err, "process tags are left out"), "[%s]", err);
	ck_assert_uint_eq(st.spans, 3);
	/* The process has its serviceName only. */
	ck_assert_uint_eq(ts_tv_need(read_datagram(0, &seqid), 1, TS_TC_STRUCT)->n, 1);
	/* Not even the service name fits in 600 bytes of a 600-byte name. */
	test_res.attrs[0].str = huge;
	test_res.attrs[0].len = 600;
	ck_assert_int_eq(ts_jaeger_encode_batch(&enc, &test_res, ptrs, 3, 600,
						sink_emit, &sink, &st),
			 -EMSGSIZE);
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
}
END_TEST

START_TEST(test_memory_does_not_grow_with_the_batch)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;
	struct ts_span *s = span_array(4000, 300);
	size_t cap_small, cap_big;
	char *data;

	/* Warm up with a batch that fills one datagram. */
	sink_reset();
	ck_assert_int_eq(pack(s, 300, TS_JAEGER_MAX_DATAGRAM, &enc, &st), 0);
	ck_assert_uint_gt(st.datagrams, 1);
	cap_small = enc.dgram.cap;
	data = enc.dgram.data;
	sink_reset();
	ck_assert_int_eq(pack(s, 4000, TS_JAEGER_MAX_DATAGRAM, &enc, &st), 0);
	cap_big = enc.dgram.cap;
	ck_assert_uint_eq(st.spans, 4000);
	/* One datagram plus one span, whatever the batch size: the buffer
	 * did not grow, so it was not reallocated either. */
	ck_assert_uint_eq(cap_big, cap_small);
	ck_assert_ptr_eq(enc.dgram.data, data);
	ck_assert_uint_le(cap_big, 2 * TS_JAEGER_MAX_DATAGRAM + 8192);
	sink_reset();
	ts_jaeger_enc_free(&enc);
	free(s);
}
END_TEST

START_TEST(test_empty_batch_sends_nothing)
{
	struct ts_jaeger_enc enc = { 0 };
	struct ts_jaeger_stats st;

	sink_reset();
	ck_assert_int_eq(pack(NULL, 0, TS_JAEGER_MAX_DATAGRAM, &enc, &st), 0);
	ck_assert_uint_eq(sink.n, 0);
	ck_assert_uint_eq(st.datagrams, 0);
	ts_jaeger_enc_free(&enc);
}
END_TEST

/* Jaeger has no array tags: the text of a JSON list, as a string tag. */
START_TEST(test_string_array_becomes_a_json_list_tag)
{
	struct ts_span s;
	const struct ts_tv *v;
	size_t used;

	ts_span_start(&s, TS_KIND_CLIENT, "GET", 3, NULL);
	ck_assert(ts_span_attr_strarray(&s, "http.response.header.x-a", 24,
					"one\0t\"wo", 9));
	v = encode_span(&s);
	ts_tv_assert_tag_str(v, "http.response.header.x-a",
			     "[\"one\",\"t\\\"wo\"]");
	used = (size_t)(ts_jaeger_span(span_bytes, &s) - span_bytes);
	ck_assert_uint_le(used, ts_jaeger_span_bound(&s));
}
END_TEST

Suite *ts_test_jaeger_thrift_suite(void)
{
	Suite *s = suite_create("jaeger_thrift");
	TCase *sp = tcase_create("span");
	TCase *pr = tcase_create("process");
	TCase *dg = tcase_create("datagrams");

	tcase_add_checked_fixture(sp, ts_tv_pool_setup, ts_tv_pool_teardown);
	tcase_add_checked_fixture(pr, ts_tv_pool_setup, ts_tv_pool_teardown);
	tcase_add_checked_fixture(dg, ts_tv_pool_setup, ts_tv_pool_teardown);
	tcase_add_test(sp, test_span_ids_are_big_endian_halves_as_i64);
	tcase_add_test(sp, test_string_array_becomes_a_json_list_tag);
	tcase_add_test(sp, test_root_span_has_zero_parent_and_no_references);
	tcase_add_test(sp, test_span_flags_follow_the_sampled_bit);
	tcase_add_test(sp, test_times_in_microseconds_child_stays_inside_parent);
	tcase_add_test(sp, test_kind_becomes_span_kind_tag_except_internal);
	tcase_add_test(sp, test_attributes_keep_their_types);
	tcase_add_test(sp, test_scope_tags_and_their_deprecated_aliases);
	tcase_add_test(sp, test_status_ok_and_error_tags);
	tcase_add_test(sp, test_dropped_attributes_and_tracestate_tags);
	tcase_add_test(sp, test_invalid_utf8_in_span_strings_is_replaced);
	tcase_add_test(sp, test_span_bound_holds_for_the_worst_span);
	tcase_add_test(sp, test_span_bound_holds_for_shared_values_and_literal_keys);
	tcase_add_test(pr, test_process_service_name_and_tags);
	tcase_add_test(pr, test_process_without_service_name_and_real_resource);
	tcase_add_test(dg, test_one_span_one_datagram_exact_layout);
	tcase_add_test(dg, test_big_batch_split_at_65000_bytes_nothing_lost);
	tcase_add_test(dg, test_small_limit_many_datagrams_and_long_list_headers);
	tcase_add_test(dg, test_span_too_big_alone_is_dropped_and_counted);
	tcase_add_test(dg, test_emit_error_stops_the_batch);
	tcase_add_test(dg, test_process_too_big_for_the_limit);
	tcase_add_test(dg, test_memory_does_not_grow_with_the_batch);
	tcase_add_test(dg, test_empty_batch_sends_nothing);
	suite_add_tcase(s, sp);
	suite_add_tcase(s, pr);
	suite_add_tcase(s, dg);
	return s;
}
