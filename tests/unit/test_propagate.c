/*
 * test_propagate.c - the propagation formats: W3C traceparent and
 * tracestate (every case of the W3C trace-context test suite that a
 * parser decides, plus the size rules), W3C baggage, B3 single and multi,
 * Jaeger; extraction in the configured order from a parsed request head;
 * injection of every configured format with the same ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/http_parse.h"
#include "../../hooks/propagate.h"
#include "pbuf.h"
#include "suites.h"

#define TP_OK "00-12345678901234567890123456789012-1234567890123456-01"

static bool tp(const char *v)
{
	struct ts_span_ctx c;

	return ts_prop_parse_traceparent(v, strlen(v), &c);
}

/* The W3C suite's traceparent cases (test/test.py), by what they expect. */
START_TEST(traceparent_w3c_suite_cases)
{
	static const char *const valid[] = {
		TP_OK,
		"00-12345678901234567890123456789012-1234567890123456-00",
		"cc-12345678901234567890123456789012-1234567890123456-01",
		"cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
	};
	static const char *const invalid[] = {
		"00-12345678901234567890123456789012-1234567890123456-01.",
		"00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
		"cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
		"ff-12345678901234567890123456789012-1234567890123456-01",
		".0-12345678901234567890123456789012-1234567890123456-01",
		"0.-12345678901234567890123456789012-1234567890123456-01",
		"000-12345678901234567890123456789012-1234567890123456-01",
		"0000-12345678901234567890123456789012-1234567890123456-01",
		"0-12345678901234567890123456789012-1234567890123456-01",
		"00-00000000000000000000000000000000-1234567890123456-01",
		"00-.2345678901234567890123456789012-1234567890123456-01",
		"00-1234567890123456789012345678901.-1234567890123456-01",
		"00-123456789012345678901234567890123-1234567890123456-01",
		"00-1234567890123456789012345678901-1234567890123456-01",
		"00-12345678901234567890123456789012-0000000000000000-01",
		"00-12345678901234567890123456789012-.234567890123456-01",
		"00-12345678901234567890123456789012-123456789012345.-01",
		"00-12345678901234567890123456789012-12345678901234567-01",
		"00-12345678901234567890123456789012-123456789012345-01",
		"00-12345678901234567890123456789012-1234567890123456-.0",
		"00-12345678901234567890123456789012-1234567890123456-0.",
		"00-12345678901234567890123456789012-1234567890123456-001",
		"00-12345678901234567890123456789012-1234567890123456-1",
		"00-1234567890123456789012345678901A-1234567890123456-01",
		"",
	};
	struct ts_span_ctx c;

	for (size_t i = 0; i < TS_ARRAY_SIZE(valid); i++)
		ck_assert_msg(tp(valid[i]), "valid: %s", valid[i]);
	for (size_t i = 0; i < TS_ARRAY_SIZE(invalid); i++)
		ck_assert_msg(!tp(invalid[i]), "invalid: %s", invalid[i]);
	ck_assert(ts_prop_parse_traceparent(valid[3], strlen(valid[3]), &c));
	ck_assert_uint_eq(c.flags, 1); /* a later version's flags: bit 0 */
	ck_assert(c.remote);
}
END_TEST

/* Normalize a tracestate; returns the result (static buffer). */
static const char *ts_norm(const char *in, size_t max)
{
	static char buf[4096];
	size_t n = strlen(in);

	memcpy(buf, in, n + 1);
	n = ts_prop_tracestate_normalize(buf, n, false, max);
	buf[n] = '\0';
	return buf;
}

