/*
 * test_http_parse.c - the streaming HTTP/1.x parser: framing, events at
 * exact offsets, captured fields, limits, and refusal of everything else.
 *
 * Most tests run a table of annotated streams.  An annotation is the
 * stream with the expected events written in where they must occur:
 * "{B}GET / HTTP/1.1\r\n{E}\r\n{D}{M:GET / 1.1}" means MSG_BEGIN at
 * offset 0, HEADERS_END before the empty line, HEADERS_DONE and MSG_END
 * after it, with the fields at MSG_END summarised as "GET / 1.1".  The
 * harness feeds the bare stream, writes the events it gets back into it
 * the same way and compares the two texts, so a failure shows where the
 * sequences part.  What must hold for every case: the same text whether
 * the stream is fed whole, cut at any one point, byte by byte or in
 * random pieces; no read past any piece (each piece is placed right
 * before a PROT_NONE page); any prefix gives exactly the events due
 * within it; header_bytes at HEADERS_DONE is the length of the head.
 *
 * Markers: {B} MSG_BEGIN, {V:name} HEADER_VALUE, {E} HEADERS_END,
 * {D} HEADERS_DONE, {M:summary} MSG_END, {U} UPGRADE, {X} NOT_HTTP,
 * {Z:summary} ts_http_eof() returned true at the end of the stream.
 */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../hooks/http_parse.h"
#include "../../preload/config.h"
#include "pbuf.h"
#include "suites.h"

#define REQ TS_HTTP_REQUESTS
#define RESP TS_HTTP_RESPONSES
#define MAX_HEAD 8192     /* max_header_bytes unless a case says */
#define EV_EOF 100        /* pseudo event: ts_http_eof() said true */
#define MAX_RECS 64       /* events one table stream may produce */
#define SUM_MAX 256       /* summary text of one message */
#define TEXT_MAX 4096     /* annotated text of one stream */
#define CHUNK_LINE_MAX 4096 /* http_parse.c's bound on a chunk-size line */

struct rec {
	uint8_t ev;           /* enum ts_http_event or EV_EOF */
	uint8_t header;       /* HEADER_VALUE: which header */
	uint64_t off;         /* stream offset of the event */
	char sum[SUM_MAX];    /* MSG_END/EOF: summary of the fields */
};

struct run {
	struct rec r[MAX_RECS];
	size_t n;
	uint64_t msg_start;   /* offset where the current head began */
	uint64_t head_bytes;  /* header_bytes of the last HEADERS_DONE */
};

/* How a stream is cut into the pieces fed to ts_http_feed(). */
enum feed_mode { FEED_WHOLE, FEED_CUT, FEED_BYTES, FEED_RANDOM };

struct feeder {
	enum feed_mode mode;
	size_t cut;           /* FEED_CUT: length of the first piece */
	uint64_t rng;         /* FEED_RANDOM: generator state */
	char *guard_end;      /* non-NULL: copy each piece to end here */
	bool naive;           /* stop each piece at len == 0, not at NONE */
};

struct tcase {
	const char *name;
	uint8_t kind;         /* REQ or RESP */
	uint8_t expect;       /* TS_HTTP_EXPECT_* set before feeding */
	uint32_t max;         /* max_header_bytes; 0 for MAX_HEAD */
	const char *ann;      /* the annotated stream */
	size_t ann_len;
};

#define ANN(s) .ann = s, .ann_len = sizeof(s) - 1

/*
 * ck_assert reports every check that passes to the runner, a write per
 * call; the harness checks millions of times, so it calls into Check only
 * when something is wrong.
 */
#define REQUIRE(x)                                                             \
	do {                                                                   \
		if (!(x))                                                      \
			ck_abort_msg("Assertion '%s' failed", #x);             \
	} while (0)

static const char *const hdr_names[TS_HDR_COUNT_] = {
	[TS_HDR_OTHER] = "other",
	[TS_HDR_HOST] = "host",
	[TS_HDR_USER_AGENT] = "ua",
	[TS_HDR_CONTENT_LENGTH] = "cl",
	[TS_HDR_TRANSFER_ENCODING] = "te",
	[TS_HDR_CONNECTION] = "conn",
	[TS_HDR_UPGRADE] = "upgrade",
	[TS_HDR_TRACEPARENT] = "tp",
	[TS_HDR_TRACESTATE] = "ts",
	[TS_HDR_BAGGAGE] = "bg",
	[TS_HDR_B3] = "b3",
	[TS_HDR_B3_TRACEID] = "b3t",
	[TS_HDR_B3_SPANID] = "b3s",
	[TS_HDR_B3_SAMPLED] = "b3smp",
	[TS_HDR_B3_FLAGS] = "b3f",
	[TS_HDR_UBER] = "uber",
	[TS_HDR_UBERCTX] = "uctx",
	[TS_HDR_XFF] = "xff",
	[TS_HDR_FORWARDED] = "fwd",
};

/* Deterministic generator, so a failure replays the same pieces. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* --- summaries and annotated text --------------------------------------- */

static TS_PRINTF(3, 4) void add(char *out, size_t size, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
}

static void add_str(char *out, size_t size, const char *key,
		    const char *val, const struct ts_http_str *s)
{
	if (s->len || s->cut)
		add(out, size, " %s=%s%s", key, val, s->cut ? "+cut" : "");
}

/* The fields a caller reads at MSG_END, as one line of text. */
static void summarize(const struct ts_http_parser *p, char *out, size_t size)
{
	out[0] = '\0';
	if (p->kind == REQ)
		add(out, size, "%s %s%s 1.%u", p->b->method, p->b->target,
		    p->target_s.cut ? "+cut" : "", p->version_minor);
	else
		add(out, size, "%u 1.%u", p->status, p->version_minor);
	add_str(out, size, "host", p->b->host, &p->host_s);
	add_str(out, size, "ua", p->b->user_agent, &p->user_agent_s);
	add_str(out, size, "tp", p->b->traceparent, &p->traceparent_s);
	if (p->traceparent_count > 1)
		add(out, size, " tpn=%u", p->traceparent_count);
	add_str(out, size, "ts", p->b->tracestate, &p->tracestate_s);
	add_str(out, size, "bg", p->b->baggage, &p->baggage_s);
	add_str(out, size, "b3", p->b->b3, &p->b3_s);
	add_str(out, size, "b3t", p->b->b3_traceid, &p->b3_traceid_s);
	add_str(out, size, "b3s", p->b->b3_spanid, &p->b3_spanid_s);
	add_str(out, size, "b3smp", p->b->b3_sampled, &p->b3_sampled_s);
	add_str(out, size, "b3f", p->b->b3_flags, &p->b3_flags_s);
	add_str(out, size, "uber", p->b->uber, &p->uber_s);
	add_str(out, size, "uctx", p->b->uberctx, &p->uberctx_s);
	if (p->content_length >= 0)
		add(out, size, " cl=%" PRId64, p->content_length);
	if (p->chunked)
		add(out, size, " chunked");
	if (p->conn_close)
		add(out, size, " close");
	if (p->conn_upgrade)
		add(out, size, " conn-upgrade");
	if (p->has_upgrade)
		add(out, size, " upgrade");
	if (p->body_bytes)
		add(out, size, " body=%" PRIu64, p->body_bytes);
}

static size_t put(char *out, size_t at, const char *s, size_t n)
{
	REQUIRE(at + n <= TEXT_MAX);
	memcpy(out + at, s, n);
	return at + n;
}

/* One event as its marker text. */
static size_t put_marker(char *out, size_t at, const struct rec *r)
{
	char m[SUM_MAX + 16];

	switch (r->ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		snprintf(m, sizeof(m), "{B}");
		break;
	case TS_HTTP_EV_HEADER_VALUE:
		snprintf(m, sizeof(m), "{V:%s}", hdr_names[r->header]);
		break;
	case TS_HTTP_EV_HEADERS_END:
		snprintf(m, sizeof(m), "{E}");
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		snprintf(m, sizeof(m), "{D}");
		break;
	case TS_HTTP_EV_MSG_END:
		snprintf(m, sizeof(m), "{M:%s}", r->sum);
		break;
	case TS_HTTP_EV_UPGRADE:
		snprintf(m, sizeof(m), "{U}");
		break;
	case TS_HTTP_EV_NOT_HTTP:
		snprintf(m, sizeof(m), "{X}");
		break;
	default:
		snprintf(m, sizeof(m), "{Z:%s}", r->sum);
		break;
	}
	return put(out, at, m, strlen(m));
}

/* The stream with the run's events written in; returns its length. */
static size_t render(const struct run *run, const char *in, size_t len,
		     char *out)
{
	size_t at = 0, k = 0;

	for (size_t off = 0; off <= len; off++) {
		while (k < run->n && run->r[k].off == off)
			at = put_marker(out, at, &run->r[k++]);
		if (off < len)
			at = put(out, at, in + off, 1);
	}
	REQUIRE(k == run->n); /* offsets never go backwards */
	return at;
}

/* Strip the markers of an annotation: the bytes to feed. */
static size_t strip(const char *ann, size_t ann_len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ann_len; i++) {
		if (ann[i] == '{') {
			while (ann[i] != '}')
				i++;
			continue;
		}
		out[n++] = ann[i];
	}
	return n;
}

/* Printable form of some bytes, for failure messages. */
static const char *show(const char *s, size_t n, char *out, size_t size)
{
	size_t at = 0;

	for (size_t i = 0; i < n && at + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			at += (size_t)snprintf(out + at, size - at, "\\%c",
					       c == '\r' ? 'r' : 'n');
		else if (c < 0x20 || c >= 0x7f)
			at += (size_t)snprintf(out + at, size - at, "\\x%02x",
					       c);
		else
			out[at++] = (char)c;
	}
	out[at] = '\0';
	return out;
}

static void assert_text(const char *what, const char *want, size_t want_len,
			const char *got, size_t got_len)
{
	static char a[4 * TEXT_MAX + 8], b[4 * TEXT_MAX + 8];

	if (want_len == got_len && !memcmp(want, got, want_len))
		return;
	ck_abort_msg("%s\n want: %s\n  got: %s", what,
		     show(want, want_len, a, sizeof(a)),
		     show(got, got_len, b, sizeof(b)));
}

/* --- feeding ------------------------------------------------------------ */

static void record(struct run *run, const struct ts_http_parser *p,
		   enum ts_http_event ev, uint64_t off)
{
	struct rec *r;

	REQUIRE(run->n < MAX_RECS);
	r = &run->r[run->n++];
	memset(r, 0, sizeof(*r));
	r->ev = (uint8_t)ev;
	r->off = off;
	switch ((int)ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		REQUIRE(ts_http_in_message(p));
		break;
	case TS_HTTP_EV_HEADER_VALUE:
		r->header = p->header;
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		/* Every byte since the previous message is head. */
		if (p->header_bytes != off - run->msg_start)
			ck_abort_msg("header_bytes %" PRIu64 ", head %" PRIu64,
				     p->header_bytes, off - run->msg_start);
		run->head_bytes = p->header_bytes;
		break;
	case TS_HTTP_EV_MSG_END:
	case EV_EOF:
		REQUIRE(!ts_http_in_message(p));
		summarize(p, r->sum, sizeof(r->sum));
		run->msg_start = off;
		break;
	case TS_HTTP_EV_UPGRADE:
	case TS_HTTP_EV_NOT_HTTP:
		REQUIRE(ts_http_is_dead(p));
		break;
	}
}

/*
 * Feed one piece the way the socket hooks do: call until NONE, which also
 * collects events due at the very end of the piece.
 */
static void deliver(struct ts_http_parser *p, const char *buf, size_t len,
		    uint64_t *off, struct run *run, bool naive)
{
	enum ts_http_event ev;
	int calls = 0, max_calls = 16 + (int)len * 4;

	do {
		if (naive && !len)
			break;
		bool dead = ts_http_is_dead(p);
		size_t n = ts_http_feed(p, buf, len, &ev);

		REQUIRE(++calls < max_calls);
		REQUIRE(n <= len);
		if (ev == TS_HTTP_EV_NONE)
			REQUIRE(n == len); /* NONE: all taken */
		if (dead)
			REQUIRE(ev == TS_HTTP_EV_NONE);
		buf += n;
		len -= n;
		*off += n;
		if (ev != TS_HTTP_EV_NONE)
			record(run, p, ev, *off);
	} while (ev != TS_HTTP_EV_NONE);
}

static size_t next_piece(struct feeder *f, size_t left, size_t fed)
{
	switch (f->mode) {
	case FEED_WHOLE:
		return left;
	case FEED_CUT:
		return fed < f->cut ? f->cut - fed : left;
	case FEED_BYTES:
		return 1;
	default: {
		/* Mostly small pieces, sometimes large ones. */
		size_t n = rng_next(&f->rng) % 4 ? 1 + rng_next(&f->rng) % 7 :
						   1 + rng_next(&f->rng) % left;

		return n < left ? n : left;
	}
	}
}

