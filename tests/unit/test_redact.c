/*
 * test_redact.c - url.full / url.query redaction and the never-recorded
 * headers.
 *
 * What is proved: the semantic conventions' examples come out exactly;
 * every built-in parameter name has its value replaced by REDACTED and
 * keeps its name, matched case-sensitively after percent-decoding, with
 * '&' and ';' as separators; everything that is not a sensitive value is
 * copied byte for byte; URL credentials become REDACTED:REDACTED whatever
 * their shape; fragments are kept (and redacted the same way); extra
 * names from TRACESHIM_REDACT_QUERY_PARAMS are added, invalid ones warned
 * about one by one; an output too small is cut cleanly for every size
 * (never inside REDACTED, an escape or a UTF-8 sequence, never a byte of a
 * secret); inputs are read from right before a guard page and outputs
 * written right before one.  The header predicate knows its list in any
 * case and nothing else.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/redact.h"
#include "capture.h"
#include "guardmem.h"
#include "suites.h"

typedef size_t (*redact_fn)(const char *, size_t, char *, size_t);

/* Run `fn` on `in` before a guard page, output before another. */
static size_t run(redact_fn fn, const char *in, size_t len, char *out,
		  size_t size)
{
	struct ts_guard gi, go;
	const char *i = ts_guard_copy(&gi, in, len);
	char *o = ts_guard_room(&go, size);
	size_t n = fn(i, len, o, size);

	if (size) {
		ck_assert_uint_lt(n, size);
		ck_assert_uint_eq(o[n], '\0');
		memcpy(out, o, n + 1);
	} else {
		ck_assert_uint_eq(n, 0);
	}
	ts_guard_free(&gi);
	ts_guard_free(&go);
	return n;
}

static void assert_query(const char *in, const char *want)
{
	char out[2048];

	run(ts_redact_query, in, strlen(in), out, sizeof(out));
	ck_assert_msg(!strcmp(out, want), "query \"%s\": \"%s\", want \"%s\"",
		      in, out, want);
}

static void assert_url(const char *in, const char *want)
{
	char out[2048];

	run(ts_redact_url, in, strlen(in), out, sizeof(out));
	ck_assert_msg(!strcmp(out, want), "url \"%s\": \"%s\", want \"%s\"", in,
		      out, want);
}

static int configure_captured(const char *spec, char *err, size_t size)
{
	return ts_capture_spec(ts_redact_configure, spec, err, size);
}

/* ---- queries ----------------------------------------------------------- */

START_TEST(semantic_conventions_examples)
{
	assert_query("q=OpenTelemetry&sig=secret", "q=OpenTelemetry&sig=REDACTED");
	assert_url("https://www.example.com/path?color=blue&sig=secret",
		   "https://www.example.com/path?color=blue&sig=REDACTED");
	assert_url("https://username:password@www.example.com/",
		   "https://REDACTED:REDACTED@www.example.com/");
}
END_TEST

START_TEST(every_builtin_name_is_redacted_and_keeps_its_name)
{
	static const char *const names[] = {
		"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
		"AWSAccessKeyId",  "Signature",        "sig",
		"X-Goog-Signature", "access_token",    "refresh_token",
		"id_token",        "client_secret",
	};
	char in[256], want[256];

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++) {
		snprintf(in, sizeof(in), "a=1&%s=s3cr3t%%2Fx&b=2", names[i]);
		snprintf(want, sizeof(want), "a=1&%s=REDACTED&b=2", names[i]);
		assert_query(in, want);
		ck_assert(ts_redact_param_is_sensitive(names[i],
						       strlen(names[i])));
	}
}
END_TEST

