/*
 * test_curl_attr.c - what the libcurl hooks derive from libcurl's values:
 * the CURLcode name table is complete and exact for the curl.h we build
 * with (checked against the header text itself), url.full redaction per
 * the HTTP semantic conventions, server address and port, methods, and
 * header-list lines.
 */
#include <stdio.h>
#include <string.h>

#include "../../hooks/curl_attr.h"
#include "../../hooks/curl_real.h"
#include "suites.h"

/* Every enumerator of CURLcode in curl.h, in order, from the header text. */
START_TEST(code_names_match_every_curlcode_of_curl_h)
{
	FILE *f = fopen("/usr/include/x86_64-linux-gnu/curl/curl.h", "r");
	char line[512], name[128];
	int in = 0, code = 0;

	if (!f)
		f = fopen("/usr/include/curl/curl.h", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "CURLE_OK = 0"))
			in = 1;
		if (!in)
			continue;
		if (strstr(line, "CURL_LAST"))
			break;
		if (sscanf(line, " %127[A-Z0-9_]", name) != 1 ||
		    strncmp(name, "CURLE_", 6))
			continue;
		ck_assert_msg(ts_curl_code_name(code) != NULL, "no name for %d", code);
		ck_assert_str_eq(ts_curl_code_name(code), name);
		code++;
	}
	fclose(f);
	ck_assert_int_eq(code, CURL_LAST);
	ck_assert_str_eq(ts_curl_code_name(CURLE_COULDNT_CONNECT),
			 "CURLE_COULDNT_CONNECT");
	ck_assert_str_eq(ts_curl_code_name(CURLE_OPERATION_TIMEDOUT),
			 "CURLE_OPERATION_TIMEDOUT");
	ck_assert_ptr_null(ts_curl_code_name(-1));
	ck_assert_ptr_null(ts_curl_code_name(5000));
}
END_TEST

static void redacts(const char *in, const char *want)
{
	char out[256];
	size_t n = ts_curl_url_redact(in, out, sizeof(out));

	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(n, strlen(want));
}

/* The redaction itself is hooks/redact.c's (test_redact.c); libcurl's
 * url.full goes through it. */
START_TEST(url_full_redacts_credentials_and_signatures)
{
	redacts("http://127.0.0.1:8080/a?b=1", "http://127.0.0.1:8080/a?b=1");
	redacts("https://user:pass@example.com/x", "https://REDACTED:REDACTED@example.com/x");
	redacts("https://s3.example/o?AWSAccessKeyId=AK&Expires=1&Signature=zz",
		"https://s3.example/o?AWSAccessKeyId=REDACTED&Expires=1&Signature=REDACTED");
	redacts("https://x/y?sig=abc&X-Goog-Signature=def&other=sig",
		"https://x/y?sig=REDACTED&X-Goog-Signature=REDACTED&other=sig");
	redacts("http://[::1]:80/", "http://[::1]:80/");
}
END_TEST

START_TEST(url_full_is_cut_to_the_buffer)
{
	char out[12];

	/* Never a partial "REDACTED", never more than fits. */
	ck_assert_uint_le(ts_curl_url_redact("https://u:p@h/abcdef", out, sizeof(out)), 11);
	ck_assert_ptr_null(strstr(out, "RED"));
	ck_assert_uint_eq(ts_curl_url_redact("x", out, 0), 0);
}
END_TEST

static void server(const char *url, const char *host, int port)
{
	const char *h;
	size_t n;
	int p;

	ck_assert_msg(ts_curl_url_server(url, &h, &n, &p), "%s", url);
	ck_assert_uint_eq(n, strlen(host));
	ck_assert(!memcmp(h, host, n));
	ck_assert_int_eq(p, port);
}

START_TEST(server_address_and_port_come_from_the_url)
{
	const char *h;
	size_t n;
	int p;

	server("http://example.com/x", "example.com", 80);
	server("https://example.com?q", "example.com", 443);
	server("HTTPS://u:p@example.com:8443/", "example.com", 8443);
	server("http://[2001:db8::1]:8080/", "2001:db8::1", 8080);
	server("https://[::1]/", "::1", 443);
	server("wss://h:99999/", "h", 443);
	server("ftp://h/", "h", 0);
	ck_assert(!ts_curl_url_server("example.com/x", &h, &n, &p));
	ck_assert(!ts_curl_url_server("http:///x", &h, &n, &p));
	ck_assert(!ts_curl_url_server(NULL, &h, &n, &p));
}
END_TEST

START_TEST(schemes_methods_and_headers)
{
	const char *v;

	ck_assert_int_eq(ts_curl_url_scheme("http://x"), TS_CURL_SCHEME_HTTP);
	ck_assert_int_eq(ts_curl_url_scheme("HTTPS://x"), TS_CURL_SCHEME_HTTPS);
	ck_assert_int_eq(ts_curl_url_scheme("wss://x"), TS_CURL_SCHEME_HTTPS);
	ck_assert_int_eq(ts_curl_url_scheme("smtp://x"), TS_CURL_SCHEME_OTHER);
	ck_assert_int_eq(ts_curl_url_scheme("x.org/"), TS_CURL_SCHEME_NONE);
	ck_assert_int_eq(ts_curl_url_scheme(NULL), TS_CURL_SCHEME_NONE);
	ck_assert_str_eq(ts_curl_method_known("PATCH"), "PATCH");
	ck_assert_ptr_null(ts_curl_method_known("get"));
	ck_assert_ptr_null(ts_curl_method_known("PROPFIND"));
	ck_assert(ts_curl_header_is("TraceParent:  00-ab", "traceparent", &v));
	ck_assert_str_eq(v, "00-ab");
	ck_assert(ts_curl_header_is("traceparent;", "traceparent", &v));
	ck_assert_str_eq(v, "");
	ck_assert(ts_curl_header_is("traceparent:", "traceparent", &v));
	ck_assert(!ts_curl_header_is("traceparents: x", "traceparent", &v));
	ck_assert(!ts_curl_header_is("X-traceparent: x", "traceparent", &v));
	ck_assert(!ts_curl_header_is(NULL, "traceparent", &v));
}
END_TEST

Suite *ts_test_curl_attr_suite(void)
{
	Suite *s = suite_create("curl_attr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, code_names_match_every_curlcode_of_curl_h);
	tcase_add_test(tc, url_full_redacts_credentials_and_signatures);
	tcase_add_test(tc, url_full_is_cut_to_the_buffer);
	tcase_add_test(tc, server_address_and_port_come_from_the_url);
	tcase_add_test(tc, schemes_methods_and_headers);
	suite_add_tcase(s, tc);
	return s;
}
