/*
 * test_route.c - low-cardinality routes: the heuristic, TRACESHIM_ROUTES
 * templates, and the output contract.
 *
 * What is proved: paths that differ only in identifiers (numbers, UUIDs,
 * hex ids, opaque tokens, e-mail addresses, dates, long blobs) give one
 * route, while literal words (/v1, /api/v2, /index.html, /oauth2, ...)
 * stay; empty paths, "//", trailing slashes, matrix parameters, queries
 * and percent-escapes are handled as documented; configured templates win
 * in their order, are reported as written, and only valid ones are kept,
 * each invalid one named by one warning; a route too long for the output
 * is cut after a whole segment; every input is read from right before a
 * PROT_NONE page and every output written right before one, so reading or
 * writing one byte too many crashes the test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/route.h"
#include "capture.h"
#include "guardmem.h"
#include "suites.h"

/* The route of `path`, read from before a guard page, into `out`. */
static size_t route(const char *path, char *out, size_t size)
{
	struct ts_guard gin, gout;
	size_t len = strlen(path), n;
	const char *in = ts_guard_copy(&gin, path, len);
	char *o = ts_guard_room(&gout, size);

	n = ts_route_of(in, len, o, size);
	if (size) {
		ck_assert_uint_lt(n, size);
		ck_assert_uint_eq(o[n], '\0');
		ck_assert_uint_eq(strlen(o), n);
		memcpy(out, o, n + 1);
	} else {
		ck_assert_uint_eq(n, 0);
	}
	ts_guard_free(&gin);
	ts_guard_free(&gout);
	return n;
}

static void assert_route(const char *path, const char *want)
{
	char out[1024];

	route(path, out, sizeof(out));
	ck_assert_msg(!strcmp(out, want), "route of \"%s\": \"%s\", want \"%s\"",
		      path, out, want);
}

static int configure_captured(const char *spec, char *err, size_t size)
{
	return ts_capture_spec(ts_route_configure, spec, err, size);
}

static void configure_ok(const char *spec)
{
	ts_capture_spec_ok(ts_route_configure, spec);
}

/* ---- the heuristic ------------------------------------------------------- */

START_TEST(acceptance_users_and_orders_give_one_name)
{
	char a[256], b[256];

	route("/users/123/orders/9f1c2a7e5d3b", a, sizeof(a));
	route("/users/456/orders/77aa01b3c4d5", b, sizeof(b));
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(a, "/users/{id}/orders/{id}");
	/* Longer and shorter ids, other cases of hex, UUIDs: the same. */
	assert_route("/users/1/orders/0123456789ABCDEF", a);
	assert_route("/users/99999999999/orders/"
		     "f47ac10b-58cc-4372-a567-0e02b2c3d479",
		     a);
}
END_TEST

