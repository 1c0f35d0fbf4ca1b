/*
 * otlp_json.h - OTLP/JSON encoding of a batch of spans.
 *
 * Produces one ExportTraceServiceRequest following the OTLP/JSON rules:
 * lowerCamelCase field names, trace and span ids as lowercase hex,
 * enums as integers, 64-bit integers (times, intValue) as decimal
 * strings.  Strings are escaped and made valid UTF-8 whatever bytes the
 * application sent.
 *
 * Threads: pure function of its arguments; the reporter thread calls it.
 */
#ifndef TS_OTLP_JSON_H
#define TS_OTLP_JSON_H

#include "buf.h"

struct ts_resource;
struct ts_span;

/* Append the request for `spans` to `b`.  False if `b` ran out of memory. */
bool ts_otlp_json_encode(struct ts_buf *b, const struct ts_resource *res,
			 const struct ts_span *const *spans, size_t n);

#endif /* TS_OTLP_JSON_H */
