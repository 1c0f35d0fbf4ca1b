/*
 * http_parse.c - incremental HTTP/1.x message framing (see http_parse.h).
 *
 * One state machine walks the bytes of one stream direction.  The head
 * (start line, header fields, empty line) is parsed a byte at a time
 * because every byte there can matter for framing or safety; body bytes
 * counted by Content-Length or by a chunk size are skipped in bulk, so a
 * large body costs one step per call.  Nothing is buffered: a token that
 * spans two calls continues from `state`, `sub`, `field_len`, `scratch`.
 *
 * How events are delivered (the socket hooks rely on every line of this):
 *  - A call reports at most one event and returns the bytes it consumed;
 *    the event's stream offset is the offset right after those bytes.
 *  - "Before" events (MSG_BEGIN, HEADER_VALUE, HEADERS_END) precede a byte
 *    that is not consumed, so they are reported once that byte is in the
 *    buffer; the next call starts at that byte and consumes it.
 *  - "After" events (HEADERS_DONE, MSG_END, UPGRADE) are reported by the
 *    call that consumed the message's last byte, also when it is the last
 *    byte of the input.  Where several fall on one offset (HEADERS_DONE,
 *    then MSG_END of a body-less message, then UPGRADE after 101 or a 2xx
 *    to CONNECT), the later ones come from the following calls, which
 *    consume nothing; a call with len 0 reports them too.
 *  - TS_HTTP_EV_NONE means "all len bytes consumed, nothing pending".  So a
 *    caller that loops until NONE never misses an event, whatever the
 *    chunking:
 *
 *	do {
 *		n = ts_http_feed(p, buf, len, &ev);
 *		handle(ev);
 *		buf += n;
 *		len -= n;
 *	} while (ev != TS_HTTP_EV_NONE);
 *
 *    A caller that stops at len == 0 instead can leave the MSG_END (and
 *    UPGRADE) of a body-less message pending; ts_http_eof() then completes
 *    that message at close, so its MSG_END is still reported exactly once.
 *  - NOT_HTTP is reported before the byte that proved it; that byte and
 *    everything after it are the caller's pass-through.
 *  - Requests: empty lines (CRLF) before a request-line are skipped and
 *    counted in the next head's header_bytes, but MSG_BEGIN comes before
 *    the method, so a stray CRLF after a body opens no message.
 *  - The fields of a message are reset when the first byte after the
 *    previous message is fed: the byte MSG_BEGIN precedes, or the CR of
 *    an empty line skipped before a request.  Never at MSG_END, so they
 *    can still be read while handling it.
 *  - max_header_bytes: NOT_HTTP before byte max + 1 of a head, or already
 *    at the CR of the empty line when its CRLF would not fit, so that a
 *    HEADERS_END (where the caller inserts a line) is never followed by
 *    NOT_HTTP for size.  Framing errors known only at the end of the head
 *    (a request Transfer-Encoding not ending in chunked) are also reported
 *    there, before HEADERS_END.
 *
 * Threads: none of its own; a parser is used by one thread at a time (the
 * caller serialises).  No allocation, no locks, no libc calls besides
 * memset: async-signal-safe.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "../preload/config.h"
#include "http_parse.h"

/* Parser states, in stream order; in-message states are contiguous. */
enum {
	S_IDLE,                /* between messages: nothing of the next yet */
	S_START,               /* fields reset; start line or CRLF next */
	S_LEAD_LF,             /* LF of a skipped leading empty line */
	S_METHOD,              /* first in-message state */
	S_TARGET,              /* request-target */
	S_REQ_VERSION,         /* "HTTP/1.x" CR, `sub` = chars matched */
	S_RESP_VERSION,        /* "HTTP/1.x" SP, `sub` = chars matched */
	S_STATUS,              /* three digits, `sub` = digits seen */
	S_REASON,              /* reason-phrase up to CR */
	S_LINE_LF,             /* LF ending the start line or a field line */
	S_LINE_START,          /* a field name or the empty line next */
	S_NAME,                /* field name up to ':' */
	S_OWS,                 /* white space before a field value */
	S_VALUE,               /* field value up to CR */
	S_FOLD,                /* obs-fold line continuing a field's value */
	S_HEAD_CR,             /* CR of the empty line (after HEADERS_END) */
	S_HEAD_LF,             /* LF of the empty line */
	S_BODY_CL,             /* Content-Length body, `remaining` to come */
	S_BODY_CLOSE,          /* response body delimited by close */
	S_CHUNK_SIZE0,         /* first hex digit of a chunk-size */
	S_CHUNK_SIZE,          /* more hex digits, `scratch` = size */
	S_CHUNK_EXT,           /* chunk extensions up to CR */
	S_CHUNK_LF,            /* LF of the chunk-size line */
	S_CHUNK_DATA,          /* chunk data, `remaining` to come */
	S_CHUNK_DATA_CR,       /* CR after chunk data */
	S_CHUNK_DATA_LF,       /* LF after chunk data */
	S_TRAILER_START,       /* a trailer field or the final CRLF next */
	S_TRAILER_LINE,        /* trailer field line up to CR */
	S_TRAILER_LF,          /* LF of a trailer field line */
	S_TRAILER_END_LF,      /* LF of the final empty line */
	S_END_PENDING,         /* MSG_END due, nothing left to consume */
	S_END_UPGRADE_PENDING, /* MSG_END then UPGRADE due; last in-message */
	S_UPGRADE_PENDING,     /* UPGRADE due */
	S_DEAD,                /* NOT_HTTP or UPGRADE reported */
	S_CLOSED,              /* ts_http_eof() completed the last message */
	S_HOLD,                /* after a request that may switch protocols,
				  until its response (ts_http_parser_release) */
};

/* What one byte did, for the loop in ts_http_feed(). */
enum step {
	STEP_NEXT,   /* byte consumed */
	STEP_AGAIN,  /* state changed; look at the same byte again */
	STEP_BEFORE, /* report the event before this byte (not consumed) */
	STEP_AFTER,  /* byte consumed; report the event after it */
	STEP_FAIL,   /* not HTTP: report NOT_HTTP before this byte */
};

/* p->flags: facts about the current head, reset with the message. */
#define F_TE 0x01        /* a Transfer-Encoding field was seen */
#define F_KEEPALIVE 0x02 /* Connection listed keep-alive */
#define F_CAPTURE 0x10   /* the current value is being captured */
#define F_HCAP 0x20      /* ... and copied to hcap_buf (header capture) */
#define F_FOLD_OK 0x40   /* the last field line may be continued by an
			    obs-fold line (a field nobody reads) */

/* `sub` while parsing a Content-Length value. */
enum { CL_PRE, CL_DIGITS, CL_POST };
/* `sub` while parsing a comma list (Transfer-Encoding, Connection). */
enum { L_PRE, L_TOKEN, L_POST, L_PARAM };

/*
 * Bytes of one chunk-size line (size and extensions).  No real peer comes
 * close; the bound only keeps a hostile stream from looking alive forever.
 */
#define CHUNK_LINE_MAX 4096
/* field_len for a list token that can match nothing (too long, junk). */
#define TOKEN_NONE (sizeof(((struct ts_http_parser *)0)->name) + 1)

/* Character classes of RFC 9110 section 5.6 and RFC 9112. */
#define C_TCHAR 0x01 /* token character */
#define C_VCHAR 0x02 /* request-target: visible ASCII, and obs-text as
			servers take it (raw UTF-8 paths from clients) */
#define C_FIELD 0x04 /* field-value / reason-phrase: HT SP VCHAR obs-text */
#define V (C_VCHAR | C_FIELD)
#define TV (C_TCHAR | C_VCHAR | C_FIELD)

static const uint8_t ts_http_cls[256] = {
	['\t'] = C_FIELD,   [' '] = C_FIELD,   ['!'] = TV,
	['"'] = V,          ['#' ... '\''] = TV, ['('] = V,
	[')'] = V,          ['*'] = TV,        ['+'] = TV,
	[','] = V,          ['-'] = TV,        ['.'] = TV,
	['/'] = V,          ['0' ... '9'] = TV, [':' ... '@'] = V,
	['A' ... 'Z'] = TV, ['['] = V,         ['\\'] = V,
	[']'] = V,          ['^'] = TV,        ['_'] = TV,
	['`'] = TV,         ['a' ... 'z'] = TV, ['{'] = V,
	['|'] = TV,         ['}'] = V,         ['~'] = TV,
	[0x80 ... 0xff] = C_FIELD | C_VCHAR,
};

#undef V
#undef TV

static inline bool is_tchar(unsigned char c)
{
	return ts_http_cls[c] & C_TCHAR;
}

static inline bool is_field(unsigned char c)
{
	return ts_http_cls[c] & C_FIELD;
}

static inline bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline char lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* Value of a hex digit, or -1. */
static inline int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The result fields are one block, cleared in one go per message. */
_Static_assert(offsetof(struct ts_http_parser, header) <
		       offsetof(struct ts_http_parser, body_bytes) &&
	       offsetof(struct ts_http_parser, body_bytes) <
		       offsetof(struct ts_http_parser, state),
	       "result fields must lie between header and state");

/* In `dirty`: a request line was written (TS_HDR_OTHER has no buffer). */
#define DIRTY_LINE (1u << TS_HDR_OTHER)

