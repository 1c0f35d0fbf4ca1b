/*
 * http_parse.h - incremental HTTP/1.x message parser for one byte stream.
 *
 * The socket hooks feed it every byte of one direction of a connection, in
 * whatever pieces the application reads or writes them.  It never buffers
 * the stream and never allocates: it walks the bytes with a state machine,
 * copies the few values tracing needs into bounded fields of the parser
 * struct, and reports events at exact byte offsets so the caller can act
 * between two bytes (start a span, insert a header line, end a span).
 *
 * Contract of ts_http_feed(): it consumes bytes up to the next event and
 * returns how many it consumed; the caller then handles the event and calls
 * again with the rest.  "Before" events are reported with the offset of the
 * byte they precede (that byte is not consumed yet; the next call consumes
 * it and does not report the event again).  Any byte sequence, cut at any
 * points, gives the same events at the same stream offsets.
 *
 * Not HTTP (bad syntax, HTTP/2 preface, TLS, NUL bytes, bare CR, a header
 * block over max_header_bytes, a value over its cap where that matters for
 * framing, conflicting Content-Length): TS_HTTP_EV_NOT_HTTP, and the parser
 * is dead from then on (every later call consumes everything and reports
 * TS_HTTP_EV_NONE): the caller passes the connection through untouched.
 *
 * Threads: a parser belongs to one connection direction; the caller
 * serialises calls.  Async-signal-safe (no locks, no allocation).
 */
#ifndef TS_HTTP_PARSE_H
#define TS_HTTP_PARSE_H

#include "../preload/common.h"

enum ts_http_kind {
	TS_HTTP_REQUESTS = 1,  /* this stream carries requests */
	TS_HTTP_RESPONSES = 2, /* this stream carries responses */
};

enum ts_http_event {
	TS_HTTP_EV_NONE = 0,      /* all input consumed, nothing to report */
	TS_HTTP_EV_MSG_BEGIN,     /* before the first byte of a message */
	TS_HTTP_EV_HEADER_VALUE,  /* before the first byte of a known
				     header's value (after optional white
				     space); `header` says which.  Only
				     with edit_events */
	TS_HTTP_EV_HEADERS_END,   /* before the first byte of the empty line
				     that ends the header block: where a
				     header line can be inserted.  Only
				     with edit_events */
	TS_HTTP_EV_HEADERS_DONE,  /* after the empty line: start line and
				     captured headers are complete */
	TS_HTTP_EV_MSG_END,       /* after the last byte of the message */
	TS_HTTP_EV_NOT_HTTP,      /* not HTTP/1.x, or a limit was broken */
	TS_HTTP_EV_UPGRADE,       /* after a message that switched the
				     connection to another protocol (101
				     response, 2xx to CONNECT): parser dead */
};

/* Headers whose values are captured or matter for framing. */
enum ts_http_header {
	TS_HDR_OTHER = 0,
	TS_HDR_HOST,
	TS_HDR_USER_AGENT,
	TS_HDR_CONTENT_LENGTH,
	TS_HDR_TRANSFER_ENCODING,
	TS_HDR_CONNECTION,
	TS_HDR_UPGRADE,
	TS_HDR_TRACEPARENT,
	TS_HDR_TRACESTATE,
	TS_HDR_BAGGAGE,           /* W3C baggage */
	TS_HDR_B3,                /* B3 single header */
	TS_HDR_B3_TRACEID,        /* X-B3-TraceId */
	TS_HDR_B3_SPANID,         /* X-B3-SpanId */
	TS_HDR_B3_SAMPLED,        /* X-B3-Sampled */
	TS_HDR_B3_FLAGS,          /* X-B3-Flags */
	TS_HDR_UBER,              /* uber-trace-id (Jaeger) */
	TS_HDR_UBERCTX,           /* uberctx-<key> (Jaeger baggage) */
	TS_HDR_XFF,               /* X-Forwarded-For */
	TS_HDR_FORWARDED,         /* Forwarded (RFC 7239) */
	TS_HDR_COUNT_,
};

/* Capture sizes; longer values are cut and flagged (not an error). */
#define TS_HTTP_METHOD_MAX 16     /* longer method: not HTTP */
#define TS_HTTP_TARGET_MAX 1024   /* request-target kept (path + query) */
#define TS_HTTP_HOST_MAX 256
#define TS_HTTP_UA_MAX 256
#define TS_HTTP_TP_MAX 64         /* traceparent value kept */
#define TS_HTTP_TS_MAX 512        /* tracestate value kept (W3C limit) */
#define TS_HTTP_BAGGAGE_MAX 1024  /* baggage lines kept, comma-joined */
#define TS_HTTP_B3_MAX 128        /* b3 single header kept */
#define TS_HTTP_B3F_MAX 40        /* each X-B3-* value kept */
#define TS_HTTP_UBER_MAX 128      /* uber-trace-id kept */
#define TS_HTTP_UBERCTX_MAX 512   /* uberctx-* as "key=value,..." */
#define TS_HTTP_FWD_MAX 96        /* first X-Forwarded-For / Forwarded
				     line kept: its first element names
				     the original client */