START_TEST(tracestate_w3c_suite_cases)
{
	char big[2048], key[400];
	int i;

	ck_assert_str_eq(ts_norm("foo=1,bar=2", 512), "foo=1,bar=2");
	/* Several lines joined by the parser, in order. */
	ck_assert_str_eq(ts_norm("foo=1,bar=2,rojo=1,congo=2,baz=3", 512),
			 "foo=1,bar=2,rojo=1,congo=2,baz=3");
	/* OWS around members. */
	ck_assert_str_eq(ts_norm("foo=1 \t , \t bar=2, \t baz=3", 512),
			 "foo=1,bar=2,baz=3");
	ck_assert_str_eq(ts_norm("foo=1\t \t,\t \tbar=2,\t \tbaz=3", 512),
			 "foo=1,bar=2,baz=3");
	ck_assert_str_eq(ts_norm("\t foo=1 \t", 512), "foo=1");
	/* Empty lines and members are dropped, not fatal. */
	ck_assert_str_eq(ts_norm("", 512), "");
	ck_assert_str_eq(ts_norm("foo=1,", 512), "foo=1");
	ck_assert_str_eq(ts_norm(",foo=1", 512), "foo=1");
	/* Duplicated keys: discarded whole. */
	ck_assert_str_eq(ts_norm("foo=1,foo=1", 512), "");
	ck_assert_str_eq(ts_norm("foo=1,foo=2", 512), "");
	/* Illegal keys and vendor formats. */
	ck_assert_str_eq(ts_norm("foo =1", 512), "");
	ck_assert_str_eq(ts_norm("FOO=1", 512), "");
	ck_assert_str_eq(ts_norm("foo.bar=1", 512), "");
	ck_assert_str_eq(ts_norm("foo@=1,bar=2", 512), "");
	ck_assert_str_eq(ts_norm("@foo=1,bar=2", 512), "");
	ck_assert_str_eq(ts_norm("foo@@bar=1,bar=2", 512), "");
	ck_assert_str_eq(ts_norm("foo@bar@baz=1,bar=2", 512), "");
	/* Illegal values. */
	ck_assert_str_eq(ts_norm("foo=bar=baz", 512), "");
	ck_assert_str_eq(ts_norm("foo=,bar=3", 512), "");
	/* All allowed characters, with and without a vendor. */
	{
		char v[128], in[512], want[512];
		int n = 0;

		for (i = 0x20; i <= 0x7e; i++)
			if (i != 0x2c && i != 0x3d)
				v[n++] = (char)i;
		v[n] = '\0';
		snprintf(in, sizeof(in), "abcdefghijklmnopqrstuvwxyz0123456789_-*/=%s", v);
		ck_assert_str_eq(ts_norm(in, 512), in);
		snprintf(in, sizeof(in),
			 "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=%s", v);
		snprintf(want, sizeof(want), "%s", in);
		ck_assert_str_eq(ts_norm(in, 512), want);
	}
	/* 32 members kept, 33 discard it all. */
	big[0] = '\0';
	for (i = 1; i <= 32; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "%sbar%02d=%02d", i > 1 ? "," : "", i, i);
	ck_assert_str_eq(ts_norm(big, 4096), big);
	strcat(big, ",bar33=33");
	ck_assert_str_eq(ts_norm(big, 4096), "");
	/* Key length limits: 256, tenant 241, vendor 14. */
	memset(key, 'z', 256);
	strcpy(key + 256, "=1");
	snprintf(big, sizeof(big), "foo=1,%s", key);
	ck_assert_str_eq(ts_norm(big, 4096), big);
	memset(key, 'z', 257);
	strcpy(key + 257, "=1");
	snprintf(big, sizeof(big), "foo=1,%s", key);
	ck_assert_str_eq(ts_norm(big, 4096), "");
	memset(key, 't', 241);
	key[241] = '@';
	memset(key + 242, 'v', 14);
	strcpy(key + 256, "=1");
	snprintf(big, sizeof(big), "foo=1,%s", key);
	ck_assert_str_eq(ts_norm(big, 4096), big);
	memset(key, 't', 242);
	strcpy(key + 242, "@v=1");
	snprintf(big, sizeof(big), "foo=1,%s", key);
	ck_assert_str_eq(ts_norm(big, 4096), "");
	strcpy(key, "t@vvvvvvvvvvvvvvv=1"); /* vendor of 15 */
	snprintf(big, sizeof(big), "foo=1,%s", key);
	ck_assert_str_eq(ts_norm(big, 4096), "");
}
END_TEST

