/*
 * test_json.c - the traceshim command's JSON parser (cli/json.c): what
 * RFC 8259 allows is read exactly (escapes, surrogate pairs, NUL bytes in
 * strings, 64-bit integers as numbers or strings), everything else is
 * rejected with a reason and an offset, nesting is bounded, and no input
 * (every prefix of a document, random bytes, random mutations) makes it
 * read past its end: inputs sit right before a guard page.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../cli/json.h"
#include "suites.h"

static struct ts_json_arena arena;
static char err[256];

static const struct ts_json *parse(const char *s)
{
	return ts_json_parse(&arena, s, strlen(s), err, sizeof(err));
}

static void teardown(void)
{
	ts_json_arena_free(&arena);
}

/* A buffer whose end touches a PROT_NONE page. */
static char *guard_copy(const char *s, size_t len, char **base, size_t *maplen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)pg - 1) / (size_t)pg + 1;
	char *m = mmap(NULL, pages * (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + (pages - 1) * (size_t)pg, (size_t)pg,
				  PROT_NONE), 0);
	*base = m;
	*maplen = pages * (size_t)pg;
	memcpy(m + (pages - 1) * (size_t)pg - len, s, len);
	return m + (pages - 1) * (size_t)pg - len;
}

START_TEST(test_parses_every_kind_of_value)
{
	const struct ts_json *v = parse(
		" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, "
		"\"c\": [], \"\": \"empty key\"} \n");

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, TS_JSON_OBJECT);
	ck_assert_uint_eq(v->n, 4);
	ck_assert_int_eq(ts_json_get(v, "a")->type, TS_JSON_ARRAY);
	ck_assert_uint_eq(ts_json_get(v, "a")->n, 6);
	ck_assert_str_eq(ts_json_get(v, "a")->items[1].str, "-2.5e3");
	ck_assert_int_eq(ts_json_get(v, "a")->items[2].type, TS_JSON_TRUE);
	ck_assert_int_eq(ts_json_get(v, "a")->items[4].type, TS_JSON_NULL);
	ck_assert_str_eq(ts_json_string(&ts_json_get(v, "a")->items[5]), "x");
	ck_assert_uint_eq(ts_json_get(v, "b")->n, 0);
	ck_assert_int_eq(ts_json_get(v, "c")->type, TS_JSON_ARRAY);
	ck_assert_str_eq(ts_json_string(ts_json_get(v, "")), "empty key");
	ck_assert_ptr_null(ts_json_get(v, "missing"));
	ck_assert_ptr_null(ts_json_get(&ts_json_get(v, "a")->items[0], "a"));
}
END_TEST

