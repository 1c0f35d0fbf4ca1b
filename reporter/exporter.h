/*
 * exporter.h - the interface every span exporter implements.
 *
 * The reporter thread calls export() with a batch of records that stay
 * valid (they live in the ring) until it returns.  An exporter owns its
 * buffers and connections; it may block, but must give up by `deadline`
 * (CLOCK_MONOTONIC ns) where it can.  It never sees a span twice.
 *
 * Threads: all callbacks run on the reporter thread only.
 */
#ifndef TS_EXPORTER_H
#define TS_EXPORTER_H

#include "../preload/common.h"

struct ts_span;
struct ts_config;
struct ts_resource;

struct ts_exporter {
	const char *name;        /* as in OTEL_TRACES_EXPORTER */
	/* 0 when the batch was delivered, -errno when it was lost. */
	int (*export)(struct ts_exporter *e, const struct ts_resource *res,
		      const struct ts_span *const *spans, size_t n,
		      uint64_t deadline);
	/* Release what the exporter holds (process exit, tests). */
	void (*shutdown)(struct ts_exporter *e);
	/*
	 * In a forked child, before its reporter starts: forget buffers the
	 * parent's reporter may have been resizing at fork time (leaking the
	 * child's copy is safe, touching it is not).  Descriptors are kept.
	 */
	void (*after_fork)(struct ts_exporter *e);
	const struct ts_config *cfg; /* configuration it was made from */
};

/* Constructors: fill *e for configuration c.  No I/O happens here. */
void ts_exporter_file_init(struct ts_exporter *e, const struct ts_config *c);
void ts_exporter_console_init(struct ts_exporter *e, const struct ts_config *c);
void ts_exporter_otlp_init(struct ts_exporter *e, const struct ts_config *c);
void ts_exporter_jaeger_init(struct ts_exporter *e, const struct ts_config *c);

#endif /* TS_EXPORTER_H */
