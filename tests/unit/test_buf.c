/*
 * test_buf.c - the encoders' buffer: growth, number formatting, and JSON
 * string escaping of arbitrary application bytes.
 *
 * The escaping tests hold the promise that matters most for the
 * exporters: whatever bytes an application hands us, the output is a
 * valid JSON string (only legal escapes, no raw control bytes, valid
 * UTF-8), and valid UTF-8 text survives unchanged.  The fuzz loop checks
 * that with a validator written here, independently of buf.c's own
 * UTF-8 decoder, so a shared mistake cannot hide itself.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../reporter/buf.h"
#include "suites.h"

/* The buffer's bytes as a NUL-terminated string in `out`. */
static const char *buf_str(const struct ts_buf *b, char *out, size_t size)
{
	ck_assert_uint_lt(b->len, size);
	memcpy(out, b->data, b->len);
	out[b->len] = '\0';
	return out;
}

/* Escape `len` bytes of `in` (no quotes) into `out` as a C string. */
static const char *escape(const char *in, size_t len, char *out, size_t size)
{
	struct ts_buf b = { 0 };

	/*
	 * Give the buffer memory first: what a zero-length write into a
	 * never-grown buffer does is the subject of its own test.
	 */
	ck_assert(ts_buf_reserve(&b, 1));
	ts_buf_json_chars(&b, in, len);
	ck_assert(!b.failed);
	buf_str(&b, out, size);
	ts_buf_free(&b);
	return out;
}

/* Deterministic generator, so a failure replays the same inputs. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

START_TEST(test_growth_across_many_appends_keeps_every_byte)
{
	struct ts_buf b = { 0 };
	size_t total = 0, i, k;

	/* Chunks of 0..97 bytes, crossing many doublings. */
	for (i = 0; i < 20000; i++) {
		char chunk[97];
		size_t n = i % 98;

		for (k = 0; k < n; k++)
			chunk[k] = (char)((total + k) * 31 % 251);
		if (i % 3 == 0 && n)
			ts_buf_put(&b, chunk, n);
		else
			for (k = 0; k < n; k++)
				ts_buf_putc(&b, chunk[k]);
		total += n;
		ck_assert_uint_eq(b.len, total);
		ck_assert_uint_ge(b.cap, b.len);
	}
	ck_assert(!b.failed);
	ck_assert_uint_gt(total, 900000);
	for (i = 0; i < total; i++)
		ck_assert_int_eq((unsigned char)b.data[i], i * 31 % 251);
	ts_buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_reset_reuses_memory_without_reallocating)
{
	struct ts_buf b = { 0 };
	char big[10000];
	char *data;
	size_t cap;

	memset(big, 'x', sizeof(big));
	ts_buf_put(&b, big, sizeof(big));
	data = b.data;
	cap = b.cap;
	ts_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ts_buf_put(&b, big, sizeof(big));
	/* A second batch of the same size must not touch the allocator. */
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, sizeof(big));
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_failed_reserve_makes_writers_noops_until_reset)
{
	struct ts_buf b = { 0 };
	char out[64];

	ts_buf_puts(&b, "ok");
	ck_assert(!ts_buf_reserve(&b, SIZE_MAX));
	ck_assert(b.failed);
	ts_buf_puts(&b, "lost");
	ts_buf_putc(&b, 'x');
	ts_buf_u64(&b, 7);
	ts_buf_json_str(&b, "q", 1);
	ck_assert_str_eq(buf_str(&b, out, sizeof(out)), "ok");
	ts_buf_reset(&b);
	ck_assert(!b.failed);
	ts_buf_puts(&b, "again");
	ck_assert_str_eq(buf_str(&b, out, sizeof(out)), "again");
	ts_buf_free(&b);
}
END_TEST

/*
 * The encoders flush an empty run before an escape, so a zero-length
 * write can reach a buffer that has never allocated (data == NULL).
 * That must be a harmless no-op; memcpy(NULL, p, 0) is undefined
 * behaviour, which the UBSan build turns into an abort.
 */
START_TEST(test_zero_length_write_on_fresh_buffer_is_defined)
{
	struct ts_buf b = { 0 };
	char out[64];

	ts_buf_put(&b, "x", 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert(!b.failed);
	ts_buf_free(&b);

	ts_buf_json_chars(&b, "\"\x01", 2);
	ck_assert_str_eq(buf_str(&b, out, sizeof(out)), "\\\"\\u0001");
	ts_buf_free(&b);

	ts_buf_json_chars(&b, "", 0);
	ck_assert_uint_eq(b.len, 0);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_u64_formats_decimal_including_extremes)
{
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ 9, "9" },
		{ 10, "10" },
		{ 1000000000, "1000000000" },
		{ UINT32_MAX, "4294967295" },
		{ 10000000000000000000ull, "10000000000000000000" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char out[64];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_buf b = { 0 };

		ts_buf_u64(&b, cases[i].v);
		ck_assert_str_eq(buf_str(&b, out, sizeof(out)), cases[i].want);
		ts_buf_free(&b);
	}
}
END_TEST

