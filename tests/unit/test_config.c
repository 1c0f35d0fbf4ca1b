/*
 * test_config.c - ts_config_load() against every variable it reads.
 *
 * What is proved: with nothing set the specification's defaults hold and
 * nothing is printed; valid values are honoured; an invalid value keeps
 * the default, is counted in the return value and produces exactly one
 * "traceshim: warning: " line naming the variable.  The warnings go to
 * fd 2 through a raw write, so stderr is captured by putting a temporary
 * file under fd 2 around the call, not through stdio.
 *
 * Check forks per test, so setenv() cannot leak between tests; each test
 * still starts from a cleared environment so it does not depend on the
 * environment of whoever runs the suite.
 */
#include <check.h>

#include "capture.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/log.h"
#include "suites.h"

#define WARN_PREFIX "traceshim: warning: "

static const char *const all_vars[] = {
	"OTEL_SDK_DISABLED",
	"OTEL_TRACES_EXPORTER",
	"OTEL_BSP_SCHEDULE_DELAY",
	"OTEL_BSP_MAX_QUEUE_SIZE",
	"OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	"OTEL_BSP_EXPORT_TIMEOUT",
	"TRACESHIM_SHUTDOWN_TIMEOUT",
	"TRACESHIM_LOG_LEVEL",
	"OTEL_SERVICE_NAME",
	"OTEL_RESOURCE_ATTRIBUTES",
	"TRACESHIM_FILE",
	"OTEL_PROPAGATORS",
	"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS",
	"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS",
	"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS",
	"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS",
};

/* The unsigned variables, with the field each one sets and its range. */
static const struct uint_var {
	const char *name;
	size_t field;       /* offsetof(struct ts_config, ...) */
	unsigned min, max;  /* accepted range */
	unsigned def;       /* the specification's default */
} uint_vars[] = {
	{ "OTEL_BSP_SCHEDULE_DELAY",
	  offsetof(struct ts_config, schedule_delay_ms), 1, 3600000, 5000 },
	{ "OTEL_BSP_MAX_QUEUE_SIZE", offsetof(struct ts_config, max_queue_size),
	  1, TS_QUEUE_SIZE_MAX, 2048 },
	{ "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	  offsetof(struct ts_config, max_export_batch), 1, TS_QUEUE_SIZE_MAX,
	  512 },
	{ "OTEL_BSP_EXPORT_TIMEOUT",
	  offsetof(struct ts_config, export_timeout_ms), 1, 3600000, 30000 },
	{ "TRACESHIM_SHUTDOWN_TIMEOUT",
	  offsetof(struct ts_config, shutdown_timeout_ms), 0, 60000, 1000 },
};

static void clear_env(void)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(all_vars); i++)
		ck_assert_int_eq(unsetenv(all_vars[i]), 0);
}

static void set_env(const char *name, const char *value)
{
	ck_assert_int_eq(setenv(name, value, 1), 0);
}

static unsigned uint_field(const struct ts_config *c, const struct uint_var *v)
{
	unsigned u;

	memcpy(&u, (const char *)c + v->field, sizeof(u));
	return u;
}

/*
 * Run ts_config_load() with fd 2 redirected to a temporary file; the
 * bytes written there end up NUL-terminated in `err`.  Returns the
 * function's result.
 */
/* Every line is a warning; `name` is named by exactly `times` of them. */
static void assert_warning_lines(const char *err, unsigned lines,
				 const char *name, unsigned times)
{
	const char *line = err;
	unsigned seen = 0;

	ck_assert_msg(ts_capture_count_lines(err) == lines,
		      "want %u lines, got: [%s]", lines, err);
	ck_assert_msg(!*err || err[strlen(err) - 1] == '\n',
		      "unterminated line: [%s]", err);
	while (*line) {
		const char *nl = strchr(line, '\n');
		char one[2048];
		size_t len = (size_t)(nl - line);

		ck_assert_uint_lt(len, sizeof(one));
		memcpy(one, line, len);
		one[len] = '\0';
		ck_assert_msg(!strncmp(one, WARN_PREFIX, strlen(WARN_PREFIX)),
			      "not a warning line: [%s]", one);
		seen += strstr(one, name) != NULL;
		line = nl + 1;
	}
	ck_assert_msg(seen == times, "%s named on %u lines, want %u: [%s]",
		      name, seen, times, err);
}