/* Header capture (ts_http_parser_capture()): lines and bytes kept. */
#define TS_HTTP_HCAP_MAX 16       /* captured header lines per head */
#define TS_HTTP_HCAP_BYTES 512    /* their values, each NUL-terminated */

/* ts_http_parser_expect() flags for the next response on this stream. */
#define TS_HTTP_EXPECT_NO_BODY 0x1 /* the request was HEAD */
#define TS_HTTP_EXPECT_CONNECT 0x2 /* the request was CONNECT */

struct ts_http_str {
	uint16_t len;             /* bytes kept */
	bool cut;                 /* the value was longer than kept */
};

/* One captured header line: name index in the list, value in hcap_buf. */
struct ts_http_hcap {
	uint8_t name;             /* index into the capture list */
	bool cut;                 /* the value was longer than kept */
	uint16_t off;             /* value: hcap_buf + off, NUL-terminated */
	uint16_t len;
};

struct ts_capture_list;           /* preload/config.h */

/*
 * The bytes of a parser's results, apart from its fields: most of the
 * 4.7 KB are never written (a response stream writes none of them), so
 * the owner places them where untouched pages cost nothing, and a parser
 * is copied without them (ts_http_parser_copy()).  Each buffer is read
 * through its length in the parser and kept NUL-terminated.
 */
struct ts_http_pbuf {
	/* What most requests write, the short start of each first: */
	char method[TS_HTTP_METHOD_MAX + 1];   /* NUL-terminated */
	char host[TS_HTTP_HOST_MAX + 1];       /* NUL-terminated */
	char user_agent[TS_HTTP_UA_MAX + 1];   /* NUL-terminated */
	char traceparent[TS_HTTP_TP_MAX + 1];  /* first one seen, raw */
	char target[TS_HTTP_TARGET_MAX + 1];   /* NUL-terminated */
	char tracestate[TS_HTTP_TS_MAX + 1];   /* combined, comma-joined */
	char baggage[TS_HTTP_BAGGAGE_MAX + 1]; /* combined, comma-joined */
	char b3[TS_HTTP_B3_MAX + 1];           /* the first of each of */
	char b3_traceid[TS_HTTP_B3F_MAX + 1];  /* these: raw */
	char b3_spanid[TS_HTTP_B3F_MAX + 1];
	char b3_sampled[TS_HTTP_B3F_MAX + 1];
	char b3_flags[TS_HTTP_B3F_MAX + 1];
	char uber[TS_HTTP_UBER_MAX + 1];
	char uberctx[TS_HTTP_UBERCTX_MAX + 1]; /* "key=value,..." from every
						  uberctx-<key> line (keys
						  lowercased; keys over 24
						  bytes are not kept) */
	char xff[TS_HTTP_FWD_MAX + 1];
	char forwarded[TS_HTTP_FWD_MAX + 1];
	struct ts_http_hcap hcap[TS_HTTP_HCAP_MAX];
	char hcap_buf[TS_HTTP_HCAP_BYTES];
};

struct ts_http_parser {
	/* --- configuration --- */
	const struct ts_capture_list *capture; /* names whose values are
				     captured (NULL: none) */
	uint8_t kind;             /* enum ts_http_kind */
	bool edit_events;         /* report HEADER_VALUE and HEADERS_END
				     (default: yes) */
	uint32_t max_header_bytes; /* start line + headers + empty line */

	/*
	 * --- results for the current message (valid as their events say) ---
	 * The small fields first, the buffers they describe last: a message
	 * touches the few cache lines (and pages) of the fields and only the
	 * buffers it writes; most of the 4.9 KB are never touched.
	 */
	uint8_t header;           /* enum ts_http_header at HEADER_VALUE */
	uint8_t version_minor;    /* HTTP/1.<minor>: 0 or 1 */
	uint16_t status;          /* response status code (100-999) */
	uint8_t traceparent_count; /* how many traceparent lines (0-255) */
	uint16_t fields;          /* header lines so far (saturates) */
	struct ts_http_str target_s;      /* of target[] ... */
	struct ts_http_str host_s;
	struct ts_http_str user_agent_s;
	struct ts_http_str traceparent_s;
	struct ts_http_str tracestate_s;
	struct ts_http_str baggage_s;
	struct ts_http_str b3_s;
	struct ts_http_str b3_traceid_s;
	struct ts_http_str b3_spanid_s;
	struct ts_http_str b3_sampled_s;
	struct ts_http_str b3_flags_s;
	struct ts_http_str uber_s;
	struct ts_http_str uberctx_s;     /* ... to uberctx[] */
	struct ts_http_str xff_s;
	struct ts_http_str forwarded_s;
	uint8_t hcap_n;           /* hcap[] entries: captured lines, in order */
	bool hcap_lost;           /* a captured line did not fit at all */
	uint16_t hcap_used;       /* bytes of hcap_buf in use */
	uint32_t seen;            /* 1 << TS_HDR_*: header seen in this head */
	int64_t content_length;   /* -1 when absent */
	bool chunked;             /* Transfer-Encoding ends in chunked */
	bool conn_close;          /* Connection: close (or 1.0 default) */
	bool conn_upgrade;        /* Connection has the upgrade token */
	bool has_upgrade;         /* an Upgrade header is present */
	uint64_t header_bytes;    /* bytes of this message's head so far */
	uint64_t body_bytes;      /* body bytes (chunked: payload only) */

