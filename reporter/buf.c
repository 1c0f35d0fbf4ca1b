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

void ts_buf_u64(struct ts_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	/* Two digits per division: timestamps have 19. */
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digit_pairs[d + 1];
		tmp[--i] = digit_pairs[d];
	}
	if (v >= 10) {
		tmp[--i] = digit_pairs[v * 2 + 1];
		tmp[--i] = digit_pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	ts_buf_put(b, tmp + i, sizeof(tmp) - i);
}

void ts_buf_i64(struct ts_buf *b, int64_t v)
{
	if (v < 0) {
		ts_buf_putc(b, '-');
		ts_buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		ts_buf_u64(b, (uint64_t)v);
	}
}

void ts_buf_hex(struct ts_buf *b, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (!ts_buf_reserve(b, len * 2))
		return;
	for (i = 0; i < len; i++) {
		b->data[b->len++] = digits[p[i] >> 4];
		b->data[b->len++] = digits[p[i] & 15];
	}
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

void ts_buf_json_chars(struct ts_buf *b, const char *s, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;
	uint64_t w;

	/* Fast path: the plain prefix, eight bytes at a time. */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (!word_is_plain(w))
			break;
	}
	run = i;

	while (i < len) {
		unsigned c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++, run++;
			continue;
		}
		n = c >= 0x80 ? ts_utf8_seq_len(p + i, len - i) : 0;
		if (n) {
			i += n, run += n;
			continue;
		}
		ts_buf_put(b, p + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			ts_buf_put(b, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', digits[c >> 4],
					digits[c & 15] };
			ts_buf_put(b, esc, 6);
		} else {
			ts_buf_puts(b, "\\ufffd");
		}
		i++;
	}
	ts_buf_put(b, p + i - run, run);
}

void ts_buf_json_str(struct ts_buf *b, const char *p, size_t len)
{
	ts_buf_putc(b, '"');
	ts_buf_json_chars(b, p, len);
	ts_buf_putc(b, '"');
}