/*
 * The capture buffers (over 2 KB) are not cleared: every writer keeps its
 * buffer NUL-terminated, so emptying the first byte is enough, and a new
 * message costs a few stores instead of a memset on every request.  Only
 * the buffers written since the last reset are emptied (`dirty`): each
 * lies in cache lines of its own, and a head usually fills two or three
 * of the fourteen, so the others' lines are not touched for nothing (nor
 * their pages: a response stream writes none, and keeps them so).
 */
#define RESET_IF(bit, buf, str)                                                \
	do {                                                                   \
		if (d & (1u << (bit))) {                                       \
			p->b->buf[0] = '\0';                                   \
			p->str = empty;                                        \
		}                                                              \
	} while (0)

static void reset_message(struct ts_http_parser *p)
{
	static const struct ts_http_str empty;
	uint32_t d = p->dirty;

	p->header = TS_HDR_OTHER;
	p->version_minor = 0;
	p->status = 0;
	p->traceparent_count = 0;
	p->fields = 0;
	p->target_s = empty;
	if (d) {
		p->dirty = 0;
		if (d & DIRTY_LINE) /* every request writes both */
			p->b->method[0] = p->b->target[0] = '\0';
		RESET_IF(TS_HDR_HOST, host, host_s);
		RESET_IF(TS_HDR_USER_AGENT, user_agent, user_agent_s);
		RESET_IF(TS_HDR_TRACEPARENT, traceparent, traceparent_s);
		RESET_IF(TS_HDR_TRACESTATE, tracestate, tracestate_s);
		RESET_IF(TS_HDR_BAGGAGE, baggage, baggage_s);
		RESET_IF(TS_HDR_B3, b3, b3_s);
		RESET_IF(TS_HDR_B3_TRACEID, b3_traceid, b3_traceid_s);
		RESET_IF(TS_HDR_B3_SPANID, b3_spanid, b3_spanid_s);
		RESET_IF(TS_HDR_B3_SAMPLED, b3_sampled, b3_sampled_s);
		RESET_IF(TS_HDR_B3_FLAGS, b3_flags, b3_flags_s);
		RESET_IF(TS_HDR_UBER, uber, uber_s);
		RESET_IF(TS_HDR_UBERCTX, uberctx, uberctx_s);
		RESET_IF(TS_HDR_XFF, xff, xff_s);
		RESET_IF(TS_HDR_FORWARDED, forwarded, forwarded_s);
	}
	p->hcap_n = 0;
	p->hcap_lost = false;
	p->hcap_used = 0;
	p->seen = 0;
	p->chunked = p->conn_close = p->conn_upgrade = p->has_upgrade = false;
	p->header_bytes = p->body_bytes = 0;
	p->content_length = -1;
	p->sub = 0;
	p->flags = 0;
	p->field_len = 0;
	p->remaining = 0;
	p->scratch = 0;
}

#undef RESET_IF

/*
 * Only the fields are cleared, not the 4.7 KB of buffers: a connection's
 * parsers are set up at every accept and connect, and a buffer no message
 * writes then stays untouched (its pages never become resident).  Every
 * buffer is read through its length, which is cleared; one written before
 * (the same buffers set up again) is emptied at the next message, as its
 * bit in `dirty`, kept, says.  Buffers new to this parser are zero-filled
 * memory (see the header), so none of them is dirty.
 */
void ts_http_parser_init(struct ts_http_parser *p, enum ts_http_kind kind,
			 uint32_t max_header_bytes, struct ts_http_pbuf *b)
{
	uint32_t dirty = p->b == b ? p->dirty : 0;

	memset(p, 0, sizeof(*p));
	p->b = b;
	p->dirty = dirty;
	p->kind = (uint8_t)kind;
	p->edit_events = true;
	p->max_header_bytes = max_header_bytes;
	p->content_length = -1;
	p->state = S_IDLE;
}

/* The bytes of one buffer that may be read: its value so far, the one
 * being written (field_len), and the NUL after them. */
#define COPY_BUF(buf, str)                                                     \
	do {                                                                   \
		size_t n_ = (size_t)(src->str.len > src->field_len               \
					     ? src->str.len                    \
					     : src->field_len) + 1;            \
		memcpy(b->buf, src->b->buf,                                    \
		       n_ < sizeof(b->buf) ? n_ : sizeof(b->buf));             \
	} while (0)

void ts_http_parser_copy(struct ts_http_parser *dst, struct ts_http_pbuf *b,
			 const struct ts_http_parser *src)
{
	size_t n;

	*dst = *src;
	dst->b = b;
	memcpy(b->method, src->b->method, sizeof(b->method));
	COPY_BUF(target, target_s);
	COPY_BUF(host, host_s);
	COPY_BUF(user_agent, user_agent_s);
	COPY_BUF(traceparent, traceparent_s);
	COPY_BUF(tracestate, tracestate_s);
	COPY_BUF(baggage, baggage_s);
	COPY_BUF(b3, b3_s);
	COPY_BUF(b3_traceid, b3_traceid_s);
	COPY_BUF(b3_spanid, b3_spanid_s);
	COPY_BUF(b3_sampled, b3_sampled_s);
	COPY_BUF(b3_flags, b3_flags_s);
	COPY_BUF(uber, uber_s);
	COPY_BUF(uberctx, uberctx_s);
	COPY_BUF(xff, xff_s);
	COPY_BUF(forwarded, forwarded_s);
	memcpy(b->hcap, src->b->hcap, src->hcap_n * sizeof(b->hcap[0]));
	n = (size_t)src->hcap_used + src->hcap_pos + 1;
	memcpy(b->hcap_buf, src->b->hcap_buf,
	       n < sizeof(b->hcap_buf) ? n : sizeof(b->hcap_buf));
}

#undef COPY_BUF

void ts_http_parser_edit_events(struct ts_http_parser *p, bool on)
{
	p->edit_events = on;
}

void ts_http_parser_capture(struct ts_http_parser *p,
			    const struct ts_capture_list *list)
{
	p->capture = list && list->n ? list : NULL;
}

void ts_http_parser_release(struct ts_http_parser *p)
{
	__atomic_store_n(&p->released, 1, __ATOMIC_RELEASE);
}

void ts_http_parser_expect(struct ts_http_parser *p, unsigned flags)
{
	unsigned known = TS_HTTP_EXPECT_NO_BODY | TS_HTTP_EXPECT_CONNECT;

	p->expect = (uint8_t)(flags & known);
}

/* --- header names and values ------------------------------------------- */

/*
 * Letters of `name` (any case) equal the lowercase `lit` of the same
 * length.  Header names are tchars, and the only tchars that OR 0x20
 * turns into a lowercase letter, a digit or '-' are the letters
 * themselves; `lit` holds nothing else, so OR 0x20 leaves it as it is.
 * Compared a word at a time (the last word overlapping the one before
 * it); `len` is a constant wherever this is inlined.
 */
static inline uint64_t load_n(const void *s, size_t n)
{
	uint64_t x = 0;

	memcpy(&x, s, n);
	return x;
}

static inline __attribute__((always_inline)) bool
name_is(const unsigned char *name, const char *lit,
			   size_t len)
{
	size_t i, w = len >= 8 ? 8 : len >= 4 ? 4 : len >= 2 ? 2 : 1;
	uint64_t fold = load_n("\x20\x20\x20\x20\x20\x20\x20\x20", w);

	for (i = 0; i + w <= len; i += w)
		if ((load_n(name + i, w) | fold) != load_n(lit + i, w))
			return false;
	return i == len || (load_n(name + len - w, w) | fold) ==
				   load_n(lit + len - w, w);
}

/* The header a field name (any case, tchars) is, by length first. */
TS_HOT
static uint8_t known_header(const unsigned char *n, size_t len)
{
	switch (len) {
	case 2:
		return name_is(n, "b3", 2) ? TS_HDR_B3 : TS_HDR_OTHER;
	case 4:
		return name_is(n, "host", 4) ? TS_HDR_HOST : TS_HDR_OTHER;
	case 9:
		if (name_is(n, "forwarded", 9))
			return TS_HDR_FORWARDED;
		break; /* (uberctx-x) */
	case 7:
		if (name_is(n, "upgrade", 7))
			return TS_HDR_UPGRADE;
		return name_is(n, "baggage", 7) ? TS_HDR_BAGGAGE : TS_HDR_OTHER;
	case 10:
		switch (n[0] | 0x20) {
		case 'c':
			if (name_is(n, "connection", 10))
				return TS_HDR_CONNECTION;
			break;
		case 'u':
			if (name_is(n, "user-agent", 10))
				return TS_HDR_USER_AGENT;
			break;
		case 'x':
			if (name_is(n, "x-b3-flags", 10))
				return TS_HDR_B3_FLAGS;
			break;
		case 't':
			if (name_is(n, "tracestate", 10))
				return TS_HDR_TRACESTATE;
			break;
		}
		break;
	case 11:
		if (name_is(n, "x-b3-spanid", 11))
			return TS_HDR_B3_SPANID;
		if (name_is(n, "traceparent", 11))
			return TS_HDR_TRACEPARENT;
		break;
	case 12:
		if (name_is(n, "x-b3-traceid", 12))
			return TS_HDR_B3_TRACEID;
		if (name_is(n, "x-b3-sampled", 12))
			return TS_HDR_B3_SAMPLED;
		break;
	case 13:
		if (name_is(n, "uber-trace-id", 13))
			return TS_HDR_UBER;
		break;
	case 14:
		if (name_is(n, "content-length", 14))
			return TS_HDR_CONTENT_LENGTH;
		break;
	case 15:
		if (name_is(n, "x-forwarded-for", 15))
			return TS_HDR_XFF;
		break;
	case 17:
		if (name_is(n, "transfer-encoding", 17))
			return TS_HDR_TRANSFER_ENCODING;
		break;
	}
	/* uberctx-<key>, with a key that fits p->name. */
	if (len > 8 && len <= sizeof(((struct ts_http_parser *)0)->name) &&
	    name_is(n, "uberctx-", 8))
		return TS_HDR_UBERCTX;
	return TS_HDR_OTHER;
}

