/*
 * test_json_writers.c - the raw-pointer number writers the encoders use
 * (ts_put_u64/i64: 8-digit groups in 32-bit arithmetic), against printf
 * on every power-of-ten edge and 100,000 pseudo-random values of every
 * magnitude.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../reporter/buf.h"
#include "suites.h"

static void same_u64(uint64_t v)
{
	char a[32], b[32];

	*ts_put_u64(a, v) = '\0';
	snprintf(b, sizeof(b), "%" PRIu64, v);
	ck_assert_str_eq(a, b);
}

static void same_i64(int64_t v)
{
	char a[32], b[32];

	*ts_put_i64(a, v) = '\0';
	snprintf(b, sizeof(b), "%" PRId64, v);
	ck_assert_str_eq(a, b);
}

START_TEST(test_numbers_match_printf)
{
	uint64_t p = 1, x = 88172645463325252ull;

	for (int i = 0; i < 20; i++, p *= 10) {
		same_u64(p - 1);
		same_u64(p);
		same_u64(p + 1);
		same_i64(-(int64_t)(p - 1));
	}
	same_u64(UINT32_MAX);
	same_u64((uint64_t)UINT32_MAX + 1);
	same_u64(UINT64_MAX);
	same_i64(INT64_MIN);
	same_i64(INT64_MAX);
	for (long i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same_u64(x >> (x & 63));
		same_i64((int64_t)x);
	}
}
END_TEST

Suite *ts_test_json_writers_suite(void)
{
	Suite *s = suite_create("json_writers");
	TCase *tc = tcase_create("numbers");

	tcase_add_test(tc, test_numbers_match_printf);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
