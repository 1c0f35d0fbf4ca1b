/*
 * test_span_limits.c - OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and
 * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (and their general/span twins), read
 * by ts_config_load() and enforced by ts_span_attr_*().
 *
 * What is proved: with ts_cfg all zero (no configuration loaded) the
 * specification's defaults apply (128 attributes, capped by the record at
 * TS_SPAN_MAX_ATTRS; no length limit but TS_SPAN_VALUE_MAX bytes); a count
 * limit drops, and counts in dropped_attrs, every attribute past it,
 * whatever its type; a length limit cuts string values at that many
 * characters, never inside a UTF-8 sequence, and leaves other types alone;
 * the span's own variable wins over the general one; invalid values give
 * one warning each and count as unset.  The deferred HTTP attributes go
 * through the same functions, so they obey the same limits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/buf.h"
#include "capture.h"
#include "suites.h"

static const char *const limit_vars[] = {
	"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
	"OTEL_ATTRIBUTE_COUNT_LIMIT",
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
	"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
};

static struct ts_span *new_span(void)
{
	struct ts_span *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	memset(s, 0xa5, sizeof(*s));
	ts_span_start(s, TS_KIND_SERVER, "GET", 3, NULL);
	return s;
}

/* Load ts_cfg with only the given variables set; returns the warnings. */
static int load_with(const char *const *kv, size_t n, char *err, size_t size)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(limit_vars); i++)
		unsetenv(limit_vars[i]);
	for (size_t i = 0; i + 1 < n; i += 2)
		ck_assert_int_eq(setenv(kv[i], kv[i + 1], 1), 0);
	return ts_capture_config_load(&ts_cfg, err, size);
}

static void load_ok(const char *name, const char *value)
{
	const char *kv[] = { name, value };
	char err[1024];

	ck_assert_int_eq(load_with(kv, 2, err, sizeof(err)), 0);
	ck_assert_msg(err[0] == '\0', "%s=%s printed [%s]", name, value, err);
}

/* Add `n` attributes of mixed types; returns how many were kept. */
static unsigned add_mixed(struct ts_span *s, unsigned n)
{
	unsigned kept = 0;
	char key[16];

	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(key, sizeof(key), "k%u", i);

		switch (i % 3) {
		case 0:
			kept += ts_span_attr_str(s, key, (size_t)k, "v", 1);
			break;
		case 1:
			kept += ts_span_attr_int(s, key, (size_t)k, i);
			break;
		default:
			kept += ts_span_attr_bool(s, key, (size_t)k, true);
		}
	}
	return kept;
}

/* The value of string attribute `i` of `s`. */
static void value_of(const struct ts_span *s, unsigned i, const char **v,
		     size_t *len)
{
	ck_assert_uint_lt(i, s->nattrs);
	ck_assert_uint_eq(s->attrs[i].type, TS_ATTR_STRING);
	*v = ts_span_str(s, s->attrs[i].val_off);
	*len = s->attrs[i].val_len;
}

START_TEST(zeroed_config_keeps_the_records_capacity)
{
	struct ts_span *s;

	memset(&ts_cfg, 0, sizeof(ts_cfg));
	s = new_span();
	ck_assert_uint_eq(add_mixed(s, 40), TS_SPAN_MAX_ATTRS);
	ck_assert_uint_eq(s->nattrs, TS_SPAN_MAX_ATTRS);
	ck_assert_uint_eq(s->dropped_attrs, 40 - TS_SPAN_MAX_ATTRS);
	free(s);
}
END_TEST

START_TEST(zeroed_config_has_no_length_limit_but_the_records)
{
	struct ts_span *s;
	char big[2000];
	const char *v;
	size_t len;

	memset(&ts_cfg, 0, sizeof(ts_cfg));
	memset(big, 'x', sizeof(big));
	s = new_span();
	ck_assert(ts_span_add_str(s, "a", big, 300));
	ck_assert(ts_span_add_str(s, "b", big, sizeof(big)));
	value_of(s, 0, &v, &len);
	ck_assert_uint_eq(len, 300);
	value_of(s, 1, &v, &len);
	ck_assert_uint_eq(len, TS_SPAN_VALUE_MAX);
	free(s);
}
END_TEST

