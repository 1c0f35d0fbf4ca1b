/*
 * main.c - runs every unit-test suite in one Check runner, so one summary
 * line covers them all.  CK_RUN_SUITE=<name> runs a single suite (the TSan
 * pass runs only `ring`).
 */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

#define TS_TEST_ADD(name)                                                      \
	if (ts_test_##name##_suite)                                            \
		srunner_add_suite(sr, ts_test_##name##_suite());
	TS_TEST_SUITES(TS_TEST_ADD)
#undef TS_TEST_ADD
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
