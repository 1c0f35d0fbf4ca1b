/*
 * span_prefetch.h - warm the caches for a span record before encoding it.
 *
 * Encoders read records straight from the span queue, written by other
 * threads long enough ago to be out of this core's caches; without help
 * the encoders spend most of their time waiting for the record's header,
 * attribute descriptors and strings.  Each encoder asks for the record two
 * places ahead while it encodes the current one.
 *
 * Threads: any (reads nothing, only hints the hardware).
 */
#ifndef TS_SPAN_PREFETCH_H
#define TS_SPAN_PREFETCH_H

#include "../preload/span.h"

static inline void ts_span_prefetch(const struct ts_span *s)
{
	const char *h = (const char *)s, *a = (const char *)s->attrs;
	const char *ar = s->arena;

	/* Header, ~16 attribute descriptors, the first 320 arena bytes. */
	for (int i = 0; i < 2; i++)
		__builtin_prefetch(h + 64 * i);
	for (int i = 0; i < 4; i++)
		__builtin_prefetch(a + 64 * i);
	for (int i = 0; i < 5; i++)
		__builtin_prefetch(ar + 64 * i);
}

/* Prefetch spans[i + 2] when there is one. */
static inline void ts_span_prefetch_ahead(const struct ts_span *const *spans,
					  size_t i, size_t n)
{
	if (i + 2 < n)
		ts_span_prefetch(spans[i + 2]);
}

#endif /* TS_SPAN_PREFETCH_H */