START_TEST(identifiers_are_folded)
{
	static const char *const cases[][2] = {
		{ "/users/123", "/users/{id}" },
		{ "/page/2", "/page/{id}" },
		{ "/2024/report", "/{id}/report" },
		{ "/reports/2024-01-15", "/reports/{id}" },
		{ "/releases/1.2.3", "/releases/{id}" },
		{ "/hosts/10.0.0.1", "/hosts/{id}" },
		{ "/at/12:30", "/at/{id}" },
		{ "/u/550e8400-e29b-41d4-a716-446655440000", "/u/{id}" },
		{ "/u/550E8400-E29B-41D4-A716-446655440000", "/u/{id}" },
		{ "/objects/507f1f77bcf86cd799439011", "/objects/{id}" },
		{ "/commit/3f2a1b9", "/commit/{id}" },
		{ "/colors/ff0000", "/colors/{id}" },
		{ "/sha/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		  "/sha/{id}" },
		{ "/static/app.3f2a1b.js", "/static/{id}" },
		{ "/orders/order-1234", "/orders/{id}" },
		{ "/files/report_2024.pdf", "/files/{id}" },
		{ "/inv/INV2024001", "/inv/{id}" },
		{ "/u/user12345", "/u/{id}" },
		{ "/watch/dQw4w9WgXcQ", "/watch/{id}" },
		{ "/s/3kX9pQz", "/s/{id}" },
		{ "/t/T024BE7LD", "/t/{id}" },
		{ "/k/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/k/{id}" },          /* ULID */
		{ "/k/0ujtsYcgvSTl8PAuAdqWYSMnLOv", "/k/{id}" },         /* KSUID */
		{ "/n/V1StGXR8_Z5jdHi6B-myT", "/n/{id}" },               /* nanoid */
		{ "/c/cus_NffrFeUfNV2Hib", "/c/{id}" },                  /* Stripe */
		{ "/r/QhZKwPTxqLrbeYUvNMaSdf", "/r/{id}" },     /* no digits */
		{ "/jwt/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
		  "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		  "/jwt/{id}" },
		{ "/u/john.doe@example.com", "/u/{id}" },
		{ "/u/john.doe%40example.com", "/u/{id}" },
		{ "/blob/aGVsbG8gd29ybGQgdGhpcyBpcyBhIHZlcnkgbG9uZyBzdHJpbmcgb2YgdGV4dA",
		  "/blob/{id}" },
		{ "/posts/how-to-configure-the-thing-you-always-wanted-to-configure",
		  "/posts/{id}" },                            /* over 48 bytes */
		{ "/a/1/b/2/c/3", "/a/{id}/b/{id}/c/{id}" },
		{ "/42", "/{id}" },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_route(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(literal_words_stay)
{
	static const char *const cases[] = {
		"/",
		"/v1",
		"/api/v2/users",
		"/v1.2/status",
		"/index.html",
		"/favicon.ico",
		"/static/main.js",
		"/robots.txt",
		"/oauth2/callback",
		"/oauth2-callback-handler",
		"/en-US/docs",
		"/docs/sha256",
		"/x509/certs",
		"/dl/ubuntu2204",
		"/web-3",
		"/page-2",
		"/decade/facade",
		"/added",
		"/getUserPreferencesById",
		"/api/GetUserByIdAndName",
		"/.well-known/openid-configuration",
		"/healthz",
		"/metrics",
		"/user_profile/settings",
		"/search/caf%C3%A9",
		"/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82",
		"/1password",
		"/~john/public_html",
		"*",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_route(cases[i], cases[i]);
}
END_TEST

START_TEST(control_bytes_never_reach_the_route)
{
	static const char *const binary[][2] = {
		{ "/a\x01b/c", "/{id}/c" },
		{ "/x/\x7f", "/x/{id}" },
		{ "/x/\x1b[31m", "/x/{id}" },
	};

	char out[64];

	for (size_t i = 0; i < TS_ARRAY_SIZE(binary); i++)
		assert_route(binary[i][0], binary[i][1]);
	/* A NUL inside the path is a control byte too. */
	ck_assert_uint_eq(ts_route_of("/a\0b/1", 6, out, sizeof(out)), 10);
	ck_assert_str_eq(out, "/{id}/{id}");
}
END_TEST

START_TEST(empty_slashes_trailing_slash_and_matrix_parameters)
{
	static const char *const cases[][2] = {
		{ "", "/" },
		{ "//", "/" },
		{ "///", "/" },
		{ "/a//b", "/a/b" },
		{ "//a///b//", "/a/b/" },
		{ "/users/", "/users/" },
		{ "/users/123/", "/users/{id}/" },
		{ "/cart;jsessionid=0A1B2C3D4E5F6071", "/cart" },
		{ "/a;x=1/b;y=2", "/a/b" },
		{ "/;jsessionid=ABC/items/7", "/items/{id}" },
		{ ";", "/" },
		{ "/users/1?x=2", "/users/{id}" },       /* query left on */
		{ "/users/1?x=/a/b", "/users/{id}" },
		{ "/users/1#frag", "/users/{id}" },
		{ "/a?b#c", "/a" },
		{ "relative/12", "relative/{id}" },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
		assert_route(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(percent_escapes_are_separators_never_digits)
{
	/* The hex digits of %2F, %3A, %C3%A9 must not make a word an id. */
	assert_route("/files/a%2Fb%2Fc", "/files/a%2Fb%2Fc");
	assert_route("/x/caf%C3%A9-cr%C3%A8me", "/x/caf%C3%A9-cr%C3%A8me");
	/* But digits around them still count. */
	assert_route("/files/report%20123", "/files/{id}");
	/* Escaped unreserved characters are what they mean. */
	assert_route("/users/%31%32%33", "/users/{id}");
	assert_route("/u/%35%35%30e8400-e29b-41d4-a716-446655440000", "/u/{id}");
	assert_route("/v%31", "/v%31");
	assert_route("/%69ndex.html", "/%69ndex.html");
	/* A long escaped segment is judged by its decoded length. */
	assert_route("/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
		     "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9",
		     "/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
		     "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9");
	/* A lone or broken escape is just a byte. */
	assert_route("/a/100%", "/a/{id}");
	assert_route("/a/%zz", "/a/%zz");
	assert_route("/a/%", "/a/%");
}
END_TEST

START_TEST(path_without_nul_is_read_exactly)
{
	/* Only the first `len` bytes count, whatever follows. */
	char out[64];
	const char buf[] = "/users/123XXXX";

	ck_assert_uint_eq(ts_route_of(buf, 10, out, sizeof(out)), 11);
	ck_assert_str_eq(out, "/users/{id}");
	ck_assert_uint_eq(ts_route_of(buf, 7, out, sizeof(out)), 7);
	ck_assert_str_eq(out, "/users/");
	ck_assert_uint_eq(ts_route_of(buf, 0, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "/");
	ck_assert_uint_eq(ts_route_of(NULL, 0, out, sizeof(out)), 1);
}
END_TEST

/* ---- the output contract --------------------------------------------------- */

START_TEST(short_outputs_are_cut_after_a_whole_segment)
{
	const char *path = "/users/123/orders/9f1c2a7e5d3b/items/";
	const char *full = "/users/{id}/orders/{id}/items/";
	char out[128];

	for (size_t size = 0; size <= strlen(full) + 2; size++) {
		size_t n = route(path, out, size);

		if (!size)
			continue;
		ck_assert_msg(!strncmp(out, full, n), "size %zu: \"%s\"", size,
			      out);
		if (n == strlen(full))
			continue;
		/* A cut ends before a '/' of the full route: whole pieces. */
		ck_assert_msg(n == 0 || n == 1 || full[n] == '/',
			      "size %zu cut mid-segment: \"%s\"", size, out);
		ck_assert_ptr_null(strstr(out, "{i}"));
		ck_assert(n + 1 <= size);
	}
	ck_assert_uint_eq(route(path, out, 1), 0);
	ck_assert_uint_eq(route(path, out, 2), 1);
	ck_assert_str_eq(out, "/");
	ck_assert_uint_eq(route(path, out, 12), 11);
	ck_assert_str_eq(out, "/users/{id}");
	/* Up to 18 bytes: still "/users/{id}"; "/orders" needs 19. */
	ck_assert_uint_eq(route(path, out, 18), 11);
	ck_assert_uint_eq(route(path, out, 19), 18);
	ck_assert_str_eq(out, "/users/{id}/orders");
}
END_TEST

START_TEST(very_long_paths_are_bounded)
{
	size_t len = 1 << 16, n;
	char *path = malloc(len + 1), out[256];
	struct ts_guard g;
	const char *in;

	ck_assert_ptr_nonnull(path);
	for (size_t i = 0; i < len; i++)
		path[i] = i % 4 == 0 ? '/' : 'a' + (char)(i % 26);
	in = ts_guard_copy(&g, path, len);
	n = ts_route_of(in, len, out, sizeof(out));
	ck_assert_uint_lt(n, sizeof(out));
	ck_assert_uint_eq(strlen(out), n);
	ck_assert_uint_eq(out[0], '/');
	ck_assert_uint_ne(out[n - 1], '/');
	/* One huge segment is an id. */
	memset(path, 'x', len);
	path[0] = '/';
	n = ts_route_of(path, len, out, sizeof(out));
	ck_assert_str_eq(out, "/{id}");
	ts_guard_free(&g);
	free(path);
}
END_TEST

START_TEST(random_paths_keep_the_contract)
{
	static const char alphabet[] = "/aZ09-_.%;?#@~:fF";
	uint64_t rng = 0x5eed;
	char path[200], out[200];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len, size, n;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		len = (rng >> 33) % sizeof(path);
		size = (rng >> 20) % 64;
		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ull + 1;
			path[i] = (rng >> 40) % 8 == 0
					  ? (char)(rng >> 48)
					  : alphabet[(rng >> 33) %
						     (sizeof(alphabet) - 1)];
		}
		{
			struct ts_guard gi, go;
			const char *in = ts_guard_copy(&gi, path, len);
			char *o = ts_guard_room(&go, size);

			n = ts_route_of(in, len, o, size);
			if (size) {
				ck_assert_uint_lt(n, size);
				ck_assert_uint_eq(strlen(o), n);
				memcpy(out, o, n + 1);
			} else {
				ck_assert_uint_eq(n, 0);
			}
			ts_guard_free(&gi);
			ts_guard_free(&go);
		}
		if (size && n) /* never a piece of a placeholder */
			ck_assert_ptr_null(strstr(out, "{i}"));
		for (size_t i = 0; size && i < n; i++)
			ck_assert((unsigned char)out[i] >= 0x20 &&
				  out[i] != 0x7f);
	}
}
END_TEST

/* ---- templates ----------------------------------------------------------------- */

START_TEST(templates_win_in_order_and_are_reported_as_written)
{
	bool templated;
	char out[256];

	configure_ok(" /users/{userId}/orders/* , /users/{id} ,/static/*,"
		     "/api/v1/items/{item}/,/");
	assert_route("/users/123/orders/9/items", "/users/{userId}/orders/*");
	assert_route("/users/123/orders", "/users/{userId}/orders/*");
	assert_route("/users/abc", "/users/{id}");
	assert_route("/users/abc/", "/users/{id}"); /* trailing slash */
	assert_route("//users//abc", "/users/{id}");
	assert_route("/static", "/static/*");
	assert_route("/static/", "/static/*");
	assert_route("/static/css/a.3f2a1b.css", "/static/*");
	assert_route("/api/v1/items/42", "/api/v1/items/{item}/");
	assert_route("/", "/");
	assert_route("", "/");
	/* No template matches: the heuristic. */
	assert_route("/users", "/users");
	assert_route("/users/1/carts/2", "/users/{id}/carts/{id}");
	assert_route("/staticx/1", "/staticx/{id}");
	ts_route_lookup("/users/7", 8, out, sizeof(out), &templated);
	ck_assert(templated);
	ts_route_lookup("/other/7", 8, out, sizeof(out), &templated);
	ck_assert(!templated);
	ck_assert_str_eq(out, "/other/{id}");
}
END_TEST

START_TEST(template_literals_match_bytes_exactly)
{
	configure_ok("/Users/{id},/caf%C3%A9/{x}");
	assert_route("/Users/1", "/Users/{id}");
	assert_route("/users/1", "/users/{id}"); /* heuristic, not template */
	assert_route("/caf%C3%A9/1", "/caf%C3%A9/{x}");
	assert_route("/users/1;v=2", "/users/{id}");
	configure_ok("/a/{p}/c");
	assert_route("/a/b/c", "/a/{p}/c");
	assert_route("/a/b/c/d", "/a/b/c/d"); /* no '*': exact length */
	assert_route("/a//c", "/a/c");        /* {p} needs a segment */
}
END_TEST

START_TEST(star_alone_matches_everything)
{
	configure_ok("/health,/*");
	assert_route("/health", "/health");
	assert_route("/users/123", "/*");
	assert_route("", "/*");
}
END_TEST

START_TEST(invalid_templates_warn_once_each_and_are_ignored)
{
	static const char *const bad[] = {
		"users/{id}",          /* no leading '/' */
		"/static/*/more",      /* '*' not last */
		"/static/*/",          /* '*' not last either */
		"/static/a*",          /* '*' not a whole segment */
		"/users/{}",           /* empty name */
		"/users/{id",          /* unclosed */
		"/users/id}",
		"/users/x{id}",        /* not a whole segment */
		"/users/{a{b}",
		"/a b",                /* blank */
		"/a?b",
		"/a#b",
		"/a;b",
		"/\x01",
	};
	char err[8192], spec[1024];
	int w;

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		w = configure_captured(bad[i], err, sizeof(err));
		ck_assert_msg(w == 1, "\"%s\": %d", bad[i], w);
		ck_assert_msg(ts_capture_count_lines(err) == 1 &&
				      strstr(err, "TRACESHIM_ROUTES") &&
				      !strncmp(err, "traceshim: warning: ", 20),
			      "\"%s\": [%s]", bad[i], err);
		assert_route("/users/1", "/users/{id}"); /* nothing kept */
	}
	/* Mixed with valid ones: each bad one named, the good ones kept. */
	snprintf(spec, sizeof(spec), "%s,/orders/{o},%s,%s,/users/*", bad[0],
		 bad[1], bad[4]);
	w = configure_captured(spec, err, sizeof(err));
	ck_assert_int_eq(w, 3);
	ck_assert_uint_eq(ts_capture_count_lines(err), 3);
	ck_assert_ptr_nonnull(strstr(err, "\"users/{id}\""));
	ck_assert_ptr_nonnull(strstr(err, "\"/static/*/more\""));
	assert_route("/orders/5", "/orders/{o}");
	assert_route("/users/5", "/users/*");
}
END_TEST

START_TEST(too_long_and_too_many_templates)
{
	char err[8192], *spec = malloc(70 * 16 + 400);
	char long_t[300];
	size_t o = 0;
	int w;

	ck_assert_ptr_nonnull(spec);
	memset(long_t, 'a', sizeof(long_t));
	long_t[0] = '/';
	long_t[256] = '\0'; /* 256 bytes: one too many */
	w = configure_captured(long_t, err, sizeof(err));
	ck_assert_int_eq(w, 1);
	ck_assert_ptr_nonnull(strstr(err, "255"));
	long_t[255] = '\0';
	configure_ok(long_t);
	for (int i = 0; i < 70; i++)
		o += (size_t)sprintf(spec + o, "/t%d/{x},", i);
	w = configure_captured(spec, err, sizeof(err));
	ck_assert_int_eq(w, 70 - TS_ROUTE_MAX_TEMPLATES);
	/* one line for the excess */
	ck_assert_uint_eq(ts_capture_count_lines(err), 1);
	assert_route("/t0/1", "/t0/{x}");
	assert_route("/t63/1", "/t63/{x}");
	assert_route("/t64/1", "/t64/{id}");
	free(spec);
}
END_TEST

START_TEST(reconfiguring_replaces_and_null_clears)
{
	configure_ok("/a/{x}");
	assert_route("/a/b", "/a/{x}");
	configure_ok("/b/{y}");
	assert_route("/a/b", "/a/b");
	assert_route("/b/c", "/b/{y}");
	configure_ok(NULL);
	assert_route("/b/c", "/b/c");
	configure_ok("  ,, \t,");
	assert_route("/b/c", "/b/c");
}
END_TEST

START_TEST(template_cut_to_a_small_output_ends_at_a_segment)
{
	char out[64];

	configure_ok("/users/{userId}/orders/{orderId}");
	ck_assert_uint_eq(route("/users/1/orders/2", out, 20), 15);
	ck_assert_str_eq(out, "/users/{userId}");
	ck_assert_uint_eq(route("/users/1/orders/2", out, 5), 1);
	ck_assert_str_eq(out, "/");
	ck_assert_uint_eq(route("/users/1/orders/2", out, 1), 0);
}
END_TEST

/* A hundred bad templates: three warnings and one line counting the rest,
 * not a hundred lines. */
START_TEST(many_bad_templates_warn_three_times_then_count)
{
	char spec[1024] = "", err[4096];
	int i, w;

	for (i = 0; i < 100; i++)
		strcat(spec, "x,");
	strcat(spec, "/ok/{id}");
	w = configure_captured(spec, err, sizeof(err));
	ck_assert_int_eq(w, 100);
	ck_assert_uint_eq(ts_capture_count_lines(err), 4);
	ck_assert_ptr_nonnull(strstr(err, "97 more templates ignored"));
}
END_TEST

Suite *ts_test_route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *h = tcase_create("heuristic");
	TCase *o = tcase_create("output");
	TCase *t = tcase_create("templates");

	tcase_add_test(h, acceptance_users_and_orders_give_one_name);
	tcase_add_test(h, identifiers_are_folded);
	tcase_add_test(h, literal_words_stay);
	tcase_add_test(h, control_bytes_never_reach_the_route);
	tcase_add_test(h, empty_slashes_trailing_slash_and_matrix_parameters);
	tcase_add_test(h, percent_escapes_are_separators_never_digits);
	tcase_add_test(h, path_without_nul_is_read_exactly);
	tcase_add_test(o, short_outputs_are_cut_after_a_whole_segment);
	tcase_add_test(o, very_long_paths_are_bounded);
	tcase_add_test(o, random_paths_keep_the_contract);
	tcase_add_test(t, templates_win_in_order_and_are_reported_as_written);
	tcase_add_test(t, template_literals_match_bytes_exactly);
	tcase_add_test(t, star_alone_matches_everything);
	tcase_add_test(t, invalid_templates_warn_once_each_and_are_ignored);
	tcase_add_test(t, too_long_and_too_many_templates);
	tcase_add_test(t, reconfiguring_replaces_and_null_clears);
	tcase_add_test(t, template_cut_to_a_small_output_ends_at_a_segment);
	tcase_add_test(t, many_bad_templates_warn_three_times_then_count);
	suite_add_tcase(s, h);
	suite_add_tcase(s, o);
	suite_add_tcase(s, t);
	return s;
}
