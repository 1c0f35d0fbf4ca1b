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

struct ts_config;

/* ts_config_load(c), its fd 2 output NUL-terminated in `err`. */
int ts_capture_config_load(struct ts_config *c, char *err, size_t size);

/* fn(spec), a configuration parser of one variable's value, the same way. */
int ts_capture_spec(int (*fn)(const char *), const char *spec, char *err,
		    size_t size);

/* fn(spec) accepts `spec` and prints nothing. */
void ts_capture_spec_ok(int (*fn)(const char *), const char *spec);

/* Lines in captured text (its newline characters). */
unsigned ts_capture_count_lines(const char *s);

#endif