/*
 * The loop tests run every case twice: as annotated, and with the edit
 * events turned off (the parser then takes whole header lines at once),
 * where exactly the same events must come minus {V:...} and {E}.
 */
static bool values_off;

/* Run a stream of `kind` through a fresh parser; `eof` ends it by close. */
static void run_stream(const struct tcase *tc, const char *in, size_t len,
		       struct feeder *f, bool eof, struct run *run)
{
	struct ts_http_parser p = { 0 };
	uint64_t off = 0;
	size_t fed = 0;

	memset(run, 0, sizeof(*run));
	ts_http_parser_init(&p, tc->kind, tc->max ? tc->max : MAX_HEAD, test_pbuf(&p));
	ts_http_parser_edit_events(&p, !values_off);
	if (tc->expect)
		ts_http_parser_expect(&p, tc->expect);
	while (fed < len) {
		size_t n = next_piece(f, len - fed, fed);
		const char *buf = in + fed;

		if (n > len - fed)
			n = len - fed;
		if (f->guard_end) {
			memcpy(f->guard_end - n, buf, n);
			buf = f->guard_end - n;
		}
		deliver(&p, buf, n, &off, run, f->naive);
		fed += n;
	}
	/* Nothing is left pending after a call that returned NONE. */
	if (!f->naive)
		deliver(&p, f->guard_end ? f->guard_end : in + len, 0, &off,
			run, false);
	if (eof) {
		if (ts_http_eof(&p))
			record(run, &p, (enum ts_http_event)EV_EOF, off);
		REQUIRE(!ts_http_eof(&p)); /* never twice */
	}
}

/* --- the table ---------------------------------------------------------- */

