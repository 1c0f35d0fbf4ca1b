/*
 * test_zipkin_json.c - the Zipkin v2 encoder's mapping, case by case.
 *
 * Each test encodes one span and compares the whole JSON text with what
 * the OpenTelemetry specification's Zipkin mapping prescribes, so field
 * names, order-independent content and types are all pinned down; the
 * integration test validates real exports against the Zipkin v2 model.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/resource.h"
#include "../../reporter/zipkin_json.h"
#include "suites.h"

static struct ts_resource res;
static struct ts_buf b;
static char text[8192];

static const char *encode(const struct ts_span *s)
{
	struct ts_config c;

	ts_config_defaults(&c);
	strcpy(c.service_name, "checkout");
	ts_resource_build(&res, &c);
	ts_buf_reset(&b);
	ck_assert(ts_zipkin_json_encode(&b, &res, &s, 1));
	ck_assert_uint_lt(b.len, sizeof(text));
	memcpy(text, b.data, b.len);
	text[b.len] = '\0';
	return text;
}

static void fixed_ids(struct ts_span *s, bool parent)
{
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 8; i++) {
		s->span_id[i] = (uint8_t)(0x10 + i);
		s->parent_id[i] = parent ? (uint8_t)(0x20 + i) : 0;
	}
	s->start_unix_ns = 1700000000123456789ull;
}

#define SCOPE "\"otel.scope.name\":\"traceshim\",\"otel.scope.version\":\"" TS_VERSION "\""

START_TEST(test_client_span_full_mapping)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_CLIENT, "GET", 3, NULL);
	fixed_ids(&s, true);
	s.end_unix_ns = s.start_unix_ns + 2500999; /* 2500.999 us */
	ts_span_add_str(&s, "server.address", "api.internal", 12);
	ts_span_add_int(&s, "server.port", 8443);
	ts_span_add_str(&s, "network.peer.address", "10.1.2.3", 8);
	ts_span_add_int(&s, "network.peer.port", 8443);
	ts_span_add_bool(&s, "cached", false);
	ts_span_add_str(&s, "q", "a\"b", 3);
	ts_span_set_status(&s, TS_STATUS_ERROR, "HTTP 503", 8);
	ck_assert_str_eq(encode(&s),
		"[{\"traceId\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\","
		"\"id\":\"1011121314151617\",\"parentId\":\"2021222324252627\","
		"\"name\":\"GET\",\"kind\":\"CLIENT\","
		"\"timestamp\":1700000000123456,\"duration\":2500,"
		"\"localEndpoint\":{\"serviceName\":\"checkout\"},"
		"\"remoteEndpoint\":{\"serviceName\":\"api.internal\","
		"\"ipv4\":\"10.1.2.3\",\"port\":8443},"
		"\"tags\":{\"server.address\":\"api.internal\","
		"\"server.port\":\"8443\",\"network.peer.address\":\"10.1.2.3\","
		"\"network.peer.port\":\"8443\",\"cached\":\"false\","
		"\"q\":\"a\\\"b\",\"otel.status_code\":\"ERROR\","
		"\"error\":\"HTTP 503\"," SCOPE "}}]");
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_server_span_remote_is_the_peer_only)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_SERVER, "GET /", 5, NULL);
	fixed_ids(&s, false);
	s.end_unix_ns = s.start_unix_ns + 10; /* under 1 us: duration 1 */
	ts_span_add_str(&s, "server.address", "me", 2);
	ts_span_add_str(&s, "network.peer.address", "::1", 3);
	ts_span_add_int(&s, "network.peer.port", 5555);
	ts_span_set_status(&s, TS_STATUS_OK, NULL, 0);
	encode(&s);
	ck_assert(!strstr(text, "parentId"));
	ck_assert(strstr(text, "\"kind\":\"SERVER\""));
	ck_assert(strstr(text, "\"duration\":1,"));
	ck_assert(strstr(text, "\"remoteEndpoint\":{\"ipv6\":\"::1\",\"port\":5555}"));
	ck_assert(strstr(text, "\"otel.status_code\":\"OK\""));
	ck_assert(!strstr(text, "\"error\""));
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_internal_kind_omitted_error_without_message_and_ranking)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_PRODUCER, "send", 4, NULL);
	fixed_ids(&s, false);
	s.end_unix_ns = s.start_unix_ns;
	ts_span_add_str(&s, "server.address", "broker", 6);
	ts_span_add_str(&s, "peer.service", "billing", 7); /* ranks first */
	ts_span_add_str(&s, "error", "false", 5);      /* ours to set */
	ts_span_set_status(&s, TS_STATUS_ERROR, NULL, 0);
	encode(&s);
	ck_assert(strstr(text, "\"remoteEndpoint\":{\"serviceName\":\"billing\"}"));
	ck_assert(strstr(text, "\"otel.status_code\":\"ERROR\",\"error\":\"\","));
	ck_assert(!strstr(text, "\"error\":\"false\""));

	ts_span_start(&s, TS_KIND_INTERNAL, "work", 4, NULL);
	ts_span_add_str(&s, "network.peer.address", "not-an-ip", 9);
	encode(&s);
	ck_assert(!strstr(text, "\"kind\""));
	ck_assert(!strstr(text, "remoteEndpoint"));
	ck_assert(!strstr(text, "otel.status_code"));
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_dropped_attributes_and_empty_batch)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_CLIENT, "x", 1, NULL);
	for (int i = 0; i < TS_SPAN_MAX_ATTRS + 3; i++)
		ts_span_add_int(&s, "n", i);
	encode(&s);
	ck_assert(strstr(text, "\"otel.dropped_attributes_count\":\"3\""));
	ts_buf_reset(&b);
	ck_assert(ts_zipkin_json_encode(&b, &res, NULL, 0));
	ck_assert_uint_eq(b.len, 2);
	ck_assert(!memcmp(b.data, "[]", 2));
	ts_buf_free(&b);
}
END_TEST

/* Zipkin tags are strings: an array is the text of a JSON list. */
START_TEST(test_string_array_tag_is_a_json_list)
{
	struct ts_span s;

	ts_span_start(&s, TS_KIND_SERVER, "GET", 3, NULL);
	fixed_ids(&s, false);
	s.end_unix_ns = s.start_unix_ns + 1000;
	ck_assert(ts_span_attr_strarray(&s, "http.request.header.x-a", 23,
					"a\"b\0\0c", 7));
	ck_assert(strstr(encode(&s),
			 "\"tags\":{\"http.request.header.x-a\":"
			 "\"[\\\"a\\\\\\\"b\\\",\\\"\\\",\\\"c\\\"]\","));
	ts_buf_free(&b);
}
END_TEST

Suite *ts_test_zipkin_json_suite(void)
{
	Suite *s = suite_create("zipkin_json");
	TCase *tc = tcase_create("encode");

	tcase_add_test(tc, test_client_span_full_mapping);
	tcase_add_test(tc, test_string_array_tag_is_a_json_list);
	tcase_add_test(tc, test_server_span_remote_is_the_peer_only);
	tcase_add_test(tc, test_internal_kind_omitted_error_without_message_and_ranking);
	tcase_add_test(tc, test_dropped_attributes_and_empty_batch);
	suite_add_tcase(s, tc);
	return s;
}
