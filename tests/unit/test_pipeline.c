/*
 * test_pipeline.c - from ts_span_end() to the `file` exporter, through the
 * queue and the real reporter thread.
 *
 * Each test initialises the pipeline from the global ts_cfg (the reporter
 * keeps a pointer to its configuration, so it must outlive the pipeline),
 * writes into its own mkdtemp directory, and tears everything down itself.
 * Check runs every test in a forked child, so each one starts with no
 * reporter thread.  The schedule delay is a minute, so nothing is exported
 * on a timer while a test runs: exports happen on a full batch or a flush,
 * which the tests control.  Waiting is done only with bounded flushes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../preload/clock.h"
#include "../../preload/config.h"
#include "../../preload/pipeline.h"
#include "../../preload/span.h"
#include "suites.h"

#define WAIT_MS 20000 /* flush deadline: generous, only a failure waits */

static char dir[64];

static uint64_t deadline_in(unsigned ms)
{
	return ts_clock_mono_ns() + (uint64_t)ms * 1000000u;
}

/* ts_cfg for the file exporter in a fresh directory; then init. */
static void pipeline_up(unsigned queue, unsigned batch)
{
	ts_config_defaults(&ts_cfg);
	ts_cfg.exporters = TS_EXPORTER_FILE;
	ts_cfg.schedule_delay_ms = 60000;
	ts_cfg.max_queue_size = queue;
	ts_cfg.max_export_batch = batch;
	snprintf(dir, sizeof(dir), "/tmp/ts-pipeline-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ts_cfg.file_path, sizeof(ts_cfg.file_path), "%s/spans.jsonl",
		 dir);
	ck_assert_int_eq(ts_pipeline_init(&ts_cfg), 0);
}

/* Stop the reporter (destroy waits for its final drain), unmap, clean up. */
static void pipeline_down(void)
{
	ts_pipeline_destroy();
	unlink(ts_cfg.file_path);
	rmdir(dir);
}