START_TEST(test_i64_formats_sign_including_int64_min)
{
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ -1, "-1" },
		{ 123, "123" },
		{ -123, "-123" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
		{ INT64_MIN + 1, "-9223372036854775807" },
	};
	char out[64];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_buf b = { 0 };

		ts_buf_i64(&b, cases[i].v);
		ck_assert_str_eq(buf_str(&b, out, sizeof(out)), cases[i].want);
		ts_buf_free(&b);
	}
}
END_TEST

START_TEST(test_numbers_match_printf_for_random_values)
{
	char out[64], want[64];

	rng_state = 42;
	for (int i = 0; i < 10000; i++) {
		struct ts_buf b = { 0 };
		uint64_t u = rng_next() >> (rng_next() % 64);

		ts_buf_u64(&b, u);
		ts_buf_putc(&b, ' ');
		ts_buf_i64(&b, (int64_t)u);
		snprintf(want, sizeof(want), "%" PRIu64 " %" PRId64, u,
			 (int64_t)u);
		ck_assert_str_eq(buf_str(&b, out, sizeof(out)), want);
		ts_buf_free(&b);
	}
}
END_TEST

START_TEST(test_hex_is_lowercase_two_digits_per_byte)
{
	static const uint8_t id[] = { 0x00, 0x01, 0x0f, 0x10, 0xab, 0xcd,
				      0xef, 0xff };
	struct ts_buf b = { 0 };
	char out[64];

	ts_buf_hex(&b, id, sizeof(id));
	ck_assert_str_eq(buf_str(&b, out, sizeof(out)), "00010f10abcdefff");
	ts_buf_hex(&b, id, 0);
	ck_assert_uint_eq(b.len, 16);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_json_escapes_quote_and_backslash)
{
	char out[256];
	struct ts_buf b = { 0 };

	ck_assert_str_eq(escape("a\"b\\c", 5, out, sizeof(out)),
			 "a\\\"b\\\\c");
	ck_assert_str_eq(escape("\"\"\\\\", 4, out, sizeof(out)),
			 "\\\"\\\"\\\\\\\\");
	/* Printable ASCII other than those two is copied as is. */
	ck_assert_str_eq(escape("/ ~{}[]:,'\x7f", 11, out, sizeof(out)),
			 "/ ~{}[]:,'\x7f");
	ck_assert_str_eq(escape("", 0, out, sizeof(out)), "");
	ts_buf_json_str(&b, "say \"hi\"", 8);
	ck_assert_str_eq(buf_str(&b, out, sizeof(out)),
			 "\"say \\\"hi\\\"\"");
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_json_escapes_every_control_char_as_u00xx)
{
	char in[3], out[64], want[16];

	for (unsigned c = 0; c < 0x20; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'z';
		escape(in, 3, out, sizeof(out));
		snprintf(want, sizeof(want), "a\\u%04xz", c);
		ck_assert_msg(!strcasecmp(out, want), "0x%02x -> [%s]", c, out);
	}
	/* The length is honoured: a NUL does not end the string. */
	ck_assert_str_eq(escape("\0\0", 2, out, sizeof(out)),
			 "\\u0000\\u0000");
}
END_TEST

/* C1 controls and the Unicode line separators come out escaped, so a
 * line of JSON (a console line, a JSON lines file) stays one line for any
 * reader; the text is the same. */
START_TEST(test_json_escapes_c1_controls_and_line_separators)
{
	char out[64];

	ck_assert_str_eq(escape("a\xc2\x80" "b\xc2\x85" "c\xc2\x9b" "d\xc2\x9f", 12,
				out, sizeof(out)),
			 "a\\u0080b\\u0085c\\u009bd\\u009f");
	ck_assert_str_eq(escape("x\xe2\x80\xa8y\xe2\x80\xa9z\xe2\x80\xaa", 12,
				out, sizeof(out)),
			 "x\\u2028y\\u2029z\xe2\x80\xaa");
}
END_TEST