/* Whether a HEADER_VALUE event is due for the current header. */
static bool value_event_due(const struct ts_http_parser *p)
{
	return p->edit_events && p->header != TS_HDR_OTHER;
}

/* Append a lowercased token byte to p->name, or mark it unmatchable. */
static void token_add(struct ts_http_parser *p, unsigned char c)
{
	if (p->field_len < sizeof(p->name))
		p->name[p->field_len++] = lower(c);
	else
		p->field_len = TOKEN_NONE;
}

/* Where the value of the current header is captured, if it is. */
TS_HOT
static char *capture_dst(struct ts_http_parser *p, struct ts_http_str **s,
			 uint16_t *cap)
{
	uint8_t h = p->header;
	char *dst;

	switch (h) {
	case TS_HDR_HOST:
		*s = &p->host_s;
		*cap = TS_HTTP_HOST_MAX;
		dst = p->b->host;
		break;
	case TS_HDR_USER_AGENT:
		*s = &p->user_agent_s;
		*cap = TS_HTTP_UA_MAX;
		dst = p->b->user_agent;
		break;
	case TS_HDR_TRACEPARENT:
		*s = &p->traceparent_s;
		*cap = TS_HTTP_TP_MAX;
		dst = p->b->traceparent;
		break;
	case TS_HDR_BAGGAGE:
		*s = &p->baggage_s;
		*cap = TS_HTTP_BAGGAGE_MAX;
		dst = p->b->baggage;
		break;
	case TS_HDR_B3:
		*s = &p->b3_s;
		*cap = TS_HTTP_B3_MAX;
		dst = p->b->b3;
		break;
	case TS_HDR_B3_TRACEID:
		*s = &p->b3_traceid_s;
		*cap = TS_HTTP_B3F_MAX;
		dst = p->b->b3_traceid;
		break;
	case TS_HDR_B3_SPANID:
		*s = &p->b3_spanid_s;
		*cap = TS_HTTP_B3F_MAX;
		dst = p->b->b3_spanid;
		break;
	case TS_HDR_B3_SAMPLED:
		*s = &p->b3_sampled_s;
		*cap = TS_HTTP_B3F_MAX;
		dst = p->b->b3_sampled;
		break;
	case TS_HDR_B3_FLAGS:
		*s = &p->b3_flags_s;
		*cap = TS_HTTP_B3F_MAX;
		dst = p->b->b3_flags;
		break;
	case TS_HDR_UBER:
		*s = &p->uber_s;
		*cap = TS_HTTP_UBER_MAX;
		dst = p->b->uber;
		break;
	case TS_HDR_UBERCTX:
		*s = &p->uberctx_s;
		*cap = TS_HTTP_UBERCTX_MAX;
		dst = p->b->uberctx;
		break;
	case TS_HDR_XFF:
		*s = &p->xff_s;
		*cap = TS_HTTP_FWD_MAX;
		dst = p->b->xff;
		break;
	case TS_HDR_FORWARDED:
		*s = &p->forwarded_s;
		*cap = TS_HTTP_FWD_MAX;
		dst = p->b->forwarded;
		break;
	default: /* tracestate, joined from its lines */
		h = TS_HDR_TRACESTATE;
		*s = &p->tracestate_s;
		*cap = TS_HTTP_TS_MAX;
		dst = p->b->tracestate;
		break;
	}
	p->dirty |= 1u << h; /* reset_message() empties it */
	return dst;
}

/*
 * Keep one value byte.  field_len is the raw write position (it stops at
 * the cap); s->len only grows past non-white bytes, so trailing OWS is
 * trimmed without look-ahead, and only a visible byte that does not fit
 * makes the value "cut".
 */
static void capture_byte(struct ts_http_parser *p, unsigned char c)
{
	struct ts_http_str *s;
	uint16_t cap;
	char *dst = capture_dst(p, &s, &cap);
	uint16_t w = p->field_len;

	if (w < cap) {
		dst[w] = (char)c;
		p->field_len = (uint16_t)(w + 1);
		if (!is_ows(c))
			s->len = (uint16_t)(w + 1);
	} else if (!is_ows(c)) {
		s->cut = true;
	}
}

static void capture_end(struct ts_http_parser *p)
{
	struct ts_http_str *s;
	uint16_t cap;
	char *dst = capture_dst(p, &s, &cap);

	dst[s->len] = '\0';
	p->flags &= (uint8_t)~F_CAPTURE;
}

/* ---- header capture (ts_http_parser_capture) ---- */

/* `n` lowercased is `lit` (any lowercase tchars: '_' and '^' too). */
static bool lower_is(const unsigned char *n, const char *lit, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (lower(n[i]) != lit[i])
			return false;
	return true;
}

/*
 * A field name (any case, tchars) of the capture list starts a line:
 * its value is copied too, if hcap[] and hcap_buf have room (at least
 * the NUL).  Independent of everything else done with the value.
 */
static void hcap_begin(struct ts_http_parser *p, const unsigned char *n,
		       size_t len)
{
	static const struct ts_http_str empty;
	const struct ts_capture_list *l = p->capture;
	uint8_t i;

	for (i = 0; i < l->n; i++)
		if (l->len[i] == len && lower_is(n, l->name[i], len))
			break;
	if (i == l->n)
		return;
	if (p->hcap_n == TS_HTTP_HCAP_MAX ||
	    p->hcap_used + 1 >= TS_HTTP_HCAP_BYTES) {
		p->hcap_lost = true;
		return;
	}
	p->hcap_name = i;
	p->hcap_pos = 0;
	p->hcap_s = empty;
	p->flags |= F_HCAP;
}

/* Value bytes of a captured line, as capture_run() keeps them. */
static void hcap_run(struct ts_http_parser *p, const unsigned char *v,
		     size_t k)
{
	char *dst = p->b->hcap_buf + p->hcap_used;
	size_t cap = TS_HTTP_HCAP_BYTES - 1u - p->hcap_used, w = p->hcap_pos;
	size_t room = w < cap ? cap - w : 0, n = k < room ? k : room, j;

	memcpy(dst + w, v, n);
	for (j = n; j > 0; j--)
		if (!is_ows(v[j - 1]))
			break;
	if (j)
		p->hcap_s.len = (uint16_t)(w + j);
	p->hcap_pos = (uint16_t)(w + n);
	for (j = n; j < k && !p->hcap_s.cut; j++)
		if (!is_ows(v[j]))
			p->hcap_s.cut = true;
}

/* The captured line's value is complete: it becomes an hcap[] entry. */
static void hcap_end(struct ts_http_parser *p)
{
	struct ts_http_hcap *e = &p->b->hcap[p->hcap_n++];

	p->b->hcap_buf[p->hcap_used + p->hcap_s.len] = '\0';
	e->name = p->hcap_name;
	e->cut = p->hcap_s.cut;
	e->off = p->hcap_used;
	e->len = p->hcap_s.len;
	p->hcap_used = (uint16_t)(p->hcap_used + p->hcap_s.len + 1);
	p->flags &= (uint8_t)~F_HCAP;
}

/* One element of a Content-Length list ended: it must agree with all. */
static bool cl_element(struct ts_http_parser *p)
{
	if (p->content_length >= 0 && (uint64_t)p->content_length != p->scratch)
		return false;
	p->content_length = (int64_t)p->scratch;
	p->sub = CL_PRE;
	return true;
}

/* Content-Length = 1*DIGIT, or a list of identical ones (RFC 9110 8.6). */
static bool cl_byte(struct ts_http_parser *p, unsigned char c)
{
	switch (p->sub) {
	case CL_PRE:
		if (is_ows(c))
			return true;
		if (!is_digit(c))
			return false;
		p->scratch = (uint64_t)(c - '0');
		p->sub = CL_DIGITS;
		return true;
	case CL_DIGITS:
		if (is_digit(c)) {
			uint64_t d = (uint64_t)(c - '0');

			if (p->scratch > ((uint64_t)INT64_MAX - d) / 10)
				return false; /* would not fit content_length */
			p->scratch = p->scratch * 10 + d;
			return true;
		}
		if (is_ows(c)) {
			p->sub = CL_POST;
			return true;
		}
		return c == ',' && cl_element(p);
	default: /* CL_POST */
		if (is_ows(c))
			return true;
		return c == ',' && cl_element(p);
	}
}

