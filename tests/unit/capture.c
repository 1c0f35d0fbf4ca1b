/*
 * capture.c - fd 2 capture for unit tests (see capture.h).
 */
#include <check.h>
#include <unistd.h>

#include "capture.h"

void ts_capture_begin(struct ts_capture *c)
{
	c->tmp = tmpfile();
	ck_assert_ptr_nonnull(c->tmp);
	fflush(stderr);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fileno(c->tmp), 2), 2);
}

void ts_capture_end(struct ts_capture *c, char *out, size_t size)
{
	size_t n;

	ck_assert_int_eq(dup2(c->saved, 2), 2);
	close(c->saved);
	rewind(c->tmp);
	n = fread(out, 1, size - 1, c->tmp);
	out[n] = '\0';
	fclose(c->tmp);
}
