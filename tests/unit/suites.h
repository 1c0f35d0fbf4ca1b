/*
 * suites.h - every Check suite of the unit-test binary.
 *
 * Each tests/unit/test_<module>.c defines ts_test_<module>_suite().  The
 * declarations are weak so the runner links while a suite is being written.
 */
#ifndef TS_TEST_SUITES_H
#define TS_TEST_SUITES_H

#include <check.h>

#define TS_TEST_SUITES(X)                                                      \
	X(ring)                                                                \
	X(clock)                                                               \
	X(ids)                                                                 \
	X(span)                                                                \
	X(config)                                                              \
	X(buf)                                                                 \
	X(otlp_json)                                                           \
	X(resource)                                                            \
	X(pipeline)                                                            \
	X(http_parse)                                                          \
	X(http_attrs)                                                          \
	X(propagate)                                                           \
	X(thrift_compact)                                                      \
	X(jaeger_thrift)                                                       \
	X(export_jaeger)                                                       \
	X(json)                                                                \
	X(spans)                                                               \
	X(curl_attr)                                                           \
	X(curl_xfer)                                                           \
	X(http_client)                                                         \
	X(otlp_proto)                                                          \
	X(zipkin_json)                                                         \
	X(config_export)                                                       \
	X(json_writers)                                                        \
	X(sampler)                                                             \
	X(span_limits)                                                         \
	X(route)                                                               \
	X(redact)                                                              \
	X(propagate_to)                                                        \
	X(context)

#define TS_TEST_DECL(name) Suite *ts_test_##name##_suite(void) __attribute__((weak));
TS_TEST_SUITES(TS_TEST_DECL)
#undef TS_TEST_DECL

#endif
