/*
 * guardmem.c - guard-page buffers for unit tests (see guardmem.h).
 */
#include <check.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guardmem.h"

char *ts_guard_room(struct ts_guard *g, size_t room)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (room + page - 1) / page * page;

	if (!data)
		data = page; /* room 0: still a valid pointer before the guard */
	g->maplen = data + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(g->map != MAP_FAILED);
	ck_assert_int_eq(mprotect(g->map + data, page, PROT_NONE), 0);
	return g->map + data - room;
}

const char *ts_guard_copy(struct ts_guard *g, const char *s, size_t len)
{
	char *p = ts_guard_room(g, len);

	if (len)
		memcpy(p, s, len);
	return p;
}

void ts_guard_free(struct ts_guard *g)
{
	ck_assert_int_eq(munmap(g->map, g->maplen), 0);
	g->map = NULL;
}
