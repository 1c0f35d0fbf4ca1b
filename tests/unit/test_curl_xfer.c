/*
 * test_curl_xfer.c - the libcurl transfer life cycle against a fake
 * libcurl: what the handle is given (our list with the right traceparent
 * on each attempt, our pre-request callback), what it gets back (the
 * application's list and callback, untouched), that every list we make
 * is freed, and which spans come out (read back from the file exporter).
 *
 * The fake's curl_slist_append/free_all count live nodes, so a list we
 * leak or free twice shows as a count that is not zero.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../hooks/curl_xfer.h"
#include "../../preload/clock.h"
#include "../../preload/config.h"
#include "../../preload/pipeline.h"
#include "capture.h"
#include "suites.h"

/* ---- a fake libcurl ------------------------------------------------------ */

struct fake {
	struct curl_slist *headers;     /* CURLOPT_HTTPHEADER now */
	curl_prereq_callback prereq;    /* CURLOPT_PREREQFUNCTION now */
	void *prereq_data;
	const char *url, *method;       /* what getinfo reports */
	long code, hdr_size, redirects, version;
	int setopts;
};

static struct fake fk;
static long live_nodes;

static CURLcode f_setopt(CURL *h, CURLoption o, ...)
{
	va_list ap;

	(void)h;
	va_start(ap, o);
	fk.setopts++;
	if (o == CURLOPT_HTTPHEADER)
		fk.headers = va_arg(ap, struct curl_slist *);
	else if (o == CURLOPT_PREREQFUNCTION)
		fk.prereq = (curl_prereq_callback)va_arg(ap, void (*)(void));
	else if (o == CURLOPT_PREREQDATA)
		fk.prereq_data = va_arg(ap, void *);
	va_end(ap);
	return CURLE_OK;
}

static CURLcode f_getinfo(CURL *h, CURLINFO i, ...)
{
	va_list ap;
	void *p;

	(void)h;
	va_start(ap, i);
	p = va_arg(ap, void *);
	va_end(ap);
	switch (i) {
	case CURLINFO_EFFECTIVE_URL:
		*(const char **)p = fk.url;
		return CURLE_OK;
	case CURLINFO_EFFECTIVE_METHOD:
		*(const char **)p = fk.method;
		return CURLE_OK;
	case CURLINFO_RESPONSE_CODE:
		*(long *)p = fk.code;
		return CURLE_OK;
	case CURLINFO_HEADER_SIZE:
		*(long *)p = fk.hdr_size;
		return CURLE_OK;
	case CURLINFO_REDIRECT_COUNT:
		*(long *)p = fk.redirects;
		return CURLE_OK;
	case CURLINFO_HTTP_VERSION:
		*(long *)p = fk.version;
		return CURLE_OK;
	default:
		return CURLE_UNKNOWN_OPTION;
	}
}

static struct curl_slist *f_append(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = malloc(sizeof(*n)), *t;

	n->data = strdup(s);
	n->next = NULL;
	live_nodes++;
	if (!l)
		return n;
	for (t = l; t->next; t = t->next)
		;
	t->next = n;
	return l;
}

static void f_free_all(struct curl_slist *l)
{
	while (l) {
		struct curl_slist *n = l->next;

		free(l->data);
		free(l);
		live_nodes--;
		l = n;
	}
}

static const char *f_strerror(CURLcode c)
{
	(void)c;
	return "fake failure";
}

static struct ts_curl_api api = {
	.curl_easy_setopt = f_setopt,
	.curl_easy_getinfo = f_getinfo,
	.curl_slist_append = f_append,
	.curl_slist_free_all = f_free_all,
	.curl_easy_strerror = f_strerror,
	.version = 0x075801,
	.has_prereq = true,
	.has_method = true,
};

static int app_prereq_calls;

static int our_cb(void *d, char *ip, char *lip, int port, int lport)
{
	(void)d, (void)ip, (void)lip, (void)port, (void)lport;
	return 0;
}

static int app_prereq(void *d, char *ip, char *lip, int port, int lport)
{
	(void)d, (void)ip, (void)lip, (void)port, (void)lport;
	app_prereq_calls++;
	return 0;
}

/* ---- fixtures ------------------------------------------------------------ */

static char dir[64];