/* A list element of Transfer-Encoding or Connection ended. */
/*
 * What one list element `t` (tchars, any case; a length over the name
 * buffer's matches nothing) says, then the list waits for the next one.
 */
TS_HOT
static void list_token(struct ts_http_parser *p, const unsigned char *t,
		       size_t len)
{
	if (p->header == TS_HDR_TRANSFER_ENCODING) {
		/* Only the last coding decides the framing. */
		p->chunked = len == 7 && name_is(t, "chunked", 7);
	} else if (len == 5 && name_is(t, "close", 5)) {
		p->conn_close = true;
	} else if (len == 7 && name_is(t, "upgrade", 7)) {
		p->conn_upgrade = true;
	} else if (len == 10 && name_is(t, "keep-alive", 10)) {
		p->flags |= F_KEEPALIVE;
	}
	p->sub = L_PRE;
}

static void list_element(struct ts_http_parser *p)
{
	list_token(p, (const unsigned char *)p->name, p->field_len);
}

/*
 * #list of tokens with optional ;parameters.  Anything odd only makes an
 * element match nothing: for a request that means "not chunked", which
 * the end of the head rejects; for a response, a close-delimited body.
 */
static void list_byte(struct ts_http_parser *p, unsigned char c)
{
	switch (p->sub) {
	case L_PRE:
		if (is_ows(c) || c == ',')
			return; /* empty elements are allowed */
		p->field_len = 0;
		if (c == ';') {
			p->sub = L_PARAM;
			return;
		}
		p->sub = L_TOKEN;
		token_add(p, c);
		return;
	case L_TOKEN:
		if (c == ',')
			list_element(p);
		else if (is_ows(c))
			p->sub = L_POST;
		else if (c == ';')
			p->sub = L_PARAM;
		else
			token_add(p, c);
		return;
	case L_POST:
		if (c == ',') {
			list_element(p);
		} else if (!is_ows(c)) {
			if (c != ';')
				p->field_len = TOKEN_NONE; /* "a b" */
			p->sub = L_PARAM;
		}
		return;
	default: /* L_PARAM */
		if (c == ',')
			list_element(p);
		return;
	}
}

/*
 * An uberctx-<key> line: "key=" is appended to the joined list now (the
 * lowercased name is in p->name, field_len bytes), the value follows as
 * it comes.  A key that does not fit is not kept at all.
 */
static void uberctx_begin(struct ts_http_parser *p)
{
	struct ts_http_str *s = &p->uberctx_s;
	size_t klen = p->field_len - 8u, need = klen + 1 + (s->len ? 1 : 0);

	p->field_len = 0;
	p->dirty |= 1u << TS_HDR_UBERCTX;
	if (s->cut || need + 1 > (size_t)TS_HTTP_UBERCTX_MAX - s->len) {
		s->cut = true; /* nothing more of this list is kept */
		return;
	}
	if (s->len)
		p->b->uberctx[s->len++] = ',';
	memcpy(p->b->uberctx + s->len, p->name + 8, klen);
	s->len = (uint16_t)(s->len + klen);
	p->b->uberctx[s->len++] = '=';
	p->b->uberctx[s->len] = '\0'; /* terminated at every step */
	p->field_len = s->len;
	p->flags |= F_CAPTURE;
}

/* The field name (p->header known) ended at ':'; prepare for its value. */
TS_HOT
static void header_begin(struct ts_http_parser *p)
{
	if (p->fields < UINT16_MAX)
		p->fields++;
	p->sub = 0;
	if (p->header != TS_HDR_UBERCTX)
		p->field_len = 0;
	uint32_t bit = 1u << p->header;

	switch (p->header) {
	case TS_HDR_HOST:
	case TS_HDR_USER_AGENT:
	case TS_HDR_B3:
	case TS_HDR_B3_TRACEID:
	case TS_HDR_B3_SPANID:
	case TS_HDR_B3_SAMPLED:
	case TS_HDR_B3_FLAGS:
	case TS_HDR_UBER:
	case TS_HDR_XFF:
	case TS_HDR_FORWARDED:
		/* Only the first line is kept. */
		if (!(p->seen & bit))
			p->flags |= F_CAPTURE;
		break;
	case TS_HDR_TRACEPARENT:
		if (p->traceparent_count == 0)
			p->flags |= F_CAPTURE;
		if (p->traceparent_count < UINT8_MAX)
			p->traceparent_count++;
		break;
	case TS_HDR_TRACESTATE:
		p->flags |= F_CAPTURE;
		p->field_len = p->tracestate_s.len; /* append */
		break;
	case TS_HDR_BAGGAGE:
		p->flags |= F_CAPTURE;
		p->field_len = p->baggage_s.len; /* append */
		break;
	case TS_HDR_UBERCTX:
		uberctx_begin(p);
		break;
	case TS_HDR_CONTENT_LENGTH:
		p->sub = CL_PRE;
		break;
	case TS_HDR_TRANSFER_ENCODING:
		p->flags |= F_TE;
		p->sub = L_PRE;
		break;
	case TS_HDR_CONNECTION:
		p->sub = L_PRE;
		break;
	case TS_HDR_UPGRADE:
		p->has_upgrade = true;
		break;
	}
	p->seen |= bit;
}

/* One byte of a field value (not CR, already a valid field byte). */
static bool value_byte(struct ts_http_parser *p, unsigned char c)
{
	if (p->flags & F_HCAP)
		hcap_run(p, &c, 1);
	switch (p->header) {
	case TS_HDR_CONTENT_LENGTH:
		return cl_byte(p, c);
	case TS_HDR_TRANSFER_ENCODING:
	case TS_HDR_CONNECTION:
		list_byte(p, c);
		return true;
	case TS_HDR_TRACESTATE:
	case TS_HDR_BAGGAGE:
		/* Several lines form one comma-joined list. */
		if (!p->sub) {
			struct ts_http_str *js;
			uint16_t cap;

			p->sub = 1;
			capture_dst(p, &js, &cap);
			if (js->len)
				capture_byte(p, ',');
		}
		capture_byte(p, c);
		return true;
	default:
		if (p->flags & F_CAPTURE)
			capture_byte(p, c);
		return true;
	}
}

/* The value ended at CR. */
TS_HOT
static bool value_end(struct ts_http_parser *p)
{
	if (p->flags & F_HCAP)
		hcap_end(p);
	if (p->flags & F_CAPTURE)
		capture_end(p);
	switch (p->header) {
	case TS_HDR_CONTENT_LENGTH:
		return p->sub != CL_PRE && cl_element(p); /* no empty element */
	case TS_HDR_TRANSFER_ENCODING:
	case TS_HDR_CONNECTION:
		if (p->sub != L_PRE)
			list_element(p);
		return true;
	default:
		return true;
	}
}

/* --- framing ------------------------------------------------------------ */

static bool is_interim(const struct ts_http_parser *p)
{
	return p->kind == TS_HTTP_RESPONSES && p->status < 200 &&
	       p->status != 101;
}

/*
 * Where the message goes after its head (RFC 9112 section 6.3), or S_DEAD
 * when its framing cannot be trusted.  A pure function of the head, so it
 * can be asked at the empty line's CR (to refuse before HEADERS_END) and
 * again at its LF.
 */
TS_HOT
static uint8_t body_state(const struct ts_http_parser *p)
{
	if (p->kind == TS_HTTP_REQUESTS) {
		if (p->flags & F_TE)
			return p->chunked ? S_CHUNK_SIZE0 : S_DEAD;
		return p->content_length > 0 ? S_BODY_CL : S_END_PENDING;
	}
	if (p->status == 101)
		return S_END_UPGRADE_PENDING;
	if (p->status < 200)
		return S_END_PENDING; /* interim; the final one follows */
	if ((p->expect & TS_HTTP_EXPECT_CONNECT) && p->status / 100 == 2)
		return S_END_UPGRADE_PENDING; /* now a tunnel */
	if ((p->expect & TS_HTTP_EXPECT_NO_BODY) || p->status == 204 ||
	    p->status == 304)
		return S_END_PENDING;
	if (p->flags & F_TE)
		return p->chunked ? S_CHUNK_SIZE0 : S_BODY_CLOSE;
	if (p->content_length >= 0)
		return p->content_length > 0 ? S_BODY_CL : S_END_PENDING;
	return S_BODY_CLOSE;
}

/*
 * The empty line's LF was consumed: settle the results, enter the body
 * (`body`: body_state(), which does not depend on what this changes).
 */
static void head_done_as(struct ts_http_parser *p, uint8_t body)
{
	if (p->version_minor == 0 && !(p->flags & F_KEEPALIVE))
		p->conn_close = true;
	p->state = body;
	p->remaining = p->state == S_BODY_CL ? (uint64_t)p->content_length : 0;
	p->scratch = 0;
	p->field_len = 0;
}

static void head_done(struct ts_http_parser *p)
{
	head_done_as(p, body_state(p));
}

