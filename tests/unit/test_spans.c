/*
 * test_spans.c - the traceshim command's span reader and views
 * (cli/spans.c, cli/view_text.c, cli/view_html.c): OTLP/JSON lines into
 * traces joined across lines, tree layout (order, depth, prefixes,
 * orphans, loops, duplicates), file tailing with partial lines and
 * truncation, and the escaping that keeps hostile span text from
 * reaching a terminal or a page as anything but text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cli/layout.h"
#include "../../cli/spans.h"
#include "../../cli/tail.h"
#include "../../cli/view_html.h"
#include "../../cli/view_text.h"
#include "suites.h"

#define TRACE "0af7651916cd43dd8448eb211c80319c"

/* One export line with spans "id:parent:start_ms:end_ms:name" for trace. */
static char *line_of(const char *service, const char *trace, const char *spec)
{
	static char buf[65536];
	char copy[4096], *tok, *save, id[17], parent[17], name[256];
	size_t n;
	int start, end, first = 1;

	n = (size_t)snprintf(buf, sizeof(buf),
			     "{\"resourceSpans\":[{\"resource\":{\"attributes\":"
			     "[{\"key\":\"service.name\",\"value\":{\"stringValue\""
			     ":\"%s\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
			     "\"t\"},\"spans\":[", service);
	snprintf(copy, sizeof(copy), "%s", spec);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		parent[0] = '\0';
		ck_assert_int_ge(sscanf(tok, "%16[0-9a-f]:%16[0-9a-f-]:%d:%d:%255[^,]",
					id, parent, &start, &end, name), 5);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"%s{\"traceId\":\"%s\",\"spanId\":\"%s\"%s%s%s,\"name\":"
			"\"%s\",\"kind\":2,\"startTimeUnixNano\":\"%d000000\","
			"\"endTimeUnixNano\":\"%d000000\",\"attributes\":[{\"key\":"
			"\"http.response.status_code\",\"value\":{\"intValue\":"
			"\"200\"}}],\"status\":{}}", first ? "" : ",", trace, id,
			strcmp(parent, "-") ? ",\"parentSpanId\":\"" : "",
			strcmp(parent, "-") ? parent : "",
			strcmp(parent, "-") ? "\"" : "", name, start, end);
		first = 0;
	}
	snprintf(buf + n, sizeof(buf) - n, "]}]}]}");
	return buf;
}

static long add(struct ts_store *s, const char *line)
{
	char err[256];
	size_t skipped;

	return ts_store_add_line(s, line, strlen(line), &skipped, err,
				 sizeof(err));
}

START_TEST(test_spans_join_across_lines_into_one_ordered_tree)
{
	struct ts_store s;
	struct ts_trace_view *t;
	const char *names[] = { "root", "a", "a1", "b" };
	int depth[] = { 0, 1, 2, 1 };
	size_t i;

	ts_store_init(&s, false);
	ck_assert_int_eq(add(&s, line_of("back", TRACE,
					 "00000000000000b1:00000000000000a0:50:60:b,"
					 "00000000000000a1:00000000000000aa:20:30:a1")), 2);
	ck_assert_int_eq(add(&s, line_of("front", TRACE,
					 "00000000000000a0:-:0:100:root,"
					 "00000000000000aa:00000000000000a0:10:40:a")), 2);
	ck_assert_uint_eq(s.ntraces, 1);
	t = ts_store_find(&s, TRACE);
	ck_assert_ptr_nonnull(t);
	ts_trace_layout(&s, t);
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(t->rows[i]->name, names[i]);
		ck_assert_int_eq(t->rows[i]->depth, depth[i]);
		ck_assert(!t->rows[i]->orphan && !t->rows[i]->cycle);
	}
	ck_assert_str_eq(t->rows[1]->prefix, "|- ");
	ck_assert_str_eq(t->rows[2]->prefix, "|  `- ");
	ck_assert_str_eq(t->rows[3]->prefix, "`- ");
	ck_assert_str_eq(t->rows[3]->res->service, "back");
	ck_assert_ptr_eq(t->rows[2]->up, t->rows[1]);
	ck_assert(t->start == 0 && t->end == 100000000ull);
	ts_store_free(&s);
}
END_TEST

