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
 * Length of the valid UTF-8 sequence starting at p (1-4), or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated, ...).
 */
size_t ts_utf8_seq_len(const unsigned char *p, size_t avail);

#endif /* TS_BUF_H */