START_TEST(test_strings_decode_escapes_and_surrogates)
{
	const struct ts_json *v =
		parse("[\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\", \"\\u00e9\\u20ac\","
		      " \"\\ud83d\\ude00\", \"a\\u0000b\", \"\\ud800x\", "
		      "\"\\udc00\", \"raw \xc3\xa9 \xf0\x9f\x98\x80\"]");

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->items[0].str, "q\"b\\s/n\nt\tr\rb\bf\f");
	ck_assert_str_eq(v->items[1].str, "\xc3\xa9\xe2\x82\xac");
	ck_assert_str_eq(v->items[2].str, "\xf0\x9f\x98\x80");
	ck_assert_uint_eq(v->items[3].n, 3); /* NUL kept, length known */
	ck_assert_int_eq(memcmp(v->items[3].str, "a\0b", 4), 0);
	/* Lone surrogates become U+FFFD instead of failing the line. */
	ck_assert_str_eq(v->items[4].str, "\xef\xbf\xbdx");
	ck_assert_str_eq(v->items[5].str, "\xef\xbf\xbd");
	ck_assert_str_eq(v->items[6].str, "raw \xc3\xa9 \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_integers_exact_from_numbers_and_strings)
{
	const struct ts_json *v = parse(
		"[\"18446744073709551615\", 18446744073709551615, "
		"\"18446744073709551616\", \"-1\", 1.5, \"1e3\", \"\", "
		"\"-9223372036854775808\", 9223372036854775808, \"007\", true, "
		"\" 12\"]");
	uint64_t u;
	int64_t i;
	double d;

	ck_assert_ptr_nonnull(v);
	ck_assert(ts_json_u64(&v->items[0], &u));
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert(ts_json_u64(&v->items[1], &u));
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert(!ts_json_u64(&v->items[2], &u)); /* overflow */
	ck_assert(!ts_json_u64(&v->items[3], &u)); /* negative */
	ck_assert(!ts_json_u64(&v->items[4], &u)); /* fraction */
	ck_assert(!ts_json_u64(&v->items[5], &u));
	ck_assert(!ts_json_u64(&v->items[6], &u));
	ck_assert(ts_json_i64(&v->items[7], &i));
	ck_assert(i == INT64_MIN);
	ck_assert(!ts_json_i64(&v->items[8], &i)); /* INT64_MAX + 1 */
	ck_assert(ts_json_i64(&v->items[3], &i));
	ck_assert(i == -1);
	ck_assert(ts_json_u64(&v->items[9], &u)); /* digits in a string */
	ck_assert_uint_eq(u, 7);
	ck_assert(!ts_json_u64(&v->items[10], &u));
	ck_assert(ts_json_double(&v->items[4], &d));
	ck_assert(d == 1.5);
	ck_assert(ts_json_double(&v->items[5], &d));
	ck_assert(d == 1000);
	ck_assert(!ts_json_double(&v->items[11], &d));
}
END_TEST

START_TEST(test_rejects_what_rfc8259_does_not_allow)
{
	static const char *const bad[] = {
		"", " ", "[1,]", "{\"a\":1,}", "[01]", "[+1]", "[.5]", "[1.]",
		"[1e]", "[-]", "['a']", "[1] // c", "/* c */ [1]", "[\"a\tb\"]",
		"[\"\\x\"]", "[\"\\u12g4\"]", "[\"abc]", "[tru]", "[nul]",
		"{} x", "{\"a\" 1}", "{1:2}", "[1 2]", "[\"\xff\"]",
		"[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\xe2\x82\"]", "\xef\xbb\xbf[]", "[NaN]", "[Infinity]",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(!parse(bad[i]), "accepted: %s", bad[i]);
		ck_assert_msg(!strncmp(err, "offset ", 7), "no reason for %s: %s",
			      bad[i], err);
	}
	ck_assert(!parse("[1, 2, }"));
	ck_assert_str_eq(err, "offset 7: unexpected character");
}
END_TEST

START_TEST(test_nesting_is_bounded)
{
	char doc[2 * TS_JSON_MAX_DEPTH + 8];
	int i;

	for (i = 0; i < TS_JSON_MAX_DEPTH; i++) {
		doc[i] = '[';
		doc[TS_JSON_MAX_DEPTH + i] = ']';
	}
	doc[2 * TS_JSON_MAX_DEPTH] = '\0';
	ck_assert_ptr_nonnull(parse(doc));
	memmove(doc + 1, doc, strlen(doc) + 1);
	doc[0] = '[';
	strcat(doc, "]");
	ck_assert_ptr_null(parse(doc));
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than"));
}
END_TEST

START_TEST(test_no_prefix_of_a_document_is_read_past_its_end)
{
	static const char doc[] =
		"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
		"\"service.name\",\"value\":{\"stringValue\":\"a\\u00e9\\ud83d"
		"\\ude00\"}}]},\"n\":-1.25e-3,\"t\":true,\"f\":false,\"z\":null}]}";
	size_t len, ml;
	char *base, *p;

	for (len = 0; len <= sizeof(doc) - 1; len++) {
		p = guard_copy(doc, len, &base, &ml);
		if (len == sizeof(doc) - 1)
			ck_assert_ptr_nonnull(ts_json_parse(&arena, p, len, err,
							    sizeof(err)));
		else
			ck_assert_ptr_null(ts_json_parse(&arena, p, len, err,
							 sizeof(err)));
		munmap(base, ml);
	}
}
END_TEST

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

START_TEST(test_random_input_never_crashes_or_overreads)
{
	static const char seed[] =
		"{\"a\":[1,2.5,\"s\\n\\u00e9\",{\"b\":null,\"c\":[true,false]}],"
		"\"d\":\"\\ud83d\\ude00\"}";
	static const char alphabet[] = "{}[],:\"\\u0123456789eE+-.tfnrl \t\xc3\xa9\xff";
	char buf[256], *base, *p;
	size_t len, ml, k;
	int round;

	for (round = 0; round < 20000; round++) {
		if (round % 2) { /* mutate the seed */
			len = sizeof(seed) - 1;
			memcpy(buf, seed, len);
			for (k = 0; k < 1 + next() % 4; k++)
				buf[next() % len] =
					alphabet[next() % (sizeof(alphabet) - 1)];
		} else { /* random text from the alphabet */
			len = next() % 64;
			for (k = 0; k < len; k++)
				buf[k] = alphabet[next() % (sizeof(alphabet) - 1)];
		}
		p = guard_copy(buf, len, &base, &ml);
		if (!ts_json_parse(&arena, p, len, err, sizeof(err)))
			ck_assert(err[0]);
		munmap(base, ml);
		if (round % 1000 == 0)
			ts_json_arena_free(&arena);
	}
}
END_TEST

START_TEST(test_big_arrays_and_arena_reuse)
{
	static char doc[1 << 20];
	const struct ts_json *v;
	size_t n = 0, i;
	int round;

	n += (size_t)snprintf(doc, sizeof(doc), "[");
	for (i = 0; i < 50000; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"%zu\"",
				      i ? "," : "", i);
	snprintf(doc + n, sizeof(doc) - n, "]");
	for (round = 0; round < 3; round++) {
		v = parse(doc);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(v->n, 50000);
		ck_assert_str_eq(v->items[49999].str, "49999");
		ts_json_arena_free(&arena);
	}
}
END_TEST

Suite *ts_test_json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_parses_every_kind_of_value);
	tcase_add_test(tc, test_strings_decode_escapes_and_surrogates);
	tcase_add_test(tc, test_integers_exact_from_numbers_and_strings);
	tcase_add_test(tc, test_rejects_what_rfc8259_does_not_allow);
	tcase_add_test(tc, test_nesting_is_bounded);
	tcase_add_test(tc, test_no_prefix_of_a_document_is_read_past_its_end);
	tcase_add_test(tc, test_random_input_never_crashes_or_overreads);
	tcase_add_test(tc, test_big_arrays_and_arena_reuse);
	suite_add_tcase(s, tc);
	return s;
}
