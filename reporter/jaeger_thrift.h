/*
 * jaeger_thrift.h - spans as Jaeger Thrift (jaeger-idl jaeger.thrift and
 * agent.thrift), packed into Agent.emitBatch datagrams.
 *
 * The mapping is the OpenTelemetry specification's (trace/sdk_exporters/
 * jaeger.md and common/mapping-to-non-otlp.md):
 *   trace id       -> traceIdHigh/traceIdLow, big-endian halves as i64
 *   span/parent id -> spanId/parentSpanId (0 for a root), and a CHILD_OF
 *                     reference to the parent, first in `references`
 *   name           -> operationName
 *   W3C sampled    -> flags bit 1
 *   start, end     -> startTime, duration in microseconds (both ends
 *                     truncated, so a child stays inside its parent)
 *   kind           -> tag span.kind (server, client, producer, consumer;
 *                     none for internal)
 *   status         -> tags otel.status_code (OK/ERROR), otel.status_description,
 *                     and error=true for ERROR (replacing an attribute `error`)
 *   attributes     -> tags: strings STRING, integers LONG, booleans BOOL
 *   dropped attrs  -> tag otel.dropped_attributes_count (when non-zero)
 *   tracestate     -> tag w3c.tracestate (as the Collector's translator does)
 *   scope          -> tags otel.scope.name/.version and their deprecated
 *                     aliases otel.library.name/.version
 *   resource       -> Process: service.name is serviceName, every other
 *                     attribute a process tag (arrays as a JSON list string)
 *
 * One Thrift message per datagram: the compact protocol's ONEWAY call
 * "emitBatch" whose only argument (field 1) is a Batch {1: process,
 * 2: list<Span>}.  Each datagram repeats the process and holds as many
 * whole spans as fit in `max` bytes; a span that does not fit even alone
 * is dropped and counted.
 *
 * Memory: spans are encoded straight into the datagram buffer (after
 * headroom for the message header and process), so the encoder holds one
 * datagram plus one span at most, whatever the batch size, and never
 * allocates once its buffers have grown.
 *
 * Threads: an encoder belongs to one thread (the reporter thread).
 */
#ifndef TS_JAEGER_THRIFT_H
#define TS_JAEGER_THRIFT_H

#include <sys/uio.h>

#include "../preload/common.h"
#include "buf.h"

struct ts_span;
struct ts_resource;

/* Largest datagram: what Jaeger agents accept by default. */
#define TS_JAEGER_MAX_DATAGRAM 65000

/* Jaeger's TagType and SpanRefType numbers. */
enum ts_jaeger_tag_type {
	TS_JAEGER_STRING = 0,
	TS_JAEGER_DOUBLE = 1,
	TS_JAEGER_BOOL = 2,
	TS_JAEGER_LONG = 3,
	TS_JAEGER_BINARY = 4,
};
enum { TS_JAEGER_CHILD_OF = 0, TS_JAEGER_FOLLOWS_FROM = 1 };

struct ts_jaeger_enc {
	struct ts_buf process; /* the Process struct of the current batch */
	struct ts_buf dgram;   /* headroom, then the current datagram's spans */
	struct ts_buf scratch; /* JSON text of array-valued resource attributes */
	uint32_t seqid;        /* sequence id of the next message */
};

/* What one ts_jaeger_encode_batch call did. */
struct ts_jaeger_stats {
	size_t datagrams;      /* datagrams handed to emit (and accepted) */
	size_t spans;          /* spans in those datagrams */
	size_t too_big;        /* spans dropped: alone they exceed `max` */
	size_t largest;        /* bytes of the largest datagram */
};

/*
 * Called once per datagram, whose bytes are iov[0..niov) in order, holding
 * `nspans` spans.  Returns 0, or -errno to stop the batch there.
 */
typedef int (*ts_jaeger_emit_fn)(void *ctx, const struct iovec *iov, int niov,
				 size_t nspans);

/*
 * Encode spans[0..n) and the process of `res` as emitBatch datagrams of at
 * most `max` bytes (at least 512), calling emit for each.  Returns 0, the
 * first error emit returned, -ENOMEM (a buffer could not grow), or
 * -EMSGSIZE (not even the process fits in `max`).  *st is filled either way.
 */
int ts_jaeger_encode_batch(struct ts_jaeger_enc *enc,
			   const struct ts_resource *res,
			   const struct ts_span *const *spans, size_t n,
			   size_t max, ts_jaeger_emit_fn emit, void *ctx,
			   struct ts_jaeger_stats *st);

/* Release the encoder's buffers (it stays usable). */
void ts_jaeger_enc_free(struct ts_jaeger_enc *enc);

/* Forked child: forget buffers the parent's reporter owned (leak them). */
void ts_jaeger_enc_forget(struct ts_jaeger_enc *enc);

/*
 * The building blocks, for the unit tests and the benchmark.
 *
 * ts_jaeger_span writes one Span struct (as a list element: no field
 * header) at p, at most ts_jaeger_span_bound(s) bytes, and returns the end.
 */
size_t ts_jaeger_span_bound(const struct ts_span *s);
uint8_t *ts_jaeger_span(uint8_t *p, const struct ts_span *s);

/*
 * Append the Process struct of `res` to b (with or without its tags);
 * `scratch` is working space.  False when a buffer could not grow.
 */
bool ts_jaeger_process(struct ts_buf *b, struct ts_buf *scratch,
		       const struct ts_resource *res, bool with_tags);

#endif /* TS_JAEGER_THRIFT_H */
