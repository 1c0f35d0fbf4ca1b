/*
 * clock.h - the two clocks a span needs.
 *
 * Start times come from CLOCK_REALTIME (what backends display); durations
 * from CLOCK_MONOTONIC (immune to clock steps).  Both are vDSO calls:
 * cheap and async-signal-safe.
 */
#ifndef TS_CLOCK_H
#define TS_CLOCK_H

#include <time.h>

#include "common.h"

static inline uint64_t ts_clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static inline uint64_t ts_clock_realtime_ns(void)
{
	return ts_clock_ns(CLOCK_REALTIME);
}

static inline uint64_t ts_clock_mono_ns(void)
{
	return ts_clock_ns(CLOCK_MONOTONIC);
}

#endif /* TS_CLOCK_H */
