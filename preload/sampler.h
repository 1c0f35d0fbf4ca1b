/*
 * sampler.h - the head sampler: which new spans are recorded.
 *
 * OTEL_TRACES_SAMPLER chooses one of the specification's built-in samplers
 * and OTEL_TRACES_SAMPLER_ARG gives the ratio of the two ratio samplers:
 *
 *   always_on                 every span
 *   always_off                no span
 *   traceidratio              TraceIdRatioBased(ratio), parent ignored
 *   parentbased_always_on     ParentBased(root=AlwaysOn)       (default)
 *   parentbased_always_off    ParentBased(root=AlwaysOff)
 *   parentbased_traceidratio  ParentBased(root=TraceIdRatioBased(ratio))
 *
 * ParentBased uses the specification's defaults for every parent: a
 * sampled parent, remote or local, gives a sampled child, an unsampled one
 * an unsampled child; only a root span asks the root sampler.  So does a
 * span whose parent deferred the decision (TS_CTX_DEFERRED: B3 without a
 * sampling state, which the B3 specification leaves to the receiver); a
 * debug parent (B3 "d", Jaeger debug) carries the sampled flag already.
 *
 * TraceIdRatioBased is a pure function of the trace id, computed exactly
 * as the Go SDK (and Python, Ruby and Rust, up to rounding of the bound at
 * one part in 2^63) does: the trace id's last 8 bytes read as a big-endian
 * unsigned number x; the span is sampled when (x >> 1) < bound, where
 * bound = (uint64_t)(ratio * 2^63) is computed once, at configuration.  So
 * a trace whose root was sampled by one of those SDKs at ratio r is
 * sampled here at any ratio >= r, and the other way round.  (The Java and
 * .NET SDKs compare |(int64_t)x| with ratio * (2^63 - 1) instead, which
 * selects a different set of ids; the specification never fixed the
 * algorithm and recommends ratio sampling at the root only, under
 * ParentBased, where the children follow the root's flag whatever its SDK.)
 *
 * An unsampled span is not recorded, but its context still propagates,
 * with the sampled flag off, so downstream services make the same choice.
 * That is the caller's job; this module only decides.
 *
 * Threads: ts_sampler_configure() runs once, at start-up, before any span;
 * ts_sampler_sample() may run on any thread and in signal handlers.
 */
#ifndef TS_SAMPLER_H
#define TS_SAMPLER_H

#include "common.h"
#include "span.h"

enum ts_sampler_kind {
	TS_SAMPLER_ALWAYS_ON,
	TS_SAMPLER_ALWAYS_OFF,
	TS_SAMPLER_TRACEIDRATIO,
	TS_SAMPLER_PARENTBASED_ALWAYS_ON,
	TS_SAMPLER_PARENTBASED_ALWAYS_OFF,
	TS_SAMPLER_PARENTBASED_TRACEIDRATIO,
};

struct ts_sampler {
	uint8_t kind;    /* enum ts_sampler_kind */
	bool set;        /* filled by ts_sampler_configure(); a zeroed
			    struct (unit tests, ts_cfg before load) acts
			    as the default, parentbased_always_on */
	double ratio;    /* the ratio samplers' ratio, [0, 1]; else 1.0 */
	uint64_t bound;  /* sampled when (last 8 bytes >> 1) < bound;
			    UINT64_MAX for ratio 1 (every id), 0 for 0 */
};

/*
 * Fill `s` from the values of OTEL_TRACES_SAMPLER (`name`) and
 * OTEL_TRACES_SAMPLER_ARG (`arg`); NULL or blank means unset.  Names are
 * matched case-insensitively.  An unknown or unsupported name gives one
 * warning and the default, parentbased_always_on (its argument is then
 * ignored).  The argument is read only by the two ratio samplers, as the
 * specification says: a decimal number from 0 to 1 ("0.25", "1", ".5",
 * "2.5e-1"); unset means 1.0; anything else gives one warning and 1.0.
 * Returns the number of invalid values (0 to 2).  Parses without locale
 * (a program's setlocale cannot change what "0.25" means) and without
 * allocation.
 */
int ts_sampler_configure(struct ts_sampler *s, const char *name,
			 const char *arg);

/*
 * The decision for a new span: true = record and sample.  `parent` is NULL
 * (or holds an invalid context) for a root span, else the parent's
 * context, whose W3C trace-flags bit 0 says whether it was sampled (unless
 * its xflags has TS_CTX_DEFERRED);
 * `trace_id` is the new span's (for a root, the freshly generated one).
 * Pure, async-signal-safe, no allocation, integer arithmetic only.
 */
bool ts_sampler_sample(const struct ts_sampler *s,
		       const struct ts_span_ctx *parent,
		       const uint8_t trace_id[16]);

/*
 * The specification's description of the sampler, e.g.
 * "ParentBased{root:TraceIdRatioBased{0.25}}", NUL-terminated in `buf`
 * (cut to size - 1 bytes).  For diagnostics; not async-signal-safe.
 */
void ts_sampler_describe(const struct ts_sampler *s, char *buf, size_t size);

#endif /* TS_SAMPLER_H */