START_TEST(test_orphans_loops_and_duplicates)
{
	struct ts_store s;
	struct ts_trace_view *t;

	ts_store_init(&s, true);
	ck_assert_int_eq(add(&s, line_of("x", TRACE,
					 "0000000000000001:00000000000000ff:0:10:orphan,"
					 "0000000000000002:0000000000000003:1:9:p,"
					 "0000000000000003:0000000000000002:2:8:q,"
					 "0000000000000004:0000000000000004:3:4:self")), 4);
	/* The same spans again: dropped, counted. */
	ck_assert_int_eq(add(&s, line_of("x", TRACE,
					 "0000000000000001:00000000000000ff:0:10:orphan")), 0);
	ck_assert_uint_eq(s.dups, 1);
	t = ts_store_find(&s, TRACE);
	ts_trace_layout(&s, t);
	ck_assert_uint_eq(t->n, 4);
	ck_assert_str_eq(t->rows[0]->name, "orphan");
	ck_assert(t->rows[0]->orphan);
	ck_assert_str_eq(t->rows[1]->name, "p");
	ck_assert(t->rows[1]->cycle);
	ck_assert_str_eq(t->rows[2]->name, "q");
	ck_assert_int_eq(t->rows[2]->depth, 1);
	ck_assert_str_eq(t->rows[2]->prefix, "\u2514\u2500 ");
	ck_assert_str_eq(t->rows[3]->name, "self");
	ck_assert(t->rows[3]->cycle);
	ts_store_free(&s);
}
END_TEST

START_TEST(test_tail_reads_whole_lines_and_rereads_a_rewritten_file)
{
	char path[] = "/tmp/ts-test-tail-XXXXXX", err[64];
	struct ts_store s;
	struct ts_tail t = { 0 };
	const char *l = line_of("svc", TRACE, "0000000000000001:-:0:10:one");
	FILE *f, *warn = tmpfile();
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	t.path = path;
	ts_store_init(&s, false);
	f = fopen(path, "w");
	fwrite(l, 1, 30, f);
	fflush(f);
	ck_assert_int_eq(ts_tail_poll(&t, &s, warn, "t", false), 0);
	fprintf(f, "%s\n", l + 30);
	fflush(f);
	ck_assert_int_eq(ts_tail_poll(&t, &s, warn, "t", false), 1);
	fprintf(f, "not json\n");
	fflush(f);
	ck_assert_int_eq(ts_tail_poll(&t, &s, warn, "t", false), 0);
	ck_assert_int_eq(t.malformed, 1);
	fclose(f);
	/* Rewritten shorter: read again from the start, nothing twice. */
	f = fopen(path, "w");
	fprintf(f, "%s\n", line_of("svc", TRACE, "0000000000000002:-:1:2:2"));
	fclose(f);
	ck_assert_int_eq(ts_tail_poll(&t, &s, warn, "t", false), 1);
	ck_assert_uint_eq(s.nspans, 2);
	ts_tail_close(&t);
	rewind(warn);
	ck_assert_ptr_nonnull(fgets(err, sizeof(err), warn));
	ck_assert_ptr_nonnull(strstr(err, "t: warning: /tmp/ts-test-tail-"));
	fclose(warn);
	unlink(path);
	ts_store_free(&s);
}
END_TEST

START_TEST(test_evict_forgets_only_printed_quiet_traces)
{
	static const char *const ids[] = { "0af7651916cd43dd8448eb211c80319c",
					   "1af7651916cd43dd8448eb211c80319c",
					   "2af7651916cd43dd8448eb211c80319c" };
	struct ts_store s;
	size_t i;

	ts_store_init(&s, false);
	for (i = 0; i < 3; i++)
		add(&s, line_of("x", ids[i], "0000000000000001:-:0:1:a,"
					     "0000000000000002:0000000000000001:0:1:b"));
	ts_store_find(&s, ids[0])->shown = 2; /* printed whole */
	ts_store_find(&s, ids[1])->shown = 1; /* printed, then a span came */
	ck_assert_uint_eq(ts_store_evict(&s, 0), 1);
	ck_assert_uint_eq(s.ntraces, 2);
	ck_assert_uint_eq(s.nspans, 4);
	ck_assert_ptr_null(ts_store_find(&s, ids[0]));
	ck_assert_ptr_nonnull(ts_store_find(&s, ids[1]));
	ck_assert_ptr_nonnull(ts_store_find(&s, ids[2]));
	/* The maps were rebuilt: duplicates still found, the evicted trace
	 * can come again. */
	ck_assert_int_eq(add(&s, line_of("x", ids[2], "0000000000000001:-:0:1:a")), 0);
	ck_assert_int_eq(add(&s, line_of("x", ids[0], "0000000000000001:-:0:1:a")), 1);
	ck_assert_uint_eq(ts_store_evict(&s, 1000000), 0);
	ts_store_free(&s);
}
END_TEST

