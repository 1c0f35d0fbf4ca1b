/*
 * jaegerbench - cost of the Jaeger encoder, on one core.
 *
 *   jaegerbench [-r rounds] [-n spans]
 *
 * Builds `spans` spans like the ones the HTTP hooks make (a server span
 * with the HTTP semantic-convention attributes, alternating with client
 * spans of the same requests), then measures, in thread CPU time (so the
 * figures are for one core, whatever else the machine runs), rounds
 * interleaved:
 *
 *   span      ts_jaeger_span() alone: encoding one Span struct
 *   batch     ts_jaeger_encode_batch() in batches of 512 with a no-op
 *             emit: spans, process, message headers, datagram splitting
 *   udp       the same, each datagram sent as the exporter sends it
 *             (ts_udp_send: descriptor check, sendmsg on a connected UDP
 *             socket) to a loopback socket of ours that never reads: the
 *             kernel's send path is counted, not a receiver's work
 *   otlpjson  ts_otlp_json_encode() of the same batches, for comparison
 *
 * Prints one Markdown table row per measurement: ns per span (median and
 * best round: the machine may be shared, interference only adds), spans
 * per second at the median, bytes per span, and the ratio of medians to
 * otlpjson.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/buf.h"
#include "../../reporter/jaeger_thrift.h"
#include "../../reporter/otlp_json.h"
#include "../../reporter/resource.h"
#include "../../reporter/udp.h"

#define BATCH 512

static struct ts_span *spans;
static const struct ts_span **ptrs;
static long nspans = 2048; /* what the default queue holds */
static struct ts_udp udp;

static uint64_t cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void make_spans(void)
{
	struct ts_span_ctx ctx;
	char path[64];

	spans = malloc(sizeof(*spans) * (size_t)nspans);
	ptrs = malloc(sizeof(*ptrs) * (size_t)nspans);
	for (long i = 0; i < nspans; i++) {
		struct ts_span *s = &spans[i];
		int len = snprintf(path, sizeof(path), "/api/v1/items/%ld", i);

		if (i % 2 == 0) {
			ts_span_start(s, TS_KIND_SERVER, "GET /api/v1/items", 17,
				      NULL);
			ts_span_add_str(s, "http.request.method", "GET", 3);
			ts_span_add_str(s, "url.path", path, (size_t)len);
			ts_span_add_str(s, "url.query", "page=2&sort=asc", 15);
			ts_span_add_str(s, "url.scheme", "http", 4);
			ts_span_add_str(s, "server.address", "shop.internal", 13);
			ts_span_add_int(s, "server.port", 8080);
			ts_span_add_str(s, "client.address", "10.0.3.17", 9);
			ts_span_add_str(s, "network.peer.address", "10.0.3.17", 9);
			ts_span_add_int(s, "network.peer.port", 40000 + i % 20000);
			ts_span_add_str(s, "network.protocol.version", "1.1", 3);
			ts_span_add_str(s, "user_agent.original",
					"Mozilla/5.0 (X11; Linux x86_64) curl/7.88.1",
					43);
			ts_span_add_int(s, "http.response.status_code", 200);
			ts_span_add_int(s, "http.response.body.size", 1432);
			ts_span_ctx_of(s, &ctx);
		} else {
			ts_span_start(s, TS_KIND_CLIENT, "GET", 3, &ctx);
			ts_span_add_str(s, "http.request.method", "GET", 3);
			ts_span_add_str(s, "url.full",
					"http://inventory.internal:9000/stock?id=42",
					42);
			ts_span_add_str(s, "server.address", "inventory.internal", 18);
			ts_span_add_int(s, "server.port", 9000);
			ts_span_add_str(s, "network.peer.address", "10.0.4.2", 8);
			ts_span_add_int(s, "network.peer.port", 9000);
			ts_span_add_str(s, "network.protocol.version", "1.1", 3);
			ts_span_add_int(s, "http.response.status_code",
					i % 50 ? 200 : 503);
			if (i % 50 == 0)
				ts_span_set_status(s, TS_STATUS_ERROR,
						   "Service Unavailable", 19);
		}
		s->end_unix_ns = s->start_unix_ns + 1234567;
		ptrs[i] = s;
	}
}

static size_t sink_bytes;

static int emit_none(void *ctx, const struct iovec *iov, int niov,
		     size_t nspans_)
{
	(void)ctx, (void)nspans_;
	for (int i = 0; i < niov; i++)
		sink_bytes += iov[i].iov_len;
	return 0;
}