START_TEST(tracestate_over_512_loses_big_members_first_then_the_last)
{
	char in[2048], v[300];
	const char *out;

	memset(v, 'x', 200);
	v[200] = '\0';
	/* 30 members of 12 bytes plus one of 202: the big one goes. */
	in[0] = '\0';
	for (int i = 0; i < 30; i++)
		snprintf(in + strlen(in), sizeof(in) - strlen(in), "%sk%02d=vvvvvvvv",
			 i ? "," : "", i);
	snprintf(in + strlen(in), sizeof(in) - strlen(in), ",big=%s", v);
	out = ts_norm(in, 512);
	ck_assert_ptr_null(strstr(out, "big="));
	ck_assert_uint_eq(strlen(out), 30 * 12 + 29);
	/* Only small members, 600 bytes: the last ones go until it fits. */
	in[0] = '\0';
	for (int i = 0; i < 32; i++)
		snprintf(in + strlen(in), sizeof(in) - strlen(in), "%sk%02d=%.13s",
			 i ? "," : "", i, v);
	out = ts_norm(in, 512);
	ck_assert_uint_le(strlen(out), 512);
	ck_assert(!strncmp(out, "k00=", 4));
	ck_assert_ptr_null(strstr(out, "k31="));
	ck_assert_uint_eq(strlen(out), 28 * 18 - 1); /* 28 members of 17 */
	/* A value the capture cut: its incomplete last member is dropped. */
	{
		char b[64] = "a=1,b=2,c=3";
		size_t n = ts_prop_tracestate_normalize(b, 9, true, 512);

		ck_assert_uint_eq(n, 7);
		ck_assert(!memcmp(b, "a=1,b=2", 7));
	}
}
END_TEST

static const char *bg_norm(const char *in)
{
	static char buf[4096];
	size_t n = strlen(in);

	memcpy(buf, in, n + 1);
	n = ts_prop_baggage_normalize(buf, n, false, TS_PROP_BAGGAGE_MAX);
	buf[n] = '\0';
	return buf;
}

START_TEST(baggage_members_normalized_invalid_ones_dropped_alone)
{
	ck_assert_str_eq(bg_norm("userId=alice,serverNode=DF%2028,isProduction=false"),
			 "userId=alice,serverNode=DF%2028,isProduction=false");
	ck_assert_str_eq(bg_norm(" a = 1 ; p1 ; p2 = x , b=2"), "a=1;p1;p2=x,b=2");
	ck_assert_str_eq(bg_norm("a=1,bad key=2,c=3"), "a=1,c=3");
	ck_assert_str_eq(bg_norm("a=1,novalue,c=3"), "a=1,c=3");
	ck_assert_str_eq(bg_norm("a=x y,c=3"), "c=3"); /* space in a value */
	ck_assert_str_eq(bg_norm("a=\"q\",c=3"), "c=3");
	ck_assert_str_eq(bg_norm("empty=,c=3"), "empty=,c=3");
	ck_assert_str_eq(bg_norm(",,"), "");
	{
		char in[4096] = "";
		const char *out;

		for (int i = 0; i < 70; i++)
			snprintf(in + strlen(in), sizeof(in) - strlen(in),
				 "%sk%d=v", i ? "," : "", i);
		out = bg_norm(in);
		ck_assert_ptr_nonnull(strstr(out, "k63=v"));
		ck_assert_ptr_null(strstr(out, "k64=v"));
	}
}
END_TEST

static void hex_of(const uint8_t *id, size_t n, char *out)
{
	ts_prop_hex(id, n, out);
	out[2 * n] = '\0';
}

