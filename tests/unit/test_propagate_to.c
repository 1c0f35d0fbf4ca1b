/*
 * test_propagate_to.c - TRACESHIM_PROPAGATE_TO patterns and the
 * may-we-inject predicate.
 *
 * What is proved: unset or blank allows every host; host names match
 * case-insensitively and exactly, "*.domain" and ".domain" any depth below
 * the domain but not the domain itself, "*" everything; IPv4 and IPv6
 * addresses and CIDR blocks match address literals (brackets, zones,
 * IPv4-mapped IPv6 and a trailing dot handled) and, through the peer
 * variant, the connected peer's address; ":port" restricts to that port
 * and an unknown port matches only port-free patterns; every invalid
 * entry gets one warning and is ignored, and a list with no valid entry
 * injects into nothing (the warning says so); the address parser agrees
 * with inet_pton; hosts are read from right before a guard page.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hooks/propagate_to.h"
#include "capture.h"
#include "guardmem.h"
#include "suites.h"

static int configure_captured(const char *spec, char *err, size_t size)
{
	return ts_capture_spec(ts_propagate_to_configure, spec, err, size);
}

static void configure_ok(const char *spec)
{
	ts_capture_spec_ok(ts_propagate_to_configure, spec);
}

/* The predicate on `host`, read from right before a guard page. */
static bool allowed(const char *host, uint16_t port)
{
	struct ts_guard g;
	size_t len = strlen(host);
	const char *h = ts_guard_copy(&g, host, len);
	bool ok = ts_propagate_to_allowed(h, len, port);

	ts_guard_free(&g);
	return ok;
}

static bool allowed_peer(const char *host, const char *peer, uint16_t port)
{
	struct ts_guard g, gp;
	size_t len = strlen(host), plen = strlen(peer);
	const char *h = ts_guard_copy(&g, host, len);
	const char *p = ts_guard_copy(&gp, peer, plen);
	bool ok = ts_propagate_to_allowed_peer(h, len, p, plen, port);

	ts_guard_free(&g);
	ts_guard_free(&gp);
	return ok;
}

#define YES(h, port) ck_assert_msg(allowed(h, port), "%s:%u refused", h, port)
#define NO(h, port) ck_assert_msg(!allowed(h, port), "%s:%u allowed", h, port)

START_TEST(unset_or_blank_allows_every_host)
{
	static const char *const specs[] = { NULL, "", " ", " , ,\t" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(specs); i++) {
		configure_ok(specs[i]);
		YES("example.com", 80);
		YES("10.0.0.1", 0);
		YES("", 0);
		ck_assert(ts_propagate_to_allowed(NULL, 0, 0));
	}
}
END_TEST

START_TEST(host_names_match_exactly_in_any_case)
{
	configure_ok("api.example.com, Internal-Svc");
	YES("api.example.com", 80);
	YES("API.Example.COM", 0);
	YES("api.example.com.", 443); /* the root label */
	YES("internal-svc", 8080);
	NO("example.com", 80);
	NO("xapi.example.com", 80);
	NO("api.example.com.evil", 80);
	NO("api.example.co", 80);
	NO("", 80);
	ck_assert(!ts_propagate_to_allowed(NULL, 0, 80));
}
END_TEST

START_TEST(wildcards_match_below_the_domain_only)
{
	configure_ok("*.example.com,.corp.internal");
	YES("a.example.com", 80);
	YES("a.b.c.example.com", 80);
	YES("A.EXAMPLE.COM", 80);
	NO("example.com", 80);
	NO("badexample.com", 80);
	NO("example.com.evil.org", 80);
	YES("db.corp.internal", 80);
	NO("corp.internal", 80);
	NO("xcorp.internal", 80);
}
END_TEST

