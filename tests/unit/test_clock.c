/*
 * test_clock.c - the anchored wall clock: wall times derived from
 * monotonic ones are right (within a millisecond of CLOCK_REALTIME), keep
 * monotonic differences exactly, and give one instant one wall time.
 */
#include <stdlib.h>

#include "../../preload/clock.h"
#include "suites.h"

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

START_TEST(test_unix_of_is_realtime)
{
	uint64_t before = ts_clock_realtime_ns();
	uint64_t u = ts_clock_unix_of(ts_clock_mono_ns());
	uint64_t after = ts_clock_realtime_ns();

	/* NTP slew within one anchor period is far below a millisecond. */
	ck_assert_uint_ge(u + 1000000, before);
	ck_assert_uint_le(u, after + 1000000);
}
END_TEST

START_TEST(test_same_instant_same_time)
{
	uint64_t m = ts_clock_mono_ns(), first = ts_clock_unix_of(m);
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(ts_clock_unix_of(m), first);
	/* Differences of monotonic instants survive the conversion. */
	ck_assert_uint_eq(ts_clock_unix_of(m + 12345) - first, 12345);
	/* An instant before the anchor (a span whose I/O began earlier). */
	ck_assert_uint_eq(first - ts_clock_unix_of(m - 777), 777);
}
END_TEST

START_TEST(test_anchor_refreshes)
{
	uint64_t m = ts_clock_mono_ns();
	uint64_t late = m + 3000000000ull; /* forces a new sample */
	uint64_t u = ts_clock_unix_of(late);

	/* The fresh anchor still maps `m` to about now. */
	ck_assert_uint_lt(absdiff(ts_clock_unix_of(m), ts_clock_realtime_ns()),
			  1000000);
	ck_assert_uint_lt(absdiff(u - 3000000000ull, ts_clock_realtime_ns()),
			  1000000);
}
END_TEST

Suite *ts_test_clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("anchor");

	tcase_add_test(tc, test_unix_of_is_realtime);
	tcase_add_test(tc, test_same_instant_same_time);
	tcase_add_test(tc, test_anchor_refreshes);
	suite_add_tcase(s, tc);
	return s;
}