static const struct tcase cases[] = {
	/* Requests. */
	{ "get_with_query", REQ, 0, 0,
	  ANN("{B}GET /search?q=a%20b&x=1 HTTP/1.1\r\n"
	      "Host: {V:host}example.com\r\n"
	      "User-Agent: {V:ua}curl/8.0\r\n"
	      "Accept: */*\r\n"
	      "{E}\r\n{D}"
	      "{M:GET /search?q=a%20b&x=1 1.1 host=example.com ua=curl/8.0}") },
	/* A bare LF ends a line as CRLF does (RFC 9112 section 2.2). */
	{ "bare_lf_ends_request_line", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\nHost: {V:host}a\r\n{E}\r\n{D}"
	      "{M:GET / 1.1 host=a}") },
	{ "bare_lf_ends_header_line", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost: {V:host}a\n{E}\r\n{D}"
	      "{M:GET / 1.1 host=a}") },
	{ "bare_lf_as_empty_line", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-A: 1\r\n{E}\n{D}{M:GET / 1.1}") },
	{ "bare_lf_request_then_next_on_keep_alive", REQ, 0, 0,
	  ANN("{B}POST /a?b=1 HTTP/1.0\nHost: {V:host}h\n"
	      "Content-Length: {V:cl}3\nConnection: {V:conn}keep-alive\n"
	      "User-Agent: {V:ua}\n{E}\n{D}abc"
	      "{M:POST /a?b=1 1.0 host=h cl=3 body=3}"
	      "{B}GET /n HTTP/1.1\nX-Empty:\nX-Ows: \t v \t\n{E}\n{D}"
	      "{M:GET /n 1.1}") },
	{ "leading_bare_lf_skipped_and_counted", REQ, 0, 0,
	  ANN("\n\r\n{B}GET / HTTP/1.1\n{E}\n{D}{M:GET / 1.1}") },
	{ "bare_lf_chunked_request_with_trailer", REQ, 0, 0,
	  ANN("{B}POST /up HTTP/1.1\nTransfer-Encoding: {V:te}chunked\n"
	      "{E}\n{D}5;x=y\nhello\n0\nX-Sum: 1\n\n"
	      "{M:POST /up 1.1 chunked body=5}") },
	{ "post_content_length_body", REQ, 0, 0,
	  ANN("{B}POST /submit HTTP/1.1\r\nHost: {V:host}h\r\n"
	      "Content-Length: {V:cl}11\r\n{E}\r\n{D}"
	      "hello world{M:POST /submit 1.1 host=h cl=11 body=11}") },
	{ "chunked_with_extensions_and_trailers", REQ, 0, 0,
	  ANN("{B}POST /up HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}"
	      "5;name=val\r\nhello\r\n"
	      "6 ; a=\"b c\"\r\n world\r\n"
	      "A\r\n0123456789\r\n"
	      "0;last\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n"
	      "{M:POST /up 1.1 chunked body=21}") },
	{ "chunked_without_trailers_then_next_request", REQ, 0, 0,
	  ANN("{B}PUT /f HTTP/1.1\r\ntransfer-encoding: {V:te}gzip, CHUNKED\r\n"
	      "{E}\r\n{D}3\r\nabc\r\n0\r\n\r\n{M:PUT /f 1.1 chunked body=3}"
	      "{B}GET /n HTTP/1.1\r\n{E}\r\n{D}{M:GET /n 1.1}") },
	{ "pipelined_requests_in_one_buffer", REQ, 0, 0,
	  ANN("{B}GET /1 HTTP/1.1\r\nHost: {V:host}a\r\n{E}\r\n{D}"
	      "{M:GET /1 1.1 host=a}"
	      "{B}POST /2 HTTP/1.1\r\nContent-Length: {V:cl}3\r\n{E}\r\n{D}"
	      "abc{M:POST /2 1.1 cl=3 body=3}"
	      "{B}GET /3 HTTP/1.1\r\n{E}\r\n{D}{M:GET /3 1.1}") },
	{ "leading_crlf_skipped_and_counted", REQ, 0, 0,
	  ANN("\r\n\r\n{B}GET / HTTP/1.1\r\n{E}\r\n{D}{M:GET / 1.1}"
	      "\r\n{B}GET /b HTTP/1.1\r\n{E}\r\n{D}{M:GET /b 1.1}") },
	{ "stray_crlf_after_body_opens_no_message", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}2\r\n{E}\r\n{D}"
	      "ok{M:POST / 1.1 cl=2 body=2}\r\n") },
	{ "body_that_looks_like_http_has_no_events", REQ, 0, 0,
	  ANN("{B}POST /x HTTP/1.1\r\nContent-Length: {V:cl}18\r\n{E}\r\n{D}"
	      "GET / HTTP/1.1\r\n\r\n{M:POST /x 1.1 cl=18 body=18}") },
	{ "chunk_data_that_looks_like_http_has_no_events", REQ, 0, 0,
	  ANN("{B}POST /x HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}12\r\nGET / HTTP/1.1\r\n\r\n\r\n0\r\n\r\n"
	      "{M:POST /x 1.1 chunked body=18}") },
	{ "no_headers_at_all_still_headers_end", REQ, 0, 0,
	  ANN("{B}OPTIONS * HTTP/1.1\r\n{E}\r\n{D}{M:OPTIONS * 1.1}") },
	{ "http10_request_defaults_to_close", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.0\r\n{E}\r\n{D}{M:GET / 1.0 close}") },
	{ "http10_keep_alive_is_not_close", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.0\r\nConnection: {V:conn}Keep-Alive\r\n"
	      "{E}\r\n{D}{M:GET / 1.0}") },
	{ "bytes_behind_an_upgrade_request_are_not_a_request", REQ, 0, 0,
	  ANN("{B}GET /ws HTTP/1.1\r\nUpgrade: {V:upgrade}websocket\r\n"
	      "{E}\r\n{D}{M:GET /ws 1.1 upgrade}"
	      "{X}POST /fake HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") },
	{ "bytes_behind_a_connect_are_not_a_request", REQ, 0, 0,
	  ANN("{B}CONNECT h:443 HTTP/1.1\r\nHost: {V:host}h:443\r\n{E}\r\n"
	      "{D}{M:CONNECT h:443 1.1 host=h:443}{X}GET / HTTP/1.1\r\n\r\n") },
	{ "http11_connection_close_and_upgrade_tokens", REQ, 0, 0,
	  ANN("{B}GET /ws HTTP/1.1\r\n"
	      "Connection: {V:conn}keep-alive, Upgrade ,close;x=1\r\n"
	      "Upgrade: {V:upgrade}websocket\r\n{E}\r\n{D}"
	      "{M:GET /ws 1.1 close conn-upgrade upgrade}") },
	{ "connection_token_must_be_whole", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nConnection: {V:conn}closed, x-close, "
	      "close x\r\n{E}\r\n{D}{M:GET / 1.1}") },
	{ "transfer_encoding_wins_over_content_length", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}100\r\n"
	      "Transfer-Encoding: {V:te}chunked\r\n{E}\r\n{D}"
	      "3\r\nabc\r\n0\r\n\r\n{M:POST / 1.1 cl=100 chunked body=3}") },
	{ "transfer_encoding_last_of_several_lines", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}gzip\r\n"
	      "Transfer-Encoding: {V:te}chunked\r\n{E}\r\n{D}"
	      "1\r\na\r\n0\r\n\r\n{M:POST / 1.1 chunked body=1}") },
	{ "content_length_list_of_identical_values", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}3, 3 ,3\r\n"
	      "content-length: {V:cl}3\r\n{E}\r\n{D}"
	      "abc{M:POST / 1.1 cl=3 body=3}") },
	{ "content_length_zero_has_no_body", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}0\r\n{E}\r\n{D}"
	      "{M:POST / 1.1 cl=0}") },
	{ "content_length_int64_max_accepted", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}"
	      "9223372036854775807\r\n{E}\r\n{D}abc") },
	{ "empty_values_reported_before_cr", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost:{V:host}\r\nUser-Agent: \t "
	      "{V:ua}\r\n{E}\r\n{D}{M:GET / 1.1}") },
	{ "ows_trimmed_both_sides", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost: \t {V:host}a b \t\r\n"
	      "User-Agent:{V:ua}x/1 (y)  \r\nHost: {V:host}second\r\n"
	      "{E}\r\n{D}{M:GET / 1.1 host=a b ua=x/1 (y)}") },
	{ "trace_context_captured", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\n"
	      "traceparent: {V:tp}"
	      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
	      "tracestate: {V:ts}congo=t61rcWkgMzE\r\n{E}\r\n{D}"
	      "{M:GET / 1.1 tp="
	      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	      " ts=congo=t61rcWkgMzE}") },
	{ "method_of_16_chars_accepted", REQ, 0, 0,
	  ANN("{B}ABCDEFGHIJKLMNOP / HTTP/1.1\r\n{E}\r\n{D}"
	      "{M:ABCDEFGHIJKLMNOP / 1.1}") },
	{ "obs_text_in_value_accepted", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9\r\n{E}\r\n{D}"
	      "{M:GET / 1.1}") },

	/* Word-at-a-time runs and whole-line parsing: every byte still
	 * checked, refusals still at the exact byte. */
	{ "long_runs_with_tab_and_obs_text", REQ, 0, 0,
	  ANN("{B}GET /a/long/path/with/more/than/eight/bytes?q=1 HTTP/1.1\r\n"
	      "Host: {V:host}a.long.host.name.example\tcom:8080\r\n"
	      "X-Long: abcdefghijklmnopqrstuvwxyz\tABCDEFGHIJ 0123456789 "
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\r\n"
	      "{E}\r\n{D}{M:GET /a/long/path/with/more/than/eight/bytes?q=1 1.1"
	      " host=a.long.host.name.example\tcom:8080}") },
	{ "del_late_in_long_value", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-A: 0123456789abcdef{X}\x7f\r\n\r\n") },
	{ "del_late_in_long_target", REQ, 0, 0,
	  ANN("{B}GET /0123456789abcdef{X}\x7f HTTP/1.1\r\n\r\n") },
	/* Raw UTF-8 (obs-text) in a target: servers take it, so do we;
	 * controls and DEL there still end the stream's tracing. */
	{ "obs_text_in_target_taken", REQ, 0, 0,
	  ANN("{B}GET /caf\xc3\xa9/abcdefgh\x80 HTTP/1.1\r\n{E}\r\n"
	      "{D}{M:GET /caf\xc3\xa9/abcdefgh\x80 1.1}") },
	{ "control_in_target_refused", REQ, 0, 0,
	  ANN("{B}GET /abcdefgh{X}\x7f HTTP/1.1\r\n\r\n") },
	{ "name_longer_than_32_is_no_known_header", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\n"
	      "Content-Length-And-Much-More-Than-32-Chars: 5\r\n"
	      "{E}\r\n{D}{M:POST / 1.1}") },
	{ "content_length_of_19_digits", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}"
	      "0000000000000000005\r\n{E}\r\n{D}hello"
	      "{M:POST / 1.1 cl=5 body=5}") },
	{ "single_uppercase_tokens", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nConnection: {V:conn}CLOSE\r\n"
	      "Transfer-Encoding: {V:te}CHUNKED\r\n{E}\r\n{D}0\r\n\r\n"
	      "{M:POST / 1.1 chunked close}") },
	{ "tracestate_lines_joined", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\ntracestate: {V:ts}a=1\r\n"
	      "TraceState: {V:ts}b=2\r\n{E}\r\n{D}{M:GET / 1.1 ts=a=1,b=2}") },
	{ "connection_token_over_32_chars", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.0\r\nConnection: {V:conn}"
	      "keep-alive-but-with-a-really-long-token-name\r\n{E}\r\n{D}"
	      "{M:GET / 1.0 close}") },

	/* Every propagation format's headers are captured. */
	{ "b3_and_jaeger_headers_captured", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\n"
	      "B3: {V:b3}80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1\r\n"
	      "X-B3-TraceId: {V:b3t}463ac35c9f6413ad\r\n"
	      "x-b3-spanid: {V:b3s}a2fb4a1d1a96d312\r\n"
	      "X-B3-Sampled: {V:b3smp}1\r\nX-B3-Flags: {V:b3f}1\r\n"
	      "Uber-Trace-Id: {V:uber}3f2a:9c1:0:1\r\n"
	      "b3: {V:b3}0\r\n"
	      "{E}\r\n{D}{M:GET / 1.1"
	      " b3=80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"
	      " b3t=463ac35c9f6413ad b3s=a2fb4a1d1a96d312 b3smp=1 b3f=1"
	      " uber=3f2a:9c1:0:1}") },
	{ "baggage_lines_joined_uberctx_keys_lowercased", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nbaggage: {V:bg}a=1,b=2\r\n"
	      "Baggage: {V:bg}c=3\r\nbaggage:{V:bg}\r\n"
	      "UberCtx-Tenant: {V:uctx}acme\r\nuberctx-x: {V:uctx}y%20z\r\n"
	      "uberctx-: nothing\r\n"
	      "uberctx-a-key-much-longer-than-24: v\r\n"
	      "{E}\r\n{D}"
	      "{M:GET / 1.1 bg=a=1,b=2,c=3 uctx=tenant=acme,x=y%20z}") },

	/* Responses. */
	{ "head_response_with_content_length_has_no_body", RESP,
	  TS_HTTP_EXPECT_NO_BODY, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}1234\r\n{E}\r\n{D}"
	      "{M:200 1.1 cl=1234}") },
	{ "no_body_expectation_used_by_one_response_only", RESP,
	  TS_HTTP_EXPECT_NO_BODY, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}5\r\n{E}\r\n{D}"
	      "{M:200 1.1 cl=5}"
	      "{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}5\r\n{E}\r\n{D}"
	      "hello{M:200 1.1 cl=5 body=5}") },
	{ "204_and_304_have_no_body", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 204 No Content\r\n{E}\r\n{D}{M:204 1.1}"
	      "{B}HTTP/1.1 304 Not Modified\r\nContent-Length: {V:cl}99\r\n"
	      "Transfer-Encoding: {V:te}chunked\r\n{E}\r\n{D}"
	      "{M:304 1.1 cl=99 chunked}"
	      "{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}2\r\n{E}\r\n{D}"
	      "ok{M:200 1.1 cl=2 body=2}") },
	{ "100_continue_then_200", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 100 Continue\r\n{E}\r\n{D}{M:100 1.1}"
	      "{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}2\r\n{E}\r\n{D}"
	      "ok{M:200 1.1 cl=2 body=2}") },
	{ "interim_responses_keep_the_expectation", RESP,
	  TS_HTTP_EXPECT_NO_BODY, 0,
	  ANN("{B}HTTP/1.1 100 Continue\r\n{E}\r\n{D}{M:100 1.1}"
	      "{B}HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n"
	      "{E}\r\n{D}{M:103 1.1}"
	      "{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}5\r\n{E}\r\n{D}"
	      "{M:200 1.1 cl=5}"
	      "{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}2\r\n{E}\r\n{D}"
	      "ok{M:200 1.1 cl=2 body=2}") },
	{ "101_switching_protocols_upgrades", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 101 Switching Protocols\r\n"
	      "Upgrade: {V:upgrade}websocket\r\nConnection: {V:conn}Upgrade\r\n"
	      "{E}\r\n{D}{M:101 1.1 conn-upgrade upgrade}{U}"
	      "\x81\x05hello\x88\x00") },
	{ "connect_2xx_becomes_tunnel", RESP, TS_HTTP_EXPECT_CONNECT, 0,
	  ANN("{B}HTTP/1.1 200 Connection established\r\n{E}\r\n{D}"
	      "{M:200 1.1}{U}\x16\x03\x01\x02\x00\x01\x00\x01\xfc") },
	{ "connect_refused_is_an_ordinary_response", RESP,
	  TS_HTTP_EXPECT_CONNECT, 0,
	  ANN("{B}HTTP/1.1 407 Proxy Authentication Required\r\n"
	      "Content-Length: {V:cl}1\r\n{E}\r\n{D}"
	      "x{M:407 1.1 cl=1 body=1}") },
	{ "http10_response_delimited_by_close", RESP, 0, 0,
	  ANN("{B}HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n{E}\r\n{D}"
	      "hello, world\r\nHTTP/1.1 200 OK\r\n\r\n"
	      "{Z:200 1.0 close body=33}") },
	{ "close_delimited_empty_body", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\n{E}\r\n{D}{Z:200 1.1}") },
	{ "keep_alive_three_responses", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}3\r\n{E}\r\n{D}"
	      "one{M:200 1.1 cl=3 body=3}"
	      "{B}HTTP/1.1 404 Not Found\r\nTransfer-Encoding: {V:te}chunked"
	      "\r\n{E}\r\n{D}3\r\ntwo\r\n0\r\n\r\n{M:404 1.1 chunked body=3}"
	      "{B}HTTP/1.1 500 \r\ncontent-length: {V:cl}0\r\n{E}\r\n{D}"
	      "{M:500 1.1 cl=0}") },
	{ "bare_lf_response_delimited_by_close", RESP, 0, 0,
	  ANN("{B}HTTP/1.0 200 OK\nContent-Type: text/html\n{E}\n{D}"
	      "<p>hi</p>\n{Z:200 1.0 close body=10}") },
	{ "bare_lf_status_without_reason_then_chunked", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 204\n{E}\n{D}{M:204 1.1}"
	      "{B}HTTP/1.1 200 OK\nTransfer-Encoding: {V:te}chunked\n{E}\r\n"
	      "{D}3\r\nabc\n0\n\r\n{M:200 1.1 chunked body=3}"
	      "{B}HTTP/1.1 500 \nContent-Length: {V:cl}0\r\n{E}\n{D}"
	      "{M:500 1.1 cl=0}") },
	{ "status_line_without_reason_or_its_space", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200\r\nContent-Length: {V:cl}0\r\n{E}\r\n{D}"
	      "{M:200 1.1 cl=0}"
	      "{B}HTTP/1.1 404 \r\nContent-Length: {V:cl}0\r\n{E}\r\n{D}"
	      "{M:404 1.1 cl=0}") },
	{ "response_te_not_chunked_is_close_delimited", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nTransfer-Encoding: {V:te}chunked, gzip"
	      "\r\nContent-Length: {V:cl}5\r\n{E}\r\n{D}abcdefg"
	      "{Z:200 1.1 cl=5 body=7}") },
	{ "chunked_response_with_trailer", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "Trailer: Expires\r\n{E}\r\n{D}"
	      "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n"
	      "Expires: never\r\n\r\n{M:200 1.1 chunked body=26}") },
	{ "http10_response_keep_alive_with_length", RESP, 0, 0,
	  ANN("{B}HTTP/1.0 200 OK\r\nConnection: {V:conn}keep-alive\r\n"
	      "Content-Length: {V:cl}1\r\n{E}\r\n{D}"
	      "a{M:200 1.0 cl=1 body=1}") },

	/*
	 * obs-fold continuing a field nobody reads is passed over (RFC 9112
	 * section 5.2: a recipient replaces it by a space); User-Agent is
	 * recorded up to the fold.
	 */
	{ "obs_fold_of_other_fields_passed_over", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\t\t3\r\n"
	      "User-Agent: {V:ua}x/1\r\n (y)\r\nHost: {V:host}a\r\n"
	      "{E}\r\n{D}{M:GET / 1.1 host=a ua=x/1}") },
	{ "obs_fold_in_a_response_head", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nServer: a\r\n  b\r\n"
	      "Content-Length: {V:cl}5\r\nX-Z: 1\n c\n{E}\r\n{D}"
	      "hello{M:200 1.1 cl=5 body=5}") },

	/* Not HTTP: reported at the first byte that proves it, then dead. */
	{ "http2_preface", REQ, 0, 0,
	  ANN("{B}PRI * HTTP/{X}2.0\r\n\r\nSM\r\n\r\n") },
	{ "tls_client_hello_request", REQ, 0, 0,
	  ANN("{X}\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") },
	{ "tls_server_hello_response", RESP, 0, 0,
	  ANN("{X}\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03") },
	{ "redis_resp", REQ, 0, 0, ANN("{B}*1{X}\r\n$4\r\nPING\r\n") },
	{ "get_then_binary", REQ, 0, 0,
	  ANN("{B}GET \x89PNG{X}\r\n\x1a\n\x00\x00") },
	{ "nul_in_header_value", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost: {V:host}a{X}\x00"
	      "b\r\n\r\n") },
	{ "nul_in_header_name", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHo{X}\x00st: a\r\n\r\n") },
	{ "control_char_in_value", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-A: a{X}\x7f\r\n\r\n") },
	{ "cr_cr_lf_ends_no_line", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r{X}\r\n\r\n") },
	{ "bare_lf_inside_target_refused", REQ, 0, 0,
	  ANN("{B}GET /a{X}\n HTTP/1.1\r\n\r\n") },
	{ "bare_cr_in_header_block", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX-A: 1\r{X}X-B: 2\r\n\r\n") },
	{ "bare_cr_as_empty_line", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\n{E}\r{X}X\r\n") },
	/* obs-fold continuing a field the parser reads: refused. */
	{ "obs_fold_of_host_refused", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost: {V:host}a\r\n{X}\tb\r\n\r\n") },
	{ "obs_fold_of_content_length_refused", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}2\r\n{X} 3\r\n"
	      "\r\nok") },
	{ "obs_fold_of_traceparent_refused", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\ntraceparent: {V:tp}00-0af7651916cd43dd8448eb2"
	      "11c80319c-b7ad6b7169203331-01\r\n{X} x\r\n\r\n") },
	{ "white_space_before_the_first_field_refused", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\n{X} X-A: 1\r\n\r\n") },
	{ "space_before_colon", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nHost{X} : a\r\n\r\n") },
	{ "empty_header_name", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\n{X}: a\r\n\r\n") },
	{ "conflicting_content_length_lines", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}5\r\n"
	      "Content-Length: {V:cl}6{X}\r\n\r\nhello") },
	{ "conflicting_content_length_list", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}5,6{X}\r\n\r\n") },
	{ "content_length_not_digits", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}5{X}a\r\n\r\n") },
	{ "content_length_negative", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}{X}-1\r\n\r\n") },
	{ "content_length_empty", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}{X}\r\n\r\n") },
	{ "content_length_two_numbers_in_one_element", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nContent-Length: {V:cl}1 {X}2\r\n\r\n") },
	{ "content_length_overflow", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nContent-Length: {V:cl}"
	      "922337203685477580{X}8\r\n\r\n") },
	{ "chunk_size_not_hex", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}{X}x\r\n") },
	{ "chunk_size_junk_after_digits", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}5{X}x\r\nhello\r\n") },
	{ "chunk_size_overflow", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}800000000000000{X}0\r\n") },
	{ "chunk_size_overflow_after_leading_zeros", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}0000000000000800000000000000{X}0\r\n") },
	{ "chunk_size_int64_max_accepted", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200 OK\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}7fffffffffffffff\r\nHTTP/1.1 200 OK\r\n\r\n") },
	{ "chunk_data_without_crlf", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}3\r\nabc{X}d\r\n0\r\n\r\n") },
	{ "trailer_obs_fold", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked\r\n"
	      "{E}\r\n{D}0\r\nX-T: 1\r\n{X} 2\r\n\r\n") },
	{ "request_te_not_ending_in_chunked", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}chunked, gzip"
	      "\r\nHost: {V:host}a\r\n{X}\r\n") },
	{ "request_empty_transfer_encoding", REQ, 0, 0,
	  ANN("{B}POST / HTTP/1.1\r\nTransfer-Encoding: {V:te}\r\n{X}\r\n") },
	{ "method_of_17_chars", REQ, 0, 0,
	  ANN("{B}ABCDEFGHIJKLMNOP{X}Q / HTTP/1.1\r\n\r\n") },
	{ "empty_request_target", REQ, 0, 0,
	  ANN("{B}GET {X} HTTP/1.1\r\n\r\n") },
	{ "http_1_2_request", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.{X}2\r\n\r\n") },
	{ "lowercase_protocol_name", REQ, 0, 0,
	  ANN("{B}GET / {X}http/1.1\r\n\r\n") },
	{ "http09_request_line", REQ, 0, 0, ANN("{B}GET /{X}\r\n") },
	{ "http2_response", RESP, 0, 0, ANN("{B}HTTP/{X}2 200\r\n\r\n") },
	{ "response_leading_crlf", RESP, 0, 0,
	  ANN("{X}\r\nHTTP/1.1 200 OK\r\n\r\n") },
	{ "status_with_two_digits", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 20{X}x OK\r\n\r\n") },
	{ "status_below_100", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 {X}099 OK\r\n\r\n") },
	{ "status_with_four_digits", RESP, 0, 0,
	  ANN("{B}HTTP/1.1 200{X}0 OK\r\n\r\n") },
	{ "dead_after_not_http_ignores_valid_http", REQ, 0, 0,
	  ANN("{B}GET / HTTP/1.1\r\nX{X}\x01: a\r\n\r\n"
	      "GET / HTTP/1.1\r\n\r\n") },
	{ "leading_crlf_then_junk", REQ, 0, 0, ANN("\r\n{X}\x16\x03") },
	{ "small_limit_counts_leading_crlf", REQ, 0, 24,
	  ANN("\r\n\r\n{B}GET / HTTP/1.1\r\nA: b{X}\r\n\r\n") },
	{ "small_limit_refuses_before_headers_end", REQ, 0, 23,
	  ANN("{B}GET / HTTP/1.1\r\nA: b\r\n{X}\r\n") },
	{ "small_limit_exactly_fits", REQ, 0, 24,
	  ANN("{B}GET / HTTP/1.1\r\nA: b\r\n{E}\r\n{D}{M:GET / 1.1}") },
};

/* The annotation without its {V:...} and {E} markers. */
static size_t strip_values(const char *ann, size_t ann_len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ann_len; i++) {
		if (ann[i] == '{' && (ann[i + 1] == 'V' || ann[i + 1] == 'E')) {
			while (ann[i] != '}')
				i++;
			continue;
		}
		out[n++] = ann[i];
	}
	return n;
}

/* Feed a case with `f`; compare with its annotation. */
static void check_case(const struct tcase *tc, struct feeder *f,
		       const char *how)
{
	static char in[TEXT_MAX], got[TEXT_MAX], want[TEXT_MAX];
	static struct run run;
	char what[160];
	size_t len = strip(tc->ann, tc->ann_len, in);
	size_t n, wn = tc->ann_len;
	const char *w = tc->ann;

	if (values_off) {
		wn = strip_values(tc->ann, tc->ann_len, want);
		w = want;
	}
	run_stream(tc, in, len, f, true, &run);
	n = render(&run, in, len, got);
	snprintf(what, sizeof(what), "case %s, %s%s", tc->name, how,
		 values_off ? ", no edit events" : "");
	assert_text(what, w, wn, got, n);
}

/* Loop index -> case: the second half of the loop runs the cases with
 * HEADER_VALUE events off (see values_off). */
static int case_index(int i)
{
	int n = (int)TS_ARRAY_SIZE(cases);

	values_off = i >= n;
	return i % n;
}

START_TEST(test_table_streams_give_exact_events_offsets_and_fields)
{
	const int ci = case_index(_i);
	struct feeder f = { .mode = FEED_WHOLE };

	check_case(&cases[ci], &f, "whole");
}
END_TEST

START_TEST(test_every_single_cut_point_gives_the_same_events)
{
	const int ci = case_index(_i);
	static char in[TEXT_MAX];
	char how[64];
	size_t len = strip(cases[ci].ann, cases[ci].ann_len, in);

	for (size_t cut = 0; cut <= len; cut++) {
		struct feeder f = { .mode = FEED_CUT, .cut = cut };

		snprintf(how, sizeof(how), "cut at %zu", cut);
		check_case(&cases[ci], &f, how);
	}
}
END_TEST

START_TEST(test_byte_by_byte_gives_the_same_events)
{
	const int ci = case_index(_i);
	struct feeder f = { .mode = FEED_BYTES };

	check_case(&cases[ci], &f, "byte by byte");
}
END_TEST

START_TEST(test_random_piece_sizes_give_the_same_events)
{
	const int ci = case_index(_i);
	char how[64];

	for (int iter = 0; iter < 300; iter++) {
		struct feeder f = { .mode = FEED_RANDOM,
				    .rng = 0x5eed0000u + (uint64_t)iter };

		snprintf(how, sizeof(how), "random pieces, seed %d", iter);
		check_case(&cases[ci], &f, how);
	}
}
END_TEST

/* A guard page right after `room` writable bytes; returns its start. */
static char *guard_map(size_t room, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (room + page - 1) / page * page;
	char *map;

	*maplen = data + page;
	map = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map + data, page, PROT_NONE), 0);
	return map + data;
}

