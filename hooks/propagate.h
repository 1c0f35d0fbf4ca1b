/*
 * propagate.h - trace context in HTTP headers, in every format the
 * OpenTelemetry propagators know: W3C Trace Context and Baggage, Zipkin
 * B3 (single and multiple headers) and Jaeger (uber-trace-id, uberctx-*).
 *
 * Extraction reads the values the parser captured and takes the first
 * valid context in the configured order (OTEL_PROPAGATORS); tracestate and
 * baggage travel with it.  Injection formats complete header lines
 * ("name: value\r\n") for every configured format, all carrying the same
 * ids.  The format codecs are exposed for the unit tests and libcurl.
 *
 * Threads: pure functions of their arguments; async-signal-safe.
 */
#ifndef TS_HOOKS_PROPAGATE_H
#define TS_HOOKS_PROPAGATE_H

#include "../preload/config.h"
#include "../preload/span.h"

struct ts_http_parser;

#define TS_PROP_TS_MAX 512        /* tracestate forwarded (W3C minimum) */
#define TS_PROP_BAGGAGE_MAX 1024  /* baggage forwarded */
#define TS_PROP_BAGGAGE_MEMBERS 64 /* baggage list-members forwarded */

/* ---- format codecs ---------------------------------------------------------- */

/*
 * A W3C traceparent value: true and *out filled (remote = true) when it is
 * valid per Trace Context Level 1: version two lowercase hex digits other
 * than ff; for version 00 exactly 55 characters; for a later version at
 * least 55, and a '-' after them if longer; non-zero lowercase hex trace
 * and parent ids; two hex digits of flags.
 */
bool ts_prop_parse_traceparent(const char *v, size_t len,
			       struct ts_span_ctx *out);

/*
 * A W3C tracestate (several header lines already joined with ','),
 * validated and rewritten in place: list-members joined by ',' without
 * white space, empty members dropped.  Any invalid member (key or value
 * grammar), a duplicate key, or more than 32 members invalidates it all:
 * returns 0.  Longer than `max` bytes: members over 128 bytes are removed
 * first, then members from the end, until it fits.  `cut` says the input
 * was cut by the capture limit: its last, incomplete member is dropped.
 * Returns the new length.
 */
size_t ts_prop_tracestate_normalize(char *ts, size_t len, bool cut,
				    size_t max);

/*
 * A W3C baggage string, rewritten in place: members "key=value;props"
 * without white space; invalid members are dropped one by one (their
 * neighbours stay), so are members past TS_PROP_BAGGAGE_MEMBERS or past
 * `max` bytes.  `cut`: as for tracestate.  Returns the new length.
 */
size_t ts_prop_baggage_normalize(char *bg, size_t len, bool cut, size_t max);

/*
 * B3 single header "{trace}-{span}[-{sampling}[-{parent}]]": trace 16 or
 * 32 hex (16 padded to 128 bits), span 16 hex, sampling 1, 0 or d (debug:
 * sampled too); without it the decision is deferred (TS_CTX_DEFERRED).
 * A lone sampling state carries no context: false.
 */
bool ts_prop_parse_b3(const char *v, size_t len, struct ts_span_ctx *out);

/* B3 multiple headers (values of X-B3-TraceId, -SpanId, -Sampled, -Flags;
 * absent ones with length 0). */
bool ts_prop_parse_b3multi(const char *tid, size_t tlen, const char *sid,
			   size_t slen, const char *smp, size_t smplen,
			   const char *flg, size_t flen,
			   struct ts_span_ctx *out);

/*
 * Jaeger "{trace}:{span}:{parent}:{flags}" (':' may come percent-encoded
 * as %3A): trace 1-32 hex, span 1-16 hex (both left-padded with zeros,
 * neither zero), parent ignored, flags hex (1 sampled, 2 debug).
 */
bool ts_prop_parse_uber(const char *v, size_t len, struct ts_span_ctx *out);

/* ---- extraction --------------------------------------------------------------- */

/* What a request head carries, for the span that serves it. */
struct ts_prop_in {
	struct ts_span_ctx ctx;   /* valid when a context was found */
	const char *ts;           /* W3C tracestate to keep, or NULL */
	size_t ts_len;
	const char *bg;           /* baggage (W3C syntax) to forward, or NULL */
	size_t bg_len;
};

/*
 * The incoming context of the request head in `p` under the formats `pc`.
 * True when a valid context was found.  Tracestate (only with a valid
 * traceparent) and baggage (the baggage header and, with the jaeger
 * format, uberctx-* lines) are normalized in the parser's own capture
 * buffers, which out->ts and out->bg then point into (valid until the
 * next message on that stream begins).
 */
bool ts_prop_extract(struct ts_http_parser *p, const struct ts_prop_config *pc,
		     struct ts_prop_in *out);

/* ---- injection ------------------------------------------------------------------ */

/* Bits of ts_prop_forwarded(): context headers a request already has. */
#define TS_PROP_HAS_TRACEPARENT 0x01
#define TS_PROP_HAS_B3 0x02       /* b3 single header */
#define TS_PROP_HAS_B3MULTI 0x04  /* any X-B3-TraceId / -SpanId */
#define TS_PROP_HAS_UBER 0x08
#define TS_PROP_HAS_BAGGAGE 0x10
#define TS_PROP_HAS_UBERCTX 0x20
#define TS_PROP_HAS_TRACESTATE 0x40

/* Which context headers the head in `p` carries itself. */
unsigned ts_prop_forwarded(const struct ts_http_parser *p);

/*
 * Header lines carrying `c` in every format of `pc` except those whose
 * headers the request already has (`skip`, TS_PROP_HAS_* bits), with
 * tracestate `ts` (beside an inserted traceparent) and baggage `bg`.
 * What does not fit in `size` is left out whole, baggage first, then
 * tracestate; the context lines always fit in 400 bytes.  Returns the
 * length written (0: nothing to insert).
 */
size_t ts_prop_inject(const struct ts_span_ctx *c,
		      const struct ts_prop_config *pc, unsigned skip,
		      const char *ts, size_t ts_len, const char *bg,
		      size_t bg_len, char *buf, size_t size);

/*
 * Would the lines[0, n) ts_prop_inject() wrote take a request head past a
 * limit servers refuse it for, when the head was within it?  The head has
 * fields_lo to fields_hi header fields (its count, or a range where it is
 * estimated) and head_bytes in all (0: not known, not checked).  See
 * propagate.c for the limits.
 */
bool ts_prop_would_cross_limits(unsigned fields_lo, unsigned fields_hi,
				uint64_t head_bytes, const char *lines,
				size_t n);

/* Write the 2n lowercase hex digits of id[0..n) into out. */
void ts_prop_hex(const uint8_t *id, size_t n, char *out);

#endif /* TS_HOOKS_PROPAGATE_H */