/* Set one variable to an invalid value: one warning, defaults unchanged. */
static void assert_rejected(const char *name, const char *value)
{
	struct ts_config c, def;
	char err[4096];
	int w;

	clear_env();
	set_env(name, value);
	w = ts_capture_config_load(&c, err, sizeof(err));
	ck_assert_msg(w == 1, "%s=\"%s\": %d warnings counted", name, value, w);
	assert_warning_lines(err, 1, name, 1);
	ts_config_defaults(&def);
	ck_assert_msg(!memcmp(&c, &def, sizeof(c)),
		      "%s=\"%s\" changed the configuration", name, value);
}

/* Set one variable to a value that must read as unset: pure defaults. */
static void assert_ignored_silently(const char *name, const char *value)
{
	struct ts_config c, def;
	char err[4096];
	int w;

	clear_env();
	set_env(name, value);
	w = ts_capture_config_load(&c, err, sizeof(err));
	ck_assert_msg(w == 0, "%s=\"%s\": %d warnings counted", name, value, w);
	ck_assert_msg(err[0] == '\0', "%s=\"%s\" printed [%s]", name, value,
		      err);
	ts_config_defaults(&def);
	ck_assert_msg(!memcmp(&c, &def, sizeof(c)),
		      "%s=\"%s\" changed the configuration", name, value);
}

/* Load with a single variable set; it must be accepted without a word. */
static void load_accepted(struct ts_config *c, const char *name,
			  const char *value)
{
	char err[4096];
	int w;

	clear_env();
	set_env(name, value);
	w = ts_capture_config_load(c, err, sizeof(err));
	ck_assert_msg(w == 0, "%s=\"%s\": %d warnings", name, value, w);
	ck_assert_msg(err[0] == '\0', "%s=\"%s\" printed [%s]", name, value,
		      err);
}

START_TEST(test_unset_environment_gives_spec_defaults_silently)
{
	struct ts_config c, def;
	char err[4096];

	clear_env();
	memset(&c, 0xa5, sizeof(c)); /* every field must be written */
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert(!c.sdk_disabled);
	ck_assert_uint_eq(c.exporters, TS_EXPORTER_OTLP);
	ck_assert_uint_eq(c.schedule_delay_ms, 5000);
	ck_assert_uint_eq(c.max_queue_size, 2048);
	ck_assert_uint_eq(c.max_export_batch, 512);
	ck_assert_uint_eq(c.export_timeout_ms, 30000);
	ck_assert_uint_eq(c.shutdown_timeout_ms, 1000);
	ck_assert_int_eq(c.log_level, TS_LOG_WARN);
	ck_assert_int_eq(ts_log_level, TS_LOG_WARN);
	ck_assert_str_eq(c.service_name, "");
	ck_assert_str_eq(c.resource_attrs, "");
	ck_assert_str_eq(c.file_path, "traceshim-spans.jsonl");
	for (size_t i = 0; i < TS_ARRAY_SIZE(uint_vars); i++)
		ck_assert_uint_eq(uint_field(&c, &uint_vars[i]),
				  uint_vars[i].def);
	ts_config_defaults(&def);
	ck_assert(!memcmp(&c, &def, sizeof(c)));
}
END_TEST

START_TEST(test_empty_value_counts_as_unset_for_every_variable)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(all_vars); i++)
		assert_ignored_silently(all_vars[i], "");
}
END_TEST

START_TEST(test_blank_value_counts_as_unset_for_parsed_variables)
{
	/* The strings (service name, attributes, path) are taken raw. */
	for (size_t i = 0; i < TS_ARRAY_SIZE(all_vars); i++) {
		if (!strcmp(all_vars[i], "OTEL_SERVICE_NAME") ||
		    !strcmp(all_vars[i], "OTEL_RESOURCE_ATTRIBUTES") ||
		    !strcmp(all_vars[i], "TRACESHIM_FILE"))
			continue;
		assert_ignored_silently(all_vars[i], " \t ");
	}
}
END_TEST

