/*
 * test_export_jaeger.c - the jaeger exporter's configuration and its UDP
 * transport, with real loopback sockets.
 *
 * Configuration: OTEL_EXPORTER_JAEGER_AGENT_HOST/PORT defaults, accepted
 * forms (names, IPv4, IPv6 bare or bracketed), and nonsense rejected with
 * one warning and the default kept.
 *
 * Transport (reporter/udp.c): a datagram reaches a receiver on 127.0.0.1
 * and on ::1 byte for byte; with nothing listening, ECONNREFUSED is
 * noticed and counted and nothing blocks; with two addresses, a refusal
 * moves the socket to the next one; when the application closes our
 * descriptor, or puts one of its own under the same number, we never
 * write into its descriptor and reconnect on a socket of our own.
 *
 * And the exporter end to end: spans exported through the exporter
 * interface arrive as parseable datagrams.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../preload/clock.h"
#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/exporter.h"
#include "../../reporter/jaeger_thrift.h"
#include "../../reporter/resource.h"
#include "../../reporter/udp.h"
#include "capture.h"
#include "suites.h"

/* --- configuration ------------------------------------------------------- */

static void clear_env(void)
{
	static const char *const vars[] = { "OTEL_EXPORTER_JAEGER_AGENT_HOST",
					    "OTEL_EXPORTER_JAEGER_AGENT_PORT",
					    "OTEL_EXPORTER_JAEGER_PROTOCOL",
					    "OTEL_EXPORTER_JAEGER_ENDPOINT",
					    "OTEL_TRACES_EXPORTER",
					    "TRACESHIM_LOG_LEVEL" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

START_TEST(test_config_defaults_localhost_6831)
{
	struct ts_config c;
	char err[1024];

	clear_env();
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(c.jaeger_host, "localhost");
	ck_assert_uint_eq(c.jaeger_port, 6831);
	setenv("OTEL_TRACES_EXPORTER", "jaeger", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.exporters, TS_EXPORTER_JAEGER);
}
END_TEST

START_TEST(test_config_accepts_names_and_addresses)
{
	static const struct {
		const char *value, *want;
	} ok[] = {
		{ "jaeger-agent", "jaeger-agent" },
		{ "agent.observability.svc.cluster.local",
		  "agent.observability.svc.cluster.local" },
		{ "my_agent", "my_agent" },
		{ "10.1.2.3", "10.1.2.3" },
		{ " 127.0.0.1 ", "127.0.0.1" },
		{ "::1", "::1" },
		{ "[::1]", "::1" },
		{ "fe80::1%eth0", "fe80::1%eth0" },
		{ "[2001:db8::7]", "2001:db8::7" },
	};
	struct ts_config c;
	char err[1024];

	for (size_t i = 0; i < TS_ARRAY_SIZE(ok); i++) {
		clear_env();
		setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", ok[i].value, 1);
		setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", "16831", 1);
		ck_assert_msg(ts_capture_config_load(&c, err, sizeof(err)) == 0,
			      "%s: [%s]", ok[i].value, err);
		ck_assert_str_eq(err, "");
		ck_assert_str_eq(c.jaeger_host, ok[i].want);
		ck_assert_uint_eq(c.jaeger_port, 16831);
	}
}
END_TEST

START_TEST(test_config_rejects_nonsense_with_one_warning)
{
	static const char *const bad_hosts[] = {
		"a b", "host,other", "http://agent:6831", "agent:6831",
		"-agent", ".agent", "[agent]", "[::1", "user@agent",
		"agent/x", "\x01", "\xc3\xa9t\xc3\xa9",
	};
	static const char *const bad_ports[] = { "0", "65536", "-1", "abc",
						 "6831x", "99999999999" };
	struct ts_config c;
	char err[1024], long_host[400];

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad_hosts); i++) {
		clear_env();
		setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", bad_hosts[i], 1);
		ck_assert_msg(ts_capture_config_load(&c, err, sizeof(err)) == 1,
			      "%s: [%s]", bad_hosts[i], err);
		ck_assert_msg(!strncmp(err, "traceshim: warning: "
					    "OTEL_EXPORTER_JAEGER_AGENT_HOST=",
				       52) &&
				      strchr(err, '\n') == err + strlen(err) - 1,
			      "[%s]", err);
		ck_assert_str_eq(c.jaeger_host, "localhost");
	}
	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	clear_env();
	setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", long_host, 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.jaeger_host, "localhost");
	for (size_t i = 0; i < TS_ARRAY_SIZE(bad_ports); i++) {
		clear_env();
		setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", bad_ports[i], 1);
		ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
		ck_assert_msg(strstr(err, "OTEL_EXPORTER_JAEGER_AGENT_PORT") &&
				      strstr(err, "using 6831"),
			      "[%s]", err);
		ck_assert_uint_eq(c.jaeger_port, 6831);
	}
}
END_TEST

