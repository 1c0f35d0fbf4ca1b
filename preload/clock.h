/*
 * clock.h - the two clocks a span needs.
 *
 * Durations come from CLOCK_MONOTONIC (immune to clock steps); wall-clock
 * start times (what backends display) are derived from it through one
 * anchor, CLOCK_REALTIME - CLOCK_MONOTONIC, sampled at most once a second
 * (as the OpenTelemetry SDKs' anchored clocks do).  So two spans started
 * at the same monotonic instant get the same wall time, ordering by start
 * never depends on clock-read noise, and a span start costs one clock
 * read.  A clock step shows up within a second.
 *
 * Threads: any thread or signal handler (vDSO calls and relaxed atomics).
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

/* CLOCK_REALTIME nanoseconds of the CLOCK_MONOTONIC instant `mono`. */
uint64_t ts_clock_unix_of(uint64_t mono);

#endif /* TS_CLOCK_H */
