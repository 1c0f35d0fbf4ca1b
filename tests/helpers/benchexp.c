/*
 * benchexp - export benchmarks (scripts/bench-export runs them).
 *
 *   benchexp encode [-s seconds] [-e otlp-protobuf|otlp-json|zipkin-json]
 *       Encode batches of 512 realistic HTTP server spans (13 attributes,
 *       as the socket hooks make them) with each encoder on this thread,
 *       timed in this thread's CPU time (the cost on one core, even on a
 *       busy machine), and print one line per encoder:
 *       "encoder NAME ns_per_span X spans_per_s Y bytes_per_span Z".
 *   benchexp e2e [-n spans]
 *       Make `spans` spans as fast as the queue takes them without a drop
 *       (a producer that waits while the queue is nearly full, unlike an
 *       application, so the figure is what the reporter delivers), then
 *       flush, and print "spans N exported E dropped D failed F seconds S
 *       spans_per_s R producer_ns_per_span P reporter_ns_per_span Q"
 *       (P and Q are CPU time: what each side costs on one core).
 *   benchexp dump ENCODER
 *       One batch with fixed ids and times, encoded, to stdout (compare
 *       encoder versions byte for byte).  The exporter is configured by the environment
 *       (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*).
 *
 * Links the whole shim, like spangen.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../preload/clock.h"
#include "../../preload/config.h"
#include "../../preload/pipeline.h"
#include "../../preload/span.h"
#include "../../reporter/otlp_json.h"
#include "../../reporter/otlp_proto.h"
#include "../../reporter/resource.h"
#include "../../reporter/zipkin_json.h"

#define BATCH 512

/* "GET /api/v1/items/NNNN" for 512 values of NNNN, made once: the
 * producer's cost should be the shim's, not snprintf's. */
static char span_names[BATCH][32];

static void make_names(void)
{
	for (unsigned i = 0; i < BATCH; i++)
		snprintf(span_names[i], sizeof(span_names[i]), "GET /api/v1/items/%u",
			 1000 + i * 17);
}

static void make_span(struct ts_span *s, unsigned i)
{
	const char *name = span_names[i % BATCH];
	size_t n = strlen(name);

	ts_span_start(s, TS_KIND_SERVER, name, n, NULL);
	ts_span_add_str(s, "http.request.method", "GET", 3);
	ts_span_add_str(s, "url.path", name + 4, n - 4);
	ts_span_add_str(s, "url.query", "page=2&sort=asc", 15);
	ts_span_add_str(s, "url.scheme", "http", 4);
	ts_span_add_str(s, "network.protocol.version", "1.1", 3);
	ts_span_add_str(s, "server.address", "127.0.0.1", 9);
	ts_span_add_int(s, "server.port", 8080);
	ts_span_add_str(s, "client.address", "127.0.0.1", 9);
	ts_span_add_str(s, "network.peer.address", "127.0.0.1", 9);
	ts_span_add_int(s, "network.peer.port", 40000 + i % 20000);
	ts_span_add_str(s, "user_agent.original", "curl/7.88.1", 11);
	ts_span_add_int(s, "http.response.status_code", i % 50 ? 200 : 503);
	ts_span_add_int(s, "http.response.body.size", 1234 + i % 100);
	if (i % 50 == 0)
		ts_span_set_status(s, TS_STATUS_ERROR, "", 0);
	s->end_unix_ns = s->start_unix_ns + 123456;
}

enum { ENC_PROTO, ENC_OTLP_JSON, ENC_ZIPKIN };

static size_t encode(int which, struct ts_buf *b, const struct ts_resource *r,
		     const struct ts_span *const *batch)
{
	const char *out;
	size_t len = 0;

	ts_buf_reset(b);
	if (which == ENC_PROTO)
		ts_otlp_proto_encode(b, r, batch, BATCH, &out, &len);
	else if (which == ENC_OTLP_JSON)
		ts_otlp_json_encode(b, r, batch, BATCH), len = b->len;
	else
		ts_zipkin_json_encode(b, r, batch, BATCH), len = b->len;
	return len;
}

static int bench_encode(double secs, const char *only)
{
	static const char *const names[] = { "otlp-protobuf", "otlp-json",
					     "zipkin-json" };
	static struct ts_resource res;
	static struct ts_span spans[BATCH];
	const struct ts_span *batch[BATCH];
	struct ts_buf b = { 0 };
	uint64_t t0, t1, n;
	size_t bytes = 0;
	unsigned i;

	ts_resource_build(&res, &ts_cfg);
	for (i = 0; i < BATCH; i++) {
		make_span(&spans[i], i);
		batch[i] = &spans[i];
	}
	for (int w = 0; w < 3; w++) {
		if (only && strcmp(only, names[w]))
			continue;
		for (i = 0; i < 50; i++) /* warm up, grow the buffer */
			encode(w, &b, &res, batch);
		/* CPU time of this thread: the cost on one core, whatever
		 * else the machine is running. */
		t0 = ts_clock_ns(CLOCK_THREAD_CPUTIME_ID);
		n = 0;
		do {
			for (i = 0; i < 20; i++)
				bytes = encode(w, &b, &res, batch);
			n += 20;
			t1 = ts_clock_ns(CLOCK_THREAD_CPUTIME_ID);
		} while (t1 - t0 < (uint64_t)(secs * 1e9));
		printf("encoder %s ns_per_span %.1f spans_per_s %.0f "
		       "bytes_per_span %.0f\n",
		       names[w], (double)(t1 - t0) / (double)(n * BATCH),
		       (double)(n * BATCH) * 1e9 / (double)(t1 - t0),
		       (double)bytes / BATCH);
	}
	ts_buf_free(&b);
	return 0;
}

