/*
 * fuzz_http_parse.c - libFuzzer target for the HTTP/1.x parser
 * (hooks/http_parse.c).  See README.md for how to build and run it.
 *
 * Input layout:
 *   byte 0     bit 0: stream kind (0 requests, 1 responses);
 *              bits 1-2: TS_HTTP_EXPECT_* flags set before feeding;
 *              bit 3: edit events (HEADER_VALUE, HEADERS_END) off;
 *              bits 4-6: a built-in head put before the data (0: none),
 *              so every run also reaches bodies and chunked framing;
 *              bit 7: header capture on (x-a, content-length, host,
 *              tracestate, a 32-byte name)
 *   byte 1     max_header_bytes: 16 + 32 * byte (255: 8192)
 *   bytes 2-9  seed of the piece sizes
 *   rest       the stream
 *
 * The stream is fed three ways: whole, in pseudo-random pieces, and byte
 * by byte (when short).  Each piece sits in its own heap block of exactly
 * its size, so ASan reports any read past it.  What must hold:
 *   - a call never consumes more than it was given;
 *   - NONE is reported only with every byte consumed, so a call that
 *     consumes nothing reports an event (progress is always made);
 *   - once dead (NOT_HTTP, UPGRADE) every call consumes all and says NONE;
 *   - events nest: MSG_BEGIN, HEADER_VALUE*, HEADERS_END, HEADERS_DONE,
 *     MSG_END, optionally UPGRADE right after; in_message() agrees;
 *   - header_bytes never exceeds max_header_bytes; captured values are
 *     NUL-terminated at their length and within their caps;
 *   - the three ways give the same events at the same offsets, and the
 *     whole parser struct is byte-identical at each of them and at the
 *     end (its state depends on the bytes, not on how they were cut),
 *     but for `name`, the scratch space of a token being read (a whole
 *     header line is matched in place, a cut one through `name`);
 *     ts_http_eof() gives the same answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http_parse.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #x,  \
				__FILE__, __LINE__);                           \
			abort();                                               \
		}                                                              \
	} while (0)

#define BYTEWISE_MAX 4096 /* longer streams are not fed byte by byte */

static const char *const heads[8] = {
	NULL,
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\n",
	"HTTP/1.0 200 OK\r\n\r\n",
};

struct evrec {
	uint8_t ev;      /* enum ts_http_event */
	uint64_t off;    /* stream offset */
	uint64_t hash;   /* of the whole parser struct right after */
};

struct trace {
	struct evrec *r;
	size_t n, cap;
	uint64_t final_hash; /* parser struct after the last call */
	bool eof;            /* what ts_http_eof() said at the end */
};

/* Message structure seen so far, for the nesting checks. */
struct shape {
	bool open;       /* between MSG_BEGIN and MSG_END */
	bool head_end;   /* HEADERS_END seen in this message */
	bool head_done;  /* HEADERS_DONE seen in this message */
	uint8_t last;    /* previous event */
};