START_TEST(test_sdk_disabled_accepts_true_false_in_any_case)
{
	static const struct {
		const char *value;
		bool want;
	} cases[] = {
		{ "true", true },   { "TRUE", true },    { "True", true },
		{ " true\t", true }, { "false", false }, { "FALSE", false },
		{ " False ", false },
	};
	struct ts_config c;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		load_accepted(&c, "OTEL_SDK_DISABLED", cases[i].value);
		ck_assert_msg(c.sdk_disabled == cases[i].want, "\"%s\"",
			      cases[i].value);
	}
}
END_TEST

START_TEST(test_sdk_disabled_rejects_other_words)
{
	static const char *const bad[] = { "yes", "1", "0", "on", "truex",
					   "t", "true false" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++)
		assert_rejected("OTEL_SDK_DISABLED", bad[i]);
}
END_TEST

START_TEST(test_traces_exporter_parses_comma_list)
{
	static const struct {
		const char *value;
		unsigned want;
	} cases[] = {
		{ "otlp", TS_EXPORTER_OTLP },
		{ "file", TS_EXPORTER_FILE },
		{ "console", TS_EXPORTER_CONSOLE },
		{ "jaeger", TS_EXPORTER_JAEGER },
		{ "logging", TS_EXPORTER_CONSOLE }, /* deprecated alias */
		{ "none", 0 },
		{ "NONE", 0 },
		{ "otlp,file", TS_EXPORTER_OTLP | TS_EXPORTER_FILE },
		{ " OTLP , File ,\tconsole ",
		  TS_EXPORTER_OTLP | TS_EXPORTER_FILE | TS_EXPORTER_CONSOLE },
		{ "file,none", TS_EXPORTER_FILE },
		{ "none,console", TS_EXPORTER_CONSOLE },
		{ "file,,console", TS_EXPORTER_FILE | TS_EXPORTER_CONSOLE },
		{ "logging,console", TS_EXPORTER_CONSOLE },
		{ "file,file", TS_EXPORTER_FILE },
		{ "zipkin", TS_EXPORTER_ZIPKIN },
		{ "jaeger", TS_EXPORTER_JAEGER },
		{ "otlp,zipkin,jaeger,file,console",
		  TS_EXPORTER_OTLP | TS_EXPORTER_ZIPKIN | TS_EXPORTER_JAEGER |
			  TS_EXPORTER_FILE | TS_EXPORTER_CONSOLE },
	};
	struct ts_config c;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		load_accepted(&c, "OTEL_TRACES_EXPORTER", cases[i].value);
		ck_assert_msg(c.exporters == cases[i].want,
			      "\"%s\": exporters %#x, want %#x", cases[i].value,
			      c.exporters, cases[i].want);
	}
}
END_TEST

START_TEST(test_traces_exporter_only_unknown_keeps_otlp_one_warning)
{
	static const char *const bad[] = { "jaegr", "zipkinn,prometheus",
					   "otlp2", "a, b ,c,d" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++)
		assert_rejected("OTEL_TRACES_EXPORTER", bad[i]);
}
END_TEST

START_TEST(test_traces_exporter_unknown_among_known_one_warning)
{
	static const struct {
		const char *value;
		unsigned want;
	} cases[] = {
		{ "file,bogus", TS_EXPORTER_FILE },
		{ "bogus,console", TS_EXPORTER_CONSOLE },
		{ "jaegerx,file,zipkin2,otlp",
		  TS_EXPORTER_FILE | TS_EXPORTER_OTLP },
		{ "x,y,z,none", 0 },
	};
	struct ts_config c;
	char err[4096];
	int w;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		clear_env();
		set_env("OTEL_TRACES_EXPORTER", cases[i].value);
		w = ts_capture_config_load(&c, err, sizeof(err));
		ck_assert_msg(w == 1, "\"%s\": %d warnings", cases[i].value, w);
		assert_warning_lines(err, 1, "OTEL_TRACES_EXPORTER", 1);
		/* The known entries are still honoured. */
		ck_assert_msg(c.exporters == cases[i].want,
			      "\"%s\": exporters %#x, want %#x", cases[i].value,
			      c.exporters, cases[i].want);
	}
}
END_TEST

/*
 * Load with `name`=`value`; the batch and queue sizes constrain each
 * other, so the other one is set to a value that cannot clamp.
 */