START_TEST(test_json_copies_valid_multibyte_utf8_verbatim)
{
	static const char *const valid[] = {
		"\xc3\xa9",         /* é, 2 bytes */
		"\xc2\xa0",         /* U+00A0, lowest 2-byte after C1 */
		"\xdf\xbf",         /* U+07FF, highest 2-byte */
		"\xe2\x82\xac",     /* €, 3 bytes */
		"\xe0\xa0\x80",     /* U+0800, lowest 3-byte */
		"\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",     /* U+E000, just above them */
		"\xef\xbf\xbf",     /* U+FFFF */
		"\xf0\x9f\x98\x80", /* 😀, 4 bytes */
		"\xf0\x90\x80\x80", /* U+10000, lowest 4-byte */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
		"na\xc3\xafve caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
	};
	char out[256];

	for (size_t i = 0; i < TS_ARRAY_SIZE(valid); i++)
		ck_assert_str_eq(escape(valid[i], strlen(valid[i]), out,
					sizeof(out)),
				 valid[i]);
}
END_TEST

/*
 * `got` matches `want` where each '#' in want stands for one or more
 * "\ufffd": how many replacements an invalid sequence becomes is the
 * encoder's choice, that it becomes replacements (and nothing else is
 * swallowed) is not.
 */
static bool matches_with_replacements(const char *got, const char *want)
{
	static const char repl[] = "\\ufffd";
	size_t rl = sizeof(repl) - 1;

	while (*want) {
		if (*want == '#') {
			if (strncmp(got, repl, rl))
				return false;
			while (!strncmp(got, repl, rl))
				got += rl;
			want++;
		} else if (*got++ != *want++) {
			return false;
		}
	}
	return *got == '\0';
}

START_TEST(test_json_replaces_invalid_utf8_with_fffd)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "a\x80z", "a#z" },             /* lone continuation */
		{ "a\xbf\xbfz", "a#z" },         /* two of them */
		{ "a\xc0\x80z", "a#z" },         /* overlong NUL, 2 bytes */
		{ "a\xc1\xbfz", "a#z" },         /* overlong, 2 bytes */
		{ "a\xe0\x80\x80z", "a#z" },     /* overlong, 3 bytes */
		{ "a\xe0\x9f\xbfz", "a#z" },     /* overlong U+07FF */
		{ "a\xf0\x80\x80\x80z", "a#z" }, /* overlong, 4 bytes */
		{ "a\xf0\x8f\xbf\xbfz", "a#z" }, /* overlong U+FFFF */
		{ "a\xed\xa0\x80z", "a#z" },     /* surrogate U+D800 */
		{ "a\xed\xbf\xbfz", "a#z" },     /* surrogate U+DFFF */
		{ "a\xf4\x90\x80\x80z", "a#z" }, /* U+110000 */
		{ "a\xf5\x80\x80\x80z", "a#z" }, /* F5 lead */
		{ "a\xf8\x88\x80\x80\x80z", "a#z" },
		{ "a\xfe\xffz", "a#z" },
		{ "a\xc3z", "a#z" },             /* lead then ASCII */
		{ "a\xe2\x82z", "a#z" },         /* 3-byte cut short */
		{ "a\xc3\xc3\xa9z", "a#\xc3\xa9z" }, /* bad lead, then é */
		{ "ab\xc3", "ab#" },             /* truncated at the end */
		{ "ab\xe2\x82", "ab#" },
		{ "ab\xf0\x9f\x98", "ab#" },
		{ "\xff", "#" },
	};
	char out[256];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		escape(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		ck_assert_msg(matches_with_replacements(out, cases[i].want),
			      "case %zu gave [%s]", i, out);
	}
}
END_TEST

START_TEST(test_utf8_seq_len_accepts_only_valid_sequences)
{
	static const struct {
		const char *p;
		size_t avail, want;
	} cases[] = {
		{ "A", 1, 1 },
		{ "\x7f", 1, 1 },
		{ "\xc3\xa9", 2, 2 },
		{ "\xc3\xa9zz", 4, 2 },
		{ "\xe2\x82\xac", 3, 3 },
		{ "\xf0\x9f\x98\x80", 4, 4 },
		{ "\xf4\x8f\xbf\xbf", 4, 4 },
		{ "\x80", 1, 0 },
		{ "\xc0\x80", 2, 0 },
		{ "\xc1\xbf", 2, 0 },
		{ "\xe0\x80\x80", 3, 0 },
		{ "\xed\xa0\x80", 3, 0 },
		{ "\xf0\x80\x80\x80", 4, 0 },
		{ "\xf4\x90\x80\x80", 4, 0 },
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 },
		{ "\xc3" "A", 2, 0 },
		{ "\xe2\x82" "A", 3, 0 },
		/* Valid bytes, but the caller's length cuts them off. */
		{ "\xc3\xa9", 1, 0 },
		{ "\xe2\x82\xac", 2, 0 },
		{ "\xf0\x9f\x98\x80", 3, 0 },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		ck_assert_msg(ts_utf8_seq_len((const unsigned char *)cases[i].p,
					      cases[i].avail) == cases[i].want,
			      "case %zu", i);
}
END_TEST