static uint64_t hash_bytes(const void *v, size_t n)
{
	const unsigned char *b = v;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* The parser struct's hash, its token scratch space left out. */
static uint64_t hash_parser(const struct ts_http_parser *p)
{
	struct ts_http_parser c = *p;

	memset(c.name, 0, sizeof(c.name));
	return hash_bytes(&c, sizeof(c));
}

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void check_str(const char *s, const struct ts_http_str *st,
		      size_t cap)
{
	CHECK(st->len <= cap);
	CHECK(s[st->len] == '\0');
	CHECK(strlen(s) == st->len);
}

static void check_fields(const struct ts_http_parser *p)
{
	CHECK(p->header_bytes <= p->max_header_bytes);
	CHECK(p->b->method[TS_HTTP_METHOD_MAX] == '\0');
	CHECK(strlen(p->b->method) <= TS_HTTP_METHOD_MAX);
	CHECK(p->b->target[TS_HTTP_TARGET_MAX] == '\0');
	CHECK(p->target_s.len <= TS_HTTP_TARGET_MAX);
	check_str(p->b->host, &p->host_s, TS_HTTP_HOST_MAX);
	check_str(p->b->user_agent, &p->user_agent_s, TS_HTTP_UA_MAX);
	check_str(p->b->traceparent, &p->traceparent_s, TS_HTTP_TP_MAX);
	check_str(p->b->tracestate, &p->tracestate_s, TS_HTTP_TS_MAX);
	check_str(p->b->baggage, &p->baggage_s, TS_HTTP_BAGGAGE_MAX);
	check_str(p->b->b3, &p->b3_s, TS_HTTP_B3_MAX);
	check_str(p->b->b3_traceid, &p->b3_traceid_s, TS_HTTP_B3F_MAX);
	check_str(p->b->b3_spanid, &p->b3_spanid_s, TS_HTTP_B3F_MAX);
	check_str(p->b->b3_sampled, &p->b3_sampled_s, TS_HTTP_B3F_MAX);
	check_str(p->b->b3_flags, &p->b3_flags_s, TS_HTTP_B3F_MAX);
	check_str(p->b->uber, &p->uber_s, TS_HTTP_UBER_MAX);
	check_str(p->b->uberctx, &p->uberctx_s, TS_HTTP_UBERCTX_MAX);
	check_str(p->b->xff, &p->xff_s, TS_HTTP_FWD_MAX);
	check_str(p->b->forwarded, &p->forwarded_s, TS_HTTP_FWD_MAX);
	CHECK(p->content_length >= -1);
	CHECK(p->hcap_n <= TS_HTTP_HCAP_MAX);
	CHECK(p->hcap_used <= TS_HTTP_HCAP_BYTES);
	for (unsigned i = 0; i < p->hcap_n; i++) {
		const struct ts_http_hcap *e = &p->b->hcap[i];

		CHECK(p->capture && e->name < p->capture->n);
		CHECK(e->off + e->len < p->hcap_used ||
		      e->off + e->len + 1 == p->hcap_used);
		CHECK(p->b->hcap_buf[e->off + e->len] == '\0');
		CHECK(strlen(p->b->hcap_buf + e->off) == e->len);
	}
}

/* One event: does it fit the message structure? */
static void check_shape(struct shape *s, const struct ts_http_parser *p,
			enum ts_http_event ev)
{
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		CHECK(!s->open);
		s->open = true;
		s->head_end = s->head_done = false;
		break;
	case TS_HTTP_EV_HEADER_VALUE:
		CHECK(p->edit_events);
		CHECK(s->open && !s->head_end);
		CHECK(p->header > TS_HDR_OTHER && p->header < TS_HDR_COUNT_);
		break;
	case TS_HTTP_EV_HEADERS_END:
		CHECK(p->edit_events);
		CHECK(s->open && !s->head_end);
		s->head_end = true;
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		CHECK(s->open && (s->head_end || !p->edit_events) && !s->head_done);
		s->head_done = true;
		check_fields(p);
		break;
	case TS_HTTP_EV_MSG_END:
		CHECK(s->open && s->head_done);
		s->open = false;
		check_fields(p);
		break;
	case TS_HTTP_EV_UPGRADE:
		CHECK(s->last == TS_HTTP_EV_MSG_END);
		CHECK(ts_http_is_dead(p));
		break;
	case TS_HTTP_EV_NOT_HTTP:
		CHECK(ts_http_is_dead(p));
		s->open = false;
		break;
	default:
		CHECK(0);
	}
	s->last = (uint8_t)ev;
	if (!ts_http_is_dead(p))
		CHECK(ts_http_in_message(p) == s->open);
}

static void record(struct trace *t, const struct ts_http_parser *p,
		   enum ts_http_event ev, uint64_t off)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->r = realloc(t->r, t->cap * sizeof(*t->r));
		CHECK(t->r);
	}
	t->r[t->n++] = (struct evrec){ (uint8_t)ev, off,
				       hash_parser(p) };
}

/* Feed one piece, from its own exactly sized heap block, until NONE. */
static void feed_piece(struct ts_http_parser *p, const uint8_t *data,
		       size_t len, uint64_t *off, struct shape *s,
		       struct trace *t)
{
	char *copy = malloc(len ? len : 1);
	const char *buf = copy;
	enum ts_http_event ev;
	int idle = 0;