static void load_uint_accepted(struct ts_config *c, const char *name,
			       const char *value)
{
	char err[4096], max[16];
	int w;

	clear_env();
	snprintf(max, sizeof(max), "%u", TS_QUEUE_SIZE_MAX);
	if (!strcmp(name, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"))
		set_env("OTEL_BSP_MAX_QUEUE_SIZE", max);
	if (!strcmp(name, "OTEL_BSP_MAX_QUEUE_SIZE"))
		set_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1");
	set_env(name, value);
	w = ts_capture_config_load(c, err, sizeof(err));
	ck_assert_msg(w == 0, "%s=\"%s\": %d warnings", name, value, w);
	ck_assert_msg(err[0] == '\0', "%s=\"%s\" printed [%s]", name, value,
		      err);
}

START_TEST(test_uint_variables_honour_valid_values)
{
	struct ts_config c;
	char v[32];

	for (size_t i = 0; i < TS_ARRAY_SIZE(uint_vars); i++) {
		const struct uint_var *u = &uint_vars[i];
		/* min, max, a middle value, blanks around, leading zeros */
		const struct {
			const char *before, *after;
			unsigned want;
		} cases[] = {
			{ "", "", u->min },
			{ "", "", u->max },
			{ "", "", 777 },
			{ "  ", "\t", 250 },
			{ "000", "", 42 },
		};

		for (size_t j = 0; j < TS_ARRAY_SIZE(cases); j++) {
			snprintf(v, sizeof(v), "%s%u%s", cases[j].before,
				 cases[j].want, cases[j].after);
			load_uint_accepted(&c, u->name, v);
			ck_assert_msg(uint_field(&c, u) == cases[j].want,
				      "%s=\"%s\" gave %u", u->name, v,
				      uint_field(&c, u));
		}
	}
}
END_TEST

START_TEST(test_uint_variables_reject_invalid_values)
{
	static const char *const bad[] = {
		"abc", "-1", "+5", "10ms", "5s", "1e3", "0x10", "1.5",
		"1 0", "99999999999999999999", "18446744073709551616",
		"4294967296",
	};
	char v[32];

	for (size_t i = 0; i < TS_ARRAY_SIZE(uint_vars); i++) {
		const struct uint_var *u = &uint_vars[i];

		for (size_t j = 0; j < TS_ARRAY_SIZE(bad); j++)
			assert_rejected(u->name, bad[j]);
		snprintf(v, sizeof(v), "%lu", (unsigned long)u->max + 1);
		assert_rejected(u->name, v);
		if (u->min > 0) {
			snprintf(v, sizeof(v), "%u", u->min - 1);
			assert_rejected(u->name, v);
		}
	}
}
END_TEST

START_TEST(test_shutdown_timeout_accepts_zero)
{
	struct ts_config c;

	load_accepted(&c, "TRACESHIM_SHUTDOWN_TIMEOUT", "0");
	ck_assert_uint_eq(c.shutdown_timeout_ms, 0);
}
END_TEST

START_TEST(test_uint_warning_names_value_and_default)
{
	struct ts_config c;
	char err[4096];

	clear_env();
	set_env("OTEL_BSP_SCHEDULE_DELAY", "10ms");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	assert_warning_lines(err, 1, "OTEL_BSP_SCHEDULE_DELAY", 1);
	ck_assert_msg(strstr(err, "10ms") && strstr(err, "5000"),
		      "value or default missing: [%s]", err);
	ck_assert_uint_eq(c.schedule_delay_ms, 5000);
}
END_TEST

START_TEST(test_batch_larger_than_queue_is_clamped_with_warning)
{
	struct ts_config c;
	char err[4096];

	clear_env();
	set_env("OTEL_BSP_MAX_QUEUE_SIZE", "100");
	set_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	assert_warning_lines(err, 1, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1);
	ck_assert_uint_eq(c.max_queue_size, 100);
	ck_assert_uint_eq(c.max_export_batch, 100);

	/* Against the default queue size too. */
	clear_env();
	set_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 1);
	assert_warning_lines(err, 1, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1);
	ck_assert_uint_eq(c.max_queue_size, 2048);
	ck_assert_uint_eq(c.max_export_batch, 2048);

	/* A queue smaller than the default batch clamps the default, and
	 * silently: the configuration given is valid. */
	clear_env();
	set_env("OTEL_BSP_MAX_QUEUE_SIZE", "10");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.max_export_batch, 10);
}
END_TEST