static bool is_before_event(uint8_t ev)
{
	return ev == TS_HTTP_EV_MSG_BEGIN || ev == TS_HTTP_EV_HEADER_VALUE ||
	       ev == TS_HTTP_EV_HEADERS_END || ev == TS_HTTP_EV_NOT_HTTP;
}

/*
 * The events a prefix of k bytes must give: everything before its end,
 * plus the "after" events at its end (a "before" event needs its byte).
 * A naive caller, which stops once its bytes are used up, gets only the
 * first of those: the call that took the last byte reports it.
 */
static void due_events(const struct run *full, size_t k, bool naive,
		       struct run *due)
{
	bool first_at_end = true;

	due->n = 0;
	for (size_t j = 0; j < full->n; j++) {
		const struct rec *r = &full->r[j];

		if (r->off < k) {
			due->r[due->n++] = *r;
		} else if (r->off == k && !is_before_event(r->ev)) {
			if (!naive || first_at_end)
				due->r[due->n++] = *r;
			first_at_end = false;
		}
	}
}

/*
 * Every piece, whole stream or single byte, ends right at a PROT_NONE
 * page, so a read past it kills the test.  Every prefix, fed whole right
 * before the guard page, gives exactly the events due within it, to the
 * caller that loops until NONE and to the one that stops at len == 0.
 */
START_TEST(test_no_read_past_any_piece_and_prefixes_give_due_events)
{
	const int ci = case_index(_i);
	const struct tcase *tc = &cases[ci];
	static char in[TEXT_MAX], got[TEXT_MAX], want[TEXT_MAX];
	static struct run full, run, due;
	size_t maplen, len = strip(tc->ann, tc->ann_len, in);
	char *end = guard_map(len, &maplen);
	struct feeder f = { .mode = FEED_BYTES, .guard_end = end };

	check_case(tc, &f, "byte by byte before a guard page");
	f.mode = FEED_WHOLE;
	check_case(tc, &f, "whole before a guard page");
	run_stream(tc, in, len, &f, false, &full);
	for (size_t k = 0; k <= len; k++) {
		for (int naive = 0; naive < 2; naive++) {
			char how[96];
			size_t gn, wn;

			f.naive = naive;
			due_events(&full, k, naive, &due);
			run_stream(tc, in, k, &f, false, &run);
			gn = render(&run, in, k, got);
			wn = render(&due, in, k, want);
			snprintf(how, sizeof(how), "case %s, prefix of %zu%s",
				 tc->name, k, naive ? ", naive caller" : "");
			assert_text(how, want, wn, got, gn);
		}
	}
	munmap(end - (maplen - (size_t)sysconf(_SC_PAGESIZE)), maplen);
}
END_TEST

/* --- generated streams -------------------------------------------------- */

/*
 * Feed `len` bytes in pieces of `piece`: the first event not in `ok_mask`
 * (NONE if none came), and in *at its stream offset.
 */
static enum ts_http_event first_event_not_in(struct ts_http_parser *p,
					     const char *in, size_t len,
					     size_t piece, unsigned ok_mask,
					     uint64_t *at)
{
	uint64_t off = 0;

	while (off < len) {
		size_t want = len - off < piece ? len - off : piece;
		enum ts_http_event ev;
		size_t n = ts_http_feed(p, in + off, want, &ev);

		off += n;
		if (ev != TS_HTTP_EV_NONE && !(ok_mask & (1u << ev))) {
			*at = off;
			return ev;
		}
	}
	*at = off;
	return TS_HTTP_EV_NONE;
}

#define OK_BEGIN (1u << TS_HTTP_EV_MSG_BEGIN)
#define OK_VALUE (1u << TS_HTTP_EV_HEADER_VALUE)
#define OK_END (1u << TS_HTTP_EV_HEADERS_END)
#define OK_HEAD (OK_BEGIN | OK_VALUE | OK_END | (1u << TS_HTTP_EV_HEADERS_DONE))

START_TEST(test_100k_header_line_dies_at_byte_8193)
{
	size_t big = 100 * 1024, len;
	char *in = malloc(big + 64);
	size_t pieces[] = { SIZE_MAX, 1, 4096, 8191, 8192, 8193 };

	ck_assert_ptr_nonnull(in);
	len = (size_t)sprintf(in, "GET / HTTP/1.1\r\nX-Big: ");
	memset(in + len, 'a', big);
	len += big;
	len += (size_t)sprintf(in + len, "\r\n\r\n");
	for (size_t i = 0; i < TS_ARRAY_SIZE(pieces); i++) {
		struct ts_http_parser p = { 0 };
		uint64_t at;

		ts_http_parser_init(&p, REQ, 8192, test_pbuf(&p));
		ck_assert_int_eq(first_event_not_in(&p, in, len, pieces[i],
						    OK_BEGIN, &at),
				 TS_HTTP_EV_NOT_HTTP);
		/* Before byte 8193: 8192 bytes taken, not one more. */
		ck_assert_uint_eq(at, 8192);
		ck_assert_uint_eq(p.header_bytes, 8192);
		ck_assert(ts_http_is_dead(&p));
	}
	free(in);
}
END_TEST

START_TEST(test_10k_small_headers_die_at_byte_8193)
{
	size_t len = 0;
	char *in = malloc(10000 * 32 + 64);
	size_t pieces[] = { SIZE_MAX, 1, 7, 1000 };

	ck_assert_ptr_nonnull(in);
	len += (size_t)sprintf(in, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 10000; i++)
		len += (size_t)sprintf(in + len, "X-%d: v%d\r\n", i, i % 7);
	len += (size_t)sprintf(in + len, "\r\n");
	for (size_t i = 0; i < TS_ARRAY_SIZE(pieces); i++) {
		struct ts_http_parser p = { 0 };
		uint64_t at;

		ts_http_parser_init(&p, REQ, 8192, test_pbuf(&p));
		ck_assert_int_eq(first_event_not_in(&p, in, len, pieces[i],
						    OK_BEGIN, &at),
				 TS_HTTP_EV_NOT_HTTP);
		ck_assert_uint_eq(at, 8192);
	}
	free(in);
}
END_TEST

/* A request head of exactly `total` bytes (one X-Pad header). */
static size_t padded_head(char *out, size_t total)
{
	size_t len = (size_t)sprintf(out, "GET / HTTP/1.1\r\nX-Pad: ");
	size_t pad = total - len - 4;

	memset(out + len, 'p', pad);
	len += pad;
	memcpy(out + len, "\r\n\r\n", 4);
	return len + 4;
}

START_TEST(test_head_of_exactly_max_accepted_one_more_rejected)
{
	static char in[9000];
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;
	uint64_t at;
	size_t len;

	len = padded_head(in, 8192);
	ts_http_parser_init(&p, REQ, 8192, test_pbuf(&p));
	ck_assert_int_eq(first_event_not_in(&p, in, len, 1,
					    OK_BEGIN | OK_END,
					    &at),
			 TS_HTTP_EV_HEADERS_DONE);
	ck_assert_uint_eq(at, 8192);
	ck_assert_uint_eq(p.header_bytes, 8192);
	ck_assert_uint_eq(ts_http_feed(&p, "", 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_END);

	/*
	 * One byte more: the empty line's CR (byte 8192) already proves the
	 * head cannot fit, and refusing there spares the caller a
	 * HEADERS_END it would act on.
	 */
	len = padded_head(in, 8193);
	ts_http_parser_init(&p, REQ, 8192, test_pbuf(&p));
	ck_assert_int_eq(first_event_not_in(&p, in, len, 1, OK_BEGIN, &at),
			 TS_HTTP_EV_NOT_HTTP);
	ck_assert_uint_eq(at, 8191);

	/* A longer value: dies before byte 8193, inside the value. */
	len = padded_head(in, 8200);
	ts_http_parser_init(&p, REQ, 8192, test_pbuf(&p));
	ck_assert_int_eq(first_event_not_in(&p, in, len, 3, OK_BEGIN, &at),
			 TS_HTTP_EV_NOT_HTTP);
	ck_assert_uint_eq(at, 8192);
}
END_TEST

/* Feed a whole stream; the parser is left for the test to inspect. */
static void feed_all(struct ts_http_parser *p, const char *in, size_t len)
{
	enum ts_http_event ev;

	do {
		size_t n = ts_http_feed(p, in, len, &ev);

		ck_assert(ev != TS_HTTP_EV_NOT_HTTP);
		in += n;
		len -= n;
	} while (ev != TS_HTTP_EV_NONE);
}

START_TEST(test_traceparent_first_kept_every_line_counted)
{
	static const char in[] =
		"GET / HTTP/1.1\r\n"
		"TraceParent: 00-11111111111111111111111111111111-"
		"2222222222222222-01\r\n"
		"TRACEPARENT: 00-33333333333333333333333333333333-"
		"4444444444444444-01\r\n"
		"traceparent:\r\n\r\n";
	struct ts_http_parser p = { 0 };

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, in, sizeof(in) - 1);
	ck_assert_uint_eq(p.traceparent_count, 3);
	ck_assert_str_eq(p.b->traceparent, "00-11111111111111111111111111111111-"
					"2222222222222222-01");
	ck_assert_uint_eq(p.traceparent_s.len, 55);
	ck_assert(!p.traceparent_s.cut);
}
END_TEST