START_TEST(test_config_collector_variables_are_named_unsupported)
{
	struct ts_config c;
	char err[2048];

	/* Not selected: the variables are someone else's, nothing said. */
	clear_env();
	setenv("OTEL_EXPORTER_JAEGER_ENDPOINT", "http://collector:14268/api/traces", 1);
	setenv("OTEL_EXPORTER_JAEGER_PROTOCOL", "http/thrift.binary", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	/* Selected: one warning each, the agent is used. */
	setenv("OTEL_TRACES_EXPORTER", "jaeger", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 2);
	ck_assert_msg(strstr(err, "OTEL_EXPORTER_JAEGER_PROTOCOL=\"http/thrift.binary\" is not supported; using udp/thrift.compact to the agent at localhost:6831\n") &&
			      strstr(err, "OTEL_EXPORTER_JAEGER_ENDPOINT=\"http://collector:14268/api/traces\": collector endpoints are not supported"),
		      "[%s]", err);
	ck_assert_uint_eq(c.exporters, TS_EXPORTER_JAEGER);
	/* The one protocol we speak is accepted silently. */
	unsetenv("OTEL_EXPORTER_JAEGER_ENDPOINT");
	setenv("OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.compact", 1);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
}
END_TEST

/* --- transport ------------------------------------------------------------- */

/* A UDP receiver on addr (127.0.0.1 or ::1), port chosen by the kernel. */
static int receiver(int family, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A port nobody listens on (bound, read, closed). */
static unsigned dead_port(int family)
{
	unsigned port;
	int fd = receiver(family, &port);

	close(fd);
	return port;
}

/* Receive one datagram within 2 s; its length, or -1 on timeout. */
static ssize_t recv_one(int fd, char *buf, size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(fd, buf, size, 0);
}

static int send_str(struct ts_udp *u, const char *a, const char *b)
{
	struct iovec iov[2] = { { (void *)a, strlen(a) }, { (void *)b, strlen(b) } };

	return ts_udp_send(u, iov, 2, ts_clock_mono_ns() + 1000000000u);
}

START_TEST(test_udp_ipv4_and_ipv6_byte_for_byte)
{
	static const struct {
		int family;
		const char *host;
	} cases[] = { { AF_INET, "127.0.0.1" }, { AF_INET6, "::1" },
		      { AF_INET, "localhost" } };
	char buf[256];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		struct ts_udp u;
		unsigned port;
		int r = receiver(cases[i].family, &port);

		ts_udp_init(&u, "test agent", cases[i].host, port);
		ck_assert_int_eq(send_str(&u, "hello ", "world"), 0);
		ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 11);
		ck_assert(!memcmp(buf, "hello world", 11));
		/* Resolved once: the socket is reused for the next one. */
		int fd = u.fd;
		ck_assert_int_eq(send_str(&u, "again", ""), 0);
		ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 5);
		ck_assert_int_eq(u.fd, fd);
		ck_assert_int_ge(u.fd, 3);
		ck_assert_int_eq(fcntl(u.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		ts_udp_close(&u);
		ck_assert_int_eq(u.fd, -1);
		ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* really closed */
		close(r);
	}
}
END_TEST

START_TEST(test_udp_agent_absent_refusals_counted_never_blocks)
{
	struct ts_udp u;
	uint64_t start = ts_clock_mono_ns();
	int err, refused = 0;

	ts_udp_init(&u, "test agent", "127.0.0.1", dead_port(AF_INET));
	for (int i = 0; i < 200; i++) {
		err = send_str(&u, "x", "y");
		ck_assert_msg(err == 0 || err == -ECONNREFUSED, "err %d", err);
		refused += err != 0;
	}
	/* The kernel's ICMP answers came back as refusals. */
	ck_assert_uint_gt(u.refusals, 0);
	ck_assert_uint_le((uint64_t)refused, u.refusals);
	ck_assert_uint_lt(ts_clock_mono_ns() - start, 2000000000ull);
	ts_udp_close(&u);
}
END_TEST

START_TEST(test_udp_refusal_moves_to_the_next_address)
{
	struct ts_udp u;
	struct sockaddr_in6 *a6;
	struct sockaddr_in *a4;
	unsigned port;
	int r = receiver(AF_INET, &port), got = 0;
	char buf[64];

	/* "localhost" that resolved to ::1 first, the agent on IPv4 only. */
	ts_udp_init(&u, "test agent", "localhost", port);
	memset(u.addrs, 0, sizeof(u.addrs));
	a6 = (struct sockaddr_in6 *)&u.addrs[0];
	a6->sin6_family = AF_INET6;
	a6->sin6_addr = in6addr_loopback;
	a6->sin6_port = htons((uint16_t)port);
	u.addrlens[0] = sizeof(*a6);
	a4 = (struct sockaddr_in *)&u.addrs[1];
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4->sin_port = htons((uint16_t)port);
	u.addrlens[1] = sizeof(*a4);
	u.naddrs = 2;
	for (int i = 0; i < 20 && !got; i++) {
		send_str(&u, "ping", "");
		got = recv_one(r, buf, sizeof(buf), 50) == 4;
	}
	ck_assert_msg(got, "never reached the IPv4 agent");
	ck_assert_uint_eq(u.cur, 1);
	ck_assert_uint_gt(u.refusals, 0);
	/* And it stays there. */
	ck_assert_int_eq(send_str(&u, "pong", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 4);
	ts_udp_close(&u);
	close(r);
}
END_TEST

START_TEST(test_udp_unusable_address_is_skipped)
{
	struct ts_udp u;
	struct sockaddr_in *a4;
	unsigned port;
	int r = receiver(AF_INET, &port);
	char buf[64];

	/* First address of a family this host has no sockets for (as IPv6
	 * where it is disabled): socket() fails, the next one is used. */
	ts_udp_init(&u, "test agent", "agent", port);
	memset(u.addrs, 0, sizeof(u.addrs));
	u.addrs[0].ss_family = 255;
	u.addrlens[0] = sizeof(struct sockaddr_in);
	a4 = (struct sockaddr_in *)&u.addrs[1];
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4->sin_port = htons((uint16_t)port);
	u.addrlens[1] = sizeof(*a4);
	u.naddrs = 2;
	ck_assert_int_eq(send_str(&u, "first", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 5);
	ck_assert_uint_eq(u.cur, 1);
	/* Only unusable addresses: the socket's error, no loop. */
	u.naddrs = 1;
	u.cur = 0;
	ts_udp_close(&u);
	ck_assert_int_lt(send_str(&u, "x", ""), 0);
	close(r);
}
END_TEST

START_TEST(test_udp_never_sends_into_the_applications_descriptor)
{
	struct ts_udp u;
	unsigned port, vport;
	int r = receiver(AF_INET, &port), victim = receiver(AF_INET, &vport);
	int app, old;
	char buf[64];
	struct sockaddr_in va = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)vport),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	ts_udp_init(&u, "test agent", "127.0.0.1", port);
	ck_assert_int_eq(send_str(&u, "one", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 3);
	old = u.fd;

	/* The application puts its own connected UDP socket on our number. */
	app = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(connect(app, (struct sockaddr *)&va, sizeof(va)), 0);
	ck_assert_int_eq(dup2(app, old), old);
	ck_assert_int_eq(send_str(&u, "two", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 3);
	ck_assert(!memcmp(buf, "two", 3));
	ck_assert_int_eq(recv_one(victim, buf, sizeof(buf), 100), -1);
	ck_assert_int_ne(u.fd, old);
	/* The application's descriptor is still open: we did not close it. */
	ck_assert_int_ne(fcntl(old, F_GETFD), -1);
	close(old);
	close(app);

	/* The application closes our descriptor. */
	close(u.fd);
	ck_assert_int_eq(send_str(&u, "three", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 5);
	ck_assert_int_eq(recv_one(victim, buf, sizeof(buf), 100), -1);

	/* The application replaces it with a pipe (not even a socket). */
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	old = u.fd;
	ck_assert_int_eq(dup2(pfd[1], old), old);
	ck_assert_int_eq(send_str(&u, "four", ""), 0);
	ck_assert_int_eq(recv_one(r, buf, sizeof(buf), 2000), 4);
	ck_assert_int_eq(fcntl(pfd[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(pfd[0], buf, sizeof(buf)), -1); /* nothing */
	close(pfd[0]);
	close(pfd[1]);
	close(old);
	ts_udp_close(&u);
	close(r);
	close(victim);
}
END_TEST

/* --- the exporter --------------------------------------------------------- */

START_TEST(test_exporter_sends_decodable_datagrams)
{
	struct ts_exporter e;
	struct ts_config c;
	struct ts_span *s = calloc(150, sizeof(*s));
	const struct ts_span *ptrs[150];
	static char buf[70000];
	char big[400];
	unsigned port;
	int r = receiver(AF_INET, &port), n = 0;
	ssize_t len;
	size_t total = 0;

	memset(big, 'b', sizeof(big));
	for (int i = 0; i < 150; i++) {
		ts_span_start(&s[i], TS_KIND_SERVER, "GET /", 5, NULL);
		ts_span_add_str(&s[i], "big", big, sizeof(big));
		ptrs[i] = &s[i];
	}
	ts_config_defaults(&c);
	c.exporters = TS_EXPORTER_JAEGER;
	strcpy(c.jaeger_host, "127.0.0.1");
	c.jaeger_port = port;
	strcpy(c.service_name, "unit");
	ts_exporter_jaeger_init(&e, &c);
	ck_assert_str_eq(e.name, "jaeger");
	ck_assert_int_eq(e.export(&e, ts_resource_get(&c), ptrs, 150,
				  ts_clock_mono_ns() + 1000000000u),
			 0);
	while ((len = recv_one(r, buf, sizeof(buf), 500)) > 0) {
		ck_assert_int_le(len, TS_JAEGER_MAX_DATAGRAM);
		ck_assert(!memcmp(buf, "\x82\x81", 2));
		total += (size_t)len;
		n++;
	}
	ck_assert_int_ge(n, 2); /* 150 x ~650 bytes does not fit in one */
	ck_assert_uint_gt(total, 150 * 400);
	e.shutdown(&e);
	close(r);
	free(s);
}
END_TEST

START_TEST(test_exporter_agent_absent_reports_failure_quietly)
{
	struct ts_exporter e;
	struct ts_config c;
	struct ts_span s;
	const struct ts_span *p = &s;
	struct ts_capture cap;
	char err[1024];
	int failures = 0;

	ts_span_start(&s, TS_KIND_SERVER, "GET /", 5, NULL);
	ts_config_defaults(&c);
	strcpy(c.jaeger_host, "127.0.0.1");
	c.jaeger_port = dead_port(AF_INET);
	ts_exporter_jaeger_init(&e, &c);
	ts_capture_begin(&cap);
	for (int i = 0; i < 50; i++)
		failures += e.export(&e, ts_resource_get(&c), &p, 1,
				     ts_clock_mono_ns() + 1000000000u) != 0;
	e.shutdown(&e);
	ts_capture_end(&cap, err, sizeof(err));
	ck_assert_int_gt(failures, 0);
	/* Not a configuration error: nothing at the default level. */
	ck_assert_str_eq(err, "");
}
END_TEST

Suite *ts_test_export_jaeger_suite(void)
{
	Suite *s = suite_create("export_jaeger");
	TCase *cfg = tcase_create("config");
	TCase *udp = tcase_create("udp");
	TCase *exp = tcase_create("exporter");

	tcase_add_test(cfg, test_config_defaults_localhost_6831);
	tcase_add_test(cfg, test_config_accepts_names_and_addresses);
	tcase_add_test(cfg, test_config_rejects_nonsense_with_one_warning);
	tcase_add_test(cfg, test_config_collector_variables_are_named_unsupported);
	tcase_add_test(udp, test_udp_ipv4_and_ipv6_byte_for_byte);
	tcase_add_test(udp, test_udp_agent_absent_refusals_counted_never_blocks);
	tcase_add_test(udp, test_udp_refusal_moves_to_the_next_address);
	tcase_add_test(udp, test_udp_unusable_address_is_skipped);
	tcase_add_test(udp, test_udp_never_sends_into_the_applications_descriptor);
	tcase_add_test(exp, test_exporter_sends_decodable_datagrams);
	tcase_add_test(exp, test_exporter_agent_absent_reports_failure_quietly);
	suite_add_tcase(s, cfg);
	suite_add_tcase(s, udp);
	suite_add_tcase(s, exp);
	return s;
}
