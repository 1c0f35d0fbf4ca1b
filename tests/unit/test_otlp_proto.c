/*
 * test_otlp_proto.c - the OTLP protobuf encoder, checked field by field.
 *
 * The output is walked by a strict little wire-format reader below: every
 * length must fit its parent exactly, varints must be canonical (shortest
 * form) and every field must carry the wire type the OTLP schema gives it,
 * so a wrong length, tag or type fails here before any decoder sees it.
 * (The integration tests decode real exports with the OpenTelemetry JS
 * protobuf code as well.)  Spans are built with ts_span_start() and
 * friends but never ended.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/otlp_proto.h"
#include "../../reporter/resource.h"
#include "suites.h"

/* --- a strict wire-format reader ---------------------------------------- */

struct field {
	unsigned num;            /* field number */
	unsigned wt;             /* wire type */
	uint64_t v;              /* varint / fixed value */
	const uint8_t *p;        /* length-delimited payload */
	size_t len;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const uint8_t *start = *p;

	for (;;) {
		ck_assert_msg(*p < end, "varint runs past its message");
		ck_assert_msg(shift < 64, "varint too long");
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	/* Canonical: no trailing zero group (except the value 0 itself). */
	ck_assert_msg(*p - start == 1 || (*p)[-1] != 0, "non-canonical varint");
	return v;
}

/* Read every field of msg into out[]; returns how many. */
static size_t fields(const uint8_t *p, size_t len, struct field *out,
		     size_t max)
{
	const uint8_t *end = p + len;
	size_t n = 0;

	while (p < end) {
		uint64_t tag = varint(&p, end);
		struct field f = { .num = (unsigned)(tag >> 3),
				   .wt = (unsigned)(tag & 7) };

		switch (f.wt) {
		case 0:
			f.v = varint(&p, end);
			break;
		case 1:
			ck_assert(end - p >= 8);
			memcpy(&f.v, p, 8);
			p += 8;
			break;
		case 5: {
			uint32_t x;

			ck_assert(end - p >= 4);
			memcpy(&x, p, 4);
			f.v = x;
			p += 4;
			break;
		}
		case 2:
			f.len = varint(&p, end);
			ck_assert_msg(f.len <= (size_t)(end - p),
				      "length %zu past its parent", f.len);
			f.p = p;
			p += f.len;
			break;
		default:
			ck_abort_msg("wire type %u", f.wt);
		}
		ck_assert_uint_lt(n, max);
		out[n++] = f;
	}
	return n;
}

/* The only field numbered `num` (wire type wt); fails if 0 or 2+. */
static struct field only(const struct field *f, size_t n, unsigned num,
			 unsigned wt)
{
	struct field r = { 0 };
	int seen = 0;

	for (size_t i = 0; i < n; i++) {
		if (f[i].num != num)
			continue;
		ck_assert_msg(f[i].wt == wt, "field %u: wire type %u, want %u",
			      num, f[i].wt, wt);
		r = f[i];
		seen++;
	}
	ck_assert_msg(seen == 1, "field %u seen %d times", num, seen);
	return r;
}

static bool has(const struct field *f, size_t n, unsigned num)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].num == num)
			return true;
	return false;
}

static void assert_bytes(struct field f, const void *want, size_t len)
{
	ck_assert_uint_eq(f.len, len);
	ck_assert(memcmp(f.p, want, len) == 0);
}

/* --- fixtures ------------------------------------------------------------ */

static struct ts_resource res;
static struct ts_buf b;
static const uint8_t *msg;
static size_t msg_len;

static void encode(const struct ts_span *const *spans, size_t n)
{
	struct ts_config c;
	const char *out;

	ts_config_defaults(&c);
	strcpy(c.service_name, "svc");
	ts_resource_build(&res, &c);
	ts_buf_reset(&b);
	ck_assert(ts_otlp_proto_encode(&b, &res, spans, n, &out, &msg_len));
	msg = (const uint8_t *)out;
}

/* The request's spans (Span messages) into out[]; returns how many. */
static size_t request_spans(struct field *out, size_t max)
{
	static struct field top[4], rs[8], ss[70000];
	size_t n, m, k, j = 0;
	struct field r, scope;

	n = fields(msg, msg_len, top, 4);
	r = only(top, n, 1, 2);            /* resource_spans */
	m = fields(r.p, r.len, rs, 8);
	only(rs, m, 1, 2);                 /* resource */
	r = only(rs, m, 2, 2);             /* scope_spans */
	k = fields(r.p, r.len, ss, TS_ARRAY_SIZE(ss));
	scope = only(ss, k, 1, 2);
	for (size_t i = 0; i < k; i++) {
		if (ss[i].num != 2)
			continue;
		ck_assert_uint_eq(ss[i].wt, 2);
		ck_assert_uint_lt(j, max);
		out[j++] = ss[i];
	}
	(void)scope;
	return j;
}