/* End one span named span-<i>; its id as a number is stored in *id. */
static bool submit(unsigned i, uint64_t *id)
{
	struct ts_span *s = malloc(sizeof(*s));
	char name[32];
	uint64_t v = 0;
	bool ok;
	int n, b;

	ck_assert_ptr_nonnull(s);
	n = snprintf(name, sizeof(name), "span-%u", i);
	ts_span_start(s, TS_KIND_INTERNAL, name, (size_t)n, NULL);
	ts_span_add_int(s, "i", i);
	/* Big-endian, as the id reads in hex in the file. */
	for (b = 0; b < 8; b++)
		v = v << 8 | s->span_id[b];
	if (id)
		*id = v;
	ok = ts_span_end(s);
	free(s);
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The whole of fd from its current offset, NUL-terminated; free() it. */
static char *slurp_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* EOF, or EAGAIN: empty non-blocking FIFO */
		n += (size_t)got;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *buf;

	ck_assert_msg(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	buf = slurp_fd(fd, len);
	close(fd);
	return buf;
}

/*
 * Check that `text` is whole OTLP/JSON lines, none with more than `batch`
 * spans, and return every spanId in it (as numbers) in *ids.
 */
static size_t parse_export(const char *text, size_t len, unsigned batch,
			   uint64_t **ids)
{
	static const char tag[] = "\"spanId\":\"";
	const char *line = text, *nl, *p;
	size_t n = 0, cap = 1024, in_line;
	char hex[17];

	*ids = malloc(cap * sizeof(**ids));
	ck_assert_ptr_nonnull(*ids);
	ck_assert_msg(len > 0 && text[len - 1] == '\n',
		      "export does not end in a newline");
	for (; line < text + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(!strncmp(line, "{\"resourceSpans\":[", 18) &&
				      nl[-1] == '}',
			      "not a whole ExportTraceServiceRequest line");
		in_line = 0;
		for (p = line; (p = strstr(p, tag)) != NULL && p < nl;
		     p += sizeof(tag) - 1) {
			memcpy(hex, p + sizeof(tag) - 1, 16);
			hex[16] = '\0';
			ck_assert_uint_eq(strspn(hex, "0123456789abcdef"), 16);
			ck_assert_int_eq(p[sizeof(tag) - 1 + 16], '"');
			if (n == cap) {
				cap *= 2;
				*ids = realloc(*ids, cap * sizeof(**ids));
				ck_assert_ptr_nonnull(*ids);
			}
			(*ids)[n++] = strtoull(hex, NULL, 16);
			in_line++;
		}
		ck_assert_uint_ge(in_line, 1);
		ck_assert_uint_le(in_line, batch);
	}
	return n;
}

/* The exported ids are exactly the submitted ones, each once. */
static void check_same_ids(uint64_t *sent, size_t nsent, uint64_t *got,
			   size_t ngot)
{
	ck_assert_uint_eq(ngot, nsent);
	qsort(sent, nsent, sizeof(*sent), cmp_u64);
	qsort(got, ngot, sizeof(*got), cmp_u64);
	ck_assert_mem_eq(got, sent, nsent * sizeof(*sent));
}

/* Threads of this process, and how many are named `name`. */
static unsigned count_tasks(const char *name, unsigned *named)
{
	char path[sizeof(((struct dirent *)0)->d_name) + 32], comm[32];
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	ck_assert_ptr_nonnull(d);
	*named = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* the thread just exited */
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			*named += !strcmp(comm, name);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

START_TEST(flushed_spans_reach_the_file_exactly_once)
{
	const unsigned n = 1000, batch = 512;
	uint64_t sent[1000], *got;
	struct ts_pipeline_stats st;
	size_t len, ngot;
	unsigned i;
	char *text;

	pipeline_up(2048, batch);
	for (i = 0; i < n; i++)
		ck_assert(submit(i, &sent[i]));
	ck_assert(ts_pipeline_flush(deadline_in(WAIT_MS)));

	ts_pipeline_stats(&st);
	ck_assert_uint_eq(st.created, n);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.exported, n);
	ck_assert_uint_eq(st.failed, 0);

	text = slurp(ts_cfg.file_path, &len);
	ngot = parse_export(text, len, batch, &got);
	check_same_ids(sent, n, got, ngot);
	free(text);
	free(got);
	pipeline_down();
}
END_TEST

/*
 * The file is a FIFO nobody reads yet, so the reporter's first export
 * blocks in open(2) holding the batch it took: the queue stays full and
 * every further span must be refused at once and counted, no matter how
 * the threads interleave.  Then a reader appears and the flush delivers
 * exactly the spans that were accepted.
 */
START_TEST(spans_beyond_a_full_queue_are_dropped_and_counted)
{
	const unsigned queue = 8, n = 20;
	uint64_t sent[20], *got;
	struct ts_pipeline_stats st;
	size_t len, ngot;
	unsigned i;
	char *text;
	int rd;

	pipeline_up(queue, queue); /* the clamp ts_config_load applies */
	ck_assert_int_eq(mkfifo(ts_cfg.file_path, 0600), 0);
	for (i = 0; i < n; i++)
		ck_assert_msg(submit(i, &sent[i]) == (i < queue),
			      "span %u: wrong acceptance", i);

	ts_pipeline_stats(&st);
	ck_assert_uint_eq(st.created, n);
	ck_assert_uint_eq(st.dropped, n - queue);
	ck_assert_uint_eq(st.exported, 0);

	rd = open(ts_cfg.file_path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	ck_assert(ts_pipeline_flush(deadline_in(WAIT_MS)));
	ts_pipeline_stats(&st);
	ck_assert_uint_eq(st.exported, queue);
	ck_assert_uint_eq(st.dropped, n - queue);
	ck_assert_uint_eq(st.failed, 0);

	text = slurp_fd(rd, &len);
	ngot = parse_export(text, len, queue, &got);
	check_same_ids(sent, queue, got, ngot); /* the first `queue` */
	free(text);
	free(got);
	pipeline_down();
	close(rd); /* after the reporter closed its end: no EPIPE */
}
END_TEST

START_TEST(flush_without_spans_returns_at_once_and_starts_no_thread)
{
	struct ts_pipeline_stats st;
	unsigned before, after, named;
	uint64_t t0;

	before = count_tasks("traceshim", &named);
	pipeline_up(2048, 512);
	t0 = ts_clock_mono_ns();
	ck_assert(ts_pipeline_flush(deadline_in(WAIT_MS)));
	/* Far below the deadline: it did not wait for a reporter. */
	ck_assert_uint_lt(ts_clock_mono_ns() - t0, 1000000000u);
	after = count_tasks("traceshim", &named);
	ck_assert_uint_eq(after, before);
	ck_assert_uint_eq(named, 0);
	/* The file is opened at the first export only. */
	ck_assert_int_ne(access(ts_cfg.file_path, F_OK), 0);
	ts_pipeline_stats(&st);
	ck_assert_uint_eq(st.created, 0);
	ck_assert_uint_eq(st.exported, 0);
	pipeline_down();
}
END_TEST

START_TEST(reporter_thread_is_named_traceshim_and_started_once)
{
	unsigned before, first, after, named, i;

	before = count_tasks("traceshim", &named);
	ck_assert_uint_eq(named, 0);
	pipeline_up(2048, 64);
	ck_assert(submit(0, NULL));
	/* The reporter names itself before serving its first flush. */
	ck_assert(ts_pipeline_flush(deadline_in(WAIT_MS)));
	first = count_tasks("traceshim", &named);
	ck_assert_uint_eq(named, 1);
	/* Not "== before + 1": a sanitizer runtime may add a helper thread
	 * at the first pthread_create. */
	ck_assert_uint_gt(first, before);

	/* Many more spans, several batches: still that one thread. */
	for (i = 1; i < 500; i++)
		ck_assert(submit(i, NULL));
	ck_assert(ts_pipeline_flush(deadline_in(WAIT_MS)));
	after = count_tasks("traceshim", &named);
	ck_assert_uint_eq(named, 1);
	ck_assert_uint_eq(after, first);
	pipeline_down();
}
END_TEST

START_TEST(spans_are_refused_before_init_and_after_destroy)
{
	unsigned before, named;

	before = count_tasks("traceshim", &named);
	ck_assert(!submit(0, NULL));
	ck_assert_uint_eq(count_tasks("traceshim", &named), before);
	ck_assert_uint_eq(named, 0);

	pipeline_up(16, 16);
	ck_assert(submit(1, NULL));
	pipeline_down();
	ck_assert(!submit(2, NULL));
}
END_TEST

/*
 * ts_pipeline_destroy() must finish the reporter before it unmaps the
 * queue the reporter reads in place: the final drain runs, so a span ended
 * just before (no flush) is in the file once destroy returns.  (It once
 * stopped with a deadline of 0, i.e. without waiting: the span was lost
 * and the reporter could read an unmapped ring.)
 */
START_TEST(destroy_finishes_the_reporter_first)
{
	uint64_t sent, *got = NULL;
	size_t len = 0, ngot = 0;
	char *text = NULL;
	int fd;

	pipeline_up(2048, 512);
	ck_assert(submit(0, &sent));
	ts_pipeline_destroy();

	/* Read and clean up first, so a failure leaves no directory. */
	fd = open(ts_cfg.file_path, O_RDONLY);
	if (fd >= 0) {
		text = slurp_fd(fd, &len);
		close(fd);
	}
	unlink(ts_cfg.file_path);
	rmdir(dir);
	ck_assert_msg(text, "no file: the final drain did not run before "
			    "destroy returned");
	ngot = parse_export(text, len, 512, &got);
	check_same_ids(&sent, 1, got, ngot);
	free(text);
	free(got);
}
END_TEST

Suite *ts_test_pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("export");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, flushed_spans_reach_the_file_exactly_once);
	tcase_add_test(tc, spans_beyond_a_full_queue_are_dropped_and_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 120);
	tcase_add_test(
		tc, flush_without_spans_returns_at_once_and_starts_no_thread);
	tcase_add_test(tc, reporter_thread_is_named_traceshim_and_started_once);
	tcase_add_test(tc, spans_are_refused_before_init_and_after_destroy);
	tcase_add_test(tc, destroy_finishes_the_reporter_first);
	suite_add_tcase(s, tc);
	return s;
}