START_TEST(a_real_presigned_s3_url)
{
	assert_url("https://bucket.s3.amazonaws.com/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		   "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		   "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
		   "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		   "https://bucket.s3.amazonaws.com/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		   "&X-Amz-Credential=REDACTED"
		   "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
		   "&X-Amz-Signature=REDACTED");
	/* Azure SAS, CloudFront, GCS v2. */
	assert_query("sv=2021-06-08&ss=b&srt=o&sp=r&se=2030-01-01&sig=abc%2Bdef%3D",
		     "sv=2021-06-08&ss=b&srt=o&sp=r&se=2030-01-01&sig=REDACTED");
	assert_query("Expires=1&Signature=abc~def&Key-Pair-Id=K2",
		     "Expires=1&Signature=REDACTED&Key-Pair-Id=K2");
	assert_query("GoogleAccessId=x@y.iam&Expires=1&Signature=zz",
		     "GoogleAccessId=x@y.iam&Expires=1&Signature=REDACTED");
}
END_TEST

START_TEST(names_match_case_sensitively_and_percent_decoded)
{
	assert_query("SIG=1&Sig=2&signature=3&sig=4", "SIG=1&Sig=2&signature=3&sig=REDACTED");
	assert_query("%73ig=1&si%67=2&%73%69%67=3", "%73ig=REDACTED&si%67=REDACTED&%73%69%67=REDACTED");
	assert_query("X%2DAmz%2DSignature=1", "X%2DAmz%2DSignature=REDACTED");
	assert_query("x%2damz%2dsignature=1", "x%2damz%2dsignature=1");
	assert_query("sig%=1&sig%2=2&%zzsig=3", "sig%=1&sig%2=2&%zzsig=3");
	assert_query("sigs=1&xsig=2&sig_=3", "sigs=1&xsig=2&sig_=3");
	assert_query("sig%00=1", "sig%00=1");
}
END_TEST