START_TEST(b3_single_and_multi)
{
	struct ts_span_ctx c;
	char t[33], s[17];

	ck_assert(ts_prop_parse_b3(
		"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
		68, &c));
	hex_of(c.trace_id, 16, t);
	hex_of(c.span_id, 8, s);
	ck_assert_str_eq(t, "80f198ee56343ba864fe8b2a57d3eff7");
	ck_assert_str_eq(s, "e457b5a2e4d86bd1");
	ck_assert_uint_eq(c.flags, 1);
	ck_assert_uint_eq(c.xflags, 0);
	/* 64-bit trace ids are padded to 128 bits on the left. */
	ck_assert(ts_prop_parse_b3("463ac35c9f6413ad-a2fb4a1d1a96d312-d", 35, &c));
	hex_of(c.trace_id, 16, t);
	ck_assert_str_eq(t, "0000000000000000463ac35c9f6413ad");
	ck_assert_uint_eq(c.flags, 1); /* debug implies sampled */
	ck_assert_uint_eq(c.xflags, TS_CTX_DEBUG);
	ck_assert(ts_prop_parse_b3("463ac35c9f6413ad-a2fb4a1d1a96d312-0", 35, &c));
	ck_assert_uint_eq(c.flags, 0);
	ck_assert(ts_prop_parse_b3("463ac35c9f6413ad-a2fb4a1d1a96d312", 33, &c));
	ck_assert_uint_eq(c.xflags, TS_CTX_DEFERRED);
	ck_assert(!ts_prop_parse_b3("0", 1, &c));   /* a decision alone */
	ck_assert(!ts_prop_parse_b3("1", 1, &c));
	ck_assert(!ts_prop_parse_b3("463ac35c9f6413ad-a2fb4a1d1a96d312-x", 35, &c));
	ck_assert(!ts_prop_parse_b3("463ac35c9f6413-a2fb4a1d1a96d312-1", 33, &c));
	ck_assert(!ts_prop_parse_b3("0000000000000000-a2fb4a1d1a96d312-1", 35, &c));
	ck_assert(!ts_prop_parse_b3("463ac35c9f6413ad-0000000000000000-1", 35, &c));
	ck_assert(!ts_prop_parse_b3("463ac35c9f6413ad-a2fb4a1d1a96d312-1-05e3ac9a4f6e3b90-x",
				    54, &c));
	/* Multiple headers; X-B3-Flags: 1 wins over X-B3-Sampled: 0. */
	ck_assert(ts_prop_parse_b3multi("463ac35c9f6413ad", 16, "a2fb4a1d1a96d312",
					16, "1", 1, "", 0, &c));
	ck_assert_uint_eq(c.flags, 1);
	ck_assert(ts_prop_parse_b3multi("463ac35c9f6413ad", 16, "a2fb4a1d1a96d312",
					16, "0", 1, "1", 1, &c));
	ck_assert_uint_eq(c.flags, 1);
	ck_assert_uint_eq(c.xflags, TS_CTX_DEBUG);
	ck_assert(ts_prop_parse_b3multi("463ac35c9f6413ad", 16, "a2fb4a1d1a96d312",
					16, "", 0, "", 0, &c));
	ck_assert_uint_eq(c.xflags, TS_CTX_DEFERRED);
	ck_assert(ts_prop_parse_b3multi("463ac35c9f6413ad", 16, "a2fb4a1d1a96d312",
					16, "false", 5, "", 0, &c));
	ck_assert_uint_eq(c.flags, 0);
	ck_assert(!ts_prop_parse_b3multi("", 0, "a2fb4a1d1a96d312", 16, "1", 1,
					 "", 0, &c));
	ck_assert(!ts_prop_parse_b3multi("463ac35c9f6413ad", 16, "a2fb", 4, "1",
					 1, "", 0, &c));
}
END_TEST