/* MSG_END is being reported. */
static void end_message(struct ts_http_parser *p)
{
	p->state = S_IDLE;
	if (p->kind == TS_HTTP_REQUESTS &&
	    (p->has_upgrade || !memcmp(p->b->method, "CONNECT", 8))) {
		__atomic_store_n(&p->released, 0, __ATOMIC_RELAXED);
		p->state = S_HOLD;
	}
	/* The flags described the request this final response answers. */
	if (p->kind == TS_HTTP_RESPONSES && !is_interim(p))
		p->expect = 0;
}

/* --- start line and header block ---------------------------------------- */

/*
 * A bare LF where a line's CR belongs (RFC 9112 section 2.2: a recipient
 * MAY take a lone LF as the line terminator, and nginx, Apache, Go,
 * python and curl do; hand-written services print "\n").  It is taken as
 * if the CR had come: the state that expects the LF looks at it again.
 * A CR not followed by LF is still refused.
 */
static enum step bare_lf(struct ts_http_parser *p, uint8_t lf_state)
{
	p->state = lf_state;
	return STEP_AGAIN;
}

/* "HTTP/1.0" or "HTTP/1.1", then `after`. */
static enum step version_byte(struct ts_http_parser *p, unsigned char c,
			      unsigned char after)
{
	static const char lit[] = "HTTP/1.";

	if (p->sub < sizeof(lit) - 1) {
		if (c != (unsigned char)lit[p->sub])
			return STEP_FAIL;
		p->sub++;
		return STEP_NEXT;
	}
	if (p->sub == sizeof(lit) - 1) {
		if (c != '0' && c != '1')
			return STEP_FAIL;
		p->version_minor = (uint8_t)(c - '0');
		p->sub++;
		return STEP_NEXT;
	}
	if (c == '\n' && after == '\r') {
		p->sub = 0;
		return bare_lf(p, S_LINE_LF);
	}
	if (c != after)
		return STEP_FAIL;
	p->sub = 0;
	p->state = after == '\r' ? S_LINE_LF : S_STATUS;
	return STEP_NEXT;
}

static enum step start_byte(struct ts_http_parser *p, unsigned char c,
			    enum ts_http_event *ev)
{
	if (p->kind == TS_HTTP_REQUESTS) {
		if (c == '\r') {
			p->state = S_LEAD_LF; /* RFC 9112 2.2: skip it */
			return STEP_NEXT;
		}
		if (c == '\n')
			return bare_lf(p, S_LEAD_LF);
		if (!is_tchar(c))
			return STEP_FAIL;
		p->dirty |= DIRTY_LINE; /* method and target are written */
		p->state = S_METHOD;
	} else {
		if (c != 'H')
			return STEP_FAIL;
		p->state = S_RESP_VERSION;
	}
	*ev = TS_HTTP_EV_MSG_BEGIN;
	return STEP_BEFORE;
}

static enum step request_line_byte(struct ts_http_parser *p, unsigned char c)
{
	switch (p->state) {
	case S_METHOD:
		if (is_tchar(c)) {
			if (p->field_len == TS_HTTP_METHOD_MAX)
				return STEP_FAIL;
			p->b->method[p->field_len++] = (char)c;
			p->b->method[p->field_len] = '\0'; /* see reset_message() */
			return STEP_NEXT;
		}
		if (c != ' ' || p->field_len == 0)
			return STEP_FAIL;
		p->state = S_TARGET;
		return STEP_NEXT;
	case S_TARGET:
		if (c == ' ') {
			if (!p->target_s.len)
				return STEP_FAIL; /* empty target */
			p->state = S_REQ_VERSION;
			p->sub = 0;
			return STEP_NEXT;
		}
		if (!(ts_http_cls[c] & C_VCHAR))
			return STEP_FAIL;
		if (p->target_s.len < TS_HTTP_TARGET_MAX) {
			p->b->target[p->target_s.len++] = (char)c;
			p->b->target[p->target_s.len] = '\0';
		} else
			p->target_s.cut = true;
		return STEP_NEXT;
	default: /* S_REQ_VERSION */
		return version_byte(p, c, '\r');
	}
}

/* A byte of what is passed over to the end of a line (a reason phrase,
 * an obs-fold line): field bytes, then CRLF or a bare LF. */
static enum step line_rest_byte(struct ts_http_parser *p, unsigned char c)
{
	if (c == '\r') {
		p->state = S_LINE_LF;
		return STEP_NEXT;
	}
	if (c == '\n')
		return bare_lf(p, S_LINE_LF);
	return is_field(c) ? STEP_NEXT : STEP_FAIL;
}

static enum step status_line_byte(struct ts_http_parser *p, unsigned char c)
{
	switch (p->state) {
	case S_RESP_VERSION:
		return version_byte(p, c, ' ');
	case S_STATUS:
		if (p->sub < 3) {
			if (!is_digit(c) || (p->sub == 0 && c == '0'))
				return STEP_FAIL;
			p->status = (uint16_t)(p->status * 10 + (c - '0'));
			p->sub++;
			return STEP_NEXT;
		}
		if (c == ' ') {
			p->state = S_REASON;
			return STEP_NEXT;
		}
		if (c == '\n')
			return bare_lf(p, S_LINE_LF);
		if (c != '\r')
			return STEP_FAIL;
		p->state = S_LINE_LF; /* "HTTP/1.1 200" CRLF: tolerated */
		return STEP_NEXT;
	default: /* S_REASON */
		return line_rest_byte(p, c);
	}
}

/* A field line begins, p->header its name's: may an obs-fold follow?
 * (User-Agent's value is recorded up to the fold.) */
static inline void fold_ok(struct ts_http_parser *p)
{
	if (p->header == TS_HDR_OTHER || p->header == TS_HDR_USER_AGENT)
		p->flags |= F_FOLD_OK;
	else
		p->flags &= (uint8_t)~F_FOLD_OK;
}

static enum step field_byte(struct ts_http_parser *p, unsigned char c,
			    enum ts_http_event *ev)
{
	switch (p->state) {
	case S_LINE_START:
		if (c == '\r' || c == '\n') {
			/* Refuse now rather than after HEADERS_END. */
			if (p->header_bytes + (c == '\r' ? 2 : 1) >
				    p->max_header_bytes ||
			    body_state(p) == S_DEAD)
				return STEP_FAIL;
			p->state = S_HEAD_CR;
			if (!p->edit_events)
				return STEP_AGAIN;
			*ev = TS_HTTP_EV_HEADERS_END;
			return STEP_BEFORE;
		}
		/*
		 * obs-fold (RFC 9112 section 5.2): a line starting with white
		 * space continues the last field's value.  Senders may not
		 * make one, but old servers do, and a recipient replaces it
		 * by a space.  One continuing a field the shim does not read
		 * changes nothing here: it is passed over.  One continuing a
		 * field it reads (framing, trace context) is refused: its
		 * value would not be what the peer takes.
		 */
		if ((c == ' ' || c == '\t') && (p->flags & F_FOLD_OK)) {
			p->state = S_FOLD;
			return STEP_NEXT;
		}
		if (!is_tchar(c))
			return STEP_FAIL; /* empty name, junk */
		p->field_len = 0;
		p->state = S_NAME;
		return STEP_AGAIN;
	case S_NAME:
		if (is_tchar(c)) {
			token_add(p, c);
			return STEP_NEXT;
		}
		if (c != ':')
			return STEP_FAIL; /* includes white space before ':' */
		/* field_len is TOKEN_NONE for a name too long to be known. */
		p->header = known_header((const unsigned char *)p->name,
					 p->field_len);
		fold_ok(p);
		if (p->capture)
			hcap_begin(p, (const unsigned char *)p->name,
				   p->field_len);
		header_begin(p);
		p->state = S_OWS;
		return STEP_NEXT;
	case S_OWS:
		if (is_ows(c))
			return STEP_NEXT;
		p->state = S_VALUE;
		if (!value_event_due(p))
			return STEP_AGAIN;
		*ev = TS_HTTP_EV_HEADER_VALUE;
		return STEP_BEFORE;
	case S_FOLD:
		return line_rest_byte(p, c);
	default: /* S_VALUE */
		if (c == '\r' || c == '\n') {
			if (!value_end(p))
				return STEP_FAIL;
			if (c == '\n')
				return bare_lf(p, S_LINE_LF);
			p->state = S_LINE_LF;
			return STEP_NEXT;
		}
		if (!is_field(c) || !value_byte(p, c))
			return STEP_FAIL;
		return STEP_NEXT;
	}
}

/*
 * The head is refused part way (over max_header_bytes, or junk): a value
 * it was taking is not whole, and says so.  (The send side still records
 * what such a head said when its span had begun.)
 */
static void cut_partial(struct ts_http_parser *p)
{
	if (p->state == S_TARGET) {
		p->target_s.cut = true;
	} else if (p->state == S_OWS || p->state == S_VALUE) {
		if (p->header == TS_HDR_HOST)
			p->host_s.cut = true;
		else if (p->header == TS_HDR_USER_AGENT)
			p->user_agent_s.cut = true;
	}
}

/* One byte of the head; header_bytes is counted by the caller.  Not
 * inlined: the runs take whole heads, and the byte path kept apart keeps
 * ts_http_feed()'s own code, run on every call, a few cache lines. */