/*
 * Truncated sequences at the very end of readable memory: any read past
 * `len` hits a PROT_NONE page and crashes the test.
 */
START_TEST(test_truncated_sequence_before_guard_page_is_not_overread)
{
	static const char *const tails[] = { "\xc3", "\xe2\x82", "\xf0\x9f\x98",
					     "\xe2", "\xf4\x8f" };
	long page = sysconf(_SC_PAGESIZE);
	char *map, out[64];

	map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t i = 0; i < TS_ARRAY_SIZE(tails); i++) {
		size_t n = strlen(tails[i]);
		char *p = map + page - n;

		memcpy(p, tails[i], n);
		ck_assert_uint_eq(ts_utf8_seq_len((unsigned char *)p, n), 0);
		escape(p, n, out, sizeof(out));
		ck_assert_msg(matches_with_replacements(out, "#"), "[%s]", out);
	}
	munmap(map, (size_t)page * 2);
}
END_TEST

/*
 * Independent UTF-8 check (RFC 3629 table 3-7 ranges).  Returns the
 * sequence length at p, or 0 if invalid.
 */
static size_t ref_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c <= 0x7f)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && p[1] >= 0x80 && p[1] <= 0xbf ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		return n >= 3 && p[1] >= lo && p[1] <= hi && p[2] >= 0x80 &&
		       p[2] <= 0xbf ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		return n >= 4 && p[1] >= lo && p[1] <= hi && p[2] >= 0x80 &&
		       p[2] <= 0xbf && p[3] >= 0x80 && p[3] <= 0xbf ? 4 : 0;
	}
	return 0;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Append code point `cp` (below 0x10000) to dec as UTF-8. */
