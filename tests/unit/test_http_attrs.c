/*
 * test_http_attrs.c - HTTP span attributes recorded raw on the hot path
 * and expanded on the reporter: the expanded record carries exactly the
 * name, attributes and status the semantic conventions ask for, whatever
 * the request looked like, and a record too full for everything loses
 * attributes (counted), never bytes of another field.
 *
 * Requests go through the real parser, so the recorded fields are what
 * the hooks would record; the expanded record is rendered as one line of
 * "key=value" text for comparison.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/http.h"
#include "../../hooks/http_attrs.h"
#include "../../hooks/route.h"
#include "../../preload/config.h"
#include "pbuf.h"
#include "suites.h"

/* The record's name, attributes and status as one line. */
static void render(const struct ts_span *s, char *out, size_t size)
{
	size_t at;

	at = (size_t)snprintf(out, size, "%.*s |", s->name_len,
			      ts_span_str(s, s->name_off));
	for (unsigned i = 0; i < s->nattrs && at < size; i++) {
		const struct ts_attr *a = &s->attrs[i];

		if (a->type == TS_ATTR_STRING)
			at += (size_t)snprintf(out + at, size - at, " %.*s=%.*s",
					       a->key_len,
					       ts_attr_key(s, a),
					       a->val_len,
					       ts_span_str(s, a->val_off));
		else
			at += (size_t)snprintf(out + at, size - at,
					       " %.*s=%" PRId64, a->key_len,
					       ts_attr_key(s, a),
					       a->ival);
	}
	if (at < size && s->status)
		snprintf(out + at, size - at, " | status=%u%s%.*s", s->status,
			 s->smsg_len ? " " : "", s->smsg_len,
			 ts_span_str(s, s->smsg_off));
}

/* Parse `head` (a whole request head) into p. */
static void parse(struct ts_http_parser *p, const char *head)
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

static struct ts_http_conn *conn(const char *peer, uint16_t peer_port,
				 uint16_t local_port)
{
	static struct ts_http_conn h;

	memset(&h, 0, sizeof(h));
	snprintf(h.peer_addr, sizeof(h.peer_addr), "%s", peer);
	h.peer_port = peer_port;
	h.local_port = local_port;
	return &h;
}

/* Record, finish and expand one span; render it into out. */
static struct ts_span *run(const char *head, bool server,
			   const struct ts_http_conn *h, uint16_t status,
			   uint64_t req_body, uint64_t resp_body, bool closed,
			   char *out, size_t size)
{
	static struct ts_http_parser p;
	struct ts_span *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	memset(s, 0xa5, sizeof(*s));
	parse(&p, head);
	ts_span_start(s, server ? TS_KIND_SERVER : TS_KIND_CLIENT, NULL, 0,
		      NULL);
	ts_http_raw_request(s, &p, h, server);
	ck_assert_uint_eq(s->defer, TS_DEFER_HTTP);
	ck_assert_uint_eq(s->nattrs, 0); /* nothing named on the hot path */
	ts_http_raw_outcome(s, server, status, req_body, resp_body, closed);
	ts_span_expand(s);
	ck_assert_uint_eq(s->defer, TS_DEFER_NONE);
	render(s, out, size);
	return s;
}

static void setup(void)
{
	ts_span_set_expander(TS_DEFER_HTTP, ts_http_expand);
}

START_TEST(server_span_has_every_attribute_of_the_conventions)
{
	char out[2048];
	struct ts_span *s = run("GET /users/7?x=1&y=2 HTTP/1.1\r\n"
				"Host: api.example.com:8443\r\n"
				"User-Agent: curl/8.1\r\n\r\n",
				true, conn("10.0.0.9", 51000, 8080), 200, 0, 42,
				false, out, sizeof(out));

	/* The name folds the id; url.path keeps it. */
	ck_assert_str_eq(out, "GET /users/{id} | http.request.method=GET "
			      "url.path=/users/7 url.query=x=1&y=2 "
			      "url.scheme=http network.protocol.version=1.1 "
			      "user_agent.original=curl/8.1 "
			      "server.address=api.example.com server.port=8443 "
			      "client.address=10.0.0.9 "
			      "network.peer.address=10.0.0.9 "
			      "network.peer.port=51000 "
			      "http.response.status_code=200 "
			      "http.response.body.size=42");
	ck_assert_uint_eq(s->status, TS_STATUS_UNSET);
	free(s);
}
END_TEST

/*
 * A target cut at TS_HTTP_TARGET_MAX: a query it keeps the start of is
 * exported as that start; one it keeps nothing of (the '?' the last byte
 * kept) is not known to be empty, so there is no url.query; an empty
 * query of a whole target is one.
 */