static __attribute__((noinline)) enum step
head_byte(struct ts_http_parser *p, unsigned char c, enum ts_http_event *ev)
{
	switch (p->state) {
	case S_START:
		return start_byte(p, c, ev);
	case S_LEAD_LF:
		if (c != '\n')
			return STEP_FAIL;
		p->state = S_START;
		return STEP_NEXT;
	case S_METHOD:
	case S_TARGET:
	case S_REQ_VERSION:
		return request_line_byte(p, c);
	case S_RESP_VERSION:
	case S_STATUS:
	case S_REASON:
		return status_line_byte(p, c);
	case S_LINE_LF:
		if (c != '\n')
			return STEP_FAIL;
		p->header = TS_HDR_OTHER;
		p->state = S_LINE_START;
		return STEP_NEXT;
	case S_HEAD_CR:
		/* The byte HEADERS_END was reported before. */
		if (c == '\n')
			return bare_lf(p, S_HEAD_LF);
		if (c != '\r')
			return STEP_FAIL;
		p->state = S_HEAD_LF;
		return STEP_NEXT;
	case S_HEAD_LF:
		if (c != '\n')
			return STEP_FAIL;
		head_done(p);
		*ev = TS_HTTP_EV_HEADERS_DONE;
		return STEP_AFTER;
	default:
		return field_byte(p, c, ev);
	}
}

/* --- chunked body ------------------------------------------------------- */

static enum step chunk_size_byte(struct ts_http_parser *p, unsigned char c)
{
	int v = hex_value(c);

	if (++p->field_len > CHUNK_LINE_MAX)
		return STEP_FAIL;
	switch (p->state) {
	case S_CHUNK_SIZE0:
		if (v < 0)
			return STEP_FAIL;
		p->scratch = (uint64_t)v;
		p->state = S_CHUNK_SIZE;
		return STEP_NEXT;
	case S_CHUNK_SIZE:
		if (v >= 0) {
			if (p->scratch > (uint64_t)INT64_MAX >> 4)
				return STEP_FAIL;
			p->scratch = p->scratch << 4 | (uint64_t)v;
			return STEP_NEXT;
		}
		if (c == ';' || is_ows(c)) {
			p->state = S_CHUNK_EXT;
			return STEP_NEXT;
		}
		break;
	default: /* S_CHUNK_EXT */
		if (is_field(c))
			return STEP_NEXT;
		break;
	}
	if (c == '\n')
		return bare_lf(p, S_CHUNK_LF);
	if (c != '\r')
		return STEP_FAIL;
	p->state = S_CHUNK_LF;
	return STEP_NEXT;
}

/*
 * Trailer fields are only checked for line structure and counted against
 * max_header_bytes (in `scratch`); nothing in them is captured.
 */
static enum step trailer_byte(struct ts_http_parser *p, unsigned char c,
			      enum ts_http_event *ev)
{
	if (p->scratch++ >= p->max_header_bytes)
		return STEP_FAIL;
	switch (p->state) {
	case S_TRAILER_START:
		if (c == '\r') {
			p->state = S_TRAILER_END_LF;
			return STEP_NEXT;
		}
		if (c == '\n') {
			p->scratch--; /* counted when the LF is looked at again */
			return bare_lf(p, S_TRAILER_END_LF);
		}
		if (!is_tchar(c))
			return STEP_FAIL;
		p->state = S_TRAILER_LINE;
		return STEP_NEXT;
	case S_TRAILER_LINE:
		if (c == '\r') {
			p->state = S_TRAILER_LF;
			return STEP_NEXT;
		}
		if (c == '\n') {
			p->scratch--;
			return bare_lf(p, S_TRAILER_LF);
		}
		return is_field(c) ? STEP_NEXT : STEP_FAIL;
	case S_TRAILER_LF:
		if (c != '\n')
			return STEP_FAIL;
		p->state = S_TRAILER_START;
		return STEP_NEXT;
	default: /* S_TRAILER_END_LF */
		if (c != '\n')
			return STEP_FAIL;
		end_message(p);
		*ev = TS_HTTP_EV_MSG_END;
		return STEP_AFTER;
	}
}

static __attribute__((noinline)) enum step
chunk_byte(struct ts_http_parser *p, unsigned char c, enum ts_http_event *ev)
{
	switch (p->state) {
	case S_CHUNK_SIZE0:
	case S_CHUNK_SIZE:
	case S_CHUNK_EXT:
		return chunk_size_byte(p, c);
	case S_CHUNK_LF:
		if (c != '\n')
			return STEP_FAIL;
		p->field_len = 0;
		if (p->scratch == 0) {
			p->state = S_TRAILER_START; /* last-chunk */
			return STEP_NEXT;
		}
		p->remaining = p->scratch;
		p->scratch = 0;
		p->state = S_CHUNK_DATA;
		return STEP_NEXT;
	case S_CHUNK_DATA_CR:
		if (c == '\n')
			return bare_lf(p, S_CHUNK_DATA_LF);
		if (c != '\r')
			return STEP_FAIL;
		p->state = S_CHUNK_DATA_LF;
		return STEP_NEXT;
	case S_CHUNK_DATA_LF:
		if (c != '\n')
			return STEP_FAIL;
		p->state = S_CHUNK_SIZE0;
		return STEP_NEXT;
	default:
		return trailer_byte(p, c, ev);
	}
}

/* --- driver ------------------------------------------------------------- */

/* Body bytes counted by a length: skip as many as this buffer holds. */
static size_t skip_counted(struct ts_http_parser *p, size_t avail)
{
	size_t n = p->remaining < avail ? (size_t)p->remaining : avail;

	p->remaining -= n;
	p->body_bytes += n;
	return n;
}

/* --- fast paths: runs of ordinary head bytes ---------------------------- */

/* Length of the run of bytes of class `cls` at s[0..n). */
static size_t run_len(const unsigned char *s, size_t n, uint8_t cls)
{
	size_t i = 0;

	while (i < n && (ts_http_cls[s[i]] & cls))
		i++;
	return i;
}

/*
 * The same for C_FIELD and C_VCHAR, eight bytes at a time while no byte
 * of a word can be outside the class (classic word-at-a-time tests: a
 * byte below `n`, a byte equal to 0x7f, a byte with its top bit set; each
 * test is exact about whether such a byte exists).  A word that may hold
 * one (HT in a value is allowed, but below 0x20) is finished bytewise.
 */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

TS_HOT
static size_t run_field(const unsigned char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = load_n(s + i, 8);

		/* Bytes >= 0x80 are obs-text (allowed): ~x clears them. */
		if (HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * 0x7f)))
			break;
	}
	return i + run_len(s + i, n - i, C_FIELD);
}

static size_t run_vchar(const unsigned char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = load_n(s + i, 8);

		if (HAS_LESS(x, 0x21) | HAS_ZERO(x ^ (ONES * 0x7f)))
			break;
	}
	return i + run_len(s + i, n - i, C_VCHAR);
}

/* run_vchar(), sixteen bytes at a time: where the target's bytes end. */
TS_HOT
static size_t vchar_end(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, sp), x),
					   _mm_cmpeq_epi8(x, del));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);

		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
#endif
	return i + run_vchar(s + i, n - i);
}

/*
 * run_len(s, n, C_TCHAR), sixteen bytes at a time over the letters,
 * digits and '-' that header names are made of; the first other byte is
 * looked up in the table (the rarer tchars continue bytewise).
 */
static inline __attribute__((always_inline)) size_t
tchar_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i b20 = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a');
	const __m128i c25 = _mm_set1_epi8(25), c9 = _mm_set1_epi8(9);
	const __m128i zero = _mm_set1_epi8('0'), dash = _mm_set1_epi8('-');

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i l = _mm_sub_epi8(_mm_or_si128(x, b20), a);
		__m128i d = _mm_sub_epi8(x, zero);
		__m128i ok = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, c25), l),
				     _mm_cmpeq_epi8(_mm_min_epu8(d, c9), d)),
			_mm_cmpeq_epi8(x, dash));
		unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;

		if (m) {
			i += (unsigned)__builtin_ctz(m);
			if (!is_tchar(s[i]))
				return i;
			break;
		}
	}
#endif
	return i + run_len(s + i, n - i, C_TCHAR);
}

/*
 * Where the field-value bytes from s[0] end (the first byte that is a
 * control other than HT, or DEL: at the end of a line, its CR), or n:
 * run_field(), sixteen bytes at a time.
 */
static inline __attribute__((always_inline)) size_t
field_end(const unsigned char *s, size_t n)
{
#ifdef __SSE2__
	const __m128i c1f = _mm_set1_epi8(0x1f), ht = _mm_set1_epi8('\t');
	const __m128i del = _mm_set1_epi8(0x7f);
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);
		__m128i bad = _mm_or_si128(
			_mm_andnot_si128(_mm_cmpeq_epi8(x, ht), ctl),
			_mm_cmpeq_epi8(x, del));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);

		if (m)
			return i + (unsigned)__builtin_ctz(m);
	}
	return i + run_field(s + i, n - i);
#else
	return run_field(s, n);
#endif
}

#undef HAS_ZERO
#undef HAS_LESS

/*
 * A run of value bytes of a captured header: the same as capture_byte()
 * on each of them, in bulk.  s->len ends after the last non-white byte
 * kept, and any visible byte past the cap makes the value "cut".
 */
