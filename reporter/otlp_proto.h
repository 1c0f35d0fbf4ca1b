/*
 * otlp_proto.h - OTLP protobuf encoding of a batch of spans.
 *
 * Produces one opentelemetry.proto.collector.trace.v1.
 * ExportTraceServiceRequest in the protobuf binary wire format: one
 * ResourceSpans (the process's resource) with one ScopeSpans (scope
 * "traceshim") holding the spans.  Fields are written in field-number
 * order with canonical (shortest) varints.  Proto3 `string` fields must be
 * valid UTF-8 (decoders reject the message otherwise), so invalid bytes
 * the application sent are replaced by U+FFFD, as the JSON encoder does.
 *
 * Written by hand for the fixed schema: every length is computed before
 * its message is written, so nothing is moved or patched afterwards, and
 * no allocation happens per span (the buffer grows to the largest batch
 * once).
 *
 * Threads: pure function of its arguments; the reporter thread calls it.
 */
#ifndef TS_OTLP_PROTO_H
#define TS_OTLP_PROTO_H

#include "buf.h"

struct ts_resource;
struct ts_span;

/*
 * Append the request for `spans` to `b`.  On success the message is the
 * *len bytes at *out, inside b (after anything b held before).  False if
 * `b` ran out of memory.
 */
bool ts_otlp_proto_encode(struct ts_buf *b, const struct ts_resource *res,
			  const struct ts_span *const *spans, size_t n,
			  const char **out, size_t *len);

/*
 * Bytes `len` bytes at p occupy once invalid UTF-8 sequences are
 * replaced by U+FFFD (3 bytes each); equal to len for valid text.
 */
size_t ts_utf8_clean_len(const char *p, size_t len);

/* Copy p to dst replacing invalid sequences; returns the end of dst. */
char *ts_utf8_clean_copy(char *dst, const char *p, size_t len);

#endif /* TS_OTLP_PROTO_H */