/* Header lines are counted (injection keeps a head within the field
 * limits servers have), whole or byte by byte, afresh for each message. */
START_TEST(test_header_fields_counted_per_message)
{
	static const char in[] =
		"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-Empty:\r\n"
		"Content-Length: 0\r\nUser-Agent: u\r\n\r\n"
		"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t first = sizeof(in) - 1 - strlen("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
	struct ts_http_parser p = { 0 };
	size_t i;

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, in, first);
	ck_assert_uint_eq(p.fields, 5);
	feed_all(&p, in + first, sizeof(in) - 1 - first);
	ck_assert_uint_eq(p.fields, 1);
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	for (i = 0; i < first; i++)
		feed_all(&p, in + i, 1);
	ck_assert_uint_eq(p.fields, 5);
}
END_TEST

START_TEST(test_tracestate_lines_joined_in_order)
{
	static const char in[] = "GET / HTTP/1.1\r\n"
				 "tracestate: a=1, b=2 \r\n"
				 "X-Other: z\r\n"
				 "TraceState:\t c=3\r\n"
				 "tracestate:  \r\n"
				 "TRACESTATE: d=4\r\n\r\n";
	struct ts_http_parser p = { 0 };

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, in, sizeof(in) - 1);
	ck_assert_str_eq(p.b->tracestate, "a=1, b=2,c=3,d=4");
	ck_assert_uint_eq(p.tracestate_s.len, strlen("a=1, b=2,c=3,d=4"));
	ck_assert(!p.tracestate_s.cut);
}
END_TEST

START_TEST(test_tracestate_cut_at_its_cap_and_flagged)
{
	static char in[4096];
	struct ts_http_parser p = { 0 };
	size_t len = (size_t)sprintf(in, "GET / HTTP/1.1\r\n");

	/* 20 lines of 30 bytes: 20 * 30 + 19 commas = 619 > 512. */
	for (int i = 0; i < 20; i++)
		len += (size_t)sprintf(in + len, "tracestate: k%02d=%026d\r\n",
				       i, i);
	len += (size_t)sprintf(in + len, "\r\n");
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, in, len);
	ck_assert_uint_eq(p.tracestate_s.len, TS_HTTP_TS_MAX);
	ck_assert(p.tracestate_s.cut);
	ck_assert_uint_eq(strlen(p.b->tracestate), TS_HTTP_TS_MAX);
	ck_assert(!strncmp(p.b->tracestate, "k00=00000000000000000000000000,k01=",
			   35));
}
END_TEST

START_TEST(test_long_values_cut_at_their_caps_trailing_space_is_no_cut)
{
	static char in[8192];
	struct ts_http_parser p = { 0 };
	size_t len = (size_t)sprintf(in, "GET /");

	memset(in + len, 't', 1500);
	len += 1500;
	len += (size_t)sprintf(in + len, " HTTP/1.1\r\nHost: ");
	memset(in + len, 'h', 300);
	len += 300;
	len += (size_t)sprintf(in + len, "\r\nUser-Agent: ");
	memset(in + len, 'u', TS_HTTP_UA_MAX);
	len += TS_HTTP_UA_MAX;
	len += (size_t)sprintf(in + len, "   \r\ntraceparent: ");
	memset(in + len, 'x', 70);
	len += 70;
	len += (size_t)sprintf(in + len, "\r\n\r\n");
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, in, len);
	ck_assert_uint_eq(p.target_s.len, TS_HTTP_TARGET_MAX);
	ck_assert(p.target_s.cut);
	ck_assert_uint_eq(strlen(p.b->target), TS_HTTP_TARGET_MAX);
	ck_assert_uint_eq(p.host_s.len, TS_HTTP_HOST_MAX);
	ck_assert(p.host_s.cut);
	ck_assert_uint_eq(strlen(p.b->host), TS_HTTP_HOST_MAX);
	/* Exactly the cap, then only white space: kept whole. */
	ck_assert_uint_eq(p.user_agent_s.len, TS_HTTP_UA_MAX);
	ck_assert(!p.user_agent_s.cut);
	ck_assert_uint_eq(p.traceparent_s.len, TS_HTTP_TP_MAX);
	ck_assert(p.traceparent_s.cut);
}
END_TEST

START_TEST(test_mixed_case_names_are_recognised)
{
	static const char in[] = "POST / HTTP/1.1\r\n"
				 "hOsT: h\r\n"
				 "USER-AGENT: u\r\n"
				 "CoNtEnT-LeNgTh: 100\r\n"
				 "TRANSFER-encoding: Chunked\r\n"
				 "CONNECTION: CLOSE\r\n"
				 "UpGrAdE: x\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;
	size_t n, off = 0, len = sizeof(in) - 1;
	unsigned seen = 0;

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	do {
		n = ts_http_feed(&p, in + off, len - off, &ev);
		off += n;
		if (ev == TS_HTTP_EV_HEADER_VALUE)
			seen |= 1u << p.header;
	} while (ev != TS_HTTP_EV_HEADERS_DONE);
	ck_assert_uint_eq(seen, (1u << TS_HDR_HOST) |
					(1u << TS_HDR_USER_AGENT) |
					(1u << TS_HDR_CONTENT_LENGTH) |
					(1u << TS_HDR_TRANSFER_ENCODING) |
					(1u << TS_HDR_CONNECTION) |
					(1u << TS_HDR_UPGRADE));
	ck_assert_str_eq(p.b->host, "h");
	ck_assert_str_eq(p.b->user_agent, "u");
	ck_assert_int_eq(p.content_length, 100);
	ck_assert(p.chunked && p.conn_close && p.has_upgrade);
}
END_TEST

/*
 * A request that may switch protocols holds its parser: bytes before the
 * response decides end it; after ts_http_parser_release() (a response
 * that switched nothing) the next request parses as usual, and the hold
 * comes back with the next such request.
 */
START_TEST(test_upgrade_request_holds_until_released)
{
	static const char up[] = "GET /ws HTTP/1.1\r\nUpgrade: h2c\r\n\r\n";
	static const char next[] = "GET /next HTTP/1.1\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;
	unsigned round, ends;
	size_t n, off;

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	for (round = 0; round < 2; round++) {
		off = ends = 0;
		do {
			n = ts_http_feed(&p, up + off, sizeof(up) - 1 - off, &ev);
			off += n;
			ends += ev == TS_HTTP_EV_MSG_END;
		} while (ev != TS_HTTP_EV_NONE);
		ck_assert_uint_eq(ends, 1);
		ck_assert(!ts_http_in_message(&p) && !ts_http_is_dead(&p));
		ts_http_parser_release(&p);
		off = ends = 0;
		do {
			n = ts_http_feed(&p, next + off, sizeof(next) - 1 - off,
					 &ev);
			off += n;
			ends += ev == TS_HTTP_EV_MSG_END;
			ck_assert_uint_ne(ev, TS_HTTP_EV_NOT_HTTP);
		} while (ev != TS_HTTP_EV_NONE);
		ck_assert_uint_eq(ends, 1);
		ck_assert_str_eq(p.b->target, "/next");
	}
	/* Held again, not released: the next byte ends the parser. */
	off = 0;
	do {
		n = ts_http_feed(&p, up + off, sizeof(up) - 1 - off, &ev);
		off += n;
	} while (ev != TS_HTTP_EV_NONE);
	n = ts_http_feed(&p, next, sizeof(next) - 1, &ev);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(ev, TS_HTTP_EV_NOT_HTTP);
	ck_assert(ts_http_is_dead(&p));
}
END_TEST

/* The method token accepts exactly RFC 9110 tchar, nothing else. */
START_TEST(test_method_accepts_exactly_tchar)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
				    "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

	for (int c = 0; c < 256; c++) {
		char in[32];
		struct ts_http_parser p = { 0 };
		enum ts_http_event ev;
		uint64_t at;
		bool want = c && strchr(tchar, c);
		size_t len = (size_t)snprintf(in, sizeof(in),
					      "Ax / HTTP/1.1\r\n\r\n");

		in[1] = (char)c;
		ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
		ev = first_event_not_in(&p, in, len, SIZE_MAX,
					OK_BEGIN | OK_END,
					&at);
		ck_assert_msg(want == (ev == TS_HTTP_EV_HEADERS_DONE),
			      "byte 0x%02x", c);
	}
}
END_TEST

START_TEST(test_get_then_random_binary_is_not_http)
{
	uint64_t rng = 42;

	for (int iter = 0; iter < 2000; iter++) {
		char in[64] = "GET ";
		struct ts_http_parser p = { 0 };
		uint64_t at;

		for (size_t i = 4; i < sizeof(in); i++)
			in[i] = (char)rng_next(&rng);
		ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
		ck_assert_int_eq(first_event_not_in(&p, in, sizeof(in),
						    1 + (size_t)iter % 5,
						    OK_BEGIN, &at),
				 TS_HTTP_EV_NOT_HTTP);
		ck_assert(ts_http_is_dead(&p));
	}
}
END_TEST

START_TEST(test_dead_parser_takes_everything_silently)
{
	static const char ok[] = "GET / HTTP/1.1\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;

	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	ck_assert_uint_eq(ts_http_feed(&p, "\x16\x03", 2, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_NOT_HTTP);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(ts_http_feed(&p, ok, sizeof(ok) - 1, &ev),
				  sizeof(ok) - 1);
		ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
		ck_assert_uint_eq(ts_http_feed(&p, ok, 0, &ev), 0);
		ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
	}
	ck_assert(ts_http_is_dead(&p));
	ck_assert(!ts_http_in_message(&p));
	ck_assert(!ts_http_eof(&p));
}
END_TEST

/*
 * The end-of-input contract: the call that takes the last byte reports
 * the first event due there; further ones come from calls with len 0,
 * which consume nothing and then say NONE.
 */