START_TEST(test_batch_equal_to_queue_is_accepted)
{
	struct ts_config c;
	char err[4096];

	clear_env();
	set_env("OTEL_BSP_MAX_QUEUE_SIZE", "4096");
	set_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.max_queue_size, 4096);
	ck_assert_uint_eq(c.max_export_batch, 4096);
}
END_TEST

START_TEST(test_log_level_names_set_config_and_global_level)
{
	static const struct {
		const char *value;
		int want;
	} cases[] = {
		{ "none", TS_LOG_NONE },   { "error", TS_LOG_ERROR },
		{ "warn", TS_LOG_WARN },   { "info", TS_LOG_INFO },
		{ "debug", TS_LOG_DEBUG }, { "DEBUG", TS_LOG_DEBUG },
		{ " Error ", TS_LOG_ERROR },
	};
	struct ts_config c;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		ts_log_level = -1;
		load_accepted(&c, "TRACESHIM_LOG_LEVEL", cases[i].value);
		ck_assert_msg(c.log_level == cases[i].want, "\"%s\": %d",
			      cases[i].value, c.log_level);
		ck_assert_int_eq(ts_log_level, cases[i].want);
	}
}
END_TEST

START_TEST(test_log_level_rejects_unknown_names)
{
	static const char *const bad[] = { "verbose", "warning", "2", "trace" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		assert_rejected("TRACESHIM_LOG_LEVEL", bad[i]);
		ck_assert_int_eq(ts_log_level, TS_LOG_WARN);
	}
}
END_TEST

/* Two invalid variables under `level`; returns what was printed. */
static void load_two_invalid_at(const char *level, struct ts_config *c,
				char *err, size_t size)
{
	clear_env();
	set_env("TRACESHIM_LOG_LEVEL", level);
	set_env("OTEL_BSP_MAX_QUEUE_SIZE", "abc");
	set_env("OTEL_SDK_DISABLED", "maybe");
	ts_capture_config_load(c, err, size);
}

START_TEST(test_log_level_none_and_error_silence_warnings)
{
	static const char *const quiet[] = { "none", "error", "NONE" };
	struct ts_config c;
	char err[4096];

	for (size_t i = 0; i < TS_ARRAY_SIZE(quiet); i++) {
		load_two_invalid_at(quiet[i], &c, err, sizeof(err));
		ck_assert_msg(err[0] == '\0', "level %s printed [%s]", quiet[i],
			      err);
		/* Silenced, but the defaults are still what is used. */
		ck_assert_uint_eq(c.max_queue_size, 2048);
		ck_assert(!c.sdk_disabled);
	}
}
END_TEST

START_TEST(test_log_level_info_and_debug_still_warn)
{
	static const char *const loud[] = { "warn", "info", "debug" };
	struct ts_config c;
	char err[4096];

	for (size_t i = 0; i < TS_ARRAY_SIZE(loud); i++) {
		load_two_invalid_at(loud[i], &c, err, sizeof(err));
		assert_warning_lines(err, 2, "OTEL_BSP_MAX_QUEUE_SIZE", 1);
		assert_warning_lines(err, 2, "OTEL_SDK_DISABLED", 1);
	}
}
END_TEST

START_TEST(test_string_variables_copied_verbatim)
{
	struct ts_config c;

	load_accepted(&c, "OTEL_SERVICE_NAME", "checkout svc");
	ck_assert_str_eq(c.service_name, "checkout svc");
	load_accepted(&c, "OTEL_RESOURCE_ATTRIBUTES", "a=b,c=d%2Ce");
	ck_assert_str_eq(c.resource_attrs, "a=b,c=d%2Ce");
	load_accepted(&c, "TRACESHIM_FILE", "/tmp/x y/spans.jsonl");
	ck_assert_str_eq(c.file_path, "/tmp/x y/spans.jsonl");
}
END_TEST

/* A value of `len` 'x' bytes (caller frees). */
static char *long_value(size_t len)
{
	char *v = malloc(len + 1);

	ck_assert_ptr_nonnull(v);
	memset(v, 'x', len);
	v[len] = '\0';
	return v;
}

