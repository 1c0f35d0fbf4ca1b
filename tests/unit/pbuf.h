/*
 * pbuf.h - buffers for the parsers the unit tests set up.
 */
#ifndef TS_TEST_PBUF_H
#define TS_TEST_PBUF_H

#include <string.h>

#include "../../hooks/http_parse.h"

/*
 * The buffers of parser `p`: the ones it has when it is set up again,
 * else fresh zero-filled ones (what ts_http_parser_init() asks for).
 * Static: each test runs in a process of its own.
 */
static inline struct ts_http_pbuf *test_pbuf(struct ts_http_parser *p)
{
	static struct ts_http_pbuf pool[16];
	static unsigned used;
	unsigned i;

	for (i = 0; i < used && i < 16; i++)
		if (p->b == &pool[i])
			return &pool[i];
	i = used++ % 16; /* past 16: the longest unused, in one process */
	memset(&pool[i], 0, sizeof(pool[i]));
	return &pool[i];
}

#endif /* TS_TEST_PBUF_H */
