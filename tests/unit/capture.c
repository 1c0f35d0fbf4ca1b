/*
 * capture.c - fd 2 capture for unit tests (see capture.h).
 */
#include <check.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/log.h"
#include "capture.h"

void ts_capture_begin(struct ts_capture *c)
{
	c->tmp = tmpfile();
	ck_assert_ptr_nonnull(c->tmp);
	fflush(stderr);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fileno(c->tmp), 2), 2);
	ts_stderr_note(); /* the shim writes only to the stderr it noted */
}

void ts_capture_end(struct ts_capture *c, char *out, size_t size)
{
	size_t n;

	ck_assert_int_eq(dup2(c->saved, 2), 2);
	close(c->saved);
	ts_stderr_note();
	rewind(c->tmp);
	n = fread(out, 1, size - 1, c->tmp);
	out[n] = '\0';
	fclose(c->tmp);
}

int ts_capture_config_load(struct ts_config *c, char *err, size_t size)
{
	struct ts_capture cap;
	int w;

	ts_capture_begin(&cap);
	w = ts_config_load(c);
	ts_capture_end(&cap, err, size);
	return w;
}

int ts_capture_spec(int (*fn)(const char *), const char *spec, char *err,
		    size_t size)
{
	struct ts_capture cap;
	int w;

	ts_capture_begin(&cap);
	w = fn(spec);
	ts_capture_end(&cap, err, size);
	return w;
}

void ts_capture_spec_ok(int (*fn)(const char *), const char *spec)
{
	char err[4096];

	ck_assert_int_eq(ts_capture_spec(fn, spec, err, sizeof(err)), 0);
	ck_assert_msg(err[0] == '\0', "\"%s\" printed [%s]", spec, err);
}

unsigned ts_capture_count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}
