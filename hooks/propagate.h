/*
 * propagate.h - reading and writing trace context in HTTP headers.
 *
 * One interface for every propagation format.  W3C Trace Context
 * (`traceparent`, `tracestate`) is implemented; B3 and Jaeger go beside
 * it.  Extraction works on the values the parser captured; injection
 * formats complete header lines ("name: value\r\n").
 *
 * Threads: pure functions; async-signal-safe.
 */
#ifndef TS_HOOKS_PROPAGATE_H
#define TS_HOOKS_PROPAGATE_H

#include "../preload/span.h"

struct ts_http_parser;

/*
 * Parse a W3C traceparent value.  True and *out filled (remote = true)
 * when it is valid per Trace Context Level 1: version two lowercase hex
 * digits other than ff; for version 00 exactly 55 characters; for a later
 * version at least 55, and a '-' after them if longer; non-zero lowercase
 * hex trace and parent ids; two hex digits of flags.
 */
bool ts_prop_parse_traceparent(const char *v, size_t len,
			       struct ts_span_ctx *out);

/*
 * The incoming context of a request head: true and *out filled when a
 * valid one is present.  The tracestate to keep is returned through
 * tstate and tslen (only with a valid traceparent; NULL and 0 otherwise).
 */
bool ts_prop_extract(const struct ts_http_parser *p, struct ts_span_ctx *out,
		     const char **tstate, size_t *tslen);

/*
 * Header lines carrying `c` (and `tstate` when tslen > 0) into buf.
 * Returns the length written, or 0 if it does not fit.
 */
size_t ts_prop_inject(const struct ts_span_ctx *c, const char *tstate,
		      size_t tslen, char *buf, size_t size);

/* Write the 32 + 1 + 16 hex characters "trace-span" of c into out. */
void ts_prop_hex(const uint8_t *id, size_t n, char *out);

#endif /* TS_HOOKS_PROPAGATE_H */
