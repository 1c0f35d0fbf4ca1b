/*
 * test_http_client.c - the built-in HTTP/1.1 client, URL parsing,
 * Retry-After parsing and OTEL_EXPORTER_OTLP_HEADERS lists.
 *
 * The client is run against a scripted server thread on a loopback port:
 * each test says what the server answers to each request (raw bytes, so
 * every framing is covered: Content-Length, chunked with extensions and
 * trailers, close-delimited, 1xx before the final status, non-HTTP
 * replies, silence, idle connections closed by the server), and checks
 * what the client reports and how many connections it opened.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../preload/clock.h"
#include "../../preload/log.h"
#include "../../reporter/http_client.h"
#include "../../reporter/transport.h"
#include "suites.h"

/* --- URLs --------------------------------------------------------------- */

START_TEST(test_url_parse_accepts_the_usual_forms)
{
	static const struct {
		const char *in, *host, *port, *auth, *path;
		bool https;
	} ok[] = {
		{ "http://localhost:4318/v1/traces", "localhost", "4318",
		  "localhost:4318", "/v1/traces", false },
		{ "HTTP://h", "h", "80", "h", "/", false },
		{ "https://collector.example/", "collector.example", "443",
		  "collector.example", "/", true },
		{ "http://[::1]:9411/api/v2/spans", "::1", "9411", "[::1]:9411",
		  "/api/v2/spans", false },
		{ "http://[fe80::1]", "fe80::1", "80", "[fe80::1]", "/", false },
		{ "http://h:1?x=1", "h", "1", "h:1", "/?x=1", false },
		{ "http://h/p?q=1#frag", "h", "80", "h", "/p?q=1", false },
		{ "http://10.0.0.1:65535/a/b", "10.0.0.1", "65535",
		  "10.0.0.1:65535", "/a/b", false },
	};
	struct ts_url u;

	for (size_t i = 0; i < TS_ARRAY_SIZE(ok); i++) {
		ck_assert_msg(ts_url_parse(ok[i].in, &u) == 0, "%s", ok[i].in);
		ck_assert_str_eq(u.host, ok[i].host);
		ck_assert_str_eq(u.port, ok[i].port);
		ck_assert_str_eq(u.authority, ok[i].auth);
		ck_assert_str_eq(u.path, ok[i].path);
		ck_assert_int_eq(u.https, ok[i].https);
	}
}
END_TEST

START_TEST(test_url_parse_rejects_malformed)
{
	static const char *const bad[] = {
		"", "localhost:4318", "ftp://h/", "http://", "http:///x",
		"http://h:0/", "http://h:65536/", "http://h:12a/", "http://h:/",
		"http://user:pw@h/", "http://[::1/", "http://[::1]x/",
		"http://h/a b", "http://h/a\r\nX: y",
	};
	struct ts_url u;

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++)
		ck_assert_msg(ts_url_parse(bad[i], &u) == -EINVAL, "\"%s\"",
			      bad[i]);
}
END_TEST

/* --- Retry-After -------------------------------------------------------- */

START_TEST(test_retry_after_seconds_and_dates)
{
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT */
	const int64_t now = 784111777;

	ck_assert_int_eq(ts_http_parse_retry_after("0", 1, now), 0);
	ck_assert_int_eq(ts_http_parse_retry_after("7", 1, now), 7000);
	ck_assert_int_eq(ts_http_parse_retry_after("120", 3, now), 120000);
	/* capped at a day */
	ck_assert_int_eq(ts_http_parse_retry_after("9999999", 7, now), 86400000);
	ck_assert_int_eq(ts_http_parse_retry_after(
				 "Sun, 06 Nov 1994 08:49:40 GMT", 29, now),
			 3000);
	ck_assert_int_eq(ts_http_parse_retry_after(
				 "Sun, 06 Nov 1994 08:49:30 GMT", 29, now),
			 0); /* in the past: now */
	ck_assert_int_eq(ts_http_parse_retry_after("-1", 2, now), -1);
	ck_assert_int_eq(ts_http_parse_retry_after("1.5", 3, now), -1);
	ck_assert_int_eq(ts_http_parse_retry_after("soon", 4, now), -1);
	ck_assert_int_eq(ts_http_parse_retry_after(
				 "Sun, 06 Foo 1994 08:49:40 GMT", 29, now),
			 -1);
	ck_assert_int_eq(ts_http_parse_retry_after(
				 "Sun, 06 Nov 1994 08:49:40 GMT junk", 34, now),
			 -1);
	ck_assert_int_eq(ts_http_parse_retry_after("", 0, now), -1);
}
END_TEST

/* --- header lists ------------------------------------------------------- */