static void up(void)
{
	ts_config_defaults(&ts_cfg);
	ts_cfg.exporters = TS_EXPORTER_FILE;
	ts_cfg.schedule_delay_ms = 60000;
	snprintf(dir, sizeof(dir), "/tmp/ts-curlx-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ts_cfg.file_path, sizeof(ts_cfg.file_path), "%s/spans.jsonl", dir);
	ck_assert_int_eq(ts_pipeline_init(&ts_cfg), 0);
	memset(&fk, 0, sizeof(fk));
	fk.method = "GET";
	fk.version = CURL_HTTP_VERSION_1_1;
}

/* Flush, and the exported text (every span of the test). */
static char *spans_text(void)
{
	static char buf[1 << 16];
	FILE *f;
	size_t n;

	ck_assert(ts_pipeline_flush(ts_clock_mono_ns() + 20000000000ull));
	f = fopen(ts_cfg.file_path, "r"); /* none when nothing was exported */
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	ts_pipeline_destroy();
	unlink(ts_cfg.file_path);
	rmdir(dir);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/* The traceparent line of our list (its last node), or NULL. */
static const char *our_tp(void)
{
	const struct curl_slist *l = fk.headers;

	while (l && l->next)
		l = l->next;
	return l && !strncmp(l->data, "traceparent: 00-", 16) ? l->data : NULL;
}

#define H ((CURL *)0x1000)

/* ---- tests --------------------------------------------------------------- */

START_TEST(a_redirect_chain_is_one_span_per_request_each_with_its_own_traceparent)
{
	struct curl_slist *app = f_append(f_append(NULL, "X-A: 1"), "Accept: x");
	struct curl_slist *lists[2];
	struct ts_curl_handle *e;
	char tp1[64], tp2[64];
	char *out;

	up();
	e = ts_curl_handle_get(H, true);
	ck_assert_ptr_nonnull(e);
	e->app_headers = app;
	e->app_prereq = app_prereq;
	e->headers_known = true;
	fk.headers = app;
	fk.prereq = app_prereq;
	ck_assert_ptr_nonnull(ts_curl_xfer_start(&api, e, NULL, our_cb));
	ck_assert_ptr_eq(fk.prereq, our_cb);
	ck_assert_ptr_eq(fk.prereq_data, H);
	ck_assert_ptr_eq(fk.headers, app); /* the list goes on per request */

	fk.url = "http://u:p@a.example:8080/r?sig=s";
	ts_curl_xfer_attempt(&api, e, "10.0.0.1", 8080);
	ck_assert_ptr_ne(fk.headers, app);
	ck_assert_str_eq(fk.headers->data, "X-A: 1");
	ck_assert_str_eq(fk.headers->next->data, "Accept: x");
	ck_assert_ptr_nonnull(our_tp());
	ck_assert_uint_eq(strlen(our_tp()), strlen("traceparent: ") + 55);
	snprintf(tp1, sizeof(tp1), "%s", our_tp());

	fk.code = 302;
	fk.hdr_size = 100;
	fk.redirects = 1;
	fk.url = "https://b.example/final";
	ts_curl_xfer_attempt(&api, e, "10.0.0.2", 443);
	snprintf(tp2, sizeof(tp2), "%s", our_tp());
	ck_assert_str_ne(tp1, tp2);
	ck_assert(!strncmp(tp1, tp2, 16 + 32)); /* one trace */

	fk.code = 200;
	fk.hdr_size = 250;
	ts_curl_xfer_finish(&api, e, true, CURLE_OK, true, lists);
	ck_assert_ptr_eq(fk.headers, app);
	ck_assert_ptr_eq(fk.prereq, app_prereq);
	f_free_all(lists[0]);
	f_free_all(lists[1]);
	ck_assert_ptr_null(e->xfer);
	ck_assert_str_eq(app->data, "X-A: 1");
	f_free_all(app);
	ck_assert_int_eq(live_nodes, 0);
	ts_curl_handle_drop(H);
	ck_assert_ptr_null(ts_curl_handle_get(H, false));

	out = spans_text();
	ck_assert_int_eq(count(out, "\"spanId\""), 2);
	ck_assert_int_eq(count(out, "http://REDACTED:REDACTED@a.example:8080/r?sig=REDACTED"), 1);
	ck_assert_int_eq(count(out, "https://b.example/final"), 1);
	ck_assert_int_eq(count(out, "\"http.request.resend_count\",\"value\":{\"intValue\":\"1\"}"), 1);
	ck_assert_int_eq(count(out, "\"intValue\":\"302\""), 1);
	ck_assert_int_eq(count(out, "\"intValue\":\"200\""), 1);
	ck_assert_int_eq(count(out, "\"intValue\":\"443\""), 2); /* server and peer port */
	ck_assert_int_eq(count(out, "error.type"), 0);
}
END_TEST

START_TEST(a_failed_transfer_is_an_error_named_by_its_curlcode)
{
	struct curl_slist *lists[2];
	struct ts_curl_handle *e;
	char *out;

	up();
	e = ts_curl_handle_get(H, true);
	ck_assert_ptr_nonnull(ts_curl_xfer_start(&api, e, NULL, our_cb));
	fk.url = "http://127.0.0.1:1/";
	ts_curl_xfer_finish(&api, e, true, CURLE_COULDNT_CONNECT, true, lists);
	ck_assert_ptr_null(fk.headers);
	ck_assert_ptr_null(fk.prereq);
	ck_assert_ptr_null(lists[0]);
	ts_curl_handle_drop(H);
	out = spans_text();
	ck_assert_int_eq(count(out, "\"spanId\""), 1);
	ck_assert_int_eq(count(out, "CURLE_COULDNT_CONNECT"), 1);
	ck_assert_int_eq(count(out, "fake failure"), 1);
	ck_assert_int_eq(count(out, "http.response.status_code"), 0);
}
END_TEST

START_TEST(the_programs_own_traceparent_means_no_span_and_no_list)
{
	struct curl_slist *app = f_append(NULL, "TraceParent: 00-11111111111111111111111111111111-2222222222222222-01");
	struct ts_curl_handle *e;

	up();
	e = ts_curl_handle_get(H, true);
	e->app_headers = app;
	e->headers_known = true;
	ck_assert_ptr_null(ts_curl_xfer_start(&api, e, NULL, our_cb));
	ck_assert_int_eq(fk.setopts, 0);
	ts_curl_handle_drop(H);
	f_free_all(app);
	ck_assert_int_eq(live_nodes, 0);
	ck_assert_int_eq(count(spans_text(), "\"spanId\""), 0);
}
END_TEST

START_TEST(non_http_and_connect_only_transfers_are_left_alone)
{
	struct curl_slist *lists[2], *app = f_append(NULL, "Subject: mail");
	struct ts_curl_handle *e;

	up();
	e = ts_curl_handle_get(H, true);
	e->app_headers = app;
	e->headers_known = true;
	fk.headers = app;
	ck_assert_ptr_nonnull(ts_curl_xfer_start(&api, e, NULL, our_cb));
	fk.url = "smtp://mail.example/";
	ts_curl_xfer_attempt(&api, e, "10.0.0.3", 25);
	ck_assert_ptr_eq(fk.headers, app); /* mail headers untouched */
	ts_curl_xfer_finish(&api, e, true, CURLE_OK, true, lists);
	ck_assert_ptr_null(lists[0]);
	e->connect_only = true;
	ck_assert_ptr_null(ts_curl_xfer_start(&api, e, NULL, our_cb));
	ts_curl_handle_drop(H);
	f_free_all(app);
	ck_assert_int_eq(count(spans_text(), "\"spanId\""), 0);
}
END_TEST

START_TEST(the_handle_table_is_bounded_and_then_never_guesses_a_list)
{
	struct ts_curl_handle *e;
	struct ts_capture cap;
	char err[512];
	uintptr_t i;

	up();
	for (i = 1; i <= 4096; i++)
		ck_assert_ptr_nonnull(ts_curl_handle_get((CURL *)(i * 16), true));
	ts_capture_begin(&cap);
	ck_assert_ptr_null(ts_curl_handle_get((CURL *)(5000 * 16), true));
	ts_curl_handle_get((CURL *)(5001 * 16), true);
	ts_capture_end(&cap, err, sizeof(err));
	ck_assert_str_eq(err, "traceshim: warning: more than 4096 libcurl handles "
			      "in use; some transfers go untraced or without "
			      "context\n");
	for (i = 1; i <= 4096; i++) {
		e = ts_curl_handle_get((CURL *)(i * 16), false);
		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_eq(e->key, (CURL *)(i * 16));
	}
	for (i = 1; i <= 4096; i += 2)
		ts_curl_handle_drop((CURL *)(i * 16));
	for (i = 2; i <= 4096; i += 2)
		ck_assert_ptr_nonnull(ts_curl_handle_get((CURL *)(i * 16), false));
	e = ts_curl_handle_get((CURL *)(5000 * 16), true);
	ck_assert_ptr_nonnull(e);
	/* A list may have been set while the table was full: unknown. */
	ck_assert(!e->headers_known);
	spans_text();
}
END_TEST

/* The list as one string, lines joined by '|'. */
static const char *joined(const struct curl_slist *l)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (; l; l = l->next)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "|" : "",
				      l->data);
	return buf;
}