static size_t put_utf8(char *dec, unsigned cp)
{
	if (cp < 0x80) {
		dec[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dec[0] = (char)(0xc0 | cp >> 6);
		dec[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	dec[0] = (char)(0xe0 | cp >> 12);
	dec[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dec[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/*
 * True when p[0..n) is the inside of a JSON string that a strict parser
 * (RFC 8259, as Python's json) accepts: no raw '"', no byte below 0x20,
 * only the escapes \" \\ \/ \b \f \n \r \t \uXXXX, valid UTF-8.  When
 * `dec` is given it receives the decoded string as UTF-8 (`dlen` bytes).
 */
static bool json_chars_valid(const char *s, size_t n, char *dec, size_t *dlen)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t i = 0, d = 0, k;
	unsigned cp;

	while (i < n) {
		if (p[i] == '"' || p[i] < 0x20)
			return false;
		if (p[i] != '\\') {
			k = ref_utf8_len(p + i, n - i);
			if (!k)
				return false;
			if (dec)
				memcpy(dec + d, p + i, k);
			d += k;
			i += k;
			continue;
		}
		if (i + 1 >= n)
			return false;
		if (p[i + 1] == 'u') {
			if (i + 6 > n)
				return false;
			for (k = 2, cp = 0; k < 6; k++) {
				if (!is_hex(p[i + k]))
					return false;
				cp = cp << 4 | hex_val(p[i + k]);
			}
			k = put_utf8(dec ? dec + d : tmp, cp);
			d += k;
			i += 6;
			continue;
		}
		if (!p[i + 1] || !strchr(esc, p[i + 1]))
			return false;
		if (dec)
			dec[d] = val[strchr(esc, p[i + 1]) - esc];
		d++;
		i += 2;
	}
	if (dlen)
		*dlen = d;
	return true;
}

/* Valid UTF-8 (control characters allowed) by the reference decoder. */
static bool ref_is_utf8(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = ref_utf8_len((const unsigned char *)s + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

START_TEST(test_validator_rejects_what_json_rejects)
{
	/* The fuzz test is only as good as this checker. */
	static const char *const bad[] = {
		"a\"b", "a\x01", "tab\there", "\\", "\\x", "\\u12", "\\u12g4",
		"\x80", "\xc0\x80", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xe2\x82",
	};
	static const char *const good[] = {
		"", "plain", "\\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0000\\uFFFD",
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\x7f",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++)
		ck_assert_msg(!json_chars_valid(bad[i], strlen(bad[i]), NULL,
						NULL),
			      "accepted bad case %zu", i);
	for (size_t i = 0; i < TS_ARRAY_SIZE(good); i++)
		ck_assert_msg(json_chars_valid(good[i], strlen(good[i]), NULL,
					       NULL),
			      "rejected good case %zu", i);
}
END_TEST

/*
 * Random bytes weighted towards the interesting ones.  `clean` limits
 * them to ASCII (controls, quotes and backslashes included) and valid
 * multi-byte characters, so the result is valid UTF-8.
 */
#define CLEAN_PIECES 9 /* pieces[] entries that are valid UTF-8 */

static size_t random_bytes(char *out, size_t max, bool clean)
{
	static const char *const pieces[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xdf\xbf",
		"\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\"", "\\", "\\u",
		/* invalid from here on (index CLEAN_PIECES) */
		"\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
	};
	size_t n = 0, len = rng_next() % max;
	size_t np = clean ? CLEAN_PIECES : TS_ARRAY_SIZE(pieces);

	while (n < len) {
		uint64_t r = rng_next();
		const char *piece;

		switch (r % 4) {
		case 0: /* any byte at all */
			if (!clean) {
				out[n++] = (char)(r >> 8);
				break;
			}
			/* fall through */
		case 1: /* a high byte: leads and continuations */
			if (!clean) {
				out[n++] = (char)(0x80 | (r >> 8));
				break;
			}
			/* fall through */
		case 2: /* printable or control ASCII */
			out[n++] = (char)((r >> 8) % 0x80);
			break;
		default: /* a whole (valid or invalid) sequence */
			piece = pieces[(r >> 8) % np];
			if (n + strlen(piece) <= len) {
				memcpy(out + n, piece, strlen(piece));
				n += strlen(piece);
			} else {
				out[n++] = 'x';
			}
		}
	}
	return n;
}

START_TEST(test_random_bytes_always_escape_to_valid_json)
{
	char in[96], dec[96 * 6];
	struct ts_buf b = { 0 };
	size_t n, dlen, valid_inputs = 0, invalid_inputs = 0;

	ck_assert(ts_buf_reserve(&b, 1)); /* as in escape() */
	rng_state = 20240601;
	for (int iter = 0; iter < 10000; iter++) {
		n = random_bytes(in, sizeof(in), iter % 2);
		ts_buf_reset(&b);
		ts_buf_json_chars(&b, in, n);
		ck_assert(!b.failed);
		ck_assert_msg(json_chars_valid(b.data, b.len, dec, &dlen),
			      "iteration %d: invalid JSON string content",
			      iter);
		if (!ref_is_utf8(in, n)) {
			invalid_inputs++;
			continue;
		}
		/* Valid UTF-8 decodes back to exactly what went in. */
		valid_inputs++;
		ck_assert_uint_eq(dlen, n);
		ck_assert_msg(!memcmp(dec, in, n), "iteration %d", iter);
	}
	/* The generator really produced plenty of each kind. */
	ck_assert_uint_ge(valid_inputs, 5000);
	ck_assert_uint_ge(invalid_inputs, 4000);
	ts_buf_free(&b);
}
END_TEST

Suite *ts_test_buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_growth_across_many_appends_keeps_every_byte);
	tcase_add_test(tc, test_reset_reuses_memory_without_reallocating);
	tcase_add_test(tc, test_failed_reserve_makes_writers_noops_until_reset);
	tcase_add_test(tc, test_zero_length_write_on_fresh_buffer_is_defined);
	tcase_add_test(tc, test_u64_formats_decimal_including_extremes);
	tcase_add_test(tc, test_i64_formats_sign_including_int64_min);
	tcase_add_test(tc, test_numbers_match_printf_for_random_values);
	tcase_add_test(tc, test_hex_is_lowercase_two_digits_per_byte);
	tcase_add_test(tc, test_json_escapes_quote_and_backslash);
	tcase_add_test(tc, test_json_escapes_every_control_char_as_u00xx);
	tcase_add_test(tc, test_json_escapes_c1_controls_and_line_separators);
	tcase_add_test(tc, test_json_copies_valid_multibyte_utf8_verbatim);
	tcase_add_test(tc, test_json_replaces_invalid_utf8_with_fffd);
	tcase_add_test(tc, test_utf8_seq_len_accepts_only_valid_sequences);
	tcase_add_test(tc, test_truncated_sequence_before_guard_page_is_not_overread);
	tcase_add_test(tc, test_validator_rejects_what_json_rejects);
	tcase_add_test(tc, test_random_bytes_always_escape_to_valid_json);
	suite_add_tcase(s, tc);
	return s;
}