START_TEST(test_headers_parse_decodes_and_skips_bad_entries)
{
	char out[512], bad[64];
	size_t n;

	n = ts_headers_parse("api-key=s3cr%3Dt%20v , X-Tenant = a%2Cb,,x-e=",
			     out, 0, sizeof(out), bad, sizeof(bad));
	out[n] = '\0';
	ck_assert_str_eq(out, "api-key: s3cr=t v\r\nX-Tenant: a,b\r\nx-e: \r\n");
	ck_assert_str_eq(bad, "");

	n = ts_headers_parse("novalue,a=1", out, 0, sizeof(out), bad,
			     sizeof(bad));
	out[n] = '\0';
	ck_assert_str_eq(out, "a: 1\r\n");
	ck_assert_str_eq(bad, "novalue");

	/* Header injection, bad escapes, non-token keys, our own headers. */
	static const char *const rejected[] = {
		"k=v%0d%0aInjected: 1", "k=%zz", "k=%4", "bad key=v", "=v",
		"k%00=v", "Host=x", "content-length=5", "Content-Type=a/b",
		"connection=close", "k=a\tb%01",
	};
	for (size_t i = 0; i < TS_ARRAY_SIZE(rejected); i++) {
		n = ts_headers_parse(rejected[i], out, 0, sizeof(out), bad,
				     sizeof(bad));
		ck_assert_msg(n == 0, "\"%s\" accepted", rejected[i]);
		ck_assert_msg(bad[0], "\"%s\" not reported", rejected[i]);
	}
	/* A tab inside a value is fine; appending keeps what was there. */
	memcpy(out, "X: 1\r\n", 6);
	n = ts_headers_parse("k=a%09b", out, 6, sizeof(out), bad, sizeof(bad));
	out[n] = '\0';
	ck_assert_str_eq(out, "X: 1\r\nk: a\tb\r\n");
	/* Never past cap. */
	n = ts_headers_parse("aaaa=bbbb,c=d", out, 0, 12, bad, sizeof(bad));
	ck_assert_uint_le(n, 12);
}
END_TEST

/* --- a scripted server -------------------------------------------------- */

#define MAX_REPLIES 8

static struct {
	int lfd;                       /* listening socket */
	int port;
	const char *reply[MAX_REPLIES]; /* raw reply to request i; NULL: hang */
	bool close_after[MAX_REPLIES];  /* close the connection after it */
	int accepted;                   /* connections accepted */
	int requests;                   /* requests read */
	char last_head[2048];           /* head of the last request */
	size_t last_body;               /* its body length */
	pthread_t tid;
} srv;

static int read_request(int c)
{
	char buf[65536];
	size_t len = 0, need;
	char *end, *cl;
	ssize_t n;

	for (;;) {
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	*end = '\0';
	snprintf(srv.last_head, sizeof(srv.last_head), "%.2000s", buf);
	cl = strstr(buf, "Content-Length: ");
	srv.last_body = cl ? strtoul(cl + 16, NULL, 10) : 0;
	need = (size_t)(end + 4 - buf) + srv.last_body;
	while (len < need) {
		n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	return 0;
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(srv.lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		__atomic_add_fetch(&srv.accepted, 1, __ATOMIC_RELAXED);
		while (read_request(c) == 0) {
			int i = __atomic_fetch_add(&srv.requests, 1,
						   __ATOMIC_RELAXED);
			const char *r = i < MAX_REPLIES ? srv.reply[i] : NULL;

			if (!r) {
				sleep(30); /* a black hole */
				break;
			}
			if (write(c, r, strlen(r)) < 0)
				break;
			if (srv.close_after[i])
				break;
		}
		close(c);
	}
}

static void server_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	srv.accepted = srv.requests = 0;
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(srv.lfd, 8), 0);
	getsockname(srv.lfd, (struct sockaddr *)&a, &al);
	srv.port = ntohs(a.sin_port);
	pthread_create(&srv.tid, NULL, server_main, NULL);
}

/* Each test runs in its own forked process: the thread dies with it. */

static struct ts_url url;
static struct ts_http_conn conn;
static struct ts_http_resp resp;

static int post(const char *body, uint64_t ms)
{
	char u[64];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/v1/traces", srv.port);
	ck_assert_int_eq(ts_url_parse(u, &url), 0);
	return ts_http_post(&conn, &url, "Content-Type: x/y\r\n", 19, body,
			    strlen(body), &resp,
			    ts_clock_mono_ns() + ms * 1000000u);
}

static void setup(void)
{
	memset(&srv.reply, 0, sizeof(srv.reply));
	memset(&srv.close_after, 0, sizeof(srv.close_after));
	ts_http_conn_init(&conn);
}