START_TEST(test_string_variables_too_long_are_rejected)
{
#define FIELD(f)                                                               \
	sizeof(((struct ts_config *)0)->f), offsetof(struct ts_config, f)
	static const struct {
		const char *name;
		size_t cap;   /* size of the field */
		size_t field; /* offsetof the field */
	} vars[] = {
		{ "OTEL_SERVICE_NAME", FIELD(service_name) },
		{ "OTEL_RESOURCE_ATTRIBUTES", FIELD(resource_attrs) },
		{ "TRACESHIM_FILE", FIELD(file_path) },
	};
#undef FIELD
	struct ts_config c;

	for (size_t i = 0; i < TS_ARRAY_SIZE(vars); i++) {
		char *fits = long_value(vars[i].cap - 1);
		char *over = long_value(vars[i].cap);

		load_accepted(&c, vars[i].name, fits);
		ck_assert_str_eq((const char *)&c + vars[i].field, fits);
		assert_rejected(vars[i].name, over);
		free(fits);
		free(over);
	}
}
END_TEST

START_TEST(test_all_variables_valid_together_are_honoured_silently)
{
	struct ts_config c;
	char err[4096];

	clear_env();
	set_env("OTEL_SDK_DISABLED", "true");
	set_env("OTEL_TRACES_EXPORTER", "file,console");
	set_env("OTEL_BSP_SCHEDULE_DELAY", "100");
	set_env("OTEL_BSP_MAX_QUEUE_SIZE", "4096");
	set_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64");
	set_env("OTEL_BSP_EXPORT_TIMEOUT", "1000");
	set_env("TRACESHIM_SHUTDOWN_TIMEOUT", "500");
	set_env("TRACESHIM_LOG_LEVEL", "info");
	set_env("OTEL_SERVICE_NAME", "svc");
	set_env("OTEL_RESOURCE_ATTRIBUTES", "a=b");
	set_env("TRACESHIM_FILE", "/tmp/t.jsonl");
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert(c.sdk_disabled);
	ck_assert_uint_eq(c.exporters, TS_EXPORTER_FILE | TS_EXPORTER_CONSOLE);
	ck_assert_uint_eq(c.schedule_delay_ms, 100);
	ck_assert_uint_eq(c.max_queue_size, 4096);
	ck_assert_uint_eq(c.max_export_batch, 64);
	ck_assert_uint_eq(c.export_timeout_ms, 1000);
	ck_assert_uint_eq(c.shutdown_timeout_ms, 500);
	ck_assert_int_eq(c.log_level, TS_LOG_INFO);
	ck_assert_str_eq(c.service_name, "svc");
	ck_assert_str_eq(c.resource_attrs, "a=b");
	ck_assert_str_eq(c.file_path, "/tmp/t.jsonl");
}
END_TEST

START_TEST(test_each_invalid_variable_counted_and_named_once)
{
	static const char *const bad[][2] = {
		{ "OTEL_SDK_DISABLED", "maybe" },
		{ "OTEL_TRACES_EXPORTER", "file,bogus,worse" },
		{ "OTEL_BSP_SCHEDULE_DELAY", "-5" },
		{ "OTEL_BSP_MAX_QUEUE_SIZE", "0" },
		{ "OTEL_BSP_EXPORT_TIMEOUT", "99999999999999999999" },
		{ "TRACESHIM_SHUTDOWN_TIMEOUT", "forever" },
		{ "TRACESHIM_LOG_LEVEL", "loud" },
	};
	struct ts_config c;
	char err[8192];
	unsigned n = TS_ARRAY_SIZE(bad);

	clear_env();
	for (size_t i = 0; i < n; i++)
		set_env(bad[i][0], bad[i][1]);
	ck_assert_int_eq(ts_capture_config_load(&c, err, sizeof(err)), (int)n);
	/* No name is part of another, so each must be on exactly one line. */
	for (size_t i = 0; i < n; i++)
		assert_warning_lines(err, n, bad[i][0], 1);
	ck_assert_uint_eq(c.exporters, TS_EXPORTER_FILE);
	ck_assert_uint_eq(c.schedule_delay_ms, 5000);
	ck_assert_uint_eq(c.max_queue_size, 2048);
	ck_assert_uint_eq(c.export_timeout_ms, 30000);
	ck_assert_uint_eq(c.shutdown_timeout_ms, 1000);
	ck_assert_int_eq(c.log_level, TS_LOG_WARN);
}
END_TEST

