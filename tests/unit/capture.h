/*
 * capture.h - capture what the code under test writes to fd 2 (warnings).
 *
 *	struct ts_capture cap;
 *	ts_capture_begin(&cap);
 *	... code that may warn ...
 *	ts_capture_end(&cap, buf, sizeof(buf));   // buf: NUL-terminated text
 */
#ifndef TS_TEST_CAPTURE_H
#define TS_TEST_CAPTURE_H

#include <stddef.h>
#include <stdio.h>

struct ts_capture {
	FILE *tmp;  /* where fd 2 points meanwhile */
	int saved;  /* the real fd 2 */
};

void ts_capture_begin(struct ts_capture *c);
void ts_capture_end(struct ts_capture *c, char *out, size_t size);

#endif
