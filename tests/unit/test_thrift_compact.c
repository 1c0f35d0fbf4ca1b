/*
 * test_thrift_compact.c - the compact protocol writer, byte by byte.
 *
 * Expected bytes are written out from the Thrift compact protocol
 * specification (doc/specs/thrift-compact-protocol.md in Apache Thrift):
 * unsigned LEB128 varints, zigzag for signed integers, field headers
 * with a 4-bit delta or the long form, list headers with a 4-bit count or
 * 0xf_ plus a varint, strings as a varint length and the bytes.  Strings
 * must come out as valid UTF-8 whatever goes in; they are compared with
 * a byte-at-a-time reference sanitiser, and read right before a guard
 * page so an over-read crashes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../reporter/buf.h"
#include "../../reporter/thrift_compact.h"
#include "suites.h"

/* Compare the bytes written between out and end with want. */
#define ASSERT_BYTES(out, end, ...)                                            \
	do {                                                                   \
		static const uint8_t want_[] = { __VA_ARGS__ };                \
		assert_bytes(out, end, want_, sizeof(want_), __LINE__);        \
	} while (0)

static void assert_bytes(const uint8_t *out, const uint8_t *end,
			 const uint8_t *want, size_t n, int line)
{
	size_t got = (size_t)(end - out);

	ck_assert_msg(got == n, "line %d: wrote %zu bytes, want %zu", line, got,
		      n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(out[i] == want[i],
			      "line %d: byte %zu is %#04x, want %#04x", line, i,
			      out[i], want[i]);
}

START_TEST(test_varint_unsigned_leb128)
{
	uint8_t b[16];

	ASSERT_BYTES(b, ts_tc_varint(b, 0), 0x00);
	ASSERT_BYTES(b, ts_tc_varint(b, 1), 0x01);
	ASSERT_BYTES(b, ts_tc_varint(b, 127), 0x7f);
	ASSERT_BYTES(b, ts_tc_varint(b, 128), 0x80, 0x01);
	ASSERT_BYTES(b, ts_tc_varint(b, 300), 0xac, 0x02);
	ASSERT_BYTES(b, ts_tc_varint(b, 16383), 0xff, 0x7f);
	ASSERT_BYTES(b, ts_tc_varint(b, 16384), 0x80, 0x80, 0x01);
	ASSERT_BYTES(b, ts_tc_varint(b, UINT32_MAX), 0xff, 0xff, 0xff, 0xff,
		     0x0f);
	ASSERT_BYTES(b, ts_tc_varint(b, UINT64_MAX), 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
}
END_TEST

START_TEST(test_varint_len_matches_what_is_written)
{
	uint8_t b[16];

	for (int shift = 0; shift < 64; shift++) {
		uint64_t vs[3] = { (1ull << shift) - 1, 1ull << shift,
				   (1ull << shift) + 1 };

		for (int i = 0; i < 3; i++) {
			size_t n = (size_t)(ts_tc_varint(b, vs[i]) - b);

			ck_assert_uint_eq(ts_tc_varint_len(vs[i]), n);
			ck_assert_uint_le(n, TS_TC_VARINT64_MAX);
			/* Only the last byte lacks the continuation bit. */
			for (size_t j = 0; j + 1 < n; j++)
				ck_assert(b[j] & 0x80);
			ck_assert(!(b[n - 1] & 0x80));
		}
	}
}
END_TEST

START_TEST(test_zigzag_interleaves_signs)
{
	ck_assert_uint_eq(ts_tc_zigzag64(0), 0);
	ck_assert_uint_eq(ts_tc_zigzag64(-1), 1);
	ck_assert_uint_eq(ts_tc_zigzag64(1), 2);
	ck_assert_uint_eq(ts_tc_zigzag64(-2), 3);
	ck_assert_uint_eq(ts_tc_zigzag64(2147483647), 4294967294u);
	ck_assert_uint_eq(ts_tc_zigzag64(INT64_MAX), UINT64_MAX - 1);
	ck_assert_uint_eq(ts_tc_zigzag64(INT64_MIN), UINT64_MAX);
	ck_assert_uint_eq(ts_tc_zigzag32(0), 0);
	ck_assert_uint_eq(ts_tc_zigzag32(-1), 1);
	ck_assert_uint_eq(ts_tc_zigzag32(1), 2);
	ck_assert_uint_eq(ts_tc_zigzag32(INT32_MAX), UINT32_MAX - 1);
	ck_assert_uint_eq(ts_tc_zigzag32(INT32_MIN), UINT32_MAX);
}
END_TEST

START_TEST(test_i64_negative_and_extreme_values)
{
	uint8_t b[16];

	ASSERT_BYTES(b, ts_tc_i64(b, 0), 0x00);
	ASSERT_BYTES(b, ts_tc_i64(b, -1), 0x01);
	ASSERT_BYTES(b, ts_tc_i64(b, 1), 0x02);
	ASSERT_BYTES(b, ts_tc_i64(b, -64), 0x7f);
	ASSERT_BYTES(b, ts_tc_i64(b, 64), 0x80, 0x01);
	/* The specification's id example: bytes ff 00 .. 00 as i64. */
	ASSERT_BYTES(b, ts_tc_i64(b, -72057594037927936LL), 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	ASSERT_BYTES(b, ts_tc_i64(b, INT64_MIN), 0xff, 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0x01);
	ASSERT_BYTES(b, ts_tc_i64(b, INT64_MAX), 0xfe, 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0x01);
	/* A microsecond timestamp. */
	ASSERT_BYTES(b, ts_tc_i64(b, 1700000000123456LL), 0x80, 0x89, 0x81,
		     0x82, 0x83, 0x89, 0x85, 0x06);
	ASSERT_BYTES(b, ts_tc_i32(b, -1), 0x01);
	ASSERT_BYTES(b, ts_tc_i32(b, 3), 0x06);
	ASSERT_BYTES(b, ts_tc_i32(b, INT32_MIN), 0xff, 0xff, 0xff, 0xff, 0x0f);
}
END_TEST

START_TEST(test_field_header_short_form_for_deltas_1_to_15)
{
	uint8_t b[64], *p = b;
	int16_t last = 0;

	p = ts_tc_field(p, &last, 1, TS_TC_I64);
	p = ts_tc_field(p, &last, 2, TS_TC_BINARY);
	p = ts_tc_field(p, &last, 5, TS_TC_I32);
	p = ts_tc_field(p, &last, 20, TS_TC_LIST);
	p = ts_tc_field(p, &last, 21, TS_TC_STRUCT);
	ASSERT_BYTES(b, p, 0x16, 0x18, 0x35, 0xf9, 0x1c);
	ck_assert_int_eq(last, 21);
}
END_TEST

START_TEST(test_field_header_long_form)
{
	uint8_t b[64], *p = b;
	int16_t last = 0;

	/* First id above 15: type byte, then zigzag(16) = 32. */
	p = ts_tc_field(p, &last, 16, TS_TC_I64);
	/* Going down needs the long form too: zigzag(3) = 6. */
	p = ts_tc_field(p, &last, 3, TS_TC_BINARY);
	/* A jump of 16. */
	p = ts_tc_field(p, &last, 19, TS_TC_I32);
	/* The same id again (delta 0). */
	p = ts_tc_field(p, &last, 19, TS_TC_I32);
	/* A large id: zigzag(300) = 600 = d8 04; a negative id. */
	p = ts_tc_field(p, &last, 300, TS_TC_STRUCT);
	p = ts_tc_field(p, &last, -1, TS_TC_BYTE);
	ASSERT_BYTES(b, p, 0x06, 0x20, 0x08, 0x06, 0x05, 0x26, 0x05, 0x26,
		     0x0c, 0xd8, 0x04, 0x03, 0x01);
	ck_assert_uint_le((size_t)(p - b), 6 * TS_TC_FIELD_MAX);
}
END_TEST

START_TEST(test_bool_fields_carry_the_value_in_the_type)
{
	uint8_t b[16], *p = b;
	int16_t last = 0;

	p = ts_tc_field_bool(p, &last, 5, true);
	p = ts_tc_field_bool(p, &last, 6, false);
	p = ts_tc_field_bool(p, &last, 30, true);
	p = ts_tc_stop(p);
	ASSERT_BYTES(b, p, 0x51, 0x12, 0x01, 0x3c, 0x00);
}
END_TEST

START_TEST(test_list_headers)
{
	uint8_t b[16];

	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_STRUCT, 0), 0x0c);
	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_STRUCT, 1), 0x1c);
	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_STRUCT, 14), 0xec);
	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_STRUCT, 15), 0xfc, 0x0f);
	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_BINARY, 300), 0xf8, 0xac, 0x02);
	ASSERT_BYTES(b, ts_tc_list(b, TS_TC_I64, UINT32_MAX), 0xf6, 0xff, 0xff,
		     0xff, 0xff, 0x0f);
}
END_TEST