START_TEST(defaults_after_load_are_the_specifications)
{
	struct ts_span *s;
	char err[1024], big[600];

	ck_assert_int_eq(load_with(NULL, 0, err, sizeof(err)), 0);
	ck_assert(!ts_cfg.attr_count_set);
	ck_assert(!ts_cfg.attr_value_set);
	ck_assert_uint_eq(ts_cfg.attr_count_limit, 128);
	s = new_span();
	ck_assert_uint_eq(add_mixed(s, 40), TS_SPAN_MAX_ATTRS);
	memset(big, 'x', sizeof(big));
	ck_assert(!ts_span_add_str(s, "a", big, sizeof(big))); /* full */
	free(s);
	s = new_span();
	ck_assert(ts_span_add_str(s, "a", big, sizeof(big)));
	ck_assert_uint_eq(s->attrs[0].val_len, TS_SPAN_VALUE_MAX);
	free(s);
}
END_TEST

START_TEST(count_limit_drops_and_counts_every_attribute_past_it)
{
	static const unsigned limits[] = { 0, 1, 3, 7, 31, 32, 33, 128, 100000 };
	char v[16];

	for (size_t i = 0; i < TS_ARRAY_SIZE(limits); i++) {
		unsigned want = limits[i] < TS_SPAN_MAX_ATTRS ? limits[i]
							       : TS_SPAN_MAX_ATTRS;
		struct ts_span *s;

		snprintf(v, sizeof(v), "%u", limits[i]);
		load_ok("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", v);
		ck_assert(ts_cfg.attr_count_set);
		ck_assert_uint_eq(ts_cfg.attr_count_limit, limits[i]);
		s = new_span();
		ck_assert_uint_eq(add_mixed(s, 40), want);
		ck_assert_uint_eq(s->nattrs, want);
		ck_assert_uint_eq(s->dropped_attrs, 40 - want);
		/* Past the limit every type is refused. */
		ck_assert(!ts_span_add_int(s, "i", 1) || want > 40);
		ck_assert(!ts_span_add_bool(s, "b", true) || want > 40);
		ck_assert(!ts_span_add_str(s, "s", "x", 1) || want > 40);
		ck_assert_uint_eq(s->dropped_attrs, 43 - want);
		free(s);
	}
}
END_TEST

START_TEST(general_count_limit_applies_and_the_spans_own_wins)
{
	const char *both[] = { "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2",
			       "OTEL_ATTRIBUTE_COUNT_LIMIT", "5" };
	struct ts_span *s;
	char err[1024];

	load_ok("OTEL_ATTRIBUTE_COUNT_LIMIT", "5");
	s = new_span();
	ck_assert_uint_eq(add_mixed(s, 10), 5);
	free(s);
	ck_assert_int_eq(load_with(both, 4, err, sizeof(err)), 0);
	s = new_span();
	ck_assert_uint_eq(add_mixed(s, 10), 2);
	free(s);
}
END_TEST

START_TEST(length_limit_counts_characters_not_bytes)
{
	static const struct {
		const char *limit, *in, *want;
	} cases[] = {
		{ "5", "hello world", "hello" },
		{ "5", "héllo wörld", "héllo" },           /* 2-byte é */
		{ "3", "日本語テキスト", "日本語" },        /* 3-byte CJK */
		{ "2", "😀😃😄", "😀😃" },                  /* 4-byte emoji */
		{ "4", "ab😀cd", "ab😀c" },
		{ "0", "anything", "" },
		{ "8", "short", "short" },
		{ "5", "hello", "hello" },                 /* exactly the limit */
		{ "1", "\xc3\xa9\xcc\x81", "\xc3\xa9" },    /* é + combining */
	};
	const char *v;
	size_t len;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_span *s;

		load_ok("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", cases[i].limit);
		s = new_span();
		ck_assert(ts_span_add_str(s, "k", cases[i].in,
					  strlen(cases[i].in)));
		value_of(s, 0, &v, &len);
		ck_assert_msg(len == strlen(cases[i].want) &&
				      !memcmp(v, cases[i].want, len),
			      "limit %s on \"%s\": \"%.*s\"", cases[i].limit,
			      cases[i].in, (int)len, v);
		free(s);
	}
}
END_TEST