/* OTEL_PROPAGATORS as the formats it names, in order ("tc,bg,..."). */
static void prop_text(const struct ts_config *c, char *out, size_t size)
{
	static const char *const names[] = { "?", "tracecontext", "baggage", "b3",
					     "b3multi", "jaeger" };
	size_t at = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < c->prop.n && at < size; i++)
		at += (size_t)snprintf(out + at, size - at, "%s%s", i ? "," : "",
				       names[c->prop.order[i]]);
}

START_TEST(test_propagators_keep_their_order)
{
	static const char *const cases[][2] = {
		{ "tracecontext", "tracecontext" },
		{ "jaeger,b3,tracecontext", "jaeger,b3,tracecontext" },
		{ " B3MULTI , baggage ", "b3multi,baggage" },
		{ "b3,b3,jaeger", "b3,jaeger" },
		{ "none", "" },
		{ "none,b3", "b3" },
		{ "tracecontext,baggage,b3,b3multi,jaeger",
		  "tracecontext,baggage,b3,b3multi,jaeger" },
	};
	struct ts_config c;
	char got[128];

	ts_config_defaults(&c);
	prop_text(&c, got, sizeof(got));
	ck_assert_str_eq(got, "tracecontext,baggage"); /* the default */
	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		load_accepted(&c, "OTEL_PROPAGATORS", cases[i][0]);
		prop_text(&c, got, sizeof(got));
		ck_assert_msg(!strcmp(got, cases[i][1]), "\"%s\": got \"%s\"",
			      cases[i][0], got);
	}
}
END_TEST

START_TEST(test_propagators_unknown_warned_once_others_kept)
{
	struct ts_config c;
	char err[4096], got[128];
	int w;

	clear_env();
	set_env("OTEL_PROPAGATORS", "b3,xray,bogus,jaeger");
	w = ts_capture_config_load(&c, err, sizeof(err));
	ck_assert_int_eq(w, 1);
	assert_warning_lines(err, 1, "OTEL_PROPAGATORS", 1);
	ck_assert_ptr_nonnull(strstr(err, "\"xray\""));
	prop_text(&c, got, sizeof(got));
	ck_assert_str_eq(got, "b3,jaeger");
	/* Nothing known: the default stays. */
	assert_rejected("OTEL_PROPAGATORS", "w3c,zipkin");
}
END_TEST

/* ---- HTTP header capture ---- */

#define CAP_VAR(x) "OTEL_INSTRUMENTATION_HTTP_" x "_HEADERS"

/* "a,b,c" of a capture list. */
static void list_text(const struct ts_capture_list *l, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < l->n; i++) {
		ck_assert_uint_eq(strlen(l->name[i]), l->len[i]);
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "",
				      l->name[i]);
	}
}

START_TEST(test_capture_lists_lowercase_trimmed_deduplicated_per_variable)
{
	static const struct {
		const char *var;
		int idx;
	} vars[] = {
		{ CAP_VAR("SERVER_CAPTURE_REQUEST"), TS_CAPTURE_SERVER_REQ },
		{ CAP_VAR("SERVER_CAPTURE_RESPONSE"), TS_CAPTURE_SERVER_RESP },
		{ CAP_VAR("CLIENT_CAPTURE_REQUEST"), TS_CAPTURE_CLIENT_REQ },
		{ CAP_VAR("CLIENT_CAPTURE_RESPONSE"), TS_CAPTURE_CLIENT_RESP },
	};
	struct ts_config c;
	char got[512];

	for (size_t i = 0; i < TS_ARRAY_SIZE(vars); i++) {
		load_accepted(&c, vars[i].var,
			      " X-Tenant ,content-type,,x-tenant,\tAccept\t");
		for (int j = 0; j < TS_CAPTURE_LISTS_; j++) {
			list_text(&c.capture[j], got, sizeof(got));
			ck_assert_str_eq(got, j == vars[i].idx
						      ? "x-tenant,content-type,accept"
						      : "");
		}
	}
	/* Unset: nothing captured anywhere. */
	clear_env();
	ts_config_load(&c);
	for (int j = 0; j < TS_CAPTURE_LISTS_; j++)
		ck_assert_uint_eq(c.capture[j].n, 0);
}
END_TEST