/* --- tests --------------------------------------------------------------- */

START_TEST(test_request_holds_resource_scope_and_spans)
{
	struct ts_span s[3];
	const struct ts_span *p[3] = { &s[0], &s[1], &s[2] };
	struct field top[4], rs[8], f[64], sp[4], kv[4], av[4];
	size_t n, m, k;
	bool saw_svc = false, saw_pid = false, saw_args = false;

	for (int i = 0; i < 3; i++)
		ts_span_start(&s[i], TS_KIND_SERVER, "op", 2, NULL);
	encode(p, 3);
	n = fields(msg, msg_len, top, 4);
	ck_assert_uint_eq(n, 1);
	m = fields(only(top, n, 1, 2).p, only(top, n, 1, 2).len, rs, 8);
	ck_assert_uint_eq(m, 2);
	struct field r = only(rs, m, 1, 2);
	k = fields(r.p, r.len, f, 64);
	ck_assert_uint_eq(k, res.n);
	for (size_t i = 0; i < k; i++) {
		size_t a = fields(f[i].p, f[i].len, kv, 4), c;
		struct field key = only(kv, a, 1, 2), val = only(kv, a, 2, 2);

		c = fields(val.p, val.len, av, 4);
		ck_assert_uint_eq(c, 1);
		if (key.len == 12 && !memcmp(key.p, "service.name", 12)) {
			assert_bytes(only(av, c, 1, 2), "svc", 3);
			saw_svc = true;
		} else if (key.len == 11 && !memcmp(key.p, "process.pid", 11)) {
			ck_assert_uint_eq(only(av, c, 3, 0).v, (uint64_t)getpid());
			saw_pid = true;
		} else if (key.len == 20 &&
			   !memcmp(key.p, "process.command_args", 20)) {
			struct field arr = only(av, c, 5, 2);
			static struct field vals[256];

			ck_assert_uint_ge(fields(arr.p, arr.len, vals, 256), 1);
			saw_args = true;
		}
	}
	ck_assert(saw_svc && saw_pid && saw_args);
	r = only(rs, m, 2, 2);
	k = fields(r.p, r.len, f, 64);
	ck_assert_uint_eq(k, 4); /* scope + 3 spans */
	struct field scope = only(f, k, 1, 2);
	n = fields(scope.p, scope.len, sp, 4);
	assert_bytes(only(sp, n, 1, 2), "traceshim", 9);
	assert_bytes(only(sp, n, 2, 2), TS_VERSION, strlen(TS_VERSION));
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_span_fields_and_types)
{
	struct ts_span parent, s;
	struct ts_span_ctx ctx;
	const struct ts_span *p = &s;
	struct field sp[1], f[80], kv[4], av[4], st[4];
	size_t n, a;
	unsigned attrs = 0;

	ts_span_start(&parent, TS_KIND_SERVER, "parent", 6, NULL);
	ts_span_ctx_of(&parent, &ctx);
	ctx.remote = true;
	ts_span_start(&s, TS_KIND_CLIENT, "GET /x", 6, &ctx);
	ck_assert(ts_span_set_tracestate(&s, "k=v", 3));
	ts_span_add_str(&s, "s", "val", 3);
	ts_span_add_int(&s, "neg", -5);
	ts_span_add_int(&s, "big", INT64_MAX);
	ts_span_add_bool(&s, "f", false);
	ts_span_add_bool(&s, "t", true);
	ts_span_add_str(&s, "empty", "", 0);
	for (int i = 0; i < 40; i++) /* overflow: dropped and counted */
		ts_span_add_int(&s, "fill", i);
	ts_span_set_status(&s, TS_STATUS_ERROR, "boom", 4);
	s.end_unix_ns = s.start_unix_ns + 1500;
	encode(&p, 1);
	ck_assert_uint_eq(request_spans(sp, 1), 1);
	n = fields(sp[0].p, sp[0].len, f, 80);
	assert_bytes(only(f, n, 1, 2), s.trace_id, 16);
	assert_bytes(only(f, n, 2, 2), s.span_id, 8);
	assert_bytes(only(f, n, 3, 2), "k=v", 3);
	assert_bytes(only(f, n, 4, 2), parent.span_id, 8);
	assert_bytes(only(f, n, 5, 2), "GET /x", 6);
	ck_assert_uint_eq(only(f, n, 6, 0).v, TS_KIND_CLIENT);
	ck_assert_uint_eq(only(f, n, 7, 1).v, s.start_unix_ns);
	ck_assert_uint_eq(only(f, n, 8, 1).v, s.start_unix_ns + 1500);
	ck_assert_uint_eq(only(f, n, 10, 0).v, s.dropped_attrs);
	ck_assert_uint_gt(s.dropped_attrs, 0);
	ck_assert_uint_eq(only(f, n, 16, 5).v, 0x301u | s.flags);
	for (size_t i = 0; i < n; i++) {
		if (f[i].num != 9)
			continue;
		ck_assert_uint_eq(f[i].wt, 2);
		a = fields(f[i].p, f[i].len, kv, 4);
		struct field key = only(kv, a, 1, 2), val = only(kv, a, 2, 2);
		size_t c = fields(val.p, val.len, av, 4);

		ck_assert_uint_eq(c, 1);
		if (attrs == 0)
			assert_bytes(only(av, c, 1, 2), "val", 3);
		else if (attrs == 1)
			ck_assert_int_eq((int64_t)only(av, c, 3, 0).v, -5);
		else if (attrs == 2)
			ck_assert_uint_eq(only(av, c, 3, 0).v, INT64_MAX);
		else if (attrs == 3)
			ck_assert_uint_eq(only(av, c, 2, 0).v, 0); /* present */
		else if (attrs == 4)
			ck_assert_uint_eq(only(av, c, 2, 0).v, 1);
		else if (attrs == 5)
			ck_assert_uint_eq(only(av, c, 1, 2).len, 0);
		(void)key;
		attrs++;
	}
	ck_assert_uint_eq(attrs, s.nattrs);
	struct field status = only(f, n, 15, 2);
	a = fields(status.p, status.len, st, 4);
	assert_bytes(only(st, a, 2, 2), "boom", 4);
	ck_assert_uint_eq(only(st, a, 3, 0).v, TS_STATUS_ERROR);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_root_span_omits_what_is_unset)
{
	struct ts_span s;
	const struct ts_span *p = &s;
	struct field sp[1], f[16];
	size_t n;

	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	encode(&p, 1);
	request_spans(sp, 1);
	n = fields(sp[0].p, sp[0].len, f, 16);
	ck_assert(!has(f, n, 3) && !has(f, n, 4) && !has(f, n, 9) &&
		  !has(f, n, 10) && !has(f, n, 15));
	ck_assert_uint_eq(only(f, n, 16, 5).v, 0x100u | s.flags);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_invalid_utf8_is_repaired_valid_kept)
{
	static const char bad[] = "a\xff\xc0" "b\xe2\x82" "c\xf0\x9f\x98\x80";
	static const char fixed[] = "a\xef\xbf\xbd\xef\xbf\xbd"
				    "b\xef\xbf\xbd\xef\xbf\xbd"
				    "c\xf0\x9f\x98\x80";
	struct ts_span s;
	const struct ts_span *p = &s;
	struct field sp[1], f[16], kv[4], av[4];
	size_t n, a;

	ts_span_start(&s, TS_KIND_INTERNAL, bad, sizeof(bad) - 1, NULL);
	ts_span_attr_str(&s, bad, strlen(bad), bad, sizeof(bad) - 1);
	encode(&p, 1);
	request_spans(sp, 1);
	n = fields(sp[0].p, sp[0].len, f, 16);
	assert_bytes(only(f, n, 5, 2), fixed, sizeof(fixed) - 1);
	struct field at = only(f, n, 9, 2);
	a = fields(at.p, at.len, kv, 4);
	assert_bytes(only(kv, a, 1, 2), fixed, sizeof(fixed) - 1);
	struct field v = only(kv, a, 2, 2);
	a = fields(v.p, v.len, av, 4);
	assert_bytes(only(av, a, 1, 2), fixed, sizeof(fixed) - 1);
	ck_assert_uint_eq(ts_utf8_clean_len(bad, sizeof(bad) - 1),
			  sizeof(fixed) - 1);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_every_length_is_exact_around_varint_boundaries)
{
	static char val[600];
	struct ts_span s;
	const struct ts_span *p = &s;
	struct field sp[1], f[16];

	memset(val, 'v', sizeof(val));
	/* Span sizes from ~60 to ~700 bytes: crosses the 1-to-2-byte
	 * length boundary of the span, its attribute and the value. */
	for (size_t len = 0; len <= 512; len++) {
		ts_span_start(&s, TS_KIND_SERVER, "x", 1, NULL);
		if (len)
			ts_span_add_str(&s, "k", val, len);
		encode(&p, 1);
		ck_assert_uint_eq(request_spans(sp, 1), 1);
		fields(sp[0].p, sp[0].len, f, 16); /* walks every length */
	}
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_large_batch_and_bytes_already_in_the_buffer)
{
	enum { N = 12000 }; /* > 2 MiB: 4-byte outer lengths */
	static struct ts_span s[N];
	static const struct ts_span *p[N];
	static struct field sp[N];
	struct ts_config c;
	const char *out;
	size_t len;

	for (int i = 0; i < N; i++) {
		ts_span_start(&s[i], TS_KIND_CLIENT, "GET", 3, NULL);
		ts_span_add_str(&s[i], "url.full",
				"http://example.com/a/rather/long/path/to/fill"
				"/the/request/beyond/two/mebibytes?q=1",
				82);
		for (int k = 0; k < 8; k++)
			ts_span_add_int(&s[i], "n", i * k);
		p[i] = &s[i];
	}
	ts_config_defaults(&c);
	ts_resource_build(&res, &c);
	ts_buf_reset(&b);
	ts_buf_put(&b, "xyz", 3);
	ck_assert(ts_otlp_proto_encode(&b, &res, p, N, &out, &len));
	ck_assert(memcmp(b.data, "xyz", 3) == 0);
	ck_assert(out >= b.data + 3 && out + len == b.data + b.len);
	ck_assert_uint_gt(len, 2u << 20);
	msg = (const uint8_t *)out;
	msg_len = len;
	ck_assert_uint_eq(request_spans(sp, N), N);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_protoc_decodes_the_wire_format)
{
	struct ts_span s[2];
	const struct ts_span *p[2] = { &s[0], &s[1] };
	char path[] = "/tmp/ts-proto-XXXXXX", cmd[128];
	FILE *f;
	int fd;

	if (system("command -v protoc >/dev/null 2>&1") != 0)
		return; /* protoc is in install-deps; nothing to check without */
	for (int i = 0; i < 2; i++) {
		ts_span_start(&s[i], TS_KIND_SERVER, "op", 2, NULL);
		ts_span_add_int(&s[i], "n", -1);
	}
	encode(p, 2);
	fd = mkstemp(path);
	f = fdopen(fd, "wb");
	fwrite(msg, 1, msg_len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw <%s >/dev/null", path);
	ck_assert_int_eq(system(cmd), 0);
	unlink(path);
	ts_buf_free(&b);
}
END_TEST

/* A string array is AnyValue.array_value (5): an ArrayValue whose values
 * (1) are AnyValues of string_value (1), in order. */
START_TEST(test_string_array_is_array_value_of_strings)
{
	struct ts_span s;
	const struct ts_span *p = &s;
	struct field sp[1], f[80], kv[4], av[4], arr[8], one[4];
	size_t n, a, c, m;
	static const char *const want[] = { "x", "", "y\xef\xbf\xbd" };

	ts_span_start(&s, TS_KIND_CLIENT, "GET", 3, NULL);
	ck_assert(ts_span_attr_strarray(&s, "h", 1, "x\0\0y\xff", 6));
	encode(&p, 1);
	ck_assert_uint_eq(request_spans(sp, 1), 1);
	n = fields(sp[0].p, sp[0].len, f, 80);
	struct field attr = only(f, n, 9, 2);
	a = fields(attr.p, attr.len, kv, 4);
	assert_bytes(only(kv, a, 1, 2), "h", 1);
	struct field val = only(kv, a, 2, 2);
	c = fields(val.p, val.len, av, 4);
	ck_assert_uint_eq(c, 1);
	struct field array = only(av, c, 5, 2);
	m = fields(array.p, array.len, arr, 8);
	ck_assert_uint_eq(m, 3);
	for (size_t i = 0; i < m; i++) {
		ck_assert_uint_eq(arr[i].num, 1);
		ck_assert_uint_eq(arr[i].wt, 2);
		c = fields(arr[i].p, arr[i].len, one, 4);
		assert_bytes(only(one, c, 1, 2), want[i], strlen(want[i]));
	}
	ts_buf_free(&b);
}
END_TEST

Suite *ts_test_otlp_proto_suite(void)
{
	Suite *s = suite_create("otlp_proto");
	TCase *tc = tcase_create("encode");

	tcase_add_test(tc, test_request_holds_resource_scope_and_spans);
	tcase_add_test(tc, test_string_array_is_array_value_of_strings);
	tcase_add_test(tc, test_span_fields_and_types);
	tcase_add_test(tc, test_root_span_omits_what_is_unset);
	tcase_add_test(tc, test_invalid_utf8_is_repaired_valid_kept);
	tcase_add_test(tc, test_every_length_is_exact_around_varint_boundaries);
	tcase_add_test(tc, test_large_batch_and_bytes_already_in_the_buffer);
	tcase_add_test(tc, test_protoc_decodes_the_wire_format);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
