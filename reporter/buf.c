/*
 * buf.c - growable byte buffer and JSON string escaping (see buf.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void ts_buf_reset(struct ts_buf *b)
{
	b->len = 0;
	b->failed = false;
}

void ts_buf_free(struct ts_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool ts_buf_grow(struct ts_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->cap - b->len >= more)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			goto out_fail;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		goto out_fail;
	b->data = p;
	b->cap = cap;
	return true;
out_fail:
	b->failed = true;
	return false;
}

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/* Exactly 8 digits of v < 10^8 (leading zeros kept). */
static char *put8(char *d, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(d, digit_pairs + hi / 100 * 2, 2);
	memcpy(d + 2, digit_pairs + hi % 100 * 2, 2);
	memcpy(d + 4, digit_pairs + lo / 100 * 2, 2);
	memcpy(d + 6, digit_pairs + lo % 100 * 2, 2);
	return d + 8;
}

static char *put_u32(char *dst, uint32_t v)
{
	static const uint32_t pow10[] = { 10, 100, 1000, 10000, 100000,
					  1000000, 10000000, 100000000,
					  1000000000 };
	unsigned nd = 1;
	char *p;

	while (nd < 10 && v >= pow10[nd - 1])
		nd++;
	p = dst + nd;
	/* Two digits per (32-bit) division, written from the end. */
	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, digit_pairs + v * 2, 2);
	else
		p[-1] = (char)('0' + v);
	return dst + nd;
}

char *ts_put_u64(char *dst, uint64_t v)
{
	uint64_t q;

	if (v <= UINT32_MAX)
		return put_u32(dst, (uint32_t)v);
	/* Nanosecond timestamps (19 digits): 8-digit groups in 32 bits. */
	q = v / 100000000;
	if (q <= UINT32_MAX) {
		dst = put_u32(dst, (uint32_t)q);
	} else {
		dst = put_u32(dst, (uint32_t)(q / 100000000));
		dst = put8(dst, (uint32_t)(q % 100000000));
	}
	return put8(dst, (uint32_t)(v % 100000000));
}

char *ts_put_i64(char *dst, int64_t v)
{
	if (v >= 0)
		return ts_put_u64(dst, (uint64_t)v);
	*dst++ = '-';
	return ts_put_u64(dst, (uint64_t)0 - (uint64_t)v);
}

char *ts_put_hex(char *dst, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		*dst++ = digits[p[i] >> 4];
		*dst++ = digits[p[i] & 15];
	}
	return dst;
}

void ts_buf_u64(struct ts_buf *b, uint64_t v)
{
	if (ts_buf_reserve(b, 20))
		b->len = (size_t)(ts_put_u64(b->data + b->len, v) - b->data);
}

void ts_buf_i64(struct ts_buf *b, int64_t v)
{
	if (ts_buf_reserve(b, 21))
		b->len = (size_t)(ts_put_i64(b->data + b->len, v) - b->data);
}

void ts_buf_hex(struct ts_buf *b, const uint8_t *p, size_t len)
{
	if (ts_buf_reserve(b, len * 2))
		b->len = (size_t)(ts_put_hex(b->data + b->len, p, len) - b->data);
}

size_t ts_utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * True when none of the 8 bytes needs escaping: all in 0x20-0x7f and none
 * a quote or a backslash.  A flagged byte may also flag the bytes above
 * it (borrows), never hide one: the answer is exact for "all plain".
 */
static inline bool word_is_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return !(((w - ones * 0x20) | (q - ones) | (bs - ones) | w) & high);
}

/* A byte JSON text carries as it is (ASCII, no quote, no backslash). */
static inline bool plain_byte(unsigned c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * A valid sequence JSON allows raw but a reader of lines may break on or
 * act on: a C1 control (U+0080-U+009F: NEL, CSI) or U+2028 / U+2029, the
 * line and paragraph separators (str.splitlines(), JavaScript before
 * ES2019).  Written escaped, the same text.
 */
static inline bool line_breaking(const unsigned char *p, size_t n)
{
	return (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) ||
	       (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
		(p[2] == 0xa8 || p[2] == 0xa9));
}

/* "\\uXXXX" for a code point below 0x10000. */
static char *put_u4(char *dst, unsigned cp)
{
	static const char digits[] = "0123456789abcdef";

	dst[0] = '\\';
	dst[1] = 'u';
	dst[2] = digits[cp >> 12 & 15];
	dst[3] = digits[cp >> 8 & 15];
	dst[4] = digits[cp >> 4 & 15];
	dst[5] = digits[cp & 15];
	return dst + 6;
}

char *ts_put_json_chars(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, n;
	uint64_t w;

	/* Fast path: the plain prefix, eight bytes at a time, then the
	 * tail; most strings are plain and end up copied whole. */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (!word_is_plain(w))
			break;
	}
	while (i < len && plain_byte(p[i]))
		i++;
	if (i == len)
		return ts_copy_small(dst, s, len);
	run = i;
	while (i < len) {
		unsigned c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++, run++;
			continue;
		}
		n = c >= 0x80 ? ts_utf8_seq_len(p + i, len - i) : 0;
		if (n && !line_breaking(p + i, n)) {
			i += n, run += n;
			continue;
		}
		memcpy(dst, p + i - run, run);
		dst += run;
		run = 0;
		if (n) { /* C1 control (U+0080 + p[1] - 0x80), U+2028, U+2029 */
			dst = put_u4(dst, n == 2 ? p[i + 1]
						: 0x2000u + (p[i + 2] - 0x80u));
			i += n;
			continue;
		}
		if (c == '"' || c == '\\') {
			*dst++ = '\\';
			*dst++ = (char)c;
		} else if (c < 0x20) {
			dst = put_u4(dst, c);
		} else {
			memcpy(dst, "\\ufffd", 6);
			dst += 6;
		}
		i++;
	}
	memcpy(dst, p + i - run, run);
	return dst + run;
}

char *ts_put_json_str(char *dst, const char *p, size_t len)
{
	*dst++ = '"';
	dst = ts_put_json_chars(dst, p, len);
	*dst++ = '"';
	return dst;
}

void ts_buf_json_chars(struct ts_buf *b, const char *s, size_t len)
{
	if (len && ts_buf_reserve(b, TS_JSON_MAX(len)))
		b->len = (size_t)(ts_put_json_chars(b->data + b->len, s, len) -
				  b->data);
}

void ts_buf_json_str(struct ts_buf *b, const char *p, size_t len)
{
	if (ts_buf_reserve(b, TS_JSON_MAX(len) + 2))
		b->len = (size_t)(ts_put_json_str(b->data + b->len, p, len) -
				  b->data);
}