START_TEST(star_allows_everything_and_ports_restrict)
{
	configure_ok("*:8080");
	YES("anything", 8080);
	NO("anything", 80);
	NO("anything", 0); /* unknown port: only port-free patterns */
	configure_ok("api.example.com:443, *.svc:8443, 10.0.0.0/8:9000, [fd00::]/8:443, [::1]:8080, [fd01::/16]:81");
	YES("api.example.com", 443);
	NO("api.example.com", 80);
	NO("api.example.com", 0);
	YES("x.svc", 8443);
	NO("x.svc", 443);
	YES("10.2.3.4", 9000);
	NO("10.2.3.4", 9001);
	YES("[fd00::5]", 443);
	NO("[fd00::5]", 80);
	YES("::1", 8080);
	YES("[fd01::1]", 81);
	configure_ok("*");
	YES("anything", 0);
	YES("", 0);
}
END_TEST

START_TEST(a_port_in_the_host_text_is_used_when_none_is_given)
{
	configure_ok("api.example.com:8443, [::1]:8080");
	YES("api.example.com:8443", 0);
	NO("api.example.com:8444", 0);
	NO("api.example.com:8443", 80); /* the caller's port wins */
	YES("[::1]:8080", 0);
	NO("[::1]:8081", 0);
}
END_TEST

START_TEST(ipv4_addresses_and_blocks)
{
	configure_ok("192.168.1.10, 10.0.0.0/8, 172.16.0.0/12, 100.64.1.1/32, 127.0.0.1/31");
	YES("192.168.1.10", 80);
	NO("192.168.1.11", 80);
	YES("10.0.0.0", 80);
	YES("10.255.255.255", 80);
	NO("11.0.0.0", 80);
	NO("9.255.255.255", 80);
	YES("172.16.0.1", 80);
	YES("172.31.255.255", 80);
	NO("172.32.0.0", 80);
	NO("172.15.255.255", 80);
	YES("100.64.1.1", 80);
	NO("100.64.1.2", 80);
	YES("127.0.0.0", 80);
	YES("127.0.0.1", 80);
	NO("127.0.0.2", 80);
	YES("::ffff:10.1.2.3", 80); /* IPv4-mapped IPv6 is IPv4 */
	YES("[::ffff:10.1.2.3]", 80);
	NO("010.0.0.1", 80);        /* not an address: octal to some */
	NO("10.0.0", 80);
	NO("host.10.0.0.1", 80);
	configure_ok("0.0.0.0/0");
	YES("1.2.3.4", 80);
	NO("::1", 80);
	NO("example.com", 80);
}
END_TEST

START_TEST(host_bits_of_a_block_are_masked)
{
	configure_ok("10.1.2.3/8, fd00::1234/16");
	YES("10.200.0.1", 80);
	YES("fd00::1", 80);
	YES("[fd00:ffff::1]", 80);
	NO("fd01::1", 80);
}
END_TEST

START_TEST(ipv6_addresses_and_blocks)
{
	configure_ok("fd00::/8, ::1, 2001:db8::/32, fe80::/10, 2001:db8:1:2:3:4:5:6/128");
	YES("fd12:3456::1", 80);
	YES("[fdff:ffff::]", 80);
	NO("fc00::1", 80);
	YES("::1", 80);
	YES("[::1]", 80);
	YES("0:0:0:0:0:0:0:1", 80);
	NO("::2", 80);
	YES("2001:db8:ffff::1", 80);
	NO("2001:db9::1", 80);
	YES("fe80::1%eth0", 80);     /* zone ids do not matter */
	YES("[fe80::1%25eth0]", 80);
	YES("febf::1", 80);
	NO("fec0::1", 80);
	YES("2001:DB8:1:2:3:4:5:6", 80);
	configure_ok("::/0");
	YES("1::", 80);
	NO("1.2.3.4", 80);
}
END_TEST