/* One batch with fixed ids and times to stdout: encoders' output can be
 * compared across versions byte for byte. */
static int dump(const char *which)
{
	static const char *const names[] = { "otlp-protobuf", "otlp-json",
					     "zipkin-json" };
	static struct ts_resource res;
	static struct ts_span spans[BATCH];
	const struct ts_span *batch[BATCH];
	struct ts_buf b = { 0 };
	const char *out = NULL;
	size_t len;
	int w;

	for (w = 0; w < 3 && strcmp(which, names[w]); w++)
		;
	if (w == 3)
		return 2;
	ts_resource_build(&res, &ts_cfg);
	for (size_t i = 0; i < res.n; i++) /* the pid differs every run */
		if (!strcmp(res.attrs[i].key, "process.pid"))
			res.attrs[i].ival = 1;
	for (unsigned i = 0; i < BATCH; i++) {
		make_span(&spans[i], i);
		memset(spans[i].trace_id, (int)(i * 7 + 1), 16);
		memset(spans[i].span_id, (int)(i * 3 + 2), 8);
		spans[i].start_unix_ns = 1700000000000000000ull + i * 1000;
		spans[i].end_unix_ns = spans[i].start_unix_ns + i * 77;
		if (i % 16 == 0) { /* every kind of byte a string may hold */
			static const char nasty[] =
				"q\"b\\s/\x01\x1f\x7f t\tn\n\xff\xc0\xe2\x82"
				"\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80 long "
				"plain text after the escapes, plain";

			ts_span_attr_str(&spans[i], nasty, strlen(nasty), nasty + i % 7,
					sizeof(nasty) - 1 - i % 7);
			ts_span_set_tracestate(&spans[i], nasty, 20);
			ts_span_set_status(&spans[i], TS_STATUS_ERROR, nasty,
					   sizeof(nasty) - 1);
		}
		batch[i] = &spans[i];
	}
	len = encode(w, &b, &res, batch);
	if (w != ENC_PROTO)
		out = b.data;
	else
		ts_otlp_proto_encode(&b, &res, batch, BATCH, &out, &len);
	fwrite(out, 1, len, stdout);
	ts_buf_free(&b);
	return 0;
}

static int bench_e2e(long total)
{
	struct ts_pipeline_stats st;
	struct ts_span s;
	struct timespec nap = { 0, 20000 };
	struct rusage ru;
	uint64_t t0, t1, room, cpu0, cpu_all, cpu_me;
	long i;

	room = ts_span_ring.capacity > 1024 ? ts_span_ring.capacity - 1024 : 1;
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = (uint64_t)ru.ru_utime.tv_sec * 1000000000ull +
	       (uint64_t)ru.ru_utime.tv_usec * 1000 +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000000ull +
	       (uint64_t)ru.ru_stime.tv_usec * 1000;
	cpu_me = ts_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = ts_clock_mono_ns();
	for (i = 0; i < total; i++) {
		while (ts_ring_count(&ts_span_ring) >= room)
			nanosleep(&nap, NULL);
		make_span(&s, (unsigned)i);
		ts_span_end(&s);
	}
	ts_pipeline_flush(ts_clock_mono_ns() + 60000000000ull);
	t1 = ts_clock_mono_ns();
	cpu_me = ts_clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_me;
	getrusage(RUSAGE_SELF, &ru);
	cpu_all = (uint64_t)ru.ru_utime.tv_sec * 1000000000ull +
		  (uint64_t)ru.ru_utime.tv_usec * 1000 +
		  (uint64_t)ru.ru_stime.tv_sec * 1000000000ull +
		  (uint64_t)ru.ru_stime.tv_usec * 1000 - cpu0;
	ts_pipeline_stats(&st);
	/* The process has two busy threads: this producer and the reporter,
	 * whose CPU time (user + kernel: encode, send) is the rest. */
	printf("spans %ld exported %llu dropped %llu failed %llu seconds %.3f "
	       "spans_per_s %.0f producer_ns_per_span %.0f "
	       "reporter_ns_per_span %.0f\n",
	       total, (unsigned long long)st.exported,
	       (unsigned long long)st.dropped, (unsigned long long)st.failed,
	       (double)(t1 - t0) / 1e9,
	       (double)st.exported * 1e9 / (double)(t1 - t0),
	       (double)cpu_me / (double)total,
	       (double)(cpu_all > cpu_me ? cpu_all - cpu_me : 0) /
		       (double)total);
	return st.dropped || st.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	const char *only = NULL;
	long total = 1000000;
	int c;

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((c = getopt(argc, argv, "s:n:e:")) != -1) {
		if (c == 'e')
			only = optarg;
		else if (c == 's')
			secs = atof(optarg);
		else if (c == 'n')
			total = atol(optarg);
		else
			goto usage;
	}
	make_names();
	if (!strcmp(argv[1], "encode"))
		return bench_encode(secs, only);
	if (!strcmp(argv[1], "dump") && argc == 3)
		return dump(argv[2]);
	if (!strcmp(argv[1], "e2e"))
		return bench_e2e(total);
usage:
	fprintf(stderr, "usage: benchexp encode [-s seconds] [-e encoder] | "
			"e2e [-n spans]\n");
	return 2;
}