/*
 * Characters and bytes of p[0..len) as the encoders write it (each byte
 * of malformed input as U+FFFD, one character of 3 bytes); false if a
 * valid sequence is split at len.
 */
static bool as_sent(const char *s, size_t len, size_t avail, size_t *chars,
		    size_t *bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	*chars = *bytes = 0;
	while (i < len) {
		n = ts_utf8_seq_len(p + i, avail - i);
		*bytes += n ? n : 3;
		i += n ? n : 1;
		++*chars;
	}
	return i == len;
}

START_TEST(length_limit_on_malformed_utf8_never_splits_or_overruns)
{
	/* Stray continuation bytes and a truncated sequence at the end:
	 * 10 characters as sent (each malformed byte one U+FFFD). */
	static const char in[] = "\x80\x80" "a" "\xe6\x97" "b" "\xf0\x9f\x98" "\xc3\xa9";
	const char *v;
	size_t len, chars, bytes;

	for (unsigned limit = 0; limit <= 12; limit++) {
		char lv[8];
		struct ts_span *s;

		snprintf(lv, sizeof(lv), "%u", limit);
		load_ok("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", lv);
		s = new_span();
		ck_assert(ts_span_add_str(s, "k", in, sizeof(in) - 1));
		value_of(s, 0, &v, &len);
		ck_assert_uint_le(len, sizeof(in) - 1);
		ck_assert(!memcmp(v, in, len)); /* a prefix */
		/* Never splits the valid character at the end; exactly the
		 * limit's characters as sent (or all 10). */
		ck_assert_msg(as_sent(in, len, sizeof(in) - 1, &chars, &bytes),
			      "limit %u: cut at %zu splits a character", limit,
			      len);
		ck_assert_uint_eq(chars, limit < 10 ? limit : 10);
		free(s);
	}
}
END_TEST

/* The 512-byte cap holds in what is sent: malformed bytes triple. */
START_TEST(byte_cap_counts_malformed_bytes_as_sent)
{
	char in[400];
	const char *v;
	size_t len, chars, bytes;
	struct ts_span *s = new_span();

	memset(in, 0xff, sizeof(in));
	memcpy(in + 150, "\xe2\x82\xac", 3); /* a valid euro sign among them */
	ck_assert(ts_span_add_str(s, "k", in, sizeof(in)));
	value_of(s, 0, &v, &len);
	ck_assert(as_sent(in, len, sizeof(in), &chars, &bytes));
	ck_assert_uint_le(bytes, TS_SPAN_VALUE_MAX);
	ck_assert_uint_gt(bytes, TS_SPAN_VALUE_MAX - 3);
	free(s);
}
END_TEST

