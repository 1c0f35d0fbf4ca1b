/*
 * zipkin_json.h - Zipkin v2 JSON encoding of a batch of spans.
 *
 * Produces the body of POST /api/v2/spans: a JSON array of Zipkin v2
 * spans (zipkin2-api.yaml), mapped as the OpenTelemetry specification's
 * Zipkin exporter section says: ids as lowercase hex; kind SERVER,
 * CLIENT, PRODUCER or CONSUMER (omitted for INTERNAL); timestamp and
 * duration as whole microseconds (a duration under 1 us is 1, Zipkin
 * rounds up); localEndpoint.serviceName from service.name; remoteEndpoint
 * from peer.service, server.address, ... and network.peer.address/port;
 * every attribute a string tag (booleans "true"/"false"); status as the
 * tags `otel.status_code` (OK/ERROR) and, for ERROR, `error` (the
 * description, "" when none); the scope as otel.scope.name/version.
 *
 * Threads: pure function of its arguments; the reporter thread calls it.
 */
#ifndef TS_ZIPKIN_JSON_H
#define TS_ZIPKIN_JSON_H

#include "buf.h"

struct ts_resource;
struct ts_span;

/* Append the span list to `b`.  False if `b` ran out of memory. */
bool ts_zipkin_json_encode(struct ts_buf *b, const struct ts_resource *res,
			   const struct ts_span *const *spans, size_t n);

#endif /* TS_ZIPKIN_JSON_H */