START_TEST(peer_address_matches_address_patterns_for_named_hosts)
{
	configure_ok("10.0.0.0/8, api.example.com, fd00::/8");
	ck_assert(allowed_peer("internal.svc", "10.1.2.3", 80));
	ck_assert(!allowed_peer("internal.svc", "192.168.0.1", 80));
	ck_assert(allowed_peer("internal.svc", "::ffff:10.1.2.3", 80));
	ck_assert(allowed_peer("internal.svc", "fd00::7", 80));
	ck_assert(allowed_peer("api.example.com", "8.8.8.8", 80));
	/* A peer never matches a name pattern. */
	configure_ok("api.example.com");
	ck_assert(!allowed_peer("other", "api.example.com", 80));
	ck_assert(ts_propagate_to_allowed_peer("api.example.com", 15, NULL, 0, 80));
}
END_TEST

START_TEST(invalid_entries_warn_once_each_and_are_ignored)
{
	static const char *const bad[] = {
		"10.0.0.0/33",  "fd00::/129",  "10.0.0.0/x",  "10.0.0.0/",
		"999.1.1.1",    "1.2.3",       "1.2.3.4.5",   "01.2.3.4",
		"1:2:3:4:5:6:7:8:9", "1:::2",  ":1::",        "[::1",
		"[1.2.3.4]",    "[::1]:0",     "[::1]:x",     "host:99999",
		"host:",        ":80",         "a b",         "*foo.com",
		"*.*.com",      "a..b",        "host/8",      "h@st",
		"*.",           ".",           "[]",          "abc:12:34",
	};
	char err[4096];

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		int w = configure_captured(bad[i], err, sizeof(err));

		ck_assert_msg(w == 1, "\"%s\": %d", bad[i], w);
		ck_assert_msg(ts_capture_count_lines(err) == 1 &&
				      strstr(err, "TRACESHIM_PROPAGATE_TO") &&
				      !strncmp(err, "traceshim: warning: ", 20),
			      "\"%s\": [%s]", bad[i], err);
		/* Nothing valid: no host at all, and the line says so. */
		ck_assert_msg(strstr(err, "no request"), "[%s]", err);
		NO("example.com", 80);
		NO("10.0.0.1", 80);
	}
}
END_TEST

START_TEST(valid_entries_survive_invalid_neighbours)
{
	char err[4096];

	ck_assert_int_eq(configure_captured("bad entry, api.example.com, 10.0.0.0/99, 10.0.0.0/8",
					    err, sizeof(err)),
			 2);
	ck_assert_uint_eq(ts_capture_count_lines(err), 2);
	ck_assert_ptr_nonnull(strstr(err, "\"bad entry\""));
	ck_assert_ptr_nonnull(strstr(err, "\"10.0.0.0/99\""));
	ck_assert_ptr_null(strstr(err, "no request"));
	YES("api.example.com", 80);
	YES("10.9.9.9", 80);
	NO("example.org", 80);
}
END_TEST

START_TEST(more_than_the_maximum_of_entries_warns_once)
{
	char spec[4096], err[4096], host[32];
	size_t o = 0;

	for (int i = 0; i < TS_PROPAGATE_TO_MAX + 6; i++)
		o += (size_t)snprintf(spec + o, sizeof(spec) - o, "h%d.test,", i);
	ck_assert_int_eq(configure_captured(spec, err, sizeof(err)), 6);
	ck_assert_uint_eq(ts_capture_count_lines(err), 1);
	snprintf(host, sizeof(host), "h%d.test", TS_PROPAGATE_TO_MAX - 1);
	YES(host, 80);
	snprintf(host, sizeof(host), "h%d.test", TS_PROPAGATE_TO_MAX);
	NO(host, 80);
}
END_TEST