START_TEST(test_string_lengths)
{
	uint8_t b[512], *p;
	char s[300];

	ASSERT_BYTES(b, ts_tc_string(b, "", 0), 0x00);
	ASSERT_BYTES(b, ts_tc_string(b, "abc", 3), 0x03, 'a', 'b', 'c');
	/* NUL is valid UTF-8: kept, the length counts it. */
	ASSERT_BYTES(b, ts_tc_string(b, "a\0b", 3), 0x03, 'a', 0, 'b');
	ASSERT_BYTES(b, ts_tc_binary(b, "\xff\x00", 2), 0x02, 0xff, 0x00);
	memset(s, 'x', sizeof(s));
	p = ts_tc_string(b, s, 127);
	ck_assert_uint_eq((size_t)(p - b), 128);
	ck_assert_uint_eq(b[0], 127);
	p = ts_tc_string(b, s, 128);
	ck_assert_uint_eq((size_t)(p - b), 130);
	ck_assert_uint_eq(b[0], 0x80);
	ck_assert_uint_eq(b[1], 0x01);
	ck_assert(!memcmp(b + 2, s, 128));
	p = ts_tc_string(b, s, 300);
	ck_assert_uint_eq(b[0], 0xac);
	ck_assert_uint_eq(b[1], 0x02);
	ck_assert_uint_eq((size_t)(p - b), 302);
	ck_assert_uint_eq(ts_tc_string_size(s, 300), 302);
}
END_TEST