TS_HOT
static void capture_run(struct ts_http_parser *p, const unsigned char *s,
			size_t k)
{
	struct ts_http_str *str;
	uint16_t cap;
	char *dst = capture_dst(p, &str, &cap);
	size_t w = p->field_len, room = w < cap ? cap - w : 0;
	size_t n = k < room ? k : room, j;

	memcpy(dst + w, s, n);
	for (j = n; j > 0; j--)
		if (!is_ows(s[j - 1]))
			break;
	if (j)
		str->len = (uint16_t)(w + j);
	p->field_len = (uint16_t)(w + n);
	for (j = n; j < k && !str->cut; j++)
		if (!is_ows(s[j]))
			str->cut = true;
}

/* s[0..7) is "HTTP/1." (the caller knows 7 bytes are there): one load. */
static inline bool is_http1(const unsigned char *s)
{
	return load_n(s, 7) == load_n("HTTP/1.", 7);
}

/* "HTTP/1.0" or "HTTP/1.1" and then `after`, whole in one buffer. */
static size_t version_run(struct ts_http_parser *p, const unsigned char *s,
			  size_t avail, unsigned char after)
{
	if (p->sub || avail < 9 || !is_http1(s) ||
	    (s[7] != '0' && s[7] != '1') || s[8] != after)
		return 0; /* the byte-at-a-time path decides */
	p->version_minor = (uint8_t)(s[7] - '0');
	p->state = after == '\r' ? S_LINE_LF : S_STATUS;
	return 9;
}

/*
 * The usual framing values in one go: Content-Length of up to 18 digits
 * (no overflow possible), or a Connection / Transfer-Encoding list of one
 * plain token.  Leaves the results cl_byte() / list_byte() and then
 * value_end() would after the same bytes; false (nothing changed) for
 * anything else.
 */
static bool plain_framing_value(struct ts_http_parser *p,
				const unsigned char *v, size_t len)
{
	size_t j;

	if (!len)
		return false;
	if (p->header == TS_HDR_CONTENT_LENGTH) {
		uint64_t x = 0;

		if (len > 18)
			return false;
		for (j = 0; j < len; j++) {
			if (!is_digit(v[j]))
				return false;
			x = x * 10 + (uint64_t)(v[j] - '0');
		}
		p->scratch = x;
		p->sub = CL_DIGITS;
		return true;
	}
	if (run_len(v, len, C_TCHAR) != len)
		return false;
	/* One token: what list_element() makes of it at the value's end,
	 * now (the list is then done; value_end() has nothing left). */
	list_token(p, v, len);
	return true;
}

/*
 * A whole field line "name: value CRLF" in the buffer, when no event falls
 * inside it (no HEADER_VALUE due).  Exactly what the byte-at-a-time path
 * does, line at a time.  Returns the bytes consumed: the line, or 0 when
 * the line is not whole or not plain (the byte-at-a-time path then takes
 * it, refusing what must be refused).  A framing value is fed to the same
 * per-byte checks; if one refuses a byte, we stop right before it with the
 * state the byte-at-a-time path would have there (the checks change
 * nothing when they refuse), and that path refuses it again.
 */
static size_t line_run(struct ts_http_parser *p, const unsigned char *s,
		       size_t end)
{
	size_t n, k, v, v0, j;
	bool hcap;

	k = tchar_run(s, end);
	if (!k || k == end || s[k] != ':')
		return 0;
	v = k + 1;
	if (v < end && s[v] == ' ')
		v++; /* the usual one */
	while (v < end && is_ows(s[v]))
		v++;
	/* The first byte a value may not hold must be the line's CR. */
	n = v + field_end(s + v, end - v) + 2; /* the line with its CRLF */
	if (n > end || s[n - 2] != '\r' || s[n - 1] != '\n')
		return 0; /* not whole, or refused bytewise */
	p->header = known_header(s, k);
	fold_ok(p);
	if (p->header == TS_HDR_OTHER && !p->capture) {
		/* header_begin() and value_end() of a line nobody reads */
		if (p->fields < UINT16_MAX)
			p->fields++;
		p->sub = 0;
		p->field_len = 0;
		p->seen |= 1u << TS_HDR_OTHER;
		p->state = S_LINE_START;
		p->header_bytes += n;
		return n;
	}
	if (p->capture)
		hcap_begin(p, s, k);
	if (p->header == TS_HDR_UBERCTX) { /* its key is taken from p->name */
		for (j = 0; j < k; j++)
			p->name[j] = lower(s[j]);
		p->field_len = (uint16_t)k;
	}
	header_begin(p);
	if (value_event_due(p)) {
		/* Stop at ':' (the name is taken): the event is due inside,
		 * and the value goes byte at a time (captured as it goes). */
		p->state = S_OWS;
		p->header_bytes += k + 1;
		return k + 1;
	}
	/*
	 * Header capture takes the value bytes the byte-at-a-time path
	 * would have taken by the same point: all of them, or those before
	 * a refused byte (which that path then takes and refuses).
	 */
	hcap = p->flags & F_HCAP;
	p->flags &= (uint8_t)~F_HCAP;
	v0 = v;
	switch (p->header) {
	case TS_HDR_CONTENT_LENGTH:
	case TS_HDR_TRANSFER_ENCODING:
	case TS_HDR_CONNECTION:
		if (plain_framing_value(p, s + v, n - 2 - v))
			break;
		for (j = v; j < n - 2; j++)
			if (!value_byte(p, s[j]))
				goto out_refused;
		break;
	case TS_HDR_TRACESTATE:
	case TS_HDR_BAGGAGE:
		if (v < n - 2)
			value_byte(p, s[v++]); /* the joining ',' */
		/* fall through */
	default:
		if (p->flags & F_CAPTURE)
			capture_run(p, s + v, n - 2 - v);
		break;
	}
	j = n - 2;
	if (hcap) {
		p->flags |= F_HCAP;
		hcap_run(p, s + v0, j - v0);
	}
	if (!value_end(p))
		goto out_refused_hcap_done;
	p->header = TS_HDR_OTHER;
	p->state = S_LINE_START;
	p->header_bytes += n;
	return n;
out_refused:
	if (hcap) {
		p->flags |= F_HCAP;
		hcap_run(p, s + v0, j - v0);
	}
out_refused_hcap_done:
	p->state = S_VALUE;
	p->header_bytes += j;
	return j;
}

/* Three status digits and what follows them, whole in one buffer. */
static size_t status_run(struct ts_http_parser *p, const unsigned char *s,
			 size_t avail)
{
	if (p->sub || avail < 4 || s[0] < '1' || s[0] > '9' ||
	    !is_digit(s[1]) || !is_digit(s[2]) || (s[3] != ' ' && s[3] != '\r'))
		return 0;
	p->status = (uint16_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 +
			       (s[2] - '0'));
	p->sub = 3;
	p->state = s[3] == ' ' ? S_REASON : S_LINE_LF;
	return 4;
}

/*
 * Whole plain field lines, one after another, then the empty line: when
 * it is whole, no HEADERS_END is due before it and the head's framing
 * holds, the head is done (the caller sees the state and reports
 * HEADERS_DONE).  Stops at anything else, which the byte-at-a-time path
 * takes.  `end` keeps it all within max_header_bytes.
 */
TS_HOT
static size_t lines_run(struct ts_http_parser *p, const unsigned char *s,
			size_t end)
{
	size_t k = 0, j;

	while (k < end && s[k] != '\r' && p->state == S_LINE_START &&
	       (j = line_run(p, s + k, end - k)) != 0)
		k += j;
	if (!p->edit_events && p->state == S_LINE_START && k + 2 <= end &&
	    s[k] == '\r' && s[k + 1] == '\n') {
		uint8_t body = body_state(p);

		if (body != S_DEAD) {
			p->header_bytes += 2;
			head_done_as(p, body);
			k += 2;
		}
	}
	return k;
}

/*
 * A whole plain request line "method SP target SP HTTP/1.x CRLF" from its
 * first byte: the state the byte-at-a-time path leaves after its LF, or 0
 * (nothing changed) for anything else, which that path then takes.
 */
static size_t request_line_run(struct ts_http_parser *p,
			       const unsigned char *s, size_t end)
{
	size_t m = tchar_run(s, end), t, v;

	if (!m || m > TS_HTTP_METHOD_MAX || m + 1 >= end || s[m] != ' ')
		return 0;
	t = m + 1;
	v = t + vchar_end(s + t, end - t);
	if (v == t || v + 11 > end || s[v] != ' ' ||
	    !is_http1(s + v + 1) ||
	    (s[v + 8] != '0' && s[v + 8] != '1') || s[v + 9] != '\r' ||
	    s[v + 10] != '\n')
		return 0;
	memcpy(p->b->method, s, m);
	p->b->method[m] = '\0';
	p->field_len = (uint16_t)m;
	p->target_s.cut = v - t > TS_HTTP_TARGET_MAX;
	p->target_s.len = (uint16_t)(p->target_s.cut ? TS_HTTP_TARGET_MAX
						     : v - t);
	memcpy(p->b->target, s + t, p->target_s.len);
	p->b->target[p->target_s.len] = '\0';
	p->version_minor = (uint8_t)(s[v + 8] - '0');
	p->sub = 0;
	p->header = TS_HDR_OTHER;
	p->state = S_LINE_START;
	p->header_bytes += v + 11;
	return v + 11;
}