START_TEST(test_terminal_text_is_cleaned_and_cut)
{
	char out[256];

	ck_assert_int_eq(ts_text_clean("plain", 20, true, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "plain");
	ts_text_clean("a\x1b[2Jb\nc\x7f\xc2\x9b", 20, true, out, sizeof(out));
	ck_assert_str_eq(out, "a?[2Jb?c??");
	ts_text_clean("bidi\xe2\x80\xaeX", 20, true, out, sizeof(out));
	ck_assert_str_eq(out, "bidi?X");
	ts_text_clean("\xc3\xa9t\xc3\xa9", 20, false, out, sizeof(out));
	ck_assert_str_eq(out, "?t?");
	ts_text_clean("\xc3\xa9t\xc3\xa9", 20, true, out, sizeof(out));
	ck_assert_str_eq(out, "\xc3\xa9t\xc3\xa9");
	ts_text_clean("\xff\xfe\xc3", 20, true, out, sizeof(out));
	ck_assert_str_eq(out, "???");
	ck_assert_int_eq(ts_text_clean("abcdefghij", 6, false, out, sizeof(out)), 6);
	ck_assert_str_eq(out, "abcde~");
	ck_assert_int_eq(ts_text_clean("abcdefghij", 6, true, out, sizeof(out)), 6);
	ck_assert_str_eq(out, "abcde\u2026");
	ck_assert_int_eq(ts_text_clean("abcdef", 6, true, out, sizeof(out)), 6);
	ck_assert_str_eq(out, "abcdef");
}
END_TEST

START_TEST(test_durations_read_naturally)
{
	static const struct {
		uint64_t ns;
		const char *text;
	} t[] = {
		{ 0, "0 ns" },		    { 999, "999 ns" },
		{ 1500, "1 us" },	    { 999999, "999 us" },
		{ 1000000, "1.00 ms" },     { 12345678, "12.3 ms" },
		{ 999000000, "999.0 ms" },  { 1070000000, "1.07 s" },
		{ 250000000000ull, "250 s" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ts_fmt_duration(t[i].ns, false, out, sizeof(out));
		ck_assert_str_eq(out, t[i].text);
	}
	ts_fmt_duration(1500, true, out, sizeof(out));
	ck_assert_str_eq(out, "1 \u00b5s");
}
END_TEST

START_TEST(test_html_escape_leaves_only_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ts_html_escape(f, "<script>x='1' & \"2\"</script>\x01\x7f\xff\xc3\xa9\t\n");
	fclose(f);
	ck_assert_str_eq(buf, "&lt;script&gt;x=&#39;1&#39; &amp; &quot;2&quot;"
			      "&lt;/script&gt;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			      "\xc3\xa9\t\n");
	free(buf);
}
END_TEST

START_TEST(test_html_page_has_every_span_and_no_markup_from_spans)
{
	struct ts_store s;
	struct ts_trace_view **v;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	ts_store_init(&s, true);
	add(&s, line_of("svc<b>", TRACE, "0000000000000001:-:0:10:GET /<img>,"
				       "0000000000000002:0000000000000001:2:4:x\\\"y"));
	v = ts_store_sorted(&s, &n);
	ts_html_page(f, &s, v, n, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "data-span-id=\"0000000000000001\""));
	ck_assert_ptr_nonnull(strstr(buf, "data-span-id=\"0000000000000002\""));
	ck_assert_ptr_nonnull(strstr(buf, "GET /&lt;img&gt;"));
	ck_assert_ptr_nonnull(strstr(buf, "svc&lt;b&gt;"));
	ck_assert_ptr_nonnull(strstr(buf, "x&quot;y"));
	ck_assert_ptr_null(strstr(buf, "<img"));
	ck_assert_ptr_null(strstr(buf, "<script"));
	ck_assert_ptr_nonnull(strstr(buf, "Content-Security-Policy"));
	ck_assert_ptr_nonnull(strstr(buf, "left:20.000%;width:20.000%"));
	free(buf);
	free(v);
	ts_store_free(&s);
}
END_TEST

Suite *ts_test_spans_suite(void)
{
	Suite *s = suite_create("spans");
	TCase *tc = tcase_create("spans");

	tcase_add_test(tc, test_spans_join_across_lines_into_one_ordered_tree);
	tcase_add_test(tc, test_orphans_loops_and_duplicates);
	tcase_add_test(tc, test_tail_reads_whole_lines_and_rereads_a_rewritten_file);
	tcase_add_test(tc, test_evict_forgets_only_printed_quiet_traces);
	tcase_add_test(tc, test_terminal_text_is_cleaned_and_cut);
	tcase_add_test(tc, test_durations_read_naturally);
	tcase_add_test(tc, test_html_escape_leaves_only_text);
	tcase_add_test(tc, test_html_page_has_every_span_and_no_markup_from_spans);
	suite_add_tcase(s, tc);
	return s;
}
