/*
 * buf.h - the encoders' growable output buffer.
 *
 * Owned by the reporter thread and reused across batches, so it grows to
 * the largest batch once and then never allocates again.  A failed
 * allocation sets `failed`; writers keep going as no-ops and the caller
 * checks once at the end (no error path in every encoder line).
 *
 * Threads: one owner at a time (the reporter thread, or a test).
 */
#ifndef TS_BUF_H
#define TS_BUF_H

#include <string.h>

#include "../preload/common.h"

struct ts_buf {
	char *data;    /* malloc'd bytes, not NUL-terminated */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
	bool failed;   /* an allocation failed; contents are incomplete */
};

void ts_buf_reset(struct ts_buf *b);
void ts_buf_free(struct ts_buf *b);
/* Make room for `more` bytes: the grow path of ts_buf_reserve. */
bool ts_buf_grow(struct ts_buf *b, size_t more);

/* Inline: the encoders call these for every field. */
static inline bool ts_buf_reserve(struct ts_buf *b, size_t more)
{
	if (ts_likely(b->cap - b->len >= more && !b->failed))
		return true;
	return ts_buf_grow(b, more);
}

static inline void ts_buf_put(struct ts_buf *b, const void *p, size_t len)
{
	if (len == 0)
		return; /* data may still be NULL: memcpy(NULL, p, 0) is UB */
	if (!ts_buf_reserve(b, len))
		return;
	__builtin_memcpy(b->data + b->len, p, len);
	b->len += len;
}

static inline void ts_buf_putc(struct ts_buf *b, char c)
{
	if (!ts_buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

/* strlen of a literal folds at compile time here. */
static inline void ts_buf_puts(struct ts_buf *b, const char *s)
{
	ts_buf_put(b, s, __builtin_strlen(s));
}
void ts_buf_u64(struct ts_buf *b, uint64_t v);
void ts_buf_i64(struct ts_buf *b, int64_t v);
void ts_buf_hex(struct ts_buf *b, const uint8_t *p, size_t len);

/*
 * Append `len` bytes as the inside of a JSON string: quotes, backslashes
 * and control characters escaped, invalid UTF-8 replaced by U+FFFD, so
 * the output is always valid JSON whatever the application sent.
 */
void ts_buf_json_chars(struct ts_buf *b, const char *p, size_t len);

/* The same, with the surrounding quotes. */
void ts_buf_json_str(struct ts_buf *b, const char *p, size_t len);

/*
 * The same writers on a raw pointer, for encoders that reserve room for a
 * whole record once: each writes at dst (which must have room: 20 bytes
 * for u64, 21 for i64, 2*len for hex, TS_JSON_MAX(len) for JSON text,
 * 2 more with the quotes) and returns the end of what it wrote.
 */
#define TS_JSON_MAX(len) (6 * (size_t)(len)) /* every byte as \u00XX */
char *ts_put_u64(char *dst, uint64_t v);
char *ts_put_i64(char *dst, int64_t v);
char *ts_put_hex(char *dst, const uint8_t *p, size_t len);
char *ts_put_json_chars(char *dst, const char *p, size_t len);
char *ts_put_json_str(char *dst, const char *p, size_t len);

/*
 * Copy a short string: encoders' strings are mostly 3 to 32 bytes, where
 * a libc call (or an inlined `rep movs`) costs more than the copy; two
 * overlapping word moves do it without reading outside the source.
 */
static inline char *ts_copy_small(char *d, const char *s, size_t n)
{
	uint64_t a, b, c, e;
	uint32_t x, y;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n > 16 && n <= 32) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		memcpy(&c, s + n - 16, 8);
		memcpy(&e, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + 8, &b, 8);
		memcpy(d + n - 16, &c, 8);
		memcpy(d + n - 8, &e, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		memcpy(d, s, n);
	}
	return d + n;
}

/* A string literal at dst; returns its end. */
#define TS_PUT_LIT(dst, lit)                                                   \
	((char *)memcpy((dst), (lit), sizeof(lit) - 1) + sizeof(lit) - 1)

/*
 * Length of the valid UTF-8 sequence starting at p (1-4), or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated, ...).
 */
size_t ts_utf8_seq_len(const unsigned char *p, size_t avail);

/* The value of hex digit c (either case), -1 when it is none. */
static inline int ts_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#endif /* TS_BUF_H */