START_TEST(test_events_due_at_end_of_input_come_from_len0_calls)
{
	static const char in[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
	size_t len = sizeof(in) - 1;
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;

	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	ck_assert_uint_eq(ts_http_feed(&p, in, len, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_BEGIN);
	ck_assert_uint_eq(ts_http_feed(&p, in, len, &ev), len - 2);
	ck_assert_int_eq(ev, TS_HTTP_EV_HEADERS_END);
	ck_assert_uint_eq(ts_http_feed(&p, in + len - 2, 2, &ev), 2);
	ck_assert_int_eq(ev, TS_HTTP_EV_HEADERS_DONE);
	ck_assert(ts_http_in_message(&p));
	ck_assert_uint_eq(ts_http_feed(&p, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_END);
	ck_assert(!ts_http_in_message(&p));
	ck_assert_uint_eq(ts_http_feed(&p, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_UPGRADE);
	ck_assert(ts_http_is_dead(&p));
	ck_assert_uint_eq(ts_http_feed(&p, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
}
END_TEST

static size_t feed_until(struct ts_http_parser *p, const char *in, size_t len,
			 enum ts_http_event want)
{
	size_t off = 0;
	enum ts_http_event ev;

	do {
		off += ts_http_feed(p, in + off, len - off, &ev);
		ck_assert(ev != TS_HTTP_EV_NONE || off == len);
		ck_assert(ev != TS_HTTP_EV_NONE);
	} while (ev != want);
	return off;
}

START_TEST(test_eof_ends_only_close_delimited_bodies_once)
{
	static const char close_resp[] = "HTTP/1.1 200 OK\r\n\r\nabc";
	static const char cl_resp[] = "HTTP/1.1 200 OK\r\n"
				      "Content-Length: 5\r\n\r\nabc";
	static const char chunk_resp[] = "HTTP/1.1 200 OK\r\n"
					 "Transfer-Encoding: chunked\r\n\r\n"
					 "3\r\nabc\r\n";
	static const char nobody[] = "HTTP/1.1 204 No Content\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;

	/* Close-delimited: true once; nothing is parsed afterwards. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, close_resp, sizeof(close_resp) - 1);
	ck_assert(ts_http_in_message(&p));
	ck_assert_uint_eq(p.body_bytes, 3);
	ck_assert(ts_http_eof(&p));
	ck_assert(!ts_http_in_message(&p));
	ck_assert(!ts_http_eof(&p));
	ck_assert_uint_eq(ts_http_feed(&p, "x", 1, &ev), 1);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);

	/* Truncated Content-Length body, chunked body, head: false. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, cl_resp, sizeof(cl_resp) - 1);
	ck_assert(!ts_http_eof(&p));
	ck_assert(ts_http_in_message(&p));
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, chunk_resp, sizeof(chunk_resp) - 1);
	ck_assert(!ts_http_eof(&p));
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_all(&p, "HTTP/1.1 200 OK\r\nHost", 21);
	ck_assert(!ts_http_eof(&p));
	ck_assert(ts_http_in_message(&p));

	/* Between messages, and before any: false. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	ck_assert(!ts_http_eof(&p));
	feed_all(&p, nobody, sizeof(nobody) - 1);
	ck_assert(!ts_http_in_message(&p));
	ck_assert(!ts_http_eof(&p));

	/*
	 * A caller that stopped at len == 0 after HEADERS_DONE of a
	 * body-less message: eof completes it, exactly once.
	 */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, nobody, sizeof(nobody) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert(ts_http_in_message(&p));
	ck_assert(ts_http_eof(&p));
	ck_assert(!ts_http_eof(&p));
	ck_assert_uint_eq(ts_http_feed(&p, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
}
END_TEST

/* Fields of a response stay readable at MSG_END; reset at MSG_BEGIN. */
START_TEST(test_fields_reset_at_next_message_not_at_msg_end)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "0\r\n\r\nHTTP/1.1 404 NF\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;
	size_t off;

	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	off = feed_until(&p, in, sizeof(in) - 1, TS_HTTP_EV_MSG_END);
	ck_assert_uint_eq(p.status, 200);
	ck_assert(p.chunked);
	ck_assert_int_eq(p.content_length, 1);
	ck_assert_uint_eq(ts_http_feed(&p, in + off, sizeof(in) - 1 - off, &ev),
			  0);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_BEGIN);
	ck_assert_uint_eq(p.status, 0);
	ck_assert(!p.chunked);
	ck_assert_int_eq(p.content_length, -1);
	ck_assert_uint_eq(p.header_bytes, 0);
}
END_TEST

/*
 * Every captured value of a message is gone at the next one, whichever
 * of them the first head had (only the buffers written are emptied):
 * each message summarises to its own fields alone, fed whole and byte
 * by byte, value events on and off; so is an uberctx list that was cut
 * (more lines than it holds).
 */
START_TEST(test_every_captured_field_is_empty_in_the_next_message)
{
	static char in[4096];
	static const char full[] =
		"GET /a?x HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n"
		"traceparent: 00-0af7651916cd43dd8448eb211c80319c-"
		"b7ad6b7169203331-01\r\ntracestate: k=v\r\nbaggage: b=1\r\n"
		"b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1\r\n"
		"X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7\r\n"
		"X-B3-SpanId: e457b5a2e4d86bd1\r\nX-B3-Sampled: 1\r\n"
		"X-B3-Flags: 1\r\nuber-trace-id: 1:2:0:1\r\n"
		"uberctx-k: v\r\n\r\n";
	static const char bare[] = "GET /b HTTP/1.1\r\n\r\n";
	struct tcase tc = { "reset", REQ, 0, 0, NULL, 0 };
	struct run whole, bytes;
	size_t n = 0;

	n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%s", full, bare);
	/* More uberctx lines than the joined list holds: it is cut. */
	n += (size_t)snprintf(in + n, sizeof(in) - n, "GET /c HTTP/1.1\r\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
				      "uberctx-key%02d: value-value-value-value-value\r\n", i);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n%s", bare);
	for (int edit = 0; edit < 2; edit++) {
		struct feeder fw = { .mode = FEED_WHOLE };
		struct feeder fb = { .mode = FEED_BYTES };

		values_off = edit;
		run_stream(&tc, in, n, &fw, false, &whole);
		run_stream(&tc, in, n, &fb, false, &bytes);
		for (struct run *r = &whole; r; r = r == &whole ? &bytes : NULL) {
			size_t k = 0, m = 0;

			for (; k < r->n; k++) {
				if (r->r[k].ev != TS_HTTP_EV_MSG_END)
					continue;
				m++;
				if (m == 2 || m == 4)
					ck_assert_str_eq(r->r[k].sum, "GET /b 1.1");
				if (m == 1)
					ck_assert_ptr_nonnull(strstr(r->r[k].sum, " uctx=k=v"));
				if (m == 3) /* (its summary is longer than kept) */
					ck_assert(!strncmp(r->r[k].sum, "GET /c 1.1 uctx=key00=", 22));
			}
			ck_assert_uint_eq(m, 4);
		}
	}
	values_off = false;
}
END_TEST

/* Feed `msg` (one whole request) and summarize it at its end. */
static void parse_summary(struct ts_http_parser *p, const char *msg, char *out,
			  size_t size)
{
	enum ts_http_event ev;
	size_t len = strlen(msg), n;

	out[0] = '\0';
	do {
		n = ts_http_feed(p, msg, len, &ev);
		msg += n;
		len -= n;
		if (ev == TS_HTTP_EV_MSG_END)
			summarize(p, out, size);
	} while (len || ev != TS_HTTP_EV_NONE);
}

/*
 * Set-up clears a parser's fields, not its buffers (a connection's
 * untouched buffers stay untouched): one set up again after a stream, or
 * over memory full of junk, reads the next message as a fresh one does.
 */
START_TEST(test_parser_set_up_again_reads_like_a_fresh_one)
{
	static struct ts_http_parser used, fresh;
	static const char full[] =
		"GET /a?x HTTP/1.1\r\nHost: hhhhhhhh\r\nUser-Agent: uuuuuu\r\n"
		"traceparent: 00-0af7651916cd43dd8448eb211c80319c-"
		"b7ad6b7169203331-01\r\ntracestate: kkkk=vvvv\r\nbaggage: b=1\r\n"
		"b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1\r\n"
		"X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7\r\n"
		"X-B3-SpanId: e457b5a2e4d86bd1\r\nX-B3-Sampled: 1\r\n"
		"X-B3-Flags: 1\r\nuber-trace-id: 1:2:0:1\r\n"
		"uberctx-kkkk: vvvv\r\n\r\n";
	static const char next[] = "GET /n HTTP/1.1\r\nHost: x\r\n"
				   "tracestate: a=1\r\nuberctx-q: w\r\n\r\n";
	struct ts_http_parser *junk = malloc(sizeof(*junk));
	char a[1024], b[1024], c[1024];

	ck_assert_ptr_nonnull(junk);
	memset(junk, 0xa5, sizeof(*junk));
	ts_http_parser_init(&used, REQ, 8192, test_pbuf(&used));
	for (int edit = 0; edit < 2; edit++) {
		ts_http_parser_edit_events(&used, edit);
		parse_summary(&used, full, a, sizeof(a));
		ck_assert_ptr_nonnull(strstr(a, " ts=kkkk=vvvv"));
	}
	ts_http_parser_init(&used, REQ, 8192, test_pbuf(&used));
	ts_http_parser_init(&fresh, REQ, 8192, test_pbuf(&fresh));
	ts_http_parser_init(junk, REQ, 8192, test_pbuf(junk));
	parse_summary(&used, next, a, sizeof(a));
	parse_summary(&fresh, next, b, sizeof(b));
	parse_summary(junk, next, c, sizeof(c));
	ck_assert_str_eq(b, "GET /n 1.1 host=x ts=a=1 uctx=q=w");
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(c, b);
	free(junk);
}
END_TEST

/* Feed all of msg; the summary at the first MSG_END goes to out. */
static void first_summary(struct ts_http_parser *p, const char *msg,
			  char *out, size_t size)
{
	enum ts_http_event ev;
	size_t len = strlen(msg), n;
	bool done = false;

	out[0] = '\0';
	do {
		n = ts_http_feed(p, msg, len, &ev);
		msg += n;
		len -= n;
		if (ev == TS_HTTP_EV_MSG_END && !done) {
			summarize(p, out, size);
			done = true;
		}
	} while (len || ev != TS_HTTP_EV_NONE);
}

/*
 * The send path plans on a copy (ts_http_parser_copy()) that parses ahead
 * into buffers of its own: it continues a value the original had half
 * captured, and what it captures of a next message leaves the original's
 * results alone.
 */
START_TEST(test_copy_parses_ahead_without_touching_the_original)
{
	static const char part1[] = "GET /a?x HTTP/1.1\r\nHost: hhh";
	static const char rest[] =
		"hhhh\r\nUser-Agent: uu\r\ntracestate: k=v\r\n"
		"traceparent: 00-0af7651916cd43dd8448eb211c80319c-"
		"b7ad6b7169203331-01\r\n\r\n"
		"GET /second HTTP/1.1\r\nHost: other-host\r\nUser-Agent: "
		"zzzzzzzzzzzz\r\ntracestate: q=w\r\ntraceparent: 00-"
		"11111111111111111111111111111111-2222222222222222-01\r\n\r\n";
	static const char want[] =
		"GET /a?x 1.1 host=hhhhhhh ua=uu tp=00-0af7651916cd43dd8448eb211c"
		"80319c-b7ad6b7169203331-01 ts=k=v";
	static struct ts_http_parser p, copy;
	static struct ts_http_pbuf pb, cb;
	char a[512], b[512];

	for (int edit = 0; edit < 2; edit++) {
		memset(&pb, 0, sizeof(pb));
		memset(&cb, 0x5a, sizeof(cb)); /* whatever a stack holds */
		ts_http_parser_init(&p, REQ, 8192, &pb);
		ts_http_parser_edit_events(&p, edit);
		first_summary(&p, part1, a, sizeof(a));
		ck_assert_str_eq(a, ""); /* the head is not done */
		ts_http_parser_copy(&copy, &cb, &p);
		ck_assert_ptr_eq(copy.b, &cb);
		ck_assert_ptr_eq(p.b, &pb);
		first_summary(&copy, rest, b, sizeof(b));
		first_summary(&p, rest, a, sizeof(a));
		ck_assert_str_eq(b, want);
		ck_assert_str_eq(a, want);
	}
}
END_TEST

/*
 * A response stream writes none of its buffers (an idle server
 * connection's outbound buffers stay untouched, their pages never
 * resident): after three responses every byte is as it was.
 */
START_TEST(test_response_stream_writes_no_buffer_byte)
{
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\n"
		"Connection: keep-alive\r\n\r\nok\n"
		"HTTP/1.1 404 Not Found\r\nDate: Tue, 01 Dec 2026 18:00:00 GMT\r\n"
		"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
		"HTTP/1.1 204 No Content\r\nHost: h\r\n\r\n";
	static struct ts_http_pbuf pb, same;
	static struct ts_http_parser p;
	char out[256];

	memset(&pb, 0x5a, sizeof(pb));
	memset(&same, 0x5a, sizeof(same));
	for (int edit = 0; edit < 2; edit++) {
		ts_http_parser_init(&p, RESP, MAX_HEAD, &pb);
		ts_http_parser_edit_events(&p, edit);
		parse_summary(&p, resp, out, sizeof(out));
		ck_assert_str_eq(out, "204 1.1 host=h");
	}
	ck_assert_int_eq(p.host_s.len, 1); /* Host is read from responses */
	/* ...into its buffer, the one byte (and NUL) written: */
	ck_assert_int_eq(memcmp(pb.method, same.method, sizeof(pb.method)), 0);
	ck_assert_int_eq(memcmp(pb.target, same.target, sizeof(pb.target)), 0);
	ck_assert_int_eq(memcmp(pb.tracestate, same.tracestate,
				(size_t)((char *)(&pb + 1) - pb.tracestate)), 0);
}
END_TEST

START_TEST(test_trailer_section_bounded_by_max_header_bytes)
{
	static char in[4096];
	struct ts_http_parser p = { 0 };
	uint64_t at;
	size_t len = (size_t)sprintf(in, "POST / HTTP/1.1\r\n"
					 "Transfer-Encoding: chunked\r\n\r\n"
					 "0\r\n");
	size_t body_start = strlen("POST / HTTP/1.1\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n0\r\n");

	for (int i = 0; i < 100; i++)
		len += (size_t)sprintf(in + len, "X-T%02d: vvvvvvvvvv\r\n", i);
	len += (size_t)sprintf(in + len, "\r\n");
	ts_http_parser_init(&p, REQ, 256, test_pbuf(&p));
	ck_assert_int_eq(first_event_not_in(&p, in, len, 5,
					    OK_HEAD, &at),
			 TS_HTTP_EV_NOT_HTTP);
	ck_assert_uint_eq(at, body_start + 256);
}
END_TEST

/*
 * A head refused part way says which of the values it was taking are not
 * whole: the target, Host and User-Agent are marked cut; a value whose
 * line ended before is whole.  Fed whole and byte by byte.
 */
START_TEST(test_refused_head_marks_the_value_it_was_taking_cut)
{
	static const struct {
		const char *head;
		size_t max;
		int cut; /* 1 target, 2 host, 4 user agent */
	} c[] = {
		{ "GET /abcdefghijklmnopqrstuvwxyz HTTP/1.1\r\n", 16, 1 },
		{ "GET /a HTTP/1.1\r\nHost: example.com\r\n", 30, 2 },
		{ "GET /a HTTP/1.1\r\nUser-Agent: agent/1.0\r\n", 36, 4 },
		{ "GET /a HTTP/1.1\r\nHost: h\r\nX-Pad: vvvvvvvvvvvv\r\n", 40, 0 },
		{ "GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\x01\r\n", 200, 0 },
		{ "GET /a HTTP/1.1\r\nHost: ex\x01ample\r\n", 200, 2 },
	};
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;
	size_t i, k, n, len;

	for (i = 0; i < TS_ARRAY_SIZE(c); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			const char *s = c[i].head;

			len = strlen(s);
			ts_http_parser_init(&p, REQ, (uint32_t)c[i].max,
					    test_pbuf(&p));
			ev = TS_HTTP_EV_NONE;
			for (k = 0; k < len && ev != TS_HTTP_EV_NOT_HTTP;) {
				n = ts_http_feed(&p, s + k,
						 bytewise ? 1 : len - k, &ev);
				k += n;
			}
			ck_assert_msg(ev == TS_HTTP_EV_NOT_HTTP, "case %zu", i);
			ck_assert_msg(p.target_s.cut == !!(c[i].cut & 1) &&
					      p.host_s.cut == !!(c[i].cut & 2) &&
					      p.user_agent_s.cut ==
						      !!(c[i].cut & 4),
				      "case %zu bytewise %d: cut %d %d %d", i,
				      bytewise, p.target_s.cut, p.host_s.cut,
				      p.user_agent_s.cut);
		}
	}
}
END_TEST

START_TEST(test_chunk_extension_line_bounded)
{
	static char in[8192];
	struct ts_http_parser p = { 0 };
	uint64_t at;
	size_t head = (size_t)sprintf(in, "POST / HTTP/1.1\r\n"
					  "Transfer-Encoding: chunked\r\n\r\n");
	size_t len = head;

	in[len++] = '1';
	in[len++] = ';';
	memset(in + len, 'e', 5000);
	len += 5000;
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	ck_assert_int_eq(first_event_not_in(&p, in, len, SIZE_MAX,
					    OK_HEAD, &at),
			 TS_HTTP_EV_NOT_HTTP);
	ck_assert_uint_eq(at, head + CHUNK_LINE_MAX);
}
END_TEST

/* A large body is skipped in one step per call, not walked. */
START_TEST(test_content_length_body_taken_in_one_call)
{
	static const char head[] = "POST / HTTP/1.1\r\n"
				   "Content-Length: 1000000\r\n\r\n";
	char *body = calloc(1, 1000000);
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;

	ck_assert_ptr_nonnull(body);
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, head, sizeof(head) - 1, TS_HTTP_EV_HEADERS_DONE);
	/* Body bytes are not looked at: NULs there are fine. */
	ck_assert_uint_eq(ts_http_feed(&p, body, 1000000, &ev), 1000000);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_END);
	ck_assert_uint_eq(p.body_bytes, 1000000);
	free(body);
}
END_TEST

/* sendfile() bytes: only counted bodies and chunk data can be skipped
 * unseen. */
START_TEST(test_skip_body_only_where_the_framing_is_a_count)
{
	static const char cl[] = "HTTP/1.1 200 OK\r\n"
				 "Content-Length: 10\r\n\r\n";
	static const char close_resp[] = "HTTP/1.1 200 OK\r\n\r\n";
	static const char chunked[] = "HTTP/1.1 200 OK\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n";
	struct ts_http_parser p = { 0 };
	enum ts_http_event ev;

	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, cl, sizeof(cl) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert(ts_http_skip_body(&p, 4));
	ck_assert_uint_eq(ts_http_feed(&p, "ab", 2, &ev), 2);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
	ck_assert(ts_http_skip_body(&p, 4));
	ck_assert_uint_eq(ts_http_feed(&p, NULL, 0, &ev), 0);
	ck_assert_int_eq(ev, TS_HTTP_EV_MSG_END);
	ck_assert_uint_eq(p.body_bytes, 10);
	ck_assert(!ts_http_in_message(&p));

	/* More than the body has left: the stream is out of step. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, cl, sizeof(cl) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert(!ts_http_skip_body(&p, 11));
	ck_assert(ts_http_is_dead(&p));

	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, close_resp, sizeof(close_resp) - 1,
		   TS_HTTP_EV_HEADERS_DONE);
	ck_assert(ts_http_skip_body(&p, 1u << 20));
	ck_assert(ts_http_eof(&p));
	ck_assert_uint_eq(p.body_bytes, 1u << 20);

	/* Between chunks the next bytes are framing: not skippable. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, chunked, sizeof(chunked) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert(!ts_http_skip_body(&p, 1));
	ck_assert(ts_http_is_dead(&p));

	/* A chunk's data sent unseen, its size line and CRLF written:
	 * twice, then the last chunk; the next message parses. */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, chunked, sizeof(chunked) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert_uint_eq(ts_http_feed(&p, "a\r\n", 3, &ev), 3);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
	ck_assert(ts_http_skip_body(&p, 4));
	ck_assert(ts_http_skip_body(&p, 6));
	ck_assert_uint_eq(ts_http_feed(&p, "\r\n3\r\n", 5, &ev), 5);
	ck_assert_int_eq(ev, TS_HTTP_EV_NONE);
	ck_assert(ts_http_skip_body(&p, 3));
	feed_until(&p, "\r\n0\r\n\r\n", 7, TS_HTTP_EV_MSG_END);
	ck_assert_uint_eq(p.body_bytes, 13);
	ck_assert(!ts_http_in_message(&p));
	feed_until(&p, cl, sizeof(cl) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert_uint_eq(p.status, 200);

	/* More than the chunk holds (its CRLF would be in the file). */
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	feed_until(&p, chunked, sizeof(chunked) - 1, TS_HTTP_EV_HEADERS_DONE);
	ck_assert_uint_eq(ts_http_feed(&p, "a\r\n", 3, &ev), 3);
	ck_assert(!ts_http_skip_body(&p, 12));
	ck_assert(ts_http_is_dead(&p));
}
END_TEST

/* ---- header capture ---------------------------------------------------- */

static void capture_list(struct ts_capture_list *l, const char *const *names,
			 unsigned n)
{
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < n; i++) {
		l->len[i] = (uint8_t)strlen(names[i]);
		memcpy(l->name[i], names[i], l->len[i]);
	}
	l->n = (uint8_t)n;
}

/* "name=value|..." of what `p` captured, names from `l`. */
static void captured(const struct ts_http_parser *p,
		     const struct ts_capture_list *l, char *out, size_t size)
{
	out[0] = '\0';
	for (unsigned i = 0; i < p->hcap_n; i++) {
		const struct ts_http_hcap *e = &p->b->hcap[i];

		REQUIRE(e->name < l->n);
		REQUIRE(e->off + e->len < TS_HTTP_HCAP_BYTES);
		REQUIRE(p->b->hcap_buf[e->off + e->len] == '\0');
		REQUIRE(strlen(p->b->hcap_buf + e->off) == e->len);
		add(out, size, "%s%s=%s%s", i ? "|" : "", l->name[e->name],
		    p->b->hcap_buf + e->off, e->cut ? "+cut" : "");
	}
	if (p->hcap_lost)
		add(out, size, "|lost");
}

/* Feed `in` in pieces of `step` bytes (0: whole) up to HEADERS_DONE. */
static void feed_head(struct ts_http_parser *p, const char *in, size_t len,
		      size_t step)
{
	enum ts_http_event ev = TS_HTTP_EV_NONE;
	size_t off = 0, end, n;

	while (off < len && ev != TS_HTTP_EV_HEADERS_DONE) {
		end = step && off + step < len ? off + step : len;
		do {
			n = ts_http_feed(p, in + off, end - off, &ev);
			off += n;
			REQUIRE(ev != TS_HTTP_EV_NOT_HTTP);
		} while (ev != TS_HTTP_EV_NONE && ev != TS_HTTP_EV_HEADERS_DONE);
	}
	REQUIRE(ev == TS_HTTP_EV_HEADERS_DONE);
}

/*
 * Captured lines come in order, names in any case, values trimmed, known
 * headers (framing, propagation, Host) captured as well without changing
 * what the parser does with them; the same whatever the pieces and with
 * or without value events.  Names with '_' and '^' match themselves
 * only, not what OR 0x20 would make of them ('~' for '^').
 */
START_TEST(test_capture_lines_in_order_whatever_the_pieces)
{
	static const char in[] =
		"POST /x HTTP/1.1\r\n"
		"Host: example\r\n"
		"X-Tenant: acme  \r\n"
		"Accept: */*\r\n"
		"CONTENT-LENGTH: 5\r\n"
		"traceparent: 00-11111111111111111111111111111111-"
		"2222222222222222-01\r\n"
		"tracestate: a=1\r\n"
		"x-tenant:\t beta\r\n"
		"X-Empty:\r\n"
		"tracestate: b=2\r\n"
		"X_Request_Id: r1\r\n"
		"x~request~id: not-this\r\n"
		"A^B: c\r\n"
		"\r\n";
	static const char *const names[] = { "x-tenant", "content-length",
					     "tracestate", "host", "x-empty",
					     "traceparent", "x_request_id",
					     "a^b" };
	static const char want[] =
		"host=example|x-tenant=acme|content-length=5|traceparent="
		"00-11111111111111111111111111111111-2222222222222222-01|"
		"tracestate=a=1|x-tenant=beta|x-empty=|tracestate=b=2|"
		"x_request_id=r1|a^b=c";
	struct ts_capture_list l;
	struct ts_http_parser p = { 0 }, plain = { 0 };
	char got[1024];
	size_t len = sizeof(in) - 1;

	capture_list(&l, names, TS_ARRAY_SIZE(names));
	ts_http_parser_init(&plain, REQ, MAX_HEAD, test_pbuf(&plain));
	feed_head(&plain, in, len, 0);
	ck_assert_uint_eq(plain.hcap_n, 0);
	for (int edit = 0; edit < 2; edit++) {
		for (size_t step = 0; step <= len; step++) {
			ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
			ts_http_parser_edit_events(&p, edit);
			ts_http_parser_capture(&p, &l);
			feed_head(&p, in, len, step);
			captured(&p, &l, got, sizeof(got));
			if (strcmp(got, want))
				ck_abort_msg("step %zu edit %d: %s", step, edit,
					     got);
			REQUIRE(p.content_length == 5);
			REQUIRE(!strcmp(p.b->tracestate, plain.b->tracestate));
			REQUIRE(!strcmp(p.b->traceparent, plain.b->traceparent));
			REQUIRE(!strcmp(p.b->host, "example"));
			REQUIRE(p.header_bytes == plain.header_bytes);
		}
	}
}
END_TEST

/* At most TS_HTTP_HCAP_MAX lines and TS_HTTP_HCAP_BYTES bytes are kept:
 * longer values are cut (and say so), lines past the room are lost (and
 * that is said too); the message is still HTTP. */
START_TEST(test_capture_bounded_in_lines_and_bytes)
{
	static const char *const names[] = { "x-a", "x-b" };
	struct ts_capture_list l;
	struct ts_http_parser p = { 0 };
	char in[4096], got[2048];
	size_t n = 0;

	capture_list(&l, names, 2);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < TS_HTTP_HCAP_MAX + 4; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "X-A: %d\r\n", i);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n");
	ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
	ts_http_parser_capture(&p, &l);
	feed_head(&p, in, n, 0);
	ck_assert_uint_eq(p.hcap_n, TS_HTTP_HCAP_MAX);
	ck_assert(p.hcap_lost);
	ck_assert_str_eq(p.b->hcap_buf + p.b->hcap[TS_HTTP_HCAP_MAX - 1].off, "15");

	/* One value longer than the whole buffer, then one more line. */
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nX-B: ");
	memset(in + n, 'v', 700);
	n += 700;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nX-A: a\r\n\r\n");
	for (size_t step = 0; step < 3; step++) {
		ts_http_parser_init(&p, REQ, MAX_HEAD, test_pbuf(&p));
		ts_http_parser_capture(&p, &l);
		feed_head(&p, in, n, step);
		captured(&p, &l, got, sizeof(got));
		ck_assert_uint_eq(p.hcap_n, 1);
		ck_assert(p.b->hcap[0].cut);
		ck_assert_uint_eq(p.b->hcap[0].len, TS_HTTP_HCAP_BYTES - 1);
		ck_assert(p.hcap_lost); /* X-A found no room */
	}
}
END_TEST

/* Each message has its own captures; responses are captured the same. */
START_TEST(test_capture_per_message_on_both_kinds)
{
	static const char *const names[] = { "content-type", "x-id" };
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain\r\n"
				   "X-Id: 1\r\nContent-Length: 2\r\n\r\nhi"
				   "HTTP/1.1 404 Not Found\r\n"
				   "content-type: text/html\r\n"
				   "Content-Length: 0\r\n\r\n";
	struct ts_capture_list l;
	struct ts_http_parser p = { 0 };
	char got[256];
	size_t off;

	capture_list(&l, names, 2);
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	ts_http_parser_capture(&p, &l);
	off = feed_until(&p, resp, sizeof(resp) - 1, TS_HTTP_EV_HEADERS_DONE);
	captured(&p, &l, got, sizeof(got));
	ck_assert_str_eq(got, "content-type=text/plain|x-id=1");
	feed_until(&p, resp + off, sizeof(resp) - 1 - off,
		   TS_HTTP_EV_HEADERS_DONE);
	captured(&p, &l, got, sizeof(got));
	ck_assert_str_eq(got, "content-type=text/html");
	ck_assert_uint_eq(p.status, 404);

	/* An empty list captures nothing. */
	memset(&l, 0, sizeof(l));
	ts_http_parser_init(&p, RESP, MAX_HEAD, test_pbuf(&p));
	ts_http_parser_capture(&p, &l);
	ck_assert_ptr_null(p.capture);
}
END_TEST

/* --- generated streams: whole-buffer fast paths vs byte at a time ----- */

/* Appends to a generated stream, silently bounded. */
struct gen {
	char b[2600];
	size_t n;
	uint64_t rng;
};

static unsigned gen_pick(struct gen *g, unsigned n)
{
	return (unsigned)(rng_next(&g->rng) % n);
}

static void gen_put(struct gen *g, const char *s, size_t n)
{
	if (n > sizeof(g->b) - g->n)
		n = sizeof(g->b) - g->n;
	memcpy(g->b + g->n, s, n);
	g->n += n;
}

static void gen_str(struct gen *g, const char *s)
{
	gen_put(g, s, strlen(s));
}

static void gen_byte(struct gen *g, unsigned char c)
{
	gen_put(g, (const char *)&c, 1);
}

/* A name of the pool in random letter case. */
static void gen_name(struct gen *g)
{
	static const char *const names[] = {
		"host", "user-agent", "content-length", "transfer-encoding",
		"connection", "upgrade", "traceparent", "tracestate",
		"baggage", "b3", "x-b3-traceid", "x-b3-spanid",
		"x-b3-sampled", "x-b3-flags", "uber-trace-id", "uberctx-k1",
		"uberctx-a-much-longer-key-than-fits", "accept", "date",
		"server", "x_request_id", "x-a^b~c", "content-type",
		"a-very-long-header-name-of-more-than-32-bytes", "x-b3-spanie",
		"connectioN", "user-agenT", "hosts", "b",
	};
	const char *n = names[gen_pick(g, TS_ARRAY_SIZE(names))];

	for (; *n; n++)
		gen_byte(g, gen_pick(g, 3) ? (unsigned char)*n
					   : (unsigned char)(*n & ~0x20));
}

static void gen_value(struct gen *g)
{
	static const char *const vals[] = {
		"0", "3", "12345", "007", "1, 1", "1,2", "99999999999999999999",
		"chunked", "gzip, chunked", "chunked, gzip", "close",
		"keep-alive", "Keep-Alive", "upgrade", "Upgrade, close",
		"keep-alive ; x=1", ",", "", "  padded  ", "a\tb",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"curl/8.0 (x86_64-pc-linux-gnu) libcurl/8.0",
		"Tue, 01 Dec 2026 12:58:32 GMT", "127.0.0.1:8080",
		"text/plain; charset=utf-8", "k=v,k2=v2", "\x80\xfe obs",
	};

	if (gen_pick(g, 8) == 0) { /* long */
		unsigned n = 10 + gen_pick(g, 600);

		while (n--)
			gen_byte(g, (unsigned char)('a' + gen_pick(g, 26)));
		return;
	}
	gen_str(g, vals[gen_pick(g, TS_ARRAY_SIZE(vals))]);
}

static void gen_target(struct gen *g)
{
	unsigned n = gen_pick(g, 6) ? 1 + gen_pick(g, 40)
				    : 1000 + gen_pick(g, 60);

	gen_byte(g, '/');
	while (--n)
		gen_byte(g, (unsigned char)("abc/?=&%.~-_09"[gen_pick(g, 14)]));
}

static void gen_head(struct gen *g, uint8_t kind)
{
	static const char *const methods[] = {
		"GET", "POST", "HEAD", "PUT", "M-SEARCH", "CONNECT",
		"ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQ", "G!T", "get",
	};
	static const char *const versions[] = { "HTTP/1.1", "HTTP/1.0",
						"HTTP/1.2", "HTTP/2.0" };
	unsigned lines = gen_pick(g, 12);

	if (kind == REQ) {
		if (!gen_pick(g, 10))
			gen_str(g, "\r\n");
		gen_str(g, methods[gen_pick(g, TS_ARRAY_SIZE(methods))]);
		gen_byte(g, ' ');
		gen_target(g);
		gen_byte(g, ' ');
		gen_str(g, versions[gen_pick(g, 4) ? gen_pick(g, 2) : gen_pick(g, 4)]);
	} else {
		static const char *const codes[] = { "200", "204", "304",
						     "101", "100", "404",
						     "503", "099", "2000" };

		gen_str(g, versions[gen_pick(g, 4) ? gen_pick(g, 2) : gen_pick(g, 4)]);
		gen_byte(g, ' ');
		gen_str(g, codes[gen_pick(g, TS_ARRAY_SIZE(codes))]);
		if (gen_pick(g, 4)) {
			gen_byte(g, ' ');
			gen_str(g, gen_pick(g, 5) ? "OK" : "Not \tFound\x80");
		}
	}
	gen_str(g, "\r\n");
	while (lines--) {
		gen_name(g);
		gen_str(g, gen_pick(g, 6) ? ": " : gen_pick(g, 2) ? ":" : ":\t ");
		gen_value(g);
		gen_str(g, gen_pick(g, 4) ? "\r\n" : " \r\n");
	}
	gen_str(g, "\r\n");
}

/* One or two messages, bodies and all, and maybe a byte changed. */
static void gen_stream(struct gen *g, uint8_t kind)
{
	unsigned msgs = 1 + gen_pick(g, 2);

	g->n = 0;
	while (msgs--) {
		gen_head(g, kind);
		if (!gen_pick(g, 2))
			gen_str(g, "abc");
		else if (!gen_pick(g, 3))
			gen_str(g, "3\r\nabc\r\n0\r\n\r\n");
	}
	for (unsigned k = gen_pick(g, 3) ? 0 : 1 + gen_pick(g, 3); k; k--) {
		static const unsigned char odd[] = { 0, '\t', '\n', '\r', ' ',
						     ':', 0x7f, 0x80, 0xff,
						     ',', 'A' };

		if (g->n)
			g->b[gen_pick(g, (unsigned)g->n)] =
				(char)odd[gen_pick(g, sizeof(odd))];
	}
}

/*
 * Streams made of the pieces real heads are made of (every known name in
 * any letter case, framing lists, long targets and values, methods at
 * and past their limit, odd versions and status codes, pipelined
 * messages), some with a byte changed to a delimiter or a control: fed
 * whole, where the parser takes start lines, field lines and the empty
 * line at once, they give exactly the events, offsets and fields they
 * give byte by byte, with and without value events, and no read goes
 * past the buffer (it ends at a PROT_NONE page).
 */
START_TEST(test_generated_streams_whole_equal_byte_by_byte)
{
	static char got[TEXT_MAX], want[TEXT_MAX];
	static struct run whole, bytes;
	struct gen g = { .rng = 0xfa57u };
	size_t maplen, gl, wl;
	char *guard = guard_map(sizeof(g.b), &maplen);
	unsigned dead = 0, done = 0;

	for (int i = 0; i < 20000; i++) {
		struct tcase tc = { "generated", (uint8_t)(i % 2 ? RESP : REQ),
				    0, 0, NULL, 0 };
		struct feeder fw = { .mode = FEED_WHOLE, .guard_end = guard };
		struct feeder fb = { .mode = FEED_BYTES, .guard_end = guard };

		if (tc.kind == RESP && !gen_pick(&g, 4))
			tc.expect = gen_pick(&g, 2) ? TS_HTTP_EXPECT_NO_BODY
						    : TS_HTTP_EXPECT_CONNECT;
		if (!gen_pick(&g, 8))
			tc.max = 64 + gen_pick(&g, 512);
		gen_stream(&g, tc.kind);
		values_off = i % 4 >= 2;
		run_stream(&tc, g.b, g.n, &fw, true, &whole);
		run_stream(&tc, g.b, g.n, &fb, true, &bytes);
		wl = render(&bytes, g.b, g.n, want);
		gl = render(&whole, g.b, g.n, got);
		if (wl != gl || memcmp(want, got, wl)) {
			char what[96];

			snprintf(what, sizeof(what),
				 "stream %d (%s, max %u, value events %s)", i,
				 tc.kind == REQ ? "requests" : "responses",
				 tc.max, values_off ? "off" : "on");
			assert_text(what, want, wl, got, gl);
		}
		REQUIRE(whole.head_bytes == bytes.head_bytes);
		for (size_t k = 0; k < bytes.n; k++) {
			dead += bytes.r[k].ev == TS_HTTP_EV_NOT_HTTP;
			done += bytes.r[k].ev == TS_HTTP_EV_MSG_END;
		}
	}
	values_off = false;
	munmap(guard - (maplen - (size_t)sysconf(_SC_PAGESIZE)), maplen);
	/* Both outcomes were exercised, many times. */
	ck_assert_uint_gt(dead, 2000);
	ck_assert_uint_gt(done, 2000);
}
END_TEST

/* Declared here too until suites.h lists http_parse. */
Suite *ts_test_http_parse_suite(void);

Suite *ts_test_http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("http_parse");
	int n = (int)TS_ARRAY_SIZE(cases);

	tcase_set_timeout(tc, 120);
	/* Each loop runs every case twice: with and without value events. */
	tcase_add_loop_test(tc, test_table_streams_give_exact_events_offsets_and_fields,
			    0, 2 * n);
	tcase_add_loop_test(tc, test_every_single_cut_point_gives_the_same_events,
			    0, 2 * n);
	tcase_add_loop_test(tc, test_byte_by_byte_gives_the_same_events, 0,
			    2 * n);
	tcase_add_loop_test(tc, test_random_piece_sizes_give_the_same_events,
			    0, 2 * n);
	tcase_add_loop_test(tc, test_no_read_past_any_piece_and_prefixes_give_due_events,
			    0, 2 * n);
	tcase_add_test(tc, test_100k_header_line_dies_at_byte_8193);
	tcase_add_test(tc, test_10k_small_headers_die_at_byte_8193);
	tcase_add_test(tc, test_head_of_exactly_max_accepted_one_more_rejected);
	tcase_add_test(tc, test_traceparent_first_kept_every_line_counted);
	tcase_add_test(tc, test_header_fields_counted_per_message);
	tcase_add_test(tc, test_tracestate_lines_joined_in_order);
	tcase_add_test(tc, test_tracestate_cut_at_its_cap_and_flagged);
	tcase_add_test(tc, test_long_values_cut_at_their_caps_trailing_space_is_no_cut);
	tcase_add_test(tc, test_mixed_case_names_are_recognised);
	tcase_add_test(tc, test_upgrade_request_holds_until_released);
	tcase_add_test(tc, test_method_accepts_exactly_tchar);
	tcase_add_test(tc, test_get_then_random_binary_is_not_http);
	tcase_add_test(tc, test_dead_parser_takes_everything_silently);
	tcase_add_test(tc, test_events_due_at_end_of_input_come_from_len0_calls);
	tcase_add_test(tc, test_eof_ends_only_close_delimited_bodies_once);
	tcase_add_test(tc, test_fields_reset_at_next_message_not_at_msg_end);
	tcase_add_test(tc, test_every_captured_field_is_empty_in_the_next_message);
	tcase_add_test(tc, test_parser_set_up_again_reads_like_a_fresh_one);
	tcase_add_test(tc, test_copy_parses_ahead_without_touching_the_original);
	tcase_add_test(tc, test_response_stream_writes_no_buffer_byte);
	tcase_add_test(tc, test_trailer_section_bounded_by_max_header_bytes);
	tcase_add_test(tc, test_chunk_extension_line_bounded);
	tcase_add_test(tc, test_content_length_body_taken_in_one_call);
	tcase_add_test(tc, test_skip_body_only_where_the_framing_is_a_count);
	tcase_add_test(tc, test_capture_lines_in_order_whatever_the_pieces);
	tcase_add_test(tc, test_capture_bounded_in_lines_and_bytes);
	tcase_add_test(tc, test_capture_per_message_on_both_kinds);
	tcase_add_test(tc, test_refused_head_marks_the_value_it_was_taking_cut);
	tcase_add_test(tc, test_generated_streams_whole_equal_byte_by_byte);
	suite_add_tcase(s, tc);
	return s;
}