START_TEST(test_string_invalid_utf8_becomes_replacement_characters)
{
	uint8_t b[64];

	ASSERT_BYTES(b, ts_tc_string(b, "a\xff" "b", 3), 0x05, 'a', 0xef, 0xbf,
		     0xbd, 'b');
	/* Truncated 3-byte sequence: each byte on its own. */
	ASSERT_BYTES(b, ts_tc_string(b, "\xe2\x82", 2), 0x06, 0xef, 0xbf, 0xbd,
		     0xef, 0xbf, 0xbd);
	/* Overlong "/" and a UTF-16 surrogate are not UTF-8 either. */
	ASSERT_BYTES(b, ts_tc_string(b, "\xc0\xaf", 2), 0x06, 0xef, 0xbf, 0xbd,
		     0xef, 0xbf, 0xbd);
	ASSERT_BYTES(b, ts_tc_string(b, "\xed\xa0\x80", 3), 0x09, 0xef, 0xbf,
		     0xbd, 0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd);
	/* Valid multi-byte characters are kept as they are. */
	ASSERT_BYTES(b, ts_tc_string(b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
		     0x09, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98,
		     0x80);
	/* Valid after invalid. */
	ASSERT_BYTES(b, ts_tc_string(b, "\x80\xc3\xa9", 3), 0x05, 0xef, 0xbf,
		     0xbd, 0xc3, 0xa9);
}
END_TEST

/* The obvious byte-at-a-time sanitiser the fast one must agree with. */
static size_t reference_sanitize(const char *s, size_t len, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = ts_utf8_seq_len(p + i, len - i);
		if (n) {
			memcpy(out + o, p + i, n);
			o += n, i += n;
		} else {
			out[o++] = 0xef, out[o++] = 0xbf, out[o++] = 0xbd;
			i++;
		}
	}
	return o;
}

