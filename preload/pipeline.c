/*
 * pipeline.c - the span queue in front of the reporter (see pipeline.h).
 */
#include "../reporter/reporter.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "span.h"

struct ts_ring ts_span_ring;
static unsigned batch_size = 512; /* wake the reporter every this many */

int ts_pipeline_init(const struct ts_config *c)
{
	int err;

	err = ts_ring_init(&ts_span_ring, c->max_queue_size,
			   sizeof(struct ts_span));
	if (err)
		return err;
	batch_size = c->max_export_batch;
	ts_reporter_setup(c);
	return 0;
}

/*
 * The header with the attribute descriptors in use, and the arena in
 * use: the slot's other descriptors are never read (nattrs says how many
 * there are), and a span recorded raw has none, so most of the 512 bytes
 * of descriptors are not copied into a cold slot.
 */
TS_HOT
bool ts_pipeline_submit(const struct ts_span *s)
{
	struct ts_ring_part parts[2] = {
		{ 0, s, offsetof(struct ts_span, attrs) +
				(size_t)s->nattrs * sizeof(s->attrs[0]) },
		{ offsetof(struct ts_span, arena), s->arena, s->arena_used },
	};
	uint64_t pos;

	if (ts_unlikely(!ts_span_ring.capacity))
		return false;
	ts_reporter_start_once();
	if (!ts_ring_pushv(&ts_span_ring, parts, 2, &pos))
		return false;
	/*
	 * Positions are unique, so exactly one producer per batch sees a
	 * multiple of the batch size: one wake-up per batch, none per span.
	 */
	if ((pos + 1) % batch_size == 0)
		ts_reporter_wake();
	return true;
}

bool ts_pipeline_flush(uint64_t deadline)
{
	return ts_reporter_flush(deadline);
}

void ts_pipeline_shutdown(uint64_t deadline)
{
	ts_reporter_stop(deadline);
}

void ts_pipeline_after_fork_child(void)
{
	if (ts_span_ring.capacity)
		ts_ring_reset(&ts_span_ring);
	ts_reporter_after_fork_child();
}

void ts_pipeline_stats(struct ts_pipeline_stats *out)
{
	out->dropped = ts_ring_dropped(&ts_span_ring);
	out->created = __atomic_load_n(&ts_span_ring.head, __ATOMIC_RELAXED) +
		       out->dropped;
	ts_reporter_counts(&out->exported, &out->failed);
}

void ts_pipeline_destroy(void)
{
	/* The reporter reads the ring in place: never unmap under it. */
	if (!ts_reporter_stop(ts_clock_mono_ns() + 10000000000ull)) {
		ts_warn("reporter did not stop in 10 s; span queue leaked");
		return;
	}
	ts_ring_destroy(&ts_span_ring);
}