START_TEST(jaeger_uber_trace_id)
{
	struct ts_span_ctx c;
	char t[33], s[17];

	ck_assert(ts_prop_parse_uber("3f2a:9c1:0:1", 12, &c));
	hex_of(c.trace_id, 16, t);
	hex_of(c.span_id, 8, s);
	ck_assert_str_eq(t, "00000000000000000000000000003f2a");
	ck_assert_str_eq(s, "00000000000009c1");
	ck_assert_uint_eq(c.flags, 1);
	ck_assert(ts_prop_parse_uber(
		"80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:05e3ac9a4f6e3b90:3",
		68, &c));
	ck_assert_uint_eq(c.xflags, TS_CTX_DEBUG);
	ck_assert(ts_prop_parse_uber("abc%3Adef%3a0%3A0", 17, &c));
	ck_assert_uint_eq(c.flags, 0);
	ck_assert(!ts_prop_parse_uber("0:9c1:0:1", 9, &c));
	ck_assert(!ts_prop_parse_uber("3f2a:0:0:1", 10, &c));
	ck_assert(!ts_prop_parse_uber("3f2a:9c1:0", 10, &c));
	ck_assert(!ts_prop_parse_uber("3f2a:9c1:0:1:5", 14, &c));
	ck_assert(!ts_prop_parse_uber("3g2a:9c1:0:1", 12, &c));
	ck_assert(!ts_prop_parse_uber("123456789012345678901234567890123:1:0:1",
				      39, &c));
}
END_TEST

/* Parse a request head into p (edit events off, as inbound). */
static void parse_head(struct ts_http_parser *p, const char *head)
{
	enum ts_http_event ev;
	size_t len = strlen(head), n;

	ts_http_parser_init(p, TS_HTTP_REQUESTS, 8192, test_pbuf(p));
	ts_http_parser_edit_events(p, false);
	do {
		n = ts_http_feed(p, head, len, &ev);
		head += n;
		len -= n;
	} while (ev != TS_HTTP_EV_HEADERS_DONE && (len || ev));
	ck_assert_int_eq(ev, TS_HTTP_EV_HEADERS_DONE);
}

static struct ts_prop_config cfg(const char *list)
{
	struct ts_prop_config c = { { 0 }, 0, 0 };
	static const char *const names[] = { NULL, "tracecontext", "baggage", "b3",
					     "b3multi", "jaeger" };
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (int f = 1; f < TS_PROP_FORMATS_; f++)
			if (!strcmp(tok, names[f])) {
				c.order[c.n++] = (uint8_t)f;
				c.mask |= (uint16_t)TS_PROP_BIT(f);
			}
	return c;
}

#define HEAD_ALL                                                               \
	"GET / HTTP/1.1\r\n"                                                   \
	"traceparent: 00-11111111111111111111111111111111-1111111111111111-01\r\n" \
	"tracestate: a=1\r\n"                                                  \
	"b3: 22222222222222222222222222222222-2222222222222222-1\r\n"          \
	"uber-trace-id: 3333:3333:0:1\r\n"                                     \
	"baggage: k=v\r\nuberctx-tenant: acme\r\n\r\n"