START_TEST(length_limit_leaves_other_types_and_the_name_alone)
{
	struct ts_span *s;
	const char *v;
	size_t len;

	load_ok("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "2");
	s = new_span();
	ck_assert(ts_span_add_int(s, "n", 123456789));
	ck_assert(ts_span_add_bool(s, "b", true));
	ck_assert(ts_span_add_str(s, "long.key.is.not.a.value", "abc", 3));
	ck_assert(ts_span_set_name(s, "GET /a/long/route", 17));
	ck_assert_int_eq(s->attrs[0].ival, 123456789);
	ck_assert_int_eq(s->attrs[1].ival, 1);
	value_of(s, 2, &v, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_uint_eq(s->attrs[2].key_len, 23);
	ck_assert_uint_eq(s->name_len, 17);
	free(s);
}
END_TEST

START_TEST(length_limit_above_the_records_still_stops_at_its_bytes)
{
	char big[2000];
	struct ts_span *s;
	const char *v;
	size_t len;

	memset(big, 'y', sizeof(big));
	load_ok("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1000");
	s = new_span();
	ck_assert(ts_span_add_str(s, "k", big, sizeof(big)));
	value_of(s, 0, &v, &len);
	ck_assert_uint_eq(len, TS_SPAN_VALUE_MAX);
	free(s);
}
END_TEST

START_TEST(span_length_limit_wins_over_the_general_one)
{
	const char *both[] = { "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3",
			       "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6" };
	struct ts_span *s;
	char err[1024];
	const char *v;
	size_t len;

	ck_assert_int_eq(load_with(both, 4, err, sizeof(err)), 0);
	ck_assert_uint_eq(ts_cfg.attr_value_limit, 3);
	s = new_span();
	ck_assert(ts_span_add_str(s, "k", "abcdefgh", 8));
	value_of(s, 0, &v, &len);
	ck_assert_uint_eq(len, 3);
	free(s);
}
END_TEST

START_TEST(invalid_limits_warn_once_each_and_count_as_unset)
{
	static const char *const bad[] = {
		"-1", "abc", "1e3", "10 chars", "0x10", "2147483648",
		"99999999999999999999", "+5", "1.5",
	};
	char err[1024];

	for (size_t v = 0; v < TS_ARRAY_SIZE(limit_vars); v++) {
		for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
			const char *kv[] = { limit_vars[v], bad[i] };

			ck_assert_int_eq(load_with(kv, 2, err, sizeof(err)), 1);
			ck_assert_msg(ts_capture_count_lines(err) == 1 &&
					      strstr(err, limit_vars[v]) &&
					      !strncmp(err, "traceshim: warning: ", 20),
				      "%s=%s: [%s]", limit_vars[v], bad[i], err);
			ck_assert(!ts_cfg.attr_count_set);
			ck_assert(!ts_cfg.attr_value_set);
		}
	}
	/* An invalid span variable falls back to a valid general one. */
	{
		const char *kv[] = { "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "many",
				     "OTEL_ATTRIBUTE_COUNT_LIMIT", "4" };

		ck_assert_int_eq(load_with(kv, 4, err, sizeof(err)), 1);
		ck_assert(ts_cfg.attr_count_set);
		ck_assert_uint_eq(ts_cfg.attr_count_limit, 4);
	}
	/* A value too long to be read whole is not taken for its start. */
	{
		char zeros[400];
		const char *kv[] = { "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", zeros };

		memset(zeros, '0', sizeof(zeros) - 2);
		zeros[sizeof(zeros) - 2] = '5';
		zeros[sizeof(zeros) - 1] = '\0';
		ck_assert_int_eq(load_with(kv, 2, err, sizeof(err)), 1);
		ck_assert(!ts_cfg.attr_value_set);
	}
}
END_TEST

START_TEST(blank_and_empty_limits_are_unset_silently)
{
	char err[1024];

	for (size_t v = 0; v < TS_ARRAY_SIZE(limit_vars); v++) {
		const char *kv[] = { limit_vars[v], " \t " };
		const char *kv2[] = { limit_vars[v], "" };

		ck_assert_int_eq(load_with(kv, 2, err, sizeof(err)), 0);
		ck_assert_str_eq(err, "");
		ck_assert_int_eq(load_with(kv2, 2, err, sizeof(err)), 0);
		ck_assert_str_eq(err, "");
		ck_assert(!ts_cfg.attr_count_set && !ts_cfg.attr_value_set);
	}
	load_ok("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", " 7 ");
	ck_assert_uint_eq(ts_cfg.attr_count_limit, 7);
}
END_TEST

Suite *ts_test_span_limits_suite(void)
{
	Suite *s = suite_create("span_limits");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, zeroed_config_keeps_the_records_capacity);
	tcase_add_test(tc, zeroed_config_has_no_length_limit_but_the_records);
	tcase_add_test(tc, defaults_after_load_are_the_specifications);
	tcase_add_test(tc, count_limit_drops_and_counts_every_attribute_past_it);
	tcase_add_test(tc, general_count_limit_applies_and_the_spans_own_wins);
	tcase_add_test(tc, length_limit_counts_characters_not_bytes);
	tcase_add_test(tc, length_limit_on_malformed_utf8_never_splits_or_overruns);
	tcase_add_test(tc, byte_cap_counts_malformed_bytes_as_sent);
	tcase_add_test(tc, length_limit_leaves_other_types_and_the_name_alone);
	tcase_add_test(tc, length_limit_above_the_records_still_stops_at_its_bytes);
	tcase_add_test(tc, span_length_limit_wins_over_the_general_one);
	tcase_add_test(tc, invalid_limits_warn_once_each_and_count_as_unset);
	tcase_add_test(tc, blank_and_empty_limits_are_unset_silently);
	suite_add_tcase(s, tc);
	return s;
}