START_TEST(test_keep_alive_content_length_reuses_the_connection)
{
	setup();
	srv.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	srv.reply[1] = "HTTP/1.1 202 Accepted\r\ncontent-length:0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("abc", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body, "hello");
	ck_assert_int_eq(resp.retry_after_ms, -1);
	ck_assert(strstr(srv.last_head, "POST /v1/traces HTTP/1.1\r\n"));
	ck_assert(strstr(srv.last_head, "\r\nHost: 127.0.0.1:"));
	ck_assert(strstr(srv.last_head, "\r\nContent-Type: x/y"));
	ck_assert_uint_eq(srv.last_body, 3);
	ck_assert_int_eq(post("defg", 2000), 0);
	ck_assert_int_eq(resp.status, 202);
	ck_assert_int_eq(srv.accepted, 1);
	ck_assert_uint_eq(srv.last_body, 4);
	ts_http_close(&conn);
}
END_TEST

START_TEST(test_chunked_reply_with_extensions_and_trailers)
{
	setup();
	srv.reply[0] = "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n"
		       "Retry-After: 2\r\n\r\n"
		       "4;ext=1\r\nbusy\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
	srv.reply[1] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_int_eq(resp.retry_after_ms, 2000);
	ck_assert_str_eq(resp.body, "busy0123456789");
	ck_assert_int_eq(post("y", 2000), 0); /* framing was right */
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(srv.accepted, 1);
}
END_TEST

START_TEST(test_interim_1xx_then_final_status)
{
	setup();
	srv.reply[0] = "HTTP/1.1 100 Continue\r\n\r\n"
		       "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
		       "HTTP/1.1 204 No Content\r\n\r\n";
	srv.reply[1] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 204);
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(srv.accepted, 1);
}
END_TEST

START_TEST(test_close_delimited_and_connection_close_reconnect)
{
	setup();
	srv.reply[0] = "HTTP/1.0 200 OK\r\n\r\nbody until close";
	srv.close_after[0] = true;
	srv.reply[1] = "HTTP/1.1 400 Bad\r\nConnection: close\r\n"
		       "Content-Length: 3\r\n\r\nbad";
	srv.close_after[1] = true;
	srv.reply[2] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body, "body until close");
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 400);
	ck_assert_str_eq(resp.body, "bad");
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(srv.accepted, 3);
}
END_TEST

START_TEST(test_http10_keep_alive_is_honoured)
{
	setup();
	srv.reply[0] = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
		       "Content-Length: 2\r\n\r\nok";
	srv.reply[1] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "\r\n"; /* no chunk size: broken framing */
	srv.reply[2] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(post("x", 2000), 0); /* same connection */
	ck_assert_int_eq(resp.status, 200);   /* status stands, conn dropped */
	ck_assert_int_eq(conn.fd, -1);
	ck_assert_int_eq(srv.accepted, 1);
}
END_TEST