START_TEST(query_the_target_cap_left_nothing_of_is_none)
{
	char head[TS_HTTP_TARGET_MAX + 128], out[8192];
	struct ts_span *s;
	int n;

	/* "/yyy...?" is exactly the bytes kept. */
	n = snprintf(head, sizeof(head), "GET /%0*d?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		     TS_HTTP_TARGET_MAX - 2, 0);
	ck_assert_int_lt(n, (int)sizeof(head));
	s = run(head, true, conn("10.0.0.9", 51000, 80), 200, 0, 0, false, out,
		sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.path=/000"));
	ck_assert_ptr_null(strstr(out, "url.query"));
	free(s);
	/* One more byte of the path kept: the query's first byte is not. */
	snprintf(head, sizeof(head), "GET /%0*d?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		 TS_HTTP_TARGET_MAX - 3, 0);
	s = run(head, true, conn("10.0.0.9", 51000, 80), 200, 0, 0, false, out,
		sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.query=q "));
	free(s);
	s = run("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n", true,
		conn("10.0.0.9", 51000, 80), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.query= url.scheme"));
	free(s);
}
END_TEST

/* client.address of a server span behind a proxy. */
static const char *client_of(const char *fwd_lines)
{
	static char out[2048];
	char head[1024];
	const char *a, *e;
	struct ts_span *s;

	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n",
		 fwd_lines);
	s = run(head, true, conn("10.0.0.9", 51000, 80), 200, 0, 0, false,
		out, sizeof(out));
	free(s);
	a = strstr(out, " client.address=");
	ck_assert_ptr_nonnull(a);
	a += 16;
	e = strchr(a, ' ');
	ck_assert_ptr_nonnull(strstr(out, " network.peer.address=10.0.0.9 "));
	memmove(out, a, (size_t)(e - a));
	out[e - a] = '\0';
	return out;
}

START_TEST(server_client_address_is_the_one_a_proxy_names)
{
	static const struct {
		const char *lines, *want;
	} cases[] = {
		{ "", "10.0.0.9" },
		{ "X-Forwarded-For: 203.0.113.7\r\n", "203.0.113.7" },
		{ "x-forwarded-for:  203.0.113.7 , 10.1.1.1\r\n"
		  "X-Forwarded-For: 10.2.2.2\r\n", "203.0.113.7" },
		{ "X-Forwarded-For: 203.0.113.7:5566\r\n", "203.0.113.7" },
		{ "X-Forwarded-For: 2001:DB8::1, 10.1.1.1\r\n", "2001:db8::1" },
		{ "X-Forwarded-For: [2001:db8::2]:443\r\n", "2001:db8::2" },
		{ "Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43\r\n",
		  "192.0.2.60" },
		{ "Forwarded: proto=https; For=\"[2001:db8:cafe::17]:4711\", "
		  "for=10.1.1.1\r\n", "2001:db8:cafe::17" },
		/* Forwarded wins over X-Forwarded-For ... */
		{ "X-Forwarded-For: 203.0.113.7\r\n"
		  "Forwarded: for=198.51.100.17\r\n", "198.51.100.17" },
		/* ... unless it names nobody. */
		{ "Forwarded: for=_hidden, for=198.51.100.17\r\n"
		  "X-Forwarded-For: 203.0.113.7\r\n", "203.0.113.7" },
		{ "Forwarded: for=unknown\r\n", "10.0.0.9" },
		{ "Forwarded: by=203.0.113.43\r\n", "10.0.0.9" },
		{ "X-Forwarded-For: unknown, 203.0.113.7\r\n", "10.0.0.9" },
		{ "X-Forwarded-For: client.example.com\r\n", "10.0.0.9" },
		{ "X-Forwarded-For: 203.0.113.7<script>\r\n", "10.0.0.9" },
		{ "X-Forwarded-For: 999.0.113.7\r\n", "10.0.0.9" },
		{ "X-Forwarded-For:\r\n", "10.0.0.9" },
		{ "Forwarded: for=\"[2001:db8::1\"\r\n", "10.0.0.9" },
		/* The kept part of a long value: its first element whole, or
		 * nothing. */
		{ "X-Forwarded-For: 203.0.113.8, 10.0.0.1, 10.0.0.2, 10.0.0.3, "
		  "10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.8, 10.0.0.9, "
		  "10.0.0.10\r\n", "203.0.113.8" },
		{ "X-Forwarded-For: 2001:db8:0000:0000:0000:0000:0000:0001"
		  "2001:db8:0000:0000:0000:0000:0000:0001"
		  "2001:db8:0000:0000:0000:0000:0000:0001\r\n", "10.0.0.9" },
	};

	/* A record that runs out of room cuts its target and User-Agent,
	 * never an address or the host (the old build cut the peer to
	 * "10.0.0." and the forwarded client to 203.0.113.7). */
	for (int ua = 150; ua <= 256; ua++) {
		static char out[4096];
		char head[4096];
		struct ts_span *s;
		int n = snprintf(head, sizeof(head), "GET /%01000d HTTP/1.1\r\n"
				 "Host: %0250d\r\nUser-Agent: %0*d\r\n"
				 "X-Forwarded-For: 203.0.113.77\r\n\r\n",
				 0, 0, ua, 0);

		ck_assert_int_lt(n, (int)sizeof(head));
		s = run(head, true, conn("10.0.0.9", 51000, 80), 200, 0, 0,
			false, out, sizeof(out));
		free(s);
		if (!strstr(out, " client.address=203.0.113.77 ") ||
		    !strstr(out, " network.peer.address=10.0.0.9 ") ||
		    !strstr(out, " server.address=00000"))
			ck_abort_msg("ua %d: %s", ua, strstr(out, "server."));
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = client_of(cases[i].lines);

		if (strcmp(got, cases[i].want))
			ck_abort_msg("case %zu (%s): client.address %s, want %s",
				     i, cases[i].lines, got, cases[i].want);
	}
}
END_TEST

START_TEST(client_span_takes_its_port_from_the_peer_and_4xx_is_an_error)
{
	char out[2048];
	struct ts_span *s = run("POST /v1/x HTTP/1.0\r\nHost: backend\r\n\r\n",
				false, conn("::1", 9000, 40000), 404, 11, 0,
				false, out, sizeof(out));

	/* Clients: named by the method, the URL whole (semantic
	 * conventions), with the port the connection went to when Host
	 * names none (the old build: http://backend/v1/x beside
	 * server.port 9000). */
	ck_assert_str_eq(out, "POST | http.request.method=POST "
			      "url.full=http://backend:9000/v1/x "
			      "network.protocol.version=1.0 "
			      "server.address=backend server.port=9000 "
			      "network.peer.address=::1 network.peer.port=9000 "
			      "http.response.status_code=404 "
			      "http.response.body.size=0 "
			      "http.request.body.size=11 error.type=404 "
			      "| status=2");
	free(s);
}
END_TEST

START_TEST(server_4xx_is_no_error_5xx_is)
{
	char out[2048];
	struct ts_span *s = run("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true,
				conn("127.0.0.1", 1, 80), 404, 0, 0, false, out,
				sizeof(out));

	ck_assert_uint_eq(s->status, TS_STATUS_UNSET);
	free(s);
	s = run("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true,
		conn("127.0.0.1", 1, 80), 503, 0, 0, false, out, sizeof(out));
	ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
	ck_assert_ptr_nonnull(strstr(out, " error.type=503 "));
	free(s);
}
END_TEST

START_TEST(closed_before_response_is_an_error_with_a_message)
{
	char out[2048];
	struct ts_span *s = run("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", false,
				conn("127.0.0.1", 80, 5), 0, 0, 0, true, out,
				sizeof(out));

	ck_assert_ptr_null(strstr(out, "status_code"));
	ck_assert_ptr_nonnull(strstr(out, " error.type=connection_closed | "
					  "status=2 connection closed before "
					  "the response"));
	free(s);
}
END_TEST

START_TEST(response_cut_short_is_an_error_with_its_status_and_bytes)
{
	char out[2048];
	struct ts_span *s;
	int server;

	/* Either side: the status line went by, 1234 body bytes, then the
	 * connection closed inside the body. */
	for (server = 0; server <= 1; server++) {
		s = run("GET /big HTTP/1.1\r\nHost: h\r\n\r\n", server,
			conn("127.0.0.1", 80, 5), 200, 0, 1234, true, out,
			sizeof(out));
		ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
		ck_assert_ptr_nonnull(strstr(out, "http.response.status_code=200 "
						  "http.response.body.size=1234 "));
		ck_assert_ptr_nonnull(strstr(out, " error.type=connection_closed | "
						  "status=2 connection closed before "
						  "the end of the response"));
		free(s);
	}
}
END_TEST

START_TEST(unknown_methods_are_other_and_name_no_span)
{
	char out[2048];
	struct ts_span *s;

	s = run("PURGE /cache/a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", true,
		conn("127.0.0.1", 1, 80), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "HTTP /cache/a | "));
	ck_assert_ptr_nonnull(strstr(out, " http.request.method=_OTHER "
					  "http.request.method_original=PURGE "));
	free(s);
	/* Methods are case-sensitive: "get" is no GET. */
	s = run("get /x HTTP/1.1\r\nHost: h\r\n\r\n", false,
		conn("127.0.0.1", 80, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "HTTP | http.request.method=_OTHER "
					  "http.request.method_original=get "));
	free(s);
	s = run("PATCH /x HTTP/1.1\r\nHost: h\r\n\r\n", false,
		conn("127.0.0.1", 80, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "PATCH | http.request.method=PATCH "));
	ck_assert_ptr_null(strstr(out, "method_original"));
	free(s);
}
END_TEST

START_TEST(absolute_form_ipv6_host_and_missing_port)
{
	char out[2048];
	struct ts_span *s;

	s = run("GET http://[2001:db8::1]:8081/a/b?q HTTP/1.1\r\n"
		"Host: [2001:db8::1]:8081\r\n\r\n",
		false, conn("2001:db8::1", 8081, 1), 200, 0, 0, false, out,
		sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "GET | "));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://[2001:db8::1]:8081/a/b?q "));
	ck_assert_ptr_nonnull(strstr(out, " server.address=2001:db8::1 "
					  "server.port=8081 "));
	free(s);
	/* A client's Host without a port: the URL names the connection's
	 * port, unless it is http's own. */
	s = run("GET /p HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n", false,
		conn("2001:db8::1", 8080, 1), 200, 0, 0, false, out,
		sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://[2001:db8::1]:8080/p "));
	free(s);
	/* The asterisk-form: the server's URL, no path. */
	s = run("OPTIONS * HTTP/1.1\r\nHost: example.org:8080\r\n\r\n", false,
		conn("127.0.0.1", 8080, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://example.org:8080 "));
	free(s);
	s = run("OPTIONS * HTTP/1.0\r\n\r\n", false,
		conn("127.0.0.1", 81, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://127.0.0.1:81 "));
	free(s);
	/* Any other target that is not origin-form: none. */
	s = run("OPTIONS ** HTTP/1.1\r\nHost: example.org\r\n\r\n", false,
		conn("127.0.0.1", 80, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "url.full"));
	free(s);
	s = run("GET /p HTTP/1.1\r\nHost: example.org\r\n\r\n", false,
		conn("127.0.0.1", 80, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://example.org/p "));
	ck_assert_ptr_nonnull(strstr(out, " server.port=80 "));
	free(s);
	/* No Host port: the connection's port (server: our own). */
	s = run("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n", true,
		conn("127.0.0.1", 5, 8888), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " server.address=example.org "
					  "server.port=8888 "));
	free(s);
	/* No Host at all (HTTP/1.0): no address, the port still. */
	s = run("GET / HTTP/1.0\r\n\r\n", true, conn("127.0.0.1", 5, 8888),
		200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "server.address"));
	ck_assert_ptr_nonnull(strstr(out, " server.port=8888 "));
	free(s);
}
END_TEST

START_TEST(tracestate_survives_expansion)
{
	static struct ts_http_parser p;
	struct ts_span *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	parse(&p, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	ts_span_start(s, TS_KIND_SERVER, NULL, 0, NULL);
	ck_assert(ts_span_set_tracestate(s, "congo=t61rcWkgMzE", 17));
	ts_http_raw_request(s, &p, conn("1.2.3.4", 1, 2), true);
	ts_http_raw_outcome(s, true, 200, 0, 0, false);
	ts_span_expand(s);
	ck_assert_uint_eq(s->tstate_len, 17);
	ck_assert_mem_eq(ts_span_str(s, s->tstate_off), "congo=t61rcWkgMzE", 17);
	ts_span_expand(s); /* a second look changes nothing */
	ck_assert_uint_eq(s->tstate_len, 17);
	free(s);
}
END_TEST

START_TEST(head_that_never_completed_gets_its_outcome_directly)
{
	struct ts_span *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	ts_span_start(s, TS_KIND_CLIENT, "HTTP", 4, NULL);
	ts_http_raw_outcome(s, false, 0, 0, 0, true);
	ck_assert_uint_eq(s->defer, TS_DEFER_NONE);
	ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
	ck_assert_uint_eq(s->nattrs, 1);
	free(s);
}
END_TEST

START_TEST(oversized_request_is_cut_never_overrun)
{
	static char head[8192];
	static struct ts_http_parser p;
	char big[1100], out[4096];
	struct ts_span *s = malloc(sizeof(*s));
	size_t len;

	ck_assert_ptr_nonnull(s);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	len = (size_t)snprintf(head, sizeof(head),
			       "GET /%s?%s HTTP/1.1\r\nHost: %.250s\r\n"
			       "User-Agent: %.250s\r\n\r\n",
			       big, big, big, big);
	ck_assert_uint_lt(len, sizeof(head));
	parse(&p, head);
	ts_span_start(s, TS_KIND_SERVER, NULL, 0, NULL);
	memset(big, 's', 512);
	ck_assert(ts_span_set_tracestate(s, big, 512));
	ts_http_raw_request(s, &p, conn("127.0.0.1", 1, 2), true);
	ck_assert_uint_eq(s->defer, TS_DEFER_HTTP);
	ck_assert_uint_le(s->arena_used, TS_SPAN_ARENA);
	ts_http_raw_outcome(s, true, 500, 0, 0, false);
	ts_span_expand(s);
	ck_assert_uint_le(s->arena_used, TS_SPAN_ARENA);
	render(s, out, sizeof(out));
	/* The outcome always fits: it was recorded in the payload; so does
	 * the name, which comes first. */
	ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
	ck_assert_uint_gt(s->name_len, 4);
	ck_assert_mem_eq(ts_span_str(s, s->name_off), "GET /", 5);
	ck_assert_uint_gt(s->dropped_attrs, 0);
	ck_assert_uint_eq(s->tstate_len, 512);
	for (unsigned i = 0; i < s->nattrs; i++)
		ck_assert_uint_le(s->attrs[i].val_len, TS_SPAN_VALUE_MAX);
	free(s);
}
END_TEST

/* Recorded strings that fill the record leave the expansion no room for
 * "{METHOD} {route}": the span is still named, by its method. */
START_TEST(full_record_is_still_named)
{
	static char head[8192];
	static struct ts_http_parser p;
	char path[400], ua[600], ts[TS_SPAN_VALUE_MAX], out[4096];
	struct ts_span *s = malloc(sizeof(*s));
	size_t len, i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i + 2 < sizeof(path); i += 2)
		memcpy(path + i, "/a", 2); /* 199 short segments: no id */
	path[i] = '\0';
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	len = (size_t)snprintf(head, sizeof(head),
			       "GET %s HTTP/1.1\r\nHost: %.250s\r\n"
			       "User-Agent: %s\r\n\r\n", path, ua, ua);
	ck_assert_uint_lt(len, sizeof(head));
	parse(&p, head);
	ts_span_start(s, TS_KIND_SERVER, NULL, 0, NULL);
	memset(ts, 's', sizeof(ts));
	ck_assert(ts_span_set_tracestate(s, ts, sizeof(ts)));
	ts_http_raw_request(s, &p, conn("127.0.0.1", 1, 2), true);
	ts_http_raw_outcome(s, true, 200, 0, 0, false);
	ck_assert_uint_gt(s->arena_used, TS_SPAN_ARENA - 100);
	ts_span_expand(s);
	ck_assert_uint_le(s->arena_used, TS_SPAN_ARENA);
	ck_assert_uint_ge(s->name_len, 3);
	ck_assert_mem_eq(ts_span_str(s, s->name_off), "GET", 3);
	ck_assert_uint_eq(s->tstate_len, sizeof(ts));
	/* The required url.scheme and the version still fit. */
	render(s, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.scheme=http "));
	ck_assert_ptr_nonnull(strstr(out, " network.protocol.version=1.1 "));
	ck_assert_ptr_nonnull(strstr(out, " http.request.method=GET "));
	free(s);
}
END_TEST

START_TEST(secrets_are_redacted_and_ids_folded_out_of_names)
{
	char out[2048];
	struct ts_span *s;

	s = run("GET /files/9f1c0a77e2b84d1b?X-Amz-Signature=abc123&page=2 HTTP/1.1\r\n"
		"Host: h\r\n\r\n",
		true, conn("127.0.0.1", 1, 80), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "GET /files/{id} | "));
	ck_assert_ptr_nonnull(strstr(out, " url.query=X-Amz-Signature=REDACTED&page=2 "));
	ck_assert_ptr_null(strstr(out, "abc123"));
	ck_assert_ptr_null(strstr(out, "http.route")); /* a guess, not a route */
	free(s);
	/* A client to a proxy: user info and signatures redacted. */
	s = run("GET http://bob:pw@example.com/x?sig=s3cr3t&a=1 HTTP/1.1\r\n"
		"Host: example.com\r\n\r\n",
		false, conn("127.0.0.1", 3128, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://REDACTED:REDACTED@example.com/x?sig=REDACTED&a=1 "));
	ck_assert_ptr_null(strstr(out, "s3cr3t"));
	ck_assert_ptr_null(strstr(out, "pw@"));
	/* The server is the URL's, not the proxy (port 3128). */
	ck_assert_ptr_nonnull(strstr(out, " server.address=example.com "
					  "server.port=80 "));
	free(s);
	/* Its port, whatever Host says; https's default. */
	s = run("GET http://[2001:db8::7]:8443/x HTTP/1.1\r\nHost: other\r\n\r\n",
		false, conn("127.0.0.1", 3128, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " server.address=2001:db8::7 "
					  "server.port=8443 "));
	free(s);
	s = run("GET https://secure.example/x HTTP/1.1\r\nHost: secure.example\r\n\r\n",
		false, conn("127.0.0.1", 3128, 1), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " server.address=secure.example "
					  "server.port=443 "));
	free(s);
	/* HTTP/1.0 without Host: the peer the request went to. */
	s = run("GET /p HTTP/1.0\r\n\r\n", false, conn("10.1.2.3", 8080, 1),
		200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://10.1.2.3:8080/p "));
	ck_assert_ptr_nonnull(strstr(out, " server.address=10.1.2.3 "
					  "server.port=8080 "));
	free(s);
	/* The same to an IPv6 peer, and for a target that is no path. */
	s = run("OPTIONS * HTTP/1.0\r\n\r\n", false, conn("::1", 8081, 1),
		200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " server.address=::1 "
					  "server.port=8081 "));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://[::1]:8081 "));
	free(s);
	s = run("GET /p HTTP/1.0\r\n\r\n", false, conn("::1", 8081, 1),
		200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, " url.full=http://[::1]:8081/p "));
	free(s);
}
END_TEST

START_TEST(configured_route_templates_name_spans_and_set_http_route)
{
	char out[2048];
	struct ts_span *s;

	ck_assert_int_eq(ts_route_configure("/users/{id}/orders/*"), 0);
	s = run("GET /users/alice/orders/2024/x HTTP/1.1\r\nHost: h\r\n\r\n",
		true, conn("127.0.0.1", 1, 80), 200, 0, 0, false, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "GET /users/{id}/orders/* | "));
	ck_assert_ptr_nonnull(strstr(out, " http.route=/users/{id}/orders/* "));
	ck_assert_ptr_nonnull(strstr(out, " url.path=/users/alice/orders/2024/x "));
	free(s);
	ts_route_configure(NULL);
}
END_TEST


/* ---- header capture ---- */

static void set_list(struct ts_capture_list *l, const char *a, const char *b)
{
	memset(l, 0, sizeof(*l));
	l->len[0] = (uint8_t)strlen(a);
	memcpy(l->name[0], a, l->len[0]);
	l->len[1] = (uint8_t)strlen(b);
	memcpy(l->name[1], b, l->len[1]);
	l->n = 2;
}

static void feed_to_done(struct ts_http_parser *p, const char *in)
{
	enum ts_http_event ev;
	size_t len = strlen(in), n;

	do {
		n = ts_http_feed(p, in, len, &ev);
		in += n;
		len -= n;
	} while (ev != TS_HTTP_EV_HEADERS_DONE && (len || ev));
	ck_assert_int_eq(ev, TS_HTTP_EV_HEADERS_DONE);
}

/* "key=[a,b]" of array attribute `key`, or "" when absent. */
static void array_of(const struct ts_span *s, const char *key, char *out,
		     size_t size)
{
	size_t at = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];

		if (a->key_len != strlen(key) ||
		    memcmp(ts_attr_key(s, a), key, a->key_len))
			continue;
		ck_assert_uint_eq(a->type, TS_ATTR_STRARRAY);
		TS_ATTR_FOREACH_STR(s, a, v, end)
			at += (size_t)snprintf(out + at, size - at, "%s%s",
					       at ? "," : "", v);
	}
}

/* Request and response lines captured on the application's thread come
 * out as one array per configured name, in order; the rest unchanged. */
START_TEST(captured_headers_become_string_arrays)
{
	static struct ts_http_parser req, resp;
	struct ts_config saved = ts_cfg;
	struct ts_span *s = malloc(sizeof(*s));
	char got[256], out[4096];

	ck_assert_ptr_nonnull(s);
	set_list(&ts_cfg.capture[TS_CAPTURE_SERVER_REQ], "x-a", "accept");
	set_list(&ts_cfg.capture[TS_CAPTURE_SERVER_RESP], "x-r", "server");
	ts_http_parser_init(&req, TS_HTTP_REQUESTS, 8192, test_pbuf(&req));
	ts_http_parser_capture(&req, &ts_cfg.capture[TS_CAPTURE_SERVER_REQ]);
	feed_to_done(&req, "GET /p HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n"
			   "Accept: */*\r\nx-a: 2\r\n\r\n");
	ts_http_parser_init(&resp, TS_HTTP_RESPONSES, 8192, test_pbuf(&resp));
	ts_http_parser_capture(&resp, &ts_cfg.capture[TS_CAPTURE_SERVER_RESP]);
	feed_to_done(&resp, "HTTP/1.1 200 OK\r\nX-R: r\r\nContent-Length: 0"
			    "\r\n\r\n");
	ts_span_start(s, TS_KIND_SERVER, NULL, 0, NULL);
	ts_http_raw_request(s, &req, conn("127.0.0.1", 5000, 80), true);
	ts_http_raw_response(s, &resp);
	ts_http_raw_outcome(s, true, 200, 0, 0, false);
	ts_span_expand(s);
	array_of(s, "http.request.header.x-a", got, sizeof(got));
	ck_assert_str_eq(got, "1,2");
	array_of(s, "http.request.header.accept", got, sizeof(got));
	ck_assert_str_eq(got, "*/*");
	array_of(s, "http.response.header.x-r", got, sizeof(got));
	ck_assert_str_eq(got, "r");
	array_of(s, "http.response.header.server", got, sizeof(got));
	ck_assert_str_eq(got, ""); /* not in the response: no attribute */
	render(s, out, sizeof(out));
	ck_assert_msg(strstr(out, "GET /p |") == out, "%s", out);
	ck_assert_uint_eq(s->dropped_attrs, 0);
	ts_cfg = saved;
	free(s);
}
END_TEST

/* Value `key` of string attribute, or NULL when absent. */
static const char *str_of(const struct ts_span *s, const char *key,
			  size_t *len)
{
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];

		if (a->type == TS_ATTR_STRING && a->key_len == strlen(key) &&
		    !memcmp(ts_attr_key(s, a), key, a->key_len)) {
			*len = a->val_len;
			return ts_span_str(s, a->val_off);
		}
	}
	return NULL;
}

/*
 * Values the parser cut at its caps end at a character boundary (a piece
 * of a character would be exported as U+FFFD), and a Host cut at its cap
 * is not taken for the host at all: it would name another one, without
 * its port.
 */
START_TEST(cut_values_end_whole_and_a_cut_host_is_none)
{
	static struct ts_http_parser req;
	struct ts_config saved = ts_cfg;
	struct ts_span *s = malloc(sizeof(*s));
	char head[4096], ua[300], cap[600], host[320];
	const char *v;
	size_t len, at;

	ck_assert_ptr_nonnull(s);
	memset(ua, 'a', 255);
	strcpy(ua + 255, "\xc3\xa9"); /* e-acute across the 256-byte cap */
	memset(cap, 'b', 511);
	strcpy(cap + 511, "\xe2\x82\xac"); /* a euro sign across 512 */
	memset(host, 'h', 300);
	strcpy(host + 300, ".example.com:8443");
	snprintf(head, sizeof(head),
		 "GET /p HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		 "X-A: %s\r\n\r\n", host, ua, cap);
	set_list(&ts_cfg.capture[TS_CAPTURE_SERVER_REQ], "x-a", "accept");
	set_list(&ts_cfg.capture[TS_CAPTURE_CLIENT_REQ], "x-a", "accept");
	for (int server = 0; server <= 1; server++) {
		ts_http_parser_init(&req, TS_HTTP_REQUESTS, 8192,
				    test_pbuf(&req));
		ts_http_parser_capture(&req,
				       &ts_cfg.capture[server ? TS_CAPTURE_SERVER_REQ
							      : TS_CAPTURE_CLIENT_REQ]);
		feed_to_done(&req, head);
		ck_assert(req.host_s.cut && req.user_agent_s.cut);
		ts_span_start(s, server ? TS_KIND_SERVER : TS_KIND_CLIENT,
			      NULL, 0, NULL);
		ts_http_raw_request(s, &req, conn("127.0.0.1", 5000, 8080),
				    server);
		ts_http_raw_outcome(s, server, 200, 0, 0, false);
		ts_span_expand(s);
		v = str_of(s, "user_agent.original", &len);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(len, 255); /* the a's, not half the e */
		ck_assert(v[254] == 'a');
		array_of(s, "http.request.header.x-a", cap, sizeof(cap));
		at = strlen(cap);
		ck_assert_uint_eq(at, 511); /* the b's, not 1 of 3 bytes */
		/* No host name from the cut Host (a server span then has
		 * none at all; a client's is the peer's). */
		v = str_of(s, "server.address", &len);
		ck_assert(server ? !v : len == 9 && !memcmp(v, "127.0.0.1", 9));
		if (!server) {
			/* The URL of the peer connected to, not of the cut
			 * name. */
			v = str_of(s, "url.full", &len);
			ck_assert_ptr_nonnull(v);
			ck_assert_msg(len == strlen("http://127.0.0.1:5000/p") &&
					      !memcmp(v, "http://127.0.0.1:5000/p",
						      len),
				      "url.full %.*s", (int)len, v);
		}
		memset(cap, 'b', 511);
		strcpy(cap + 511, "\xe2\x82\xac");
	}
	ts_cfg = saved;
	free(s);
}
END_TEST

/* A full record: captures are what gives way, counted; the outcome and
 * the conventions' attributes stay. */
START_TEST(captures_give_way_when_the_record_is_full)
{
	static struct ts_http_parser req, resp;
	static char head[8192];
	struct ts_config saved = ts_cfg;
	struct ts_span *s = malloc(sizeof(*s));
	char big[1000], out[4096];

	ck_assert_ptr_nonnull(s);
	set_list(&ts_cfg.capture[TS_CAPTURE_SERVER_REQ], "x-a", "x-b");
	set_list(&ts_cfg.capture[TS_CAPTURE_SERVER_RESP], "x-r", "x-s");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(head, sizeof(head), "GET /%s HTTP/1.1\r\nX-A: %.400s\r\n"
		 "X-B: %.400s\r\n\r\n", big, big, big);
	ts_http_parser_init(&req, TS_HTTP_REQUESTS, 8192, test_pbuf(&req));
	ts_http_parser_capture(&req, &ts_cfg.capture[TS_CAPTURE_SERVER_REQ]);
	feed_to_done(&req, head);
	snprintf(head, sizeof(head), "HTTP/1.1 503 x\r\nX-R: %.400s\r\n"
		 "Content-Length: 0\r\n\r\n", big);
	ts_http_parser_init(&resp, TS_HTTP_RESPONSES, 8192, test_pbuf(&resp));
	ts_http_parser_capture(&resp, &ts_cfg.capture[TS_CAPTURE_SERVER_RESP]);
	feed_to_done(&resp, head);
	ts_span_start(s, TS_KIND_SERVER, NULL, 0, NULL);
	ts_http_raw_request(s, &req, conn("127.0.0.1", 5000, 80), true);
	ts_http_raw_response(s, &resp);
	ck_assert_uint_le(s->arena_used, TS_SPAN_ARENA);
	ts_http_raw_outcome(s, true, 503, 0, 0, false);
	ts_span_expand(s);
	ck_assert_uint_le(s->arena_used, TS_SPAN_ARENA);
	render(s, out, sizeof(out));
	ck_assert_msg(strstr(out, "http.response.status_code=503"), "%s", out);
	ck_assert_uint_eq(s->status, TS_STATUS_ERROR);
	ck_assert_uint_gt(s->dropped_attrs, 0);
	for (unsigned i = 0; i < s->nattrs; i++)
		ck_assert_uint_le(s->attrs[i].val_len, TS_SPAN_VALUE_MAX);
	ts_cfg = saved;
	free(s);
}
END_TEST

Suite *ts_test_http_attrs_suite(void)
{
	Suite *s = suite_create("http_attrs");
	TCase *tc = tcase_create("http_attrs");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, server_span_has_every_attribute_of_the_conventions);
	tcase_add_test(tc, captured_headers_become_string_arrays);
	tcase_add_test(tc, captures_give_way_when_the_record_is_full);
	tcase_add_test(tc, cut_values_end_whole_and_a_cut_host_is_none);
	tcase_add_test(tc, client_span_takes_its_port_from_the_peer_and_4xx_is_an_error);
	tcase_add_test(tc, server_4xx_is_no_error_5xx_is);
	tcase_add_test(tc, server_client_address_is_the_one_a_proxy_names);
	tcase_add_test(tc, closed_before_response_is_an_error_with_a_message);
	tcase_add_test(tc, unknown_methods_are_other_and_name_no_span);
	tcase_add_test(tc, response_cut_short_is_an_error_with_its_status_and_bytes);
	tcase_add_test(tc, absolute_form_ipv6_host_and_missing_port);
	tcase_add_test(tc, tracestate_survives_expansion);
	tcase_add_test(tc, head_that_never_completed_gets_its_outcome_directly);
	tcase_add_test(tc, oversized_request_is_cut_never_overrun);
	tcase_add_test(tc, full_record_is_still_named);
	tcase_add_test(tc, secrets_are_redacted_and_ids_folded_out_of_names);
	tcase_add_test(tc, query_the_target_cap_left_nothing_of_is_none);
	tcase_add_test(tc, configured_route_templates_name_spans_and_set_http_route);
	suite_add_tcase(s, tc);
	return s;
}