START_TEST(extraction_takes_the_first_valid_format_in_configured_order)
{
	static struct ts_http_parser p;
	struct ts_prop_config pc;
	struct ts_prop_in in;
	char t[33];

	pc = cfg("tracecontext,baggage,b3,jaeger");
	parse_head(&p, HEAD_ALL);
	ck_assert(ts_prop_extract(&p, &pc, &in));
	hex_of(in.ctx.trace_id, 16, t);
	ck_assert_str_eq(t, "11111111111111111111111111111111");
	ck_assert_uint_eq(in.ts_len, 3);
	ck_assert(!memcmp(in.ts, "a=1", 3));
	/* baggage, then the Jaeger baggage as W3C members */
	ck_assert_uint_eq(in.bg_len, strlen("k=v,tenant=acme"));
	ck_assert(!memcmp(in.bg, "k=v,tenant=acme", in.bg_len));

	pc = cfg("jaeger,b3,tracecontext");
	parse_head(&p, HEAD_ALL);
	ck_assert(ts_prop_extract(&p, &pc, &in));
	hex_of(in.ctx.trace_id, 16, t);
	ck_assert_str_eq(t, "00000000000000000000000000003333");
	ck_assert_uint_eq(in.ts_len, 0); /* tracestate only with traceparent */
	ck_assert_uint_eq(in.bg_len, strlen("tenant=acme")); /* no "baggage" */

	pc = cfg("b3multi");
	parse_head(&p, HEAD_ALL);
	ck_assert(ts_prop_extract(&p, &pc, &in)); /* b3multi reads b3 too */
	hex_of(in.ctx.trace_id, 16, t);
	ck_assert_str_eq(t, "22222222222222222222222222222222");
	ck_assert_uint_eq(in.bg_len, 0);

	/* An invalid traceparent: the next format, and no tracestate. */
	pc = cfg("tracecontext,b3");
	parse_head(&p, "GET / HTTP/1.1\r\n"
		       "traceparent: 00-00000000000000000000000000000000-1111111111111111-01\r\n"
		       "tracestate: a=1\r\n"
		       "X-B3-TraceId: 463ac35c9f6413ad\r\nX-B3-SpanId: a2fb4a1d1a96d312\r\n"
		       "X-B3-Sampled: 0\r\n\r\n");
	ck_assert(ts_prop_extract(&p, &pc, &in));
	hex_of(in.ctx.trace_id, 16, t);
	ck_assert_str_eq(t, "0000000000000000463ac35c9f6413ad");
	ck_assert_uint_eq(in.ctx.flags, 0);
	ck_assert_uint_eq(in.ts_len, 0);

	/* A later version longer than the capture: its first 56 bytes. */
	pc = cfg("tracecontext");
	parse_head(&p, "GET / HTTP/1.1\r\ntraceparent: "
		       "cc-12345678901234567890123456789012-1234567890123456-01"
		       "-what-the-future-will-be-like-and-much-longer-than-64\r\n\r\n");
	ck_assert(ts_prop_extract(&p, &pc, &in));
	parse_head(&p, "GET / HTTP/1.1\r\ntraceparent: " TP_OK
		       "-version-00-may-not-grow-and-much-longer-than-64-bytes\r\n\r\n");
	ck_assert(!ts_prop_extract(&p, &pc, &in));

	/* Two traceparent lines: which one is meant is unknown. */
	pc = cfg("tracecontext");
	parse_head(&p, "GET / HTTP/1.1\r\n"
		       "traceparent: " TP_OK "\r\ntraceparent: " TP_OK "\r\n\r\n");
	ck_assert(!ts_prop_extract(&p, &pc, &in));
	pc = cfg("");
	parse_head(&p, HEAD_ALL);
	ck_assert(!ts_prop_extract(&p, &pc, &in)); /* none configured */
}
END_TEST

static const char *inject(const char *formats, unsigned skip, uint8_t flags,
			  uint8_t xflags, const char *ts, const char *bg,
			  size_t size)
{
	static char buf[4096];
	struct ts_prop_config pc = cfg(formats);
	struct ts_span_ctx c;
	size_t n;

	memset(&c, 0, sizeof(c));
	memset(c.trace_id + 8, 0xab, 8);
	c.trace_id[0] = 0x01;
	memset(c.span_id, 0xcd, 8);
	c.flags = flags;
	c.xflags = xflags;
	n = ts_prop_inject(&c, &pc, skip, ts, ts ? strlen(ts) : 0, bg,
			   bg ? strlen(bg) : 0, buf, size);
	buf[n] = '\0';
	return buf;
}