	/* --- internal state (opaque to callers) --- */
	uint8_t state;            /* where in the message grammar we are */
	uint8_t expect;           /* TS_HTTP_EXPECT_* for the next response */
	uint8_t released;         /* S_HOLD may end (atomic: the other
				     direction's parser sets it) */
	uint8_t sub;              /* sub-state within a state */
	uint8_t reported;         /* a "before" event already reported */
	uint8_t flags;            /* facts about the current head (F_*) */
	uint32_t dirty;           /* 1 << TS_HDR_*: capture buffers written
				     since the last reset */
	uint16_t field_len;       /* bytes of the current token/field */
	char name[32];            /* current header name, lowercased, cut */
	uint8_t hcap_name;        /* capture list index of the current line */
	uint16_t hcap_pos;        /* its value's write position, hcap_buf */
	struct ts_http_str hcap_s; /* the captured value in progress */
	uint64_t remaining;       /* body/chunk bytes still to come */
	uint64_t scratch;         /* number being parsed (sizes, status) */

	/* --- where the results' bytes go (see struct ts_http_pbuf) --- */
	struct ts_http_pbuf *b;
};

/*
 * Prepare `p` for a new stream carrying `kind` messages, its results'
 * bytes in `b`.  `b` is either the buffers `p` had before (set up again:
 * what the last stream wrote is emptied as needed) or zero-filled memory.
 */
void ts_http_parser_init(struct ts_http_parser *p, enum ts_http_kind kind,
			 uint32_t max_header_bytes, struct ts_http_pbuf *b);

/*
 * `dst` becomes `src` in every way, its results' bytes in `b` (only the
 * bytes in use are copied): a copy to parse ahead with and throw away.
 */
void ts_http_parser_copy(struct ts_http_parser *dst, struct ts_http_pbuf *b,
			 const struct ts_http_parser *src);

/*
 * Whether the events a caller needs to edit a head (HEADER_VALUE and
 * HEADERS_END) are reported; they are after init.  A caller that only
 * follows the stream turns them off: the parser then takes a whole start
 * line, each whole header line and the empty line at once (a head in one
 * buffer is two calls: MSG_BEGIN, HEADERS_DONE), which is much faster,
 * and every other event comes as before.
 */
void ts_http_parser_edit_events(struct ts_http_parser *p, bool on);

/*
 * Capture the values of the header lines named in `list` (lowercase
 * names; NULL or empty: none) into hcap[] and hcap_buf, complete at
 * HEADERS_DONE, whatever else the parser does with them.  `list` must
 * stay valid while the parser is used.
 */
void ts_http_parser_capture(struct ts_http_parser *p,
			    const struct ts_capture_list *list);

/*
 * For a RESPONSES stream: how the request this response answers was made
 * (TS_HTTP_EXPECT_* flags).  Call before the response's first byte is fed;
 * it applies to the next response only (1xx interim responses keep it).
 */
void ts_http_parser_expect(struct ts_http_parser *p, unsigned flags);

/*
 * A request that may switch the connection to another protocol (one with
 * an Upgrade header, or a CONNECT) leaves its parser holding: the bytes
 * after it are the new protocol's if the response switches, so they are
 * not taken for a request.  Until the response decides, any byte ends the
 * parser (NOT_HTTP: the connection passes through from there); a final
 * response that switches nothing lets it parse requests again, by this
 * call from the direction that read it (any thread, any time).
 */
void ts_http_parser_release(struct ts_http_parser *p);

/* Consume bytes up to the next event (see the contract above). */
size_t ts_http_feed(struct ts_http_parser *p, const char *buf, size_t len,
		    enum ts_http_event *ev);

/*
 * The peer closed the stream.  True when that completes the current
 * message (a response delimited by close); the caller then treats it as
 * TS_HTTP_EV_MSG_END.
 */
bool ts_http_eof(struct ts_http_parser *p);

/*
 * `n` bytes of the current message's body went by unseen (sendfile).
 * True when the body had at least that many bytes left (Content-Length
 * bodies and close-delimited ones; the message may end: a MSG_END is then
 * reported by the next ts_http_feed call, with 0 bytes consumed), or the
 * current chunk had that many data bytes left (its CRLF and the next
 * chunk-size line are then fed as usual).  False (and the parser dead)
 * anywhere else, such as across a chunk's end, whose framing would have
 * to be read.
 */
bool ts_http_skip_body(struct ts_http_parser *p, uint64_t n);

/* True between MSG_BEGIN and MSG_END of a message. */
bool ts_http_in_message(const struct ts_http_parser *p);

/* True between HEADERS_DONE and MSG_END of a message: its head is past. */
bool ts_http_in_body(const struct ts_http_parser *p);

/* True once the parser reported NOT_HTTP or UPGRADE. */
bool ts_http_is_dead(const struct ts_http_parser *p);

#endif /* TS_HTTP_PARSE_H */