static void check_against_reference(const char *s, size_t len)
{
	static uint8_t got[4096], want[4096];
	uint8_t *end = ts_tc_string(got, s, len), lenbuf[16];
	size_t wlen = reference_sanitize(s, len, want);
	size_t hl = (size_t)(ts_tc_varint(lenbuf, wlen) - lenbuf);

	ck_assert_uint_le((size_t)(end - got), ts_tc_string_bound(len));
	ck_assert_uint_eq((size_t)(end - got), hl + wlen);
	ck_assert_uint_eq(ts_tc_string_size(s, len), hl + wlen);
	ck_assert(!memcmp(got, lenbuf, hl));
	ck_assert(!memcmp(got + hl, want, wlen));
}

START_TEST(test_string_matches_reference_at_every_position)
{
	static const char *const odd[] = { "\xff", "\x80", "\xc3", "\xe2\x82",
					   "\xf0\x9f\x98", "\xc3\xa9",
					   "\xf0\x9f\x98\x80", "\xed\xbf\xbf" };
	char s[128];

	/* One odd sequence at every offset of ASCII runs (the fast path
	 * reads 8 bytes at a time: every alignment and tail length). */
	for (size_t k = 0; k < TS_ARRAY_SIZE(odd); k++) {
		size_t ol = strlen(odd[k]);

		for (size_t len = ol; len < 40; len++) {
			for (size_t at = 0; at + ol <= len; at++) {
				memset(s, 'a' + (char)(at % 26), len);
				memcpy(s + at, odd[k], ol);
				check_against_reference(s, len);
			}
		}
	}
	/* Random bytes, biased towards the high half. */
	srand(7);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand() % 100;

		for (size_t i = 0; i < len; i++)
			s[i] = (char)(rand() % 3 ? rand() % 128 : 128 + rand() % 128);
		check_against_reference(s, len);
	}
}
END_TEST

START_TEST(test_string_never_reads_past_its_input)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t out[4096];

	ck_assert(m != MAP_FAILED);
	ck_assert_int_eq(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	for (size_t len = 0; len <= 70; len++) {
		char *s = m + page - len;

		memset(s, 'q', len);
		ts_tc_string(out, s, len);
		ts_tc_string_size(s, len);
		if (len) {
			s[len - 1] = '\xe2'; /* cut sequence at the very end */
			ts_tc_string(out, s, len);
			ts_tc_string_size(s, len);
		}
	}
	munmap(m, (size_t)page * 2);
}
END_TEST

START_TEST(test_message_header)
{
	uint8_t b[64];

	ASSERT_BYTES(b, ts_tc_message(b, "emitBatch", TS_TC_ONEWAY, 0), 0x82,
		     0x81, 0x00, 0x09, 'e', 'm', 'i', 't', 'B', 'a', 't', 'c',
		     'h');
	ASSERT_BYTES(b, ts_tc_message(b, "emitBatch", TS_TC_ONEWAY, 300), 0x82,
		     0x81, 0xac, 0x02, 0x09, 'e', 'm', 'i', 't', 'B', 'a', 't',
		     'c', 'h');
	ASSERT_BYTES(b, ts_tc_message(b, "f", TS_TC_CALL, 1), 0x82, 0x21, 0x01,
		     0x01, 'f');
	ASSERT_BYTES(b, ts_tc_message(b, "f", TS_TC_REPLY, UINT32_MAX), 0x82,
		     0x41, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 'f');
}
END_TEST

Suite *ts_test_thrift_compact_suite(void)
{
	Suite *s = suite_create("thrift_compact");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, test_varint_unsigned_leb128);
	tcase_add_test(tc, test_varint_len_matches_what_is_written);
	tcase_add_test(tc, test_zigzag_interleaves_signs);
	tcase_add_test(tc, test_i64_negative_and_extreme_values);
	tcase_add_test(tc, test_field_header_short_form_for_deltas_1_to_15);
	tcase_add_test(tc, test_field_header_long_form);
	tcase_add_test(tc, test_bool_fields_carry_the_value_in_the_type);
	tcase_add_test(tc, test_list_headers);
	tcase_add_test(tc, test_string_lengths);
	tcase_add_test(tc, test_string_invalid_utf8_becomes_replacement_characters);
	tcase_add_test(tc, test_string_matches_reference_at_every_position);
	tcase_add_test(tc, test_string_never_reads_past_its_input);
	tcase_add_test(tc, test_message_header);
	suite_add_tcase(s, tc);
	return s;
}