START_TEST(scan_finds_every_format_and_the_first_valid_context)
{
	struct curl_slist *l = NULL;
	struct ts_span_ctx c;
	bool valid;
	unsigned has;

	l = f_append(l, "Accept: */*");
	has = ts_curl_prop_scan(l, &c, &valid);
	ck_assert_uint_eq(has, 0);
	ck_assert(!valid);
	l = f_append(l, "X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7");
	l = f_append(l, "x-b3-spanid: e457b5a2e4d86bd1");
	l = f_append(l, "X-B3-Sampled: 1");
	l = f_append(l, "Baggage: k=v");
	l = f_append(l, "uberctx-user: alice");
	has = ts_curl_prop_scan(l, &c, &valid);
	ck_assert_uint_eq(has, TS_PROP_HAS_B3MULTI | TS_PROP_HAS_BAGGAGE |
				       TS_PROP_HAS_UBERCTX);
	ck_assert(valid);
	ck_assert_uint_eq(c.span_id[0], 0xe4);
	l = f_append(l, "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	l = f_append(l, "tracestate: a=1");
	has = ts_curl_prop_scan(l, &c, &valid);
	ck_assert(has & TS_PROP_HAS_TRACEPARENT && has & TS_PROP_HAS_TRACESTATE);
	ck_assert(valid);
	ck_assert_uint_eq(c.trace_id[0], 0x0a); /* traceparent wins */
	l = f_append(l, "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	ts_curl_prop_scan(l, &c, &valid);
	ck_assert(!valid); /* two traceparent lines: which one is meant? */
	f_free_all(l);
	l = f_append(NULL, "b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
	ck_assert_uint_eq(ts_curl_prop_scan(l, &c, &valid), TS_PROP_HAS_B3);
	ck_assert(valid);
	f_free_all(l);
	l = f_append(NULL, "uber-trace-id: 4bf92f3577b34da6:53995c3f42cd8ad8:0:1");
	ck_assert_uint_eq(ts_curl_prop_scan(l, &c, &valid), TS_PROP_HAS_UBER);
	ck_assert(valid);
	f_free_all(l);
	ck_assert_int_eq(live_nodes, 0);
}
END_TEST

START_TEST(the_copy_keeps_the_app_lines_and_adds_every_configured_format)
{
	struct curl_slist *app = f_append(f_append(NULL, "X-A: 1"), "b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
	struct ts_span_ctx self = { .flags = 1 };
	struct ts_curl_prop w;
	struct curl_slist *l;

	memset(self.trace_id, 0x11, 16);
	memset(self.span_id, 0x22, 8);
	memset(&w, 0, sizeof(w));
	ts_config_defaults(&ts_cfg);
	w.pc = ts_cfg.prop; /* tracecontext, baggage */
	w.ts = "a=1";
	w.ts_len = 3;
	w.bg = "k=v";
	w.bg_len = 3;
	ck_assert(ts_curl_prop_list(&api, app, &self, &w, &l));
	ck_assert_str_eq(joined(l), "X-A: 1|b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1|"
				    "traceparent: 00-11111111111111111111111111111111-2222222222222222-01|"
				    "tracestate: a=1|baggage: k=v");
	f_free_all(l);
	/* a proxy forwarding b3 of a trace we serve: ours replaces it */
	w.drop_ctx = true;
	w.skip = TS_PROP_HAS_BAGGAGE; /* the app forwards its own */
	ts_curl_prop_with_forwarded(&w.pc, TS_PROP_HAS_B3);
	ck_assert(ts_curl_prop_list(&api, app, &self, &w, &l));
	ck_assert_str_eq(joined(l), "X-A: 1|traceparent: 00-11111111111111111111111111111111-2222222222222222-01|"
				    "tracestate: a=1|b3: 11111111111111111111111111111111-2222222222222222-1");
	f_free_all(l);
	/* nothing to add to an empty list: an empty copy */
	memset(&w, 0, sizeof(w));
	ck_assert(ts_curl_prop_list(&api, NULL, &self, &w, &l));
	ck_assert_ptr_null(l);
	f_free_all(app);
	ck_assert_int_eq(live_nodes, 0);
}
END_TEST

Suite *ts_test_curl_xfer_suite(void)
{
	Suite *s = suite_create("curl_xfer");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_test(tc, a_redirect_chain_is_one_span_per_request_each_with_its_own_traceparent);
	tcase_add_test(tc, a_failed_transfer_is_an_error_named_by_its_curlcode);
	tcase_add_test(tc, the_programs_own_traceparent_means_no_span_and_no_list);
	tcase_add_test(tc, non_http_and_connect_only_transfers_are_left_alone);
	tcase_add_test(tc, the_handle_table_is_bounded_and_then_never_guesses_a_list);
	tcase_add_test(tc, scan_finds_every_format_and_the_first_valid_context);
	tcase_add_test(tc, the_copy_keeps_the_app_lines_and_adds_every_configured_format);
	suite_add_tcase(s, tc);
	return s;
}
