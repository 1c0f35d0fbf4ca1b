/*
 * pipeline.h - from a finished span to the reporter: the span queue.
 *
 * ts_pipeline_submit() copies a finished span into the bounded ring and,
 * once per OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans, wakes the reporter.  It
 * never blocks, never takes a lock and never allocates; when the queue is
 * full the span is dropped and counted.  The first submitted span starts
 * the reporter thread, so programs that trace nothing start none.
 *
 * Threads: submit from any thread or signal handler; init/fork/shutdown
 * from the entry code.
 */
#ifndef TS_PIPELINE_H
#define TS_PIPELINE_H

#include "common.h"
#include "ring.h"

struct ts_config;
struct ts_span;

/* The span queue (consumed by the reporter thread). */
extern struct ts_ring ts_span_ring;

struct ts_pipeline_stats {
	uint64_t created;  /* spans submitted */
	uint64_t dropped;  /* refused because the queue was full */
	uint64_t exported; /* delivered by at least one exporter */
	uint64_t failed;   /* lost because every exporter failed */
};

/* Map the queue and prepare the reporter for configuration c.  0/-errno. */
int ts_pipeline_init(const struct ts_config *c);

/* Queue a finished span; false when dropped or tracing is inactive. */
bool ts_pipeline_submit(const struct ts_span *s);

/*
 * Export everything queued so far and wait for it, at most until
 * `deadline` (CLOCK_MONOTONIC ns).  True if all was handed to the
 * exporters in time.  Never waits when no span was ever queued.
 */
bool ts_pipeline_flush(uint64_t deadline);

/* Final flush bounded by `deadline`, then stop the reporter. */
void ts_pipeline_shutdown(uint64_t deadline);

/* A forked child: forget the parent's queue and reporter. */
void ts_pipeline_after_fork_child(void);

void ts_pipeline_stats(struct ts_pipeline_stats *out);

/*
 * Tear everything down (tests only; no thread may be submitting): waits
 * for the reporter's final drain, then unmaps the queue.
 */
void ts_pipeline_destroy(void);

#endif /* TS_PIPELINE_H */
