/*
 * thrift_compact.c - the compact protocol's out-of-line writers (see
 * thrift_compact.h).
 */
#include "buf.h"
#include "thrift_compact.h"

/*
 * Length of the longest prefix of p[0..len) that is valid UTF-8, scanning
 * ASCII eight bytes at a time (the common case: HTTP methods, paths,
 * header values).
 */
static size_t utf8_valid_prefix(const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	uint64_t w;

	for (;;) {
		while (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		while (i < len && p[i] < 0x80)
			i++;
		if (i == len)
			return len;
		n = ts_utf8_seq_len(p + i, len - i);
		if (!n)
			return i;
		i += n;
	}
}

/* Payload bytes of s[0..len) once sanitised; s[0..valid) is valid. */
static size_t sanitized_len(const unsigned char *p, size_t len, size_t valid)
{
	size_t i = valid, out = valid, n;

	while (i < len) {
		n = p[i] < 0x80 ? 1 : ts_utf8_seq_len(p + i, len - i);
		if (n) {
			i += n, out += n;
		} else {
			i++, out += 3; /* U+FFFD */
		}
	}
	return out;
}

size_t ts_tc_string_size(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t out = sanitized_len(p, len, utf8_valid_prefix(p, len));

	return ts_tc_varint_len(out) + out;
}

/* The general case: s has bytes that are not UTF-8. */
static uint8_t *string_sanitized(uint8_t *p, const unsigned char *in,
				 size_t len)
{
	size_t valid = utf8_valid_prefix(in, len), i, n;

	p = ts_tc_varint(p, sanitized_len(in, len, valid));
	memcpy(p, in, valid);
	p += valid;
	for (i = valid; i < len;) {
		n = in[i] < 0x80 ? 1 : ts_utf8_seq_len(in + i, len - i);
		if (n) {
			memcpy(p, in + i, n);
			p += n, i += n;
		} else {
			*p++ = 0xef, *p++ = 0xbf, *p++ = 0xbd;
			i++;
		}
	}
	return p;
}

/*
 * One pass for the usual case, valid UTF-8: check and copy eight bytes
 * at a time (the output has room: the bound is 3x), and start over with
 * the general case at the first byte that is not UTF-8.  Never reads past
 * s[len - 1].
 */
uint8_t *ts_tc_string(uint8_t *p, const char *s, size_t len)
{
	const unsigned char *in = (const unsigned char *)s;
	uint8_t *start = p, *q;
	size_t i = 0, n;
	uint64_t w;

	q = p = ts_tc_varint(p, len);
	while (i < len) {
		if (len - i >= 8) {
			memcpy(&w, in + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				memcpy(q, &w, 8);
				q += 8, i += 8;
				continue;
			}
		}
		if (in[i] < 0x80) {
			*q++ = in[i++];
			continue;
		}
		n = ts_utf8_seq_len(in + i, len - i);
		if (!n)
			return string_sanitized(start, in, len);
		memcpy(q, in + i, n);
		q += n, i += n;
	}
	return q;
}

uint8_t *ts_tc_message(uint8_t *p, const char *name, enum ts_tc_msg type,
		       uint32_t seqid)
{
	*p++ = TS_TC_PROTOCOL_ID;
	*p++ = (uint8_t)(TS_TC_VERSION | (unsigned)type << 5);
	p = ts_tc_varint(p, seqid);
	return ts_tc_binary(p, name, strlen(name));
}