	CHECK(copy);
	if (len)
		memcpy(copy, data, len);
	do {
		bool dead = ts_http_is_dead(p);
		size_t n = ts_http_feed(p, buf, len, &ev);

		CHECK(n <= len);
		CHECK(ev != TS_HTTP_EV_NONE || n == len);
		CHECK(!dead || (ev == TS_HTTP_EV_NONE && n == len));
		/* At most HEADERS_DONE, MSG_END, UPGRADE share one offset
		 * after the byte; MSG_BEGIN, HEADER_VALUE or HEADERS_END
		 * before the next one. */
		idle = n ? 0 : idle + 1;
		CHECK(idle <= 4);
		buf += n;
		len -= n;
		*off += n;
		if (ev != TS_HTTP_EV_NONE) {
			check_shape(s, p, ev);
			record(t, p, ev, *off);
		}
		CHECK(p->header_bytes <= p->max_header_bytes);
	} while (ev != TS_HTTP_EV_NONE);
	free(copy);
}

enum mode { WHOLE, PIECES, BYTES };

static bool values_off; /* byte 0, bit 3 */
static bool capture_on; /* byte 0, bit 7 */

static const struct ts_capture_list capture = {
	5,
	{ 3, 14, 4, 10, 32 },
	{ "x-a", "content-length", "host", "tracestate",
	  "x-abcdefghijklmnopqrstuvwxyz1234" },
};

static void run(const uint8_t *in, size_t len, unsigned kind, unsigned expect,
		uint32_t max, enum mode mode, uint64_t seed, struct trace *t)
{
	static struct ts_http_pbuf pb;
	struct ts_http_parser p;
	struct shape s = { 0 };
	uint64_t off = 0;
	size_t fed = 0;

	memset(&pb, 0, sizeof(pb)); /* zero-filled, as the parser asks */
	ts_http_parser_init(&p, (enum ts_http_kind)kind, max, &pb);
	ts_http_parser_edit_events(&p, !values_off);
	ts_http_parser_capture(&p, capture_on ? &capture : NULL);
	ts_http_parser_expect(&p, expect);
	while (fed < len) {
		size_t n = len - fed;

		if (mode == BYTES)
			n = 1;
		else if (mode == PIECES && n > 1)
			n = 1 + rng_next(&seed) % (rng_next(&seed) % 4 ?
							   (n < 16 ? n : 16) :
							   n);
		feed_piece(&p, in + fed, n, &off, &s, t);
		fed += n;
	}
	feed_piece(&p, in + len, 0, &off, &s, t);
	CHECK(off == len);
	t->final_hash = hash_parser(&p);
	t->eof = ts_http_eof(&p);
	CHECK(!ts_http_eof(&p)); /* never twice */
	if (t->eof)
		CHECK(s.open && s.head_done);
}

static void same(const struct trace *a, const struct trace *b)
{
	CHECK(a->n == b->n);
	for (size_t i = 0; i < a->n; i++) {
		CHECK(a->r[i].ev == b->r[i].ev);
		CHECK(a->r[i].off == b->r[i].off);
		CHECK(a->r[i].hash == b->r[i].hash);
	}
	CHECK(a->final_hash == b->final_hash);
	CHECK(a->eof == b->eof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole = { 0 }, pieces = { 0 }, bytes = { 0 };
	const char *head;
	unsigned kind, expect;
	uint32_t max;
	uint64_t seed;
	uint8_t *in;
	size_t hlen, len;

	if (size < 10)
		return 0;
	kind = (data[0] & 1) ? TS_HTTP_RESPONSES : TS_HTTP_REQUESTS;
	expect = (data[0] >> 1) & 3;
	values_off = data[0] & 8;
	capture_on = data[0] & 0x80;
	head = heads[(data[0] >> 4) & 7];
	max = data[1] == 255 ? 8192 : 16 + 32u * data[1];
	memcpy(&seed, data + 2, sizeof(seed));
	hlen = head ? strlen(head) : 0;
	len = hlen + size - 10;
	in = malloc(len ? len : 1);
	CHECK(in);
	if (hlen)
		memcpy(in, head, hlen);
	if (size > 10)
		memcpy(in + hlen, data + 10, size - 10);

	run(in, len, kind, expect, max, WHOLE, 0, &whole);
	run(in, len, kind, expect, max, PIECES, seed, &pieces);
	same(&whole, &pieces);
	if (len <= BYTEWISE_MAX) {
		run(in, len, kind, expect, max, BYTES, 0, &bytes);
		same(&whole, &bytes);
	}
	free(whole.r);
	free(pieces.r);
	free(bytes.r);
	free(in);
	return 0;
}
