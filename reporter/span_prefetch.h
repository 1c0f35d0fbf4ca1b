/*
 * span_prefetch.h - warm the caches for a span record before encoding it.
 *
 * Encoders read records straight from the span queue, written by other
 * threads long enough ago to be out of this core's caches; without help
 * the encoders spend most of their time waiting for the record's header,
 * attribute descriptors and strings.  Each encoder asks for the record
 * four places ahead while it encodes the current one.
 *
 * Threads: any (reads nothing, only hints the hardware).
 */
#ifndef TS_SPAN_PREFETCH_H
#define TS_SPAN_PREFETCH_H

#include "../preload/span.h"

/*
 * One cache-line prefetch.  GCC 12's dead-code elimination drops
 * __builtin_prefetch in the encoders' loops (seen with objdump), so on
 * x86 the instruction is written as volatile asm.
 */
#if defined(__x86_64__) || defined(__i386__)
#define TS_PREFETCH(p) __asm__ __volatile__("prefetcht0 %0" ::"m"(*(const char *)(p)))
#else
#define TS_PREFETCH(p) __builtin_prefetch(p)
#endif

static inline void ts_span_prefetch(const struct ts_span *s)
{
	const char *h = (const char *)s, *a = (const char *)s->attrs;
	const char *ar = s->arena;

	/* Header, ~16 attribute descriptors, the first 320 arena bytes. */
	TS_PREFETCH(h);
	TS_PREFETCH(h + 64);
	TS_PREFETCH(a);
	TS_PREFETCH(a + 64);
	TS_PREFETCH(a + 128);
	TS_PREFETCH(a + 192);
	TS_PREFETCH(ar);
	TS_PREFETCH(ar + 64);
	TS_PREFETCH(ar + 128);
	TS_PREFETCH(ar + 192);
	TS_PREFETCH(ar + 256);
}

/*
 * Prefetch spans[i + 4] when there is one: far enough ahead to cover a
 * miss to memory at ~200 ns of encoding per span (4 measured better than
 * 2 or 8 end to end).
 */
static inline void ts_span_prefetch_ahead(const struct ts_span *const *spans,
					  size_t i, size_t n)
{
	if (i + 4 < n)
		ts_span_prefetch(spans[i + 4]);
}

#endif /* TS_SPAN_PREFETCH_H */