START_TEST(address_parser_agrees_with_inet_pton)
{
	static const char *const v4[] = {
		"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.1",
		"256.1.1.1", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3",
		"1.2.3.04", "a.b.c.d", "1.2.3.4x", "",
	};
	static const char *const v6[] = {
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "::ffff:1.2.3.4",
		"fe80::1:2", "2001:DB8::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:8:9", ":::", "1:::2",
		"1::2::3", "12345::", "g::", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
		"::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4",
	};
	uint8_t mine[16], theirs[16];

	for (size_t i = 0; i < TS_ARRAY_SIZE(v4); i++) {
		int want = inet_pton(AF_INET, v4[i], theirs) == 1 ? 4 : 0;
		int got = ts_propagate_to_parse_ip(v4[i], strlen(v4[i]), mine);

		ck_assert_msg(got == want, "\"%s\": %d, inet_pton %d", v4[i], got,
			      want);
		if (want)
			ck_assert_mem_eq(mine, theirs, 4);
	}
	for (size_t i = 0; i < TS_ARRAY_SIZE(v6); i++) {
		int want = inet_pton(AF_INET6, v6[i], theirs) == 1 ? 16 : 0;
		int got = ts_propagate_to_parse_ip(v6[i], strlen(v6[i]), mine);

		ck_assert_msg(got == want, "\"%s\": %d, inet_pton %d", v6[i], got,
			      want);
		if (want)
			ck_assert_mem_eq(mine, theirs, 16);
	}
}
END_TEST

START_TEST(random_hosts_never_crash_or_overread)
{
	static const char alphabet[] = "0123456789abcdef:.[]%*/-AZ";
	uint64_t rng = 0xabc;
	char host[80];

	configure_ok("*.example.com, 10.0.0.0/8, fd00::/8, [::1]:80, api.x:81");
	for (int iter = 0; iter < 20000; iter++) {
		size_t len;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		len = (rng >> 33) % (sizeof(host) - 1);
		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ull + 1;
			host[i] = alphabet[(rng >> 33) % (sizeof(alphabet) - 1)];
		}
		host[len] = '\0';
		(void)allowed(host, (uint16_t)(rng >> 50));
		(void)allowed_peer(host, host, 0);
	}
}
END_TEST

/* Many bad entries: three warnings and one line counting the rest. */
START_TEST(many_bad_entries_warn_three_times_then_count)
{
	char spec[1024] = "", err[4096];
	int i, w;

	for (i = 0; i < 60; i++)
		strcat(spec, "%,");
	strcat(spec, "localhost");
	w = configure_captured(spec, err, sizeof(err));
	ck_assert_int_eq(w, 60);
	ck_assert_uint_eq(ts_capture_count_lines(err), 4);
	ck_assert_ptr_nonnull(strstr(err, "57 more entries ignored"));
}
END_TEST

Suite *ts_test_propagate_to_suite(void)
{
	Suite *s = suite_create("propagate_to");
	TCase *m = tcase_create("match");
	TCase *c = tcase_create("configure");

	tcase_add_test(m, unset_or_blank_allows_every_host);
	tcase_add_test(m, host_names_match_exactly_in_any_case);
	tcase_add_test(m, wildcards_match_below_the_domain_only);
	tcase_add_test(m, star_allows_everything_and_ports_restrict);
	tcase_add_test(m, a_port_in_the_host_text_is_used_when_none_is_given);
	tcase_add_test(m, ipv4_addresses_and_blocks);
	tcase_add_test(m, host_bits_of_a_block_are_masked);
	tcase_add_test(m, ipv6_addresses_and_blocks);
	tcase_add_test(m, peer_address_matches_address_patterns_for_named_hosts);
	tcase_add_test(m, address_parser_agrees_with_inet_pton);
	tcase_add_test(m, random_hosts_never_crash_or_overread);
	tcase_add_test(c, invalid_entries_warn_once_each_and_are_ignored);
	tcase_add_test(c, valid_entries_survive_invalid_neighbours);
	tcase_add_test(c, more_than_the_maximum_of_entries_warns_once);
	tcase_add_test(c, many_bad_entries_warn_three_times_then_count);
	suite_add_tcase(s, m);
	suite_add_tcase(s, c);
	return s;
}
