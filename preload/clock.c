/*
 * clock.c - the wall-clock anchor (see clock.h).
 *
 * Two words: the offset realtime - monotonic, and the monotonic time it
 * was sampled.  They are read and written with relaxed atomics and need
 * not be consistent with each other: `taken` only says when to refresh,
 * and any offset a thread sees was a true sample at most a second or so
 * old.  Racing refreshers store near-identical values.
 */
#include "clock.h"

#define ANCHOR_REFRESH_NS 1000000000ull

static struct {
	uint64_t offset;             /* realtime - monotonic, ns */
	uint64_t taken;              /* monotonic ns of that sample; 0: none */
} anchor;

TS_HOT
uint64_t ts_clock_unix_of(uint64_t mono)
{
	uint64_t taken = __atomic_load_n(&anchor.taken, __ATOMIC_RELAXED);
	uint64_t off, m;

	if (!taken || (int64_t)(mono - taken) > (int64_t)ANCHOR_REFRESH_NS) {
		/* Realtime between two monotonic reads: the midpoint is the
		 * best estimate of the instant it was read at. */
		m = ts_clock_mono_ns();
		off = ts_clock_realtime_ns();
		m += (ts_clock_mono_ns() - m) / 2;
		off -= m;
		__atomic_store_n(&anchor.offset, off, __ATOMIC_RELAXED);
		__atomic_store_n(&anchor.taken, m ? m : 1, __ATOMIC_RELAXED);
		return mono + off;
	}
	return mono + __atomic_load_n(&anchor.offset, __ATOMIC_RELAXED);
}
