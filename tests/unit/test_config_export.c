/*
 * test_config_export.c - the OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_ZIPKIN_*
 * variables: the specification's defaults, the endpoint rules (the
 * general variable gets /v1/traces appended, the traces one is used as
 * is; with grpc neither gets a path), traces-specific variables taking precedence, and one warning per
 * bad value with the default kept.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/config.h"
#include "capture.h"
#include "suites.h"

static const char *const vars[] = {
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
	"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
	"OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
	"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
	"TRACESHIM_LOG_LEVEL",
};

static struct ts_config c;
static char err[4096];

static int load(const char *const *kv)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
	for (; kv && kv[0]; kv += 2)
		setenv(kv[0], kv[1], 1);
	return ts_capture_config_load(&c, err, sizeof(err));
}

START_TEST(test_defaults_follow_the_specification)
{
	ck_assert_int_eq(load(NULL), 0);
	ck_assert_str_eq(c.otlp_endpoint, "http://localhost:4318/v1/traces");
	ck_assert_uint_eq(c.otlp_timeout_ms, 10000);
	ck_assert_int_eq(c.otlp_protocol, TS_OTLP_HTTP_PROTOBUF);
	ck_assert(!c.otlp_gzip);
	ck_assert_str_eq(c.otlp_headers, "");
	ck_assert_str_eq(c.zipkin_endpoint, "http://localhost:9411/api/v2/spans");
	ck_assert_uint_eq(c.zipkin_timeout_ms, 10000);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_endpoint_rules)
{
	const char *a[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318", NULL };
	const char *b[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "https://col/base/", NULL };
	const char *t[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:1",
			    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://col:9/x", NULL };

	ck_assert_int_eq(load(a), 0);
	ck_assert_str_eq(c.otlp_endpoint, "http://col:4318/v1/traces");
	ck_assert_int_eq(load(b), 0);
	ck_assert_str_eq(c.otlp_endpoint, "https://col/base/v1/traces");
	ck_assert_int_eq(load(t), 0);
	ck_assert_str_eq(c.otlp_endpoint, "http://col:9/x");
}
END_TEST

/* gRPC: both endpoint variables name the collector, nothing appended,
 * and the default is its port 4317; the traces protocol variable wins. */
START_TEST(test_grpc_endpoints_are_the_collector_itself)
{
	const char *d[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", NULL };
	const char *g[] = { "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
			    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json",
			    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4317", NULL };
	const char *t[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
			    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:1",
			    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://col:9", NULL };
	const char *bad[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
			      "OTEL_EXPORTER_OTLP_ENDPOINT", "col:4317", NULL };

	ck_assert_int_eq(load(d), 0);
	ck_assert_int_eq(c.otlp_protocol, TS_OTLP_GRPC);
	ck_assert_str_eq(c.otlp_endpoint, "http://localhost:4317");
	ck_assert_int_eq(load(g), 0);
	ck_assert_int_eq(c.otlp_protocol, TS_OTLP_GRPC);
	ck_assert_str_eq(c.otlp_endpoint, "http://col:4317");
	ck_assert_int_eq(load(t), 0);
	ck_assert_str_eq(c.otlp_endpoint, "https://col:9");
	ck_assert_int_eq(load(bad), 1);
	ck_assert_str_eq(c.otlp_endpoint, "http://localhost:4317");
	ck_assert_ptr_nonnull(strstr(err, "using http://localhost:4317"));
}
END_TEST

/* An invalid signal-specific endpoint: the general one, as if unset. */
START_TEST(test_invalid_traces_endpoint_falls_back_to_the_general_one)
{
	const char *kv[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318",
			     "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://", NULL };

	ck_assert_int_eq(load(kv), 1);
	ck_assert_str_eq(c.otlp_endpoint, "http://col:4318/v1/traces");
	ck_assert_ptr_nonnull(strstr(err, "using OTEL_EXPORTER_OTLP_ENDPOINT"));
}
END_TEST

START_TEST(test_traces_variables_take_precedence)
{
	const char *kv[] = {
		"OTEL_EXPORTER_OTLP_HEADERS", "a=1",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "500",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json",
		"OTEL_EXPORTER_OTLP_COMPRESSION", "none",
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "GZIP",
		"OTEL_EXPORTER_OTLP_CERTIFICATE", "/a.pem",
		"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/b.pem",
		"OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://[::1]:9411/api/v2/spans",
		"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "250",
		NULL,
	};

	ck_assert_int_eq(load(kv), 0);
	ck_assert_str_eq(c.otlp_headers, "b=2");
	ck_assert_uint_eq(c.otlp_timeout_ms, 700);
	ck_assert_int_eq(c.otlp_protocol, TS_OTLP_HTTP_JSON);
	ck_assert(c.otlp_gzip);
	ck_assert_str_eq(c.otlp_ca_file, "/b.pem");
	ck_assert_str_eq(c.zipkin_endpoint, "http://[::1]:9411/api/v2/spans");
	ck_assert_uint_eq(c.zipkin_timeout_ms, 250);
}
END_TEST

START_TEST(test_bad_values_warn_once_each_and_keep_defaults)
{
	static const char *const cases[][2] = {
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318" },
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "http://" }, /* not host "v1" */
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1" },
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:99999" },
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:p@h" },
		{ "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://h/a b" },
		{ "OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://:9411/api/v2/spans" },
		{ "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "grpc://x" },
		{ "OTEL_EXPORTER_OTLP_TIMEOUT", "10s" },
		{ "OTEL_EXPORTER_OTLP_TIMEOUT", "0" },
		{ "OTEL_EXPORTER_OTLP_PROTOCOL", "GRPC" },
		{ "OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml" },
		{ "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd" },
		{ "OTEL_EXPORTER_ZIPKIN_ENDPOINT", "zipkin:9411" },
		{ "OTEL_EXPORTER_ZIPKIN_TIMEOUT", "-1" },
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		const char *kv[] = { cases[i][0], cases[i][1], NULL };
		struct ts_config d;

		ck_assert_msg(load(kv) == 1, "%s=%s", cases[i][0], cases[i][1]);
		ck_assert_msg(strstr(err, "traceshim: warning: ") == err &&
				      strstr(err, cases[i][0]) &&
				      strchr(err, '\n') == err + strlen(err) - 1,
			      "%s: [%s]", cases[i][0], err);
		ts_config_defaults(&d);
		ck_assert_str_eq(c.otlp_endpoint, d.otlp_endpoint);
		ck_assert_str_eq(c.zipkin_endpoint, d.zipkin_endpoint);
		ck_assert_uint_eq(c.otlp_timeout_ms, d.otlp_timeout_ms);
		ck_assert_uint_eq(c.zipkin_timeout_ms, d.zipkin_timeout_ms);
		ck_assert_int_eq(c.otlp_protocol, d.otlp_protocol);
		ck_assert_int_eq(c.otlp_gzip, d.otlp_gzip);
	}
}
END_TEST

Suite *ts_test_config_export_suite(void)
{
	Suite *s = suite_create("config_export");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_defaults_follow_the_specification);
	tcase_add_test(tc, test_endpoint_rules);
	tcase_add_test(tc, test_grpc_endpoints_are_the_collector_itself);
	tcase_add_test(tc, test_traces_variables_take_precedence);
	tcase_add_test(tc, test_bad_values_warn_once_each_and_keep_defaults);
	tcase_add_test(tc, test_invalid_traces_endpoint_falls_back_to_the_general_one);
	suite_add_tcase(s, tc);
	return s;
}