START_TEST(separators_empty_values_and_odd_shapes)
{
	static const char *const cases[][2] = {
		{ "", "" },
		{ "sig", "sig" },                        /* no value */
		{ "sig&a=1", "sig&a=1" },
		{ "sig=", "sig=REDACTED" },              /* empty: same shape */
		{ "sig=a=b=c&d=1", "sig=REDACTED&d=1" }, /* '=' in the value */
		{ "a=1;sig=2;b=3", "a=1;sig=REDACTED;b=3" },
		{ "a=1&amp;sig=2", "a=1&amp;sig=REDACTED" },
		{ "&&sig=1&&", "&&sig=REDACTED&&" },
		{ "=sig&sig==", "=sig&sig=REDACTED" },
		{ "sig=1&sig=2", "sig=REDACTED&sig=REDACTED" },
		{ "a=sig&b=sig=1", "a=sig&b=sig=1" },    /* sig as a value */
		{ "q=a%20b+c&x=%E2%82%AC", "q=a%20b+c&x=%E2%82%AC" },
		{ "k=\xe2\x82\xac&sig=\xe2\x82\xac", "k=\xe2\x82\xac&sig=REDACTED" },
		{ "a=1#frag", "a=1#frag" },              /* '#' is not special here */
		{ "a=1?sig=2", "a=1?sig=REDACTED" },     /* '?' splits: more, never less */
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_query(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(input_is_read_exactly_len_bytes)
{
	char out[64];
	const char q[] = "a=1&sig=secretXXXX";

	ck_assert_uint_eq(ts_redact_query(q, 3, out, sizeof(out)), 3);
	ck_assert_str_eq(out, "a=1");
	ts_redact_query(q, 14, out, sizeof(out));
	ck_assert_str_eq(out, "a=1&sig=REDACTED");
	ck_assert_uint_eq(ts_redact_query(NULL, 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(ts_redact_url(NULL, 0, out, sizeof(out)), 0);
	ck_assert_uint_eq(ts_redact_query(q, 3, out, 0), 0);
}
END_TEST

/* ---- URLs ------------------------------------------------------------------ */

START_TEST(every_shape_of_userinfo_is_replaced_whole)
{
	static const char *const cases[][2] = {
		{ "http://user:pass@host/", "http://REDACTED:REDACTED@host/" },
		{ "http://user@host/", "http://REDACTED:REDACTED@host/" },
		{ "http://:pass@host/", "http://REDACTED:REDACTED@host/" },
		{ "http://u:p%40ss@host:8080/x", "http://REDACTED:REDACTED@host:8080/x" },
		{ "http://u:p@ss@host/x", "http://REDACTED:REDACTED@host/x" },
		{ "https://u:p@[::1]:8443/", "https://REDACTED:REDACTED@[::1]:8443/" },
		{ "http://u:p@host", "http://REDACTED:REDACTED@host" },
		{ "http://u:p@host?sig=1", "http://REDACTED:REDACTED@host?sig=REDACTED" },
		{ "http://u:p@host#f", "http://REDACTED:REDACTED@host#f" },
		{ "HTTP://U:P@HOST/", "HTTP://REDACTED:REDACTED@HOST/" },
		{ "ftp+x.y-z://u:p@h/", "ftp+x.y-z://REDACTED:REDACTED@h/" },
		{ "//u:p@host/x", "//REDACTED:REDACTED@host/x" },
		{ "user:pw@host:80/x?y", "REDACTED:REDACTED@host:80/x?y" },
		{ "http://@host/", "http://REDACTED:REDACTED@host/" },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_url(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(at_signs_outside_the_authority_are_not_credentials)
{
	static const char *const cases[] = {
		"http://host/path@x",
		"http://host/u/john@example.com",
		"http://host?email=a@b.c",
		"http://host#a@b",
		"http://host:8080/?q=@",
		"/relative@x?y=@",
		"http://[::1]/a@b",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_url(cases[i], cases[i]);
}
END_TEST

START_TEST(query_and_fragment_of_a_url_are_redacted_fragment_kept)
{
	static const char *const cases[][2] = {
		{ "http://h/p?a=1&sig=2#top", "http://h/p?a=1&sig=REDACTED#top" },
		{ "http://h/cb#access_token=abc&state=x",
		  "http://h/cb#access_token=REDACTED&state=x" },
		{ "http://h/p#frag?sig=1", "http://h/p#frag?sig=REDACTED" },
		{ "http://h/p?#", "http://h/p?#" },
		{ "http://h/p?sig=1?sig=2", "http://h/p?sig=REDACTED?sig=REDACTED" },
		{ "http://h/#/login?access_token=t&x=1",
		  "http://h/#/login?access_token=REDACTED&x=1" },
		{ "/p?sig=1", "/p?sig=REDACTED" },
		{ "?sig=1", "?sig=REDACTED" },
		{ "http://h/a;sig=1/b", "http://h/a;sig=1/b" }, /* path: untouched */
		{ "http://h/p?x=%zz&sig=%", "http://h/p?x=%zz&sig=REDACTED" },
		{ "", "" },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_url(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(plain_urls_are_copied_byte_for_byte)
{
	static const char *const cases[] = {
		"http://example.com",
		"https://example.com:8443/a/b.c?x=1&y=%20#z",
		"http://127.0.0.1:8080/",
		"http://[fe80::1%25eth0]:80/x",
		"http://h/\xe6\x97\xa5\xe6\x9c\xac?\xe8\xaa\x9e=1",
		"mailto-ish:text without slashes",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_url(cases[i], cases[i]);
}
END_TEST

/* ---- cutting ------------------------------------------------------------------- */

/* No "REDAC..." without its "...TED", no secret byte, no broken escape. */
static void assert_clean_cut(const char *full, const char *out, size_t n,
			     const char *secret)
{
	const char *r;

	ck_assert_msg(!strncmp(full, out, n), "not a prefix: \"%s\"", out);
	for (r = out; (r = strstr(r, "R")); r++)
		if (!strncmp(r, "REDACTED", strlen(r) < 8 ? strlen(r) : 8) &&
		    strlen(r) < 8)
			ck_abort_msg("partial REDACTED: \"%s\"", out);
	ck_assert_msg(!secret || !strstr(out, secret), "secret in \"%s\"",
		      out);
	if (n >= 1 && out[n - 1] == '%')
		ck_abort_msg("cut after '%%': \"%s\"", out);
	if (n >= 2 && out[n - 2] == '%')
		ck_abort_msg("cut inside an escape: \"%s\"", out);
	if (n && ((unsigned char)full[n] & 0xc0) == 0x80 && full[n])
		ck_abort_msg("cut inside a UTF-8 sequence: \"%s\"", out);
}

START_TEST(every_output_size_cuts_cleanly)
{
	static const struct {
		redact_fn fn;
		const char *in, *secret;
	} cases[] = {
		{ ts_redact_url,
		  "https://alice:hunter2@h.example/p%C3%A9?a=%E2%82%AC&sig=hunter3&b=\xe2\x82\xac\xe2\x82\xac#x",
		  "hunter" },
		{ ts_redact_query, "sig=topsecret&x=%41%42&sig=topsecret2",
		  "topsecret" },
		{ ts_redact_query, "\xf0\x9f\x98\x80=1&Signature=s3cr3t&\xf0\x9f\x98\x80", "s3cr3t" },
	};
	char full[512], out[512];

	for (size_t c = 0; c < TS_ARRAY_SIZE(cases); c++) {
		size_t len = strlen(cases[c].in);
		size_t fn = run(cases[c].fn, cases[c].in, len, full, sizeof(full));

		ck_assert_ptr_null(strstr(full, cases[c].secret));
		for (size_t size = 0; size <= fn + 1; size++) {
			size_t n = run(cases[c].fn, cases[c].in, len, out, size);

			if (!size)
				continue;
			ck_assert_uint_le(n, size - 1);
			if (size > fn)
				ck_assert_str_eq(out, full);
			else
				assert_clean_cut(full, out, n, cases[c].secret);
		}
	}
}
END_TEST

START_TEST(a_value_never_leaks_when_redacted_is_cut_away)
{
	char out[32];

	/* "sig=" fits, "REDACTED" does not: the output stops at "sig=". */
	ck_assert_uint_eq(ts_redact_query("sig=abcdefghijkl", 16, out, 8), 4);
	ck_assert_str_eq(out, "sig=");
	ck_assert_uint_eq(ts_redact_url("http://u:p@h/", 13, out, 12), 7);
	ck_assert_str_eq(out, "http://");
}
END_TEST

START_TEST(random_inputs_keep_the_contract)
{
	static const char alphabet[] = "sig=&;%2F41#?@:/Signaturexé";
	uint64_t rng = 0xfeed;
	char in[160], out[200];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len, size, n;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		len = (rng >> 33) % sizeof(in);
		size = (rng >> 20) % sizeof(out);
		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ull + 1;
			in[i] = alphabet[(rng >> 33) % (sizeof(alphabet) - 1)];
		}
		n = run(iter & 1 ? ts_redact_url : ts_redact_query, in, len,
			out, size);
		if (size)
			ck_assert_uint_le(n, size - 1);
	}
}
END_TEST

/* ---- configuration -------------------------------------------------------------- */

START_TEST(extra_names_are_added_to_the_builtin_ones)
{
	char err[1024];

	ck_assert_int_eq(configure_captured(" api_key ,token,X-My-Sig,,", err,
					    sizeof(err)),
			 0);
	ck_assert_str_eq(err, "");
	assert_query("api_key=1&token=2&X-My-Sig=3&sig=4&API_KEY=5",
		     "api_key=REDACTED&token=REDACTED&X-My-Sig=REDACTED&"
		     "sig=REDACTED&API_KEY=5");
	/* Reconfiguring replaces the extras; the built-ins stay. */
	ck_assert_int_eq(configure_captured("key", err, sizeof(err)), 0);
	assert_query("api_key=1&key=2&sig=3", "api_key=1&key=REDACTED&sig=REDACTED");
	ck_assert_int_eq(configure_captured(NULL, err, sizeof(err)), 0);
	assert_query("key=2&sig=3", "key=2&sig=REDACTED");
}
END_TEST

START_TEST(invalid_extra_names_warn_once_each)
{
	static const char *const bad[] = {
		"a b", "a=b", "a&b", "a;b", "a#b", "a?b", "a\tb", "x\x01",
	};
	char err[4096], spec[512], long_name[100];
	int w;

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		w = configure_captured(bad[i], err, sizeof(err));
		ck_assert_msg(w == 1, "\"%s\": %d", bad[i], w);
		ck_assert_msg(ts_capture_count_lines(err) == 1 &&
				      strstr(err, "TRACESHIM_REDACT_QUERY_PARAMS") &&
				      !strncmp(err, "traceshim: warning: ", 20),
			      "[%s]", err);
	}
	memset(long_name, 'n', sizeof(long_name));
	long_name[TS_REDACT_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(configure_captured(long_name, err, sizeof(err)), 1);
	long_name[TS_REDACT_NAME_MAX] = '\0';
	ck_assert_int_eq(configure_captured(long_name, err, sizeof(err)), 0);
	/* Valid ones around invalid ones are kept. */
	snprintf(spec, sizeof(spec), "good1,a b,good2,a=b");
	ck_assert_int_eq(configure_captured(spec, err, sizeof(err)), 2);
	ck_assert_uint_eq(ts_capture_count_lines(err), 2);
	assert_query("good1=x&good2=y", "good1=REDACTED&good2=REDACTED");
}
END_TEST

START_TEST(more_than_the_maximum_of_extra_names_warns)
{
	char spec[2048], err[8192];
	size_t o = 0;

	for (int i = 0; i < TS_REDACT_MAX_EXTRA + 3; i++)
		o += (size_t)snprintf(spec + o, sizeof(spec) - o, "n%d,", i);
	ck_assert_int_eq(configure_captured(spec, err, sizeof(err)), 3);
	ck_assert_uint_eq(ts_capture_count_lines(err), 3);
	assert_query("n0=1&n31=2&n32=3", "n0=REDACTED&n31=REDACTED&n32=3");
}
END_TEST

/* ---- headers --------------------------------------------------------------------- */

START_TEST(forbidden_headers_in_any_case)
{
	static const char *const names[] = {
		"Authorization", "authorization", "AUTHORIZATION",
		"Proxy-Authorization", "Cookie", "cookie", "Set-Cookie",
		"SET-COOKIE", "Cookie2", "Set-Cookie2", "X-Api-Key",
		"x-auth-token", "X-Amz-Security-Token", "X-Goog-Api-Key",
		"X-CSRF-Token", "x-xsrf-token", " Cookie ", "\tAuthorization",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++) {
		struct ts_guard g;
		const char *n = ts_guard_copy(&g, names[i], strlen(names[i]));

		ck_assert_msg(ts_redact_header_forbidden(n, strlen(names[i])),
			      "%s", names[i]);
		ts_guard_free(&g);
	}
}
END_TEST

START_TEST(other_headers_are_not_forbidden)
{
	static const char *const names[] = {
		"", "Host", "User-Agent", "Content-Type", "Accept",
		"traceparent", "Authorization2", "X-Authorization",
		"Cookies", "Set-Cookie-X", "authorizatio", "Proxy-Authenticate",
		"WWW-Authenticate", "Cook ie", "X-Request-Id",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++) {
		struct ts_guard g;
		const char *n = ts_guard_copy(&g, names[i], strlen(names[i]));

		ck_assert_msg(!ts_redact_header_forbidden(n, strlen(names[i])),
			      "%s", names[i]);
		ts_guard_free(&g);
	}
	/* Length, not NUL, ends the name. */
	ck_assert(ts_redact_header_forbidden("CookieMonster", 6));
	ck_assert(!ts_redact_header_forbidden("Cookie", 5));
}
END_TEST

/* process.command_args: the secrets command lines are known to carry. */
static void arg_is(const char *in, const char *want)
{
	char out[512];
	size_t n = ts_redact_arg(in, strlen(in), out, sizeof(out));

	ck_assert_msg(!strcmp(out, want), "%s -> %s (want %s)", in, out, want);
	ck_assert_uint_eq(n, strlen(want));
}

START_TEST(command_line_arguments_lose_their_secrets)
{
	arg_is("curl", "curl");
	arg_is("-sS", "-sS");
	arg_is("http://bob:hunter2@h:1/p?X-Amz-Signature=ab&page=2",
	       "http://REDACTED:REDACTED@h:1/p?X-Amz-Signature=REDACTED&page=2");
	arg_is("--url=https://u:p@h/", "--url=https://REDACTED:REDACTED@h/");
	arg_is("Authorization: Bearer tok3n", "Authorization: REDACTED");
	arg_is("Cookie: session=c00kie", "Cookie: REDACTED");
	arg_is("Accept: */*", "Accept: */*");
	arg_is("--password=s3cret", "--password=REDACTED");
	arg_is("DB_TOKEN=abc", "DB_TOKEN=REDACTED");
	arg_is("--api-key=k", "--api-key=REDACTED");
	arg_is("--port=8080", "--port=8080");
	arg_is("name=value", "name=value");
	arg_is("", "");
	{
		char out[8];

		/* Cut: never a partial REDACTED, always terminated. */
		ts_redact_arg("--password=s3cret", 17, out, sizeof(out));
		ck_assert_ptr_null(strstr(out, "s3"));
		ck_assert_uint_lt(strlen(out), sizeof(out));
	}
}
END_TEST

Suite *ts_test_redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *q = tcase_create("query");
	TCase *u = tcase_create("url");
	TCase *c = tcase_create("cut");
	TCase *cfg = tcase_create("configure");
	TCase *h = tcase_create("headers");

	tcase_add_test(q, semantic_conventions_examples);
	tcase_add_test(q, every_builtin_name_is_redacted_and_keeps_its_name);
	tcase_add_test(q, a_real_presigned_s3_url);
	tcase_add_test(q, names_match_case_sensitively_and_percent_decoded);
	tcase_add_test(q, separators_empty_values_and_odd_shapes);
	tcase_add_test(q, input_is_read_exactly_len_bytes);
	tcase_add_test(u, every_shape_of_userinfo_is_replaced_whole);
	tcase_add_test(u, at_signs_outside_the_authority_are_not_credentials);
	tcase_add_test(u, query_and_fragment_of_a_url_are_redacted_fragment_kept);
	tcase_add_test(u, plain_urls_are_copied_byte_for_byte);
	tcase_add_test(c, every_output_size_cuts_cleanly);
	tcase_add_test(c, a_value_never_leaks_when_redacted_is_cut_away);
	tcase_add_test(c, random_inputs_keep_the_contract);
	tcase_add_test(cfg, extra_names_are_added_to_the_builtin_ones);
	tcase_add_test(cfg, invalid_extra_names_warn_once_each);
	tcase_add_test(cfg, more_than_the_maximum_of_extra_names_warns);
	tcase_add_test(h, forbidden_headers_in_any_case);
	tcase_add_test(h, other_headers_are_not_forbidden);
	suite_add_tcase(s, q);
	suite_add_tcase(s, u);
	suite_add_tcase(s, c);
	suite_add_tcase(s, cfg);
	tcase_add_test(h, command_line_arguments_lose_their_secrets);
	suite_add_tcase(s, h);
	return s;
}
