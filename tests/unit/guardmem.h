/*
 * guardmem.h - buffers that end right before a PROT_NONE page, so a
 * function that reads (or writes) one byte past what it was given
 * crashes the test instead of passing by luck.
 *
 *	struct ts_guard g;
 *	const char *in = ts_guard_copy(&g, "abc", 3);   // in[3] faults
 *	char *out = ts_guard_room(&g2, 16);              // out[16] faults
 *	...
 *	ts_guard_free(&g);
 */
#ifndef TS_TEST_GUARDMEM_H
#define TS_TEST_GUARDMEM_H

#include <stddef.h>

struct ts_guard {
	char *map;      /* the whole mapping */
	size_t maplen;  /* its length, guard page included */
};

/* `room` writable bytes ending at the guard page; returns their start. */
char *ts_guard_room(struct ts_guard *g, size_t room);

/* A copy of `len` bytes of `s` (no NUL) ending at the guard page. */
const char *ts_guard_copy(struct ts_guard *g, const char *s, size_t len);

void ts_guard_free(struct ts_guard *g);

#endif