/* Secrets, bad names, long names and names past 8: left out, and the
 * variable gets one warning naming the first of them. */
START_TEST(test_capture_lists_refuse_secrets_with_one_warning)
{
	static const struct {
		const char *value, *keep, *named, *why;
	} cases[] = {
		{ "x-a,Authorization,cookie", "x-a", "\"Authorization\"",
		  "is never recorded; 2 names left out" },
		{ "Set-Cookie", "", "\"Set-Cookie\"", "is never recorded; 1 name" },
		{ "proxy-authorization , x-b", "x-b", "\"proxy-authorization\"",
		  "never recorded" },
		{ "x a,x-c", "x-c", "\"x a\"", "is not a header name" },
		{ "x-c,x:d", "x-c", "\"x:d\"", "is not a header name" },
		{ "x-0123456789012345678901234567890123", "", "\"x-0123",
		  "longer than 32 bytes" },
		{ "a,b,c,d,e,f,g,h,i,j", "a,b,c,d,e,f,g,h", "\"i\"",
		  "more than 8 names; 2 names left out" },
	};
	struct ts_config c;
	char err[4096], got[512];
	int w;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		clear_env();
		set_env(CAP_VAR("SERVER_CAPTURE_REQUEST"), cases[i].value);
		w = ts_capture_config_load(&c, err, sizeof(err));
		ck_assert_msg(w == 1, "\"%s\": %d warnings", cases[i].value, w);
		assert_warning_lines(err, 1, CAP_VAR("SERVER_CAPTURE_REQUEST"), 1);
		ck_assert_msg(strstr(err, cases[i].named) &&
				      strstr(err, cases[i].why),
			      "\"%s\": [%s]", cases[i].value, err);
		list_text(&c.capture[TS_CAPTURE_SERVER_REQ], got, sizeof(got));
		ck_assert_str_eq(got, cases[i].keep);
	}
}
END_TEST

Suite *ts_test_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("env");

	tcase_add_test(tc, test_unset_environment_gives_spec_defaults_silently);
	tcase_add_test(tc, test_empty_value_counts_as_unset_for_every_variable);
	tcase_add_test(tc, test_blank_value_counts_as_unset_for_parsed_variables);
	tcase_add_test(tc, test_sdk_disabled_accepts_true_false_in_any_case);
	tcase_add_test(tc, test_sdk_disabled_rejects_other_words);
	tcase_add_test(tc, test_traces_exporter_parses_comma_list);
	tcase_add_test(tc, test_traces_exporter_only_unknown_keeps_otlp_one_warning);
	tcase_add_test(tc, test_traces_exporter_unknown_among_known_one_warning);
	tcase_add_test(tc, test_uint_variables_honour_valid_values);
	tcase_add_test(tc, test_uint_variables_reject_invalid_values);
	tcase_add_test(tc, test_shutdown_timeout_accepts_zero);
	tcase_add_test(tc, test_uint_warning_names_value_and_default);
	tcase_add_test(tc, test_batch_larger_than_queue_is_clamped_with_warning);
	tcase_add_test(tc, test_batch_equal_to_queue_is_accepted);
	tcase_add_test(tc, test_log_level_names_set_config_and_global_level);
	tcase_add_test(tc, test_log_level_rejects_unknown_names);
	tcase_add_test(tc, test_log_level_none_and_error_silence_warnings);
	tcase_add_test(tc, test_log_level_info_and_debug_still_warn);
	tcase_add_test(tc, test_string_variables_copied_verbatim);
	tcase_add_test(tc, test_string_variables_too_long_are_rejected);
	tcase_add_test(tc, test_all_variables_valid_together_are_honoured_silently);
	tcase_add_test(tc, test_each_invalid_variable_counted_and_named_once);
	tcase_add_test(tc, test_propagators_keep_their_order);
	tcase_add_test(tc, test_propagators_unknown_warned_once_others_kept);
	tcase_add_test(tc, test_capture_lists_lowercase_trimmed_deduplicated_per_variable);
	tcase_add_test(tc, test_capture_lists_refuse_secrets_with_one_warning);
	suite_add_tcase(s, tc);
	return s;
}