START_TEST(injection_writes_every_format_with_the_same_ids)
{
	ck_assert_str_eq(
		inject("tracecontext,baggage,b3,b3multi,jaeger", 0, 1, 0, "a=1",
		       "k=v;p,t=acme", 4096),
		"traceparent: 00-0100000000000000abababababababab-cdcdcdcdcdcdcdcd-01\r\n"
		"tracestate: a=1\r\n"
		"baggage: k=v;p,t=acme\r\n"
		"b3: 0100000000000000abababababababab-cdcdcdcdcdcdcdcd-1\r\n"
		"X-B3-TraceId: 0100000000000000abababababababab\r\n"
		"X-B3-SpanId: cdcdcdcdcdcdcdcd\r\nX-B3-Sampled: 1\r\n"
		"uber-trace-id: 0100000000000000abababababababab:cdcdcdcdcdcdcdcd:0:1\r\n"
		"uberctx-k: v\r\nuberctx-t: acme\r\n");
	/* Debug: b3 "d", X-B3-Flags instead of X-B3-Sampled, Jaeger 3. */
	ck_assert_str_eq(inject("b3,b3multi,jaeger", 0, 1, TS_CTX_DEBUG, NULL, NULL,
				4096),
			 "b3: 0100000000000000abababababababab-cdcdcdcdcdcdcdcd-d\r\n"
			 "X-B3-TraceId: 0100000000000000abababababababab\r\n"
			 "X-B3-SpanId: cdcdcdcdcdcdcdcd\r\nX-B3-Flags: 1\r\n"
			 "uber-trace-id: 0100000000000000abababababababab:cdcdcdcdcdcdcdcd:0:3\r\n");
	/* Not sampled. */
	ck_assert_str_eq(inject("tracecontext,b3", 0, 0, 0, NULL, NULL, 4096),
			 "traceparent: 00-0100000000000000abababababababab-cdcdcdcdcdcdcdcd-00\r\n"
			 "b3: 0100000000000000abababababababab-cdcdcdcdcdcdcdcd-0\r\n");
	/* What the request already has is not inserted again. */
	ck_assert_str_eq(inject("tracecontext,baggage,jaeger",
				TS_PROP_HAS_TRACEPARENT | TS_PROP_HAS_BAGGAGE, 1, 0,
				"a=1", "k=v", 4096),
			 "uber-trace-id: 0100000000000000abababababababab:cdcdcdcdcdcdcdcd:0:1\r\n"
			 "uberctx-k: v\r\n");
	/* Short of room: baggage goes first, then tracestate, never a
	 * line cut in two. */
	ck_assert_str_eq(inject("tracecontext,baggage", 0, 1, 0, "a=1", "k=v", 90),
			 "traceparent: 00-0100000000000000abababababababab-cdcdcdcdcdcdcdcd-01\r\n"
			 "tracestate: a=1\r\n");
	ck_assert_str_eq(inject("tracecontext,baggage", 0, 1, 0, "a=1", "k=v", 80),
			 "traceparent: 00-0100000000000000abababababababab-cdcdcdcdcdcdcdcd-01\r\n");
	ck_assert_str_eq(inject("tracecontext", 0, 1, 0, NULL, NULL, 40), "");
	ck_assert_str_eq(inject("baggage", 0, 1, 0, NULL, "k=v", 4096),
			 "baggage: k=v\r\n");
}
END_TEST

START_TEST(b3_and_jaeger_write_64_bit_trace_ids_as_16_digits)
{
	struct ts_prop_config pc = cfg("b3,jaeger");
	struct ts_span_ctx c;
	char buf[512];
	size_t n;

	memset(&c, 0, sizeof(c));
	memset(c.trace_id + 8, 0x46, 8);
	memset(c.span_id, 0xa2, 8);
	c.flags = 1;
	n = ts_prop_inject(&c, &pc, 0, NULL, 0, NULL, 0, buf, sizeof(buf));
	buf[n] = '\0';
	ck_assert_str_eq(buf, "b3: 4646464646464646-a2a2a2a2a2a2a2a2-1\r\n"
			      "uber-trace-id: 4646464646464646:a2a2a2a2a2a2a2a2:0:1\r\n");
}
END_TEST

Suite *ts_test_propagate_suite(void)
{
	Suite *s = suite_create("propagate");
	TCase *tc = tcase_create("propagate");

	tcase_add_test(tc, traceparent_w3c_suite_cases);
	tcase_add_test(tc, tracestate_w3c_suite_cases);
	tcase_add_test(tc, tracestate_over_512_loses_big_members_first_then_the_last);
	tcase_add_test(tc, baggage_members_normalized_invalid_ones_dropped_alone);
	tcase_add_test(tc, b3_single_and_multi);
	tcase_add_test(tc, jaeger_uber_trace_id);
	tcase_add_test(tc, extraction_takes_the_first_valid_format_in_configured_order);
	tcase_add_test(tc, injection_writes_every_format_with_the_same_ids);
	tcase_add_test(tc, b3_and_jaeger_write_64_bit_trace_ids_as_16_digits);
	suite_add_tcase(s, tc);
	return s;
}