/*
 * A whole plain status line "HTTP/1.x SP 3DIGIT [SP reason] CRLF" from
 * its first byte, as request_line_run().
 */
static size_t status_line_run(struct ts_http_parser *p,
			      const unsigned char *s, size_t end)
{
	size_t r;

	if (p->sub || end < 14 || !is_http1(s) ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ' || s[9] < '1' ||
	    s[9] > '9' || !is_digit(s[10]) || !is_digit(s[11]))
		return 0;
	if (s[12] == ' ')
		r = 13 + field_end(s + 13, end - 13);
	else if (s[12] == '\r')
		r = 12;
	else
		return 0;
	if (r + 2 > end || s[r] != '\r' || s[r + 1] != '\n')
		return 0;
	p->version_minor = (uint8_t)(s[7] - '0');
	p->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 +
			       (s[11] - '0'));
	p->sub = 3;
	p->header = TS_HDR_OTHER;
	p->state = S_LINE_START;
	p->header_bytes += r + 2;
	return r + 2;
}

/*
 * Most bytes of a head are method, target, reason phrase, field names and
 * field values: take a whole run of them at once, with exactly the effect
 * the byte-at-a-time path would have.  The run stops at the first byte
 * that is not an ordinary one (a delimiter, or junk), which the
 * byte-at-a-time path then handles; so do the rare cases (a value of a
 * framing header, a token at its length limit).  Returns the bytes
 * consumed (0: none), counted in header_bytes and never past
 * max_header_bytes.
 */
static size_t head_run(struct ts_http_parser *p, const unsigned char *s,
		       size_t avail)
{
	uint64_t room = p->max_header_bytes - p->header_bytes;
	size_t end = room < avail ? (size_t)room : avail, k = 0, j;

	switch (p->state) {
	case S_METHOD:
		if (!p->field_len && (k = request_line_run(p, s, end)) != 0)
			return k + lines_run(p, s + k, end - k);
		k = run_len(s, end, C_TCHAR);
		if (k > (size_t)TS_HTTP_METHOD_MAX - p->field_len)
			k = (size_t)TS_HTTP_METHOD_MAX - p->field_len;
		memcpy(p->b->method + p->field_len, s, k);
		p->field_len = (uint16_t)(p->field_len + k);
		p->b->method[p->field_len] = '\0'; /* see reset_message() */
		break;
	case S_TARGET:
		k = vchar_end(s, end);
		j = TS_HTTP_TARGET_MAX - p->target_s.len;
		if (k > j)
			p->target_s.cut = true;
		j = k < j ? k : j;
		memcpy(p->b->target + p->target_s.len, s, j);
		p->target_s.len = (uint16_t)(p->target_s.len + j);
		p->b->target[p->target_s.len] = '\0';
		break;
	case S_REQ_VERSION:
		k = version_run(p, s, end, '\r');
		break;
	case S_RESP_VERSION:
		if ((k = status_line_run(p, s, end)) != 0)
			return k + lines_run(p, s + k, end - k);
		k = version_run(p, s, end, ' ');
		break;
	case S_STATUS:
		k = status_run(p, s, end);
		break;
	case S_REASON:
		k = field_end(s, end);
		break;
	case S_LINE_START:
		return lines_run(p, s, end); /* counts header_bytes itself */
	case S_NAME:
		k = run_len(s, end, C_TCHAR);
		if (p->field_len + k <= sizeof(p->name)) {
			for (j = 0; j < k; j++)
				p->name[p->field_len + j] = lower(s[j]);
			p->field_len = (uint16_t)(p->field_len + k);
		} else if (k) {
			p->field_len = TOKEN_NONE;
		}
		break;
	case S_VALUE:
		switch (p->header) {
		case TS_HDR_CONTENT_LENGTH:
		case TS_HDR_TRANSFER_ENCODING:
		case TS_HDR_CONNECTION:
			return 0; /* short, and they matter for framing */
		case TS_HDR_TRACESTATE:
		case TS_HDR_BAGGAGE:
			if (!p->sub)
				return 0; /* its first byte may add a ',' */
			break;
		}
		k = field_end(s, end);
		if (p->flags & F_CAPTURE)
			capture_run(p, s, k);
		if (p->flags & F_HCAP)
			hcap_run(p, s, k);
		break;
	}
	p->header_bytes += k;
	return k;
}

/* Events due without consuming anything, or NONE. */
static enum ts_http_event pending_event(struct ts_http_parser *p)
{
	switch (p->state) {
	case S_END_PENDING:
		end_message(p);
		return TS_HTTP_EV_MSG_END;
	case S_END_UPGRADE_PENDING:
		end_message(p);
		p->state = S_UPGRADE_PENDING;
		return TS_HTTP_EV_MSG_END;
	case S_UPGRADE_PENDING:
		p->state = S_DEAD;
		return TS_HTTP_EV_UPGRADE;
	default:
		return TS_HTTP_EV_NONE;
	}
}

TS_HOT
size_t ts_http_feed(struct ts_http_parser *p, const char *buf, size_t len,
		    enum ts_http_event *ev)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, k;

	*ev = pending_event(p);
	if (*ev != TS_HTTP_EV_NONE || !len)
		return 0; /* len 0: nothing due but what is pending */
	switch (p->state) {
	case S_DEAD:
	case S_CLOSED:
		return len;
	case S_BODY_CLOSE:
		p->body_bytes += len;
		return len;
	case S_HOLD:
		if (!__atomic_load_n(&p->released, __ATOMIC_ACQUIRE)) {
			p->state = S_DEAD;
			*ev = TS_HTTP_EV_NOT_HTTP;
			return 0;
		}
		p->state = S_IDLE;
		break;
	}

	while (i < len) {
		enum step r;
		bool head = p->state <= S_HEAD_LF;

		if (p->state == S_IDLE) {
			reset_message(p);
			p->state = S_START;
		}
		if (p->state == S_BODY_CL || p->state == S_CHUNK_DATA) {
			i += skip_counted(p, len - i);
			if (p->remaining)
				continue; /* i == len */
			if (p->state == S_CHUNK_DATA) {
				p->state = S_CHUNK_DATA_CR;
				continue;
			}
			end_message(p);
			*ev = TS_HTTP_EV_MSG_END;
			return i;
		}
		if (head && p->header_bytes >= p->max_header_bytes) {
			r = STEP_FAIL;
		} else if (head && (k = head_run(p, s + i, len - i)) != 0) {
			i += k;
			if (p->state > S_HEAD_LF) { /* it took the empty line */
				*ev = TS_HTTP_EV_HEADERS_DONE;
				return i;
			}
			continue;
		} else if (head) {
			r = head_byte(p, s[i], ev);
		} else {
			r = chunk_byte(p, s[i], ev);
		}

		switch (r) {
		case STEP_NEXT:
			p->header_bytes += head;
			i++;
			break;
		case STEP_AGAIN:
			break;
		case STEP_BEFORE:
			return i;
		case STEP_AFTER:
			p->header_bytes += head;
			return i + 1;
		case STEP_FAIL:
			if (head)
				cut_partial(p);
			p->state = S_DEAD;
			*ev = TS_HTTP_EV_NOT_HTTP;
			return i;
		}
	}
	return len;
}

/*
 * Beyond the header's contract: a body-less message whose MSG_END is
 * still pending (a caller that stopped at len == 0) also ends here, so
 * that MSG_END is not lost.  Either way the parser then ignores the rest.
 */
bool ts_http_eof(struct ts_http_parser *p)
{
	switch (p->state) {
	case S_BODY_CLOSE:
	case S_END_PENDING:         /* caller stopped before this MSG_END */
	case S_END_UPGRADE_PENDING:
		end_message(p);
		p->state = S_CLOSED;
		return true;
	default:
		return false;
	}
}

TS_HOT
bool ts_http_in_message(const struct ts_http_parser *p)
{
	return p->state >= S_METHOD && p->state <= S_END_UPGRADE_PENDING;
}

bool ts_http_in_body(const struct ts_http_parser *p)
{
	return p->state >= S_BODY_CL && p->state <= S_END_UPGRADE_PENDING;
}

TS_HOT
bool ts_http_is_dead(const struct ts_http_parser *p)
{
	return p->state == S_DEAD;
}

bool ts_http_skip_body(struct ts_http_parser *p, uint64_t n)
{
	if (n == 0)
		return true;
	if (p->state == S_BODY_CLOSE) {
		p->body_bytes += n;
		return true;
	}
	if (p->state == S_BODY_CL && n <= p->remaining) {
		p->remaining -= n;
		p->body_bytes += n;
		if (!p->remaining)
			p->state = S_END_PENDING; /* reported by the next feed */
		return true;
	}
	/* Data of the current chunk (lighttpd writes the chunk-size line,
	 * sends the data from a file, then writes the CRLF): its framing
	 * is still seen; the CRLF after the data is due next. */
	if (p->state == S_CHUNK_DATA && n <= p->remaining) {
		p->remaining -= n;
		p->body_bytes += n;
		if (!p->remaining)
			p->state = S_CHUNK_DATA_CR;
		return true;
	}
	p->state = S_DEAD;
	return false;
}