START_TEST(test_idle_connection_closed_by_server_is_replaced)
{
	setup();
	srv.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	srv.close_after[0] = true; /* closes without saying so */
	srv.reply[1] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	usleep(50000); /* the FIN arrives */
	ck_assert_int_eq(post("x", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(srv.accepted, 2);
	ck_assert_int_eq(srv.requests, 2); /* sent once each */
}
END_TEST

START_TEST(test_not_http_and_oversized_heads_are_protocol_errors)
{
	static char huge[20000];

	setup();
	srv.reply[0] = "SSH-2.0-OpenSSH_9.2\r\n";
	memcpy(huge, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(huge + 20, 'a', sizeof(huge) - 21);
	srv.reply[1] = huge;
	srv.reply[2] = "HTTP/1.1 2x0 OK\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), -EPROTO);
	ck_assert_int_eq(post("x", 2000), -EPROTO);
	ck_assert_int_eq(post("x", 2000), -EPROTO);
}
END_TEST

START_TEST(test_silence_ends_at_the_deadline)
{
	uint64_t t0;
	int err;

	setup(); /* reply[0] NULL: the server reads and never answers */
	server_start();
	t0 = ts_clock_mono_ns();
	err = post("x", 200);
	t0 = ts_clock_mono_ns() - t0;
	ck_assert_int_eq(err, -ETIMEDOUT);
	ck_assert_uint_ge(t0, 190000000u);
	ck_assert_uint_le(t0, 2000000000u);
}
END_TEST

START_TEST(test_refused_connection)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setup();
	/* A port that was just free: bound, then closed without listening. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	srv.port = ntohs(a.sin_port);
	ck_assert_int_eq(post("x", 2000), -ECONNREFUSED);
	ck_assert_int_eq(conn.fd, -1);
}
END_TEST

START_TEST(test_descriptor_reused_by_the_application_is_left_alone)
{
	char victim[] = "/tmp/ts-http-victim-XXXXXX";
	struct stat sb;
	int vfd, ours;

	setup();
	srv.reply[0] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	srv.reply[1] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(post("x", 2000), 0);
	ours = conn.fd;
	ck_assert_int_ge(ours, 3);
	/* The application closes every descriptor and reuses ours. */
	vfd = mkstemp(victim);
	ck_assert_int_eq(dup2(vfd, ours), ours);
	ck_assert_int_eq(post("y", 2000), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(fstat(vfd, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0); /* not a byte of ours */
	ck_assert_int_ne(conn.fd, ours); /* a new connection of its own */
	ck_assert_int_eq(srv.accepted, 2);
	ts_http_close(&conn);
	ck_assert_int_ge(fcntl(ours, F_GETFD), 0); /* never closed by us */
	unlink(victim);
}
END_TEST

/* --- the transport's retry rules ------------------------------------------ */

static struct ts_transport tr;

static int transport_send(uint64_t ms)
{
	static const struct ts_tls_files tls = { "", "", "" };
	char u[64];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/v1/traces", srv.port);
	ts_log_level = TS_LOG_NONE; /* the refusals are expected */
	ts_transport_init(&tr, "OTLP", u, (unsigned)ms, "x/y", "k=v", "H",
			  false, &tls);
	return ts_transport_send(&tr, "body", 4,
				 ts_clock_mono_ns() + 60000000000ull);
}

START_TEST(test_transport_retries_only_retryable_statuses)
{
	setup();
	srv.reply[0] = "HTTP/1.1 503 X\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n";
	srv.reply[1] = "HTTP/1.1 429 X\r\nContent-Length: 0\r\n\r\n";
	srv.reply[2] = "HTTP/1.1 502 X\r\nContent-Length: 0\r\n\r\n";
	srv.reply[3] = "HTTP/1.1 504 X\r\nContent-Length: 0\r\n\r\n";
	srv.reply[4] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	srv.reply[5] = "HTTP/1.1 400 X\r\nContent-Length: 0\r\n\r\n";
	srv.reply[6] = "HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n";
	server_start();
	ck_assert_int_eq(transport_send(10000), 0);
	ck_assert_uint_eq(tr.attempts, 5);
	ck_assert(strstr(srv.last_head, "\r\nk: v"));
	ts_transport_close(&tr); /* the server serves one connection at a time */
	ck_assert_int_eq(transport_send(10000), -EREMOTEIO); /* 400 */
	ck_assert_uint_eq(tr.attempts, 1);
	ts_transport_close(&tr);
	ck_assert_int_eq(transport_send(10000), -EREMOTEIO); /* 500 */
	ck_assert_uint_eq(tr.attempts, 1);
	ts_transport_close(&tr);
}
END_TEST

START_TEST(test_transport_gives_up_when_retry_after_exceeds_the_timeout)
{
	uint64_t t0;

	setup();
	srv.reply[0] = "HTTP/1.1 503 X\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n";
	server_start();
	t0 = ts_clock_mono_ns();
	ck_assert_int_eq(transport_send(1000), -EAGAIN);
	ck_assert_uint_le(ts_clock_mono_ns() - t0, 500000000u); /* no wait */
	ck_assert_uint_eq(tr.attempts, 1);
}
END_TEST

Suite *ts_test_http_client_suite(void)
{
	Suite *s = suite_create("http_client");
	TCase *tc = tcase_create("parse");
	TCase *tn = tcase_create("client");

	tcase_add_test(tc, test_url_parse_accepts_the_usual_forms);
	tcase_add_test(tc, test_url_parse_rejects_malformed);
	tcase_add_test(tc, test_retry_after_seconds_and_dates);
	tcase_add_test(tc, test_headers_parse_decodes_and_skips_bad_entries);
	suite_add_tcase(s, tc);
	tcase_add_test(tn, test_keep_alive_content_length_reuses_the_connection);
	tcase_add_test(tn, test_chunked_reply_with_extensions_and_trailers);
	tcase_add_test(tn, test_interim_1xx_then_final_status);
	tcase_add_test(tn, test_close_delimited_and_connection_close_reconnect);
	tcase_add_test(tn, test_http10_keep_alive_is_honoured);
	tcase_add_test(tn, test_idle_connection_closed_by_server_is_replaced);
	tcase_add_test(tn, test_not_http_and_oversized_heads_are_protocol_errors);
	tcase_add_test(tn, test_silence_ends_at_the_deadline);
	tcase_add_test(tn, test_refused_connection);
	tcase_add_test(tn, test_descriptor_reused_by_the_application_is_left_alone);
	tcase_add_test(tn, test_transport_retries_only_retryable_statuses);
	tcase_add_test(tn, test_transport_gives_up_when_retry_after_exceeds_the_timeout);
	tcase_set_timeout(tn, 30);
	suite_add_tcase(s, tn);
	return s;
}