static int emit_udp(void *ctx, const struct iovec *iov, int niov,
		    size_t nspans_)
{
	emit_none(ctx, iov, niov, nspans_);
	/* A receiver whose buffer is full drops the datagram: fine here. */
	ts_udp_send(&udp, iov, niov, UINT64_MAX);
	return 0;
}

enum { M_SPAN, M_BATCH, M_UDP, M_JSON, NMODES };
static const char *const names[] = { "span", "batch", "udp", "otlpjson" };
static const char *const what[] = {
	"Jaeger Span struct alone (`ts_jaeger_span`)",
	"Jaeger batch: spans, process, headers, 65,000-byte split",
	"Jaeger batch + `sendmsg` per datagram (loopback UDP)",
	"OTLP/JSON batch (`ts_otlp_json_encode`), for comparison",
};

/* One pass over all spans; returns CPU ns, adds output bytes to *bytes. */
static uint64_t run(int mode, const struct ts_resource *res,
		    struct ts_jaeger_enc *enc, struct ts_buf *b, uint8_t *one,
		    size_t *bytes)
{
	struct ts_jaeger_stats st;
	uint64_t t0 = cpu_ns();

	sink_bytes = 0;
	for (long i = 0; i < nspans; i += BATCH) {
		size_t n = (size_t)(nspans - i < BATCH ? nspans - i : BATCH);

		switch (mode) {
		case M_SPAN:
			for (size_t k = 0; k < n; k++)
				sink_bytes += (size_t)(ts_jaeger_span(one, ptrs[i + (long)k]) - one);
			break;
		case M_BATCH:
		case M_UDP:
			ts_jaeger_encode_batch(enc, res, ptrs + i, n,
					       TS_JAEGER_MAX_DATAGRAM,
					       mode == M_UDP ? emit_udp : emit_none,
					       NULL, &st);
			break;
		case M_JSON:
			ts_buf_reset(b);
			ts_otlp_json_encode(b, res, ptrs + i, n);
			sink_bytes += b->len;
			break;
		}
	}
	*bytes = sink_bytes;
	return cpu_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A loopback UDP socket that never reads; the exporter sends to it. */
static void open_sink(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("jaegerbench: socket");
		exit(1);
	}
	ts_udp_init(&udp, "bench sink", "127.0.0.1", ntohs(a.sin_port));
}

int main(int argc, char **argv)
{
	int rounds = 15, c;
	struct ts_config cfg;
	static struct ts_resource res;
	struct ts_jaeger_enc enc = { 0 };
	struct ts_buf b = { 0 };
	static uint8_t one[1 << 16];
	uint64_t *t[NMODES], med[NMODES];
	size_t bytes[NMODES];

	while ((c = getopt(argc, argv, "r:n:")) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'n')
			nspans = atol(optarg);
		else
			return 2;
	}
	if (rounds < 1 || nspans < 1) {
		fprintf(stderr, "usage: jaegerbench [-r rounds] [-n spans]\n");
		return 2;
	}
	open_sink();
	ts_config_defaults(&cfg);
	strcpy(cfg.service_name, "shop-frontend");
	ts_resource_build(&res, &cfg);
	make_spans();
	for (int m = 0; m < NMODES; m++) {
		t[m] = calloc((size_t)rounds, sizeof(uint64_t));
		run(m, &res, &enc, &b, one, &bytes[m]); /* warm up, grow buffers */
	}
	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < NMODES; m++)
			t[m][r] = run(m, &res, &enc, &b, one, &bytes[m]);
	printf("| measurement | ns per span, median (best) | spans/s, one core | "
	       "bytes per span | vs OTLP/JSON |\n");
	printf("|---|---|---|---|---|\n");
	for (int m = 0; m < NMODES; m++) {
		qsort(t[m], (size_t)rounds, sizeof(uint64_t), cmp_u64);
		med[m] = t[m][rounds / 2];
	}
	for (int m = 0; m < NMODES; m++) {
		double ns = (double)med[m] / (double)nspans;

		printf("| %s | %.0f (%.0f) | %.2f M | %.0f | %.2f |\n", what[m],
		       ns, (double)t[m][0] / (double)nspans, 1e3 / ns,
		       (double)bytes[m] / (double)nspans,
		       (double)med[m] / (double)med[M_JSON]);
	}
	printf("\n%ld spans (half server, half client spans of HTTP requests), "
	       "batches of %d, median of %d rounds (thread CPU time), modes: ",
	       nspans, BATCH, rounds);
	for (int m = 0; m < NMODES; m++)
		printf("%s%s", names[m], m + 1 < NMODES ? ", " : "\n");
	return 0;
}
