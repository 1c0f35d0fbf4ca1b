/*
 * test_resource.c - OTEL_RESOURCE_ATTRIBUTES parsing and the resource
 * built for this process.
 *
 * What is proved: a malformed attribute list is refused with exactly one
 * warning; values are percent-decoded and trimmed; the precedence of
 * service.name (OTEL_SERVICE_NAME, then the attribute list, then
 * "unknown_service:<exe>") and of user over detected attributes; the
 * detected process attributes match what the kernel says about us; and a
 * forked child gets a resource naming its own pid.
 */
#include <check.h>

#include "capture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/log.h"
#include "../../reporter/resource.h"
#include "suites.h"

#define WARN_PREFIX "traceshim: warning: "

static struct ts_resource res;

/* ts_resource_check_env() with fd 2 captured into `err`. */
static bool check_env_captured(const char *raw, char *err, size_t size)
{
	struct ts_capture cap;
	bool ok;

	ts_capture_begin(&cap);
	ok = ts_resource_check_env(raw);
	ts_capture_end(&cap, err, size);
	return ok;
}

/* Build the resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES. */
static void build(const char *service_name, const char *attrs)
{
	struct ts_config c;

	ts_config_defaults(&c);
	snprintf(c.service_name, sizeof(c.service_name), "%s", service_name);
	snprintf(c.resource_attrs, sizeof(c.resource_attrs), "%s", attrs);
	ts_resource_build(&res, &c);
}

/* The string attribute `key` must exist and equal `want`. */
static void assert_res_str(const char *key, const char *want)
{
	const struct ts_res_attr *a = ts_resource_find(&res, key);

	ck_assert_msg(a, "%s missing", key);
	ck_assert_int_eq(a->type, TS_RES_STRING);
	ck_assert_msg(a->len == strlen(want) && !memcmp(a->str, want, a->len),
		      "%s = \"%.*s\", want \"%s\"", key, (int)a->len, a->str,
		      want);
}

static unsigned key_count(const char *key)
{
	unsigned n = 0;

	for (size_t i = 0; i < res.n; i++)
		n += !strcmp(res.attrs[i].key, key);
	return n;
}

START_TEST(test_check_env_accepts_valid_lists_silently)
{
	static const char *const good[] = {
		"",
		"a=b",
		"a=b,c=d",
		" a = b ,\tc=d\t",
		"a=b,,c=d",
		"a=b,",
		"a=",
		"k=%41%2c%2C%20",
		"deployment.environment=prod,service.version=1.2.3",
		"k=v with spaces",
	};
	char err[1024];

	ck_assert(check_env_captured(NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "");
	for (size_t i = 0; i < TS_ARRAY_SIZE(good); i++) {
		ck_assert_msg(check_env_captured(good[i], err, sizeof(err)),
			      "rejected \"%s\"", good[i]);
		ck_assert_msg(err[0] == '\0', "\"%s\" printed [%s]", good[i],
			      err);
	}
}
END_TEST

START_TEST(test_check_env_rejects_malformed_with_one_warning)
{
	static const char *const bad[] = {
		"novalue",       /* missing '=' */
		"a=b,novalue",   /* ...in a later entry */
		"=v",            /* empty key */
		"  =v",          /* blank key */
		"k=%zz",         /* not hex */
		"k=%4",          /* escape cut off at the end */
		"k=%",
		"k=ab%4",
		"k=%g1",
		"%zz=v",         /* keys are decoded too */
		"a=b,k=%2",
	};
	char err[1024];

	for (size_t i = 0; i < TS_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(!check_env_captured(bad[i], err, sizeof(err)),
			      "accepted \"%s\"", bad[i]);
		ck_assert_msg(!strncmp(err, WARN_PREFIX, strlen(WARN_PREFIX)),
			      "\"%s\": [%s]", bad[i], err);
		ck_assert_msg(strstr(err, "OTEL_RESOURCE_ATTRIBUTES"),
			      "\"%s\": variable not named: [%s]", bad[i], err);
		ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
			      "\"%s\": want one line: [%s]", bad[i], err);
	}
}
END_TEST

START_TEST(test_check_env_warning_silenced_at_log_level_none)
{
	char err[1024];

	ts_log_level = TS_LOG_NONE;
	ck_assert(!check_env_captured("novalue", err, sizeof(err)));
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_values_percent_decoded_and_trimmed)
{
	build("", " a = b%2Cc , sp%20ace = x%3Dy ,"
		  "\tdeployment.environment=prod\t,"
		  "k=hello world,pad=%20kept%20,e=");
	assert_res_str("a", "b,c");
	assert_res_str("sp ace", "x=y");
	assert_res_str("deployment.environment", "prod");
	assert_res_str("k", "hello world");
	/* Blanks are trimmed before decoding: encoded ones stay. */
	assert_res_str("pad", " kept ");
	assert_res_str("e", "");
	ck_assert_ptr_null(ts_resource_find(&res, " a "));
	ck_assert_ptr_null(ts_resource_find(&res, "a "));
}
END_TEST

START_TEST(test_malformed_list_is_ignored_entirely)
{
	/* The specification: a bad value discards the whole variable. */
	build("", "good=1,bad");
	ck_assert_ptr_null(ts_resource_find(&res, "good"));
	build("", "good=1,k=%zz");
	ck_assert_ptr_null(ts_resource_find(&res, "good"));
	ck_assert_ptr_nonnull(ts_resource_find(&res, "service.name"));
}
END_TEST

/* Our own executable's path and base name, as the kernel reports them. */
static void own_exe(char *path, size_t size, const char **base)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);

	ck_assert_int_gt(n, 0);
	path[n] = '\0';
	*base = strrchr(path, '/') + 1;
}

START_TEST(test_service_name_from_env_beats_attribute_and_default)
{
	build("from-env", "service.name=from-attrs");
	assert_res_str("service.name", "from-env");
	ck_assert_uint_eq(key_count("service.name"), 1);
}
END_TEST

START_TEST(test_service_name_from_attribute_beats_default)
{
	build("", "a=1,service.name=from-attrs");
	assert_res_str("service.name", "from-attrs");
	ck_assert_uint_eq(key_count("service.name"), 1);
}
END_TEST

START_TEST(test_service_name_defaults_to_unknown_service_exe)
{
	char exe[4096], want[4200];
	const char *base;

	own_exe(exe, sizeof(exe), &base);
	snprintf(want, sizeof(want), "unknown_service:%s", base);
	build("", "");
	assert_res_str("service.name", want);
	build("", "other=1");
	assert_res_str("service.name", want);
	ck_assert_uint_eq(key_count("service.name"), 1);
}
END_TEST

START_TEST(test_user_attributes_beat_detected_ones)
{
	struct utsname u;

	ck_assert_int_eq(uname(&u), 0);
	build("", "host.name=my-host,process.executable.name=renamed");
	assert_res_str("host.name", "my-host");
	assert_res_str("process.executable.name", "renamed");
	ck_assert_uint_eq(key_count("host.name"), 1);
	ck_assert_uint_eq(key_count("process.executable.name"), 1);
	/* And without the override, the detected value is there. */
	build("", "");
	assert_res_str("host.name", u.nodename);
}
END_TEST

START_TEST(test_process_pid_is_getpid)
{
	const struct ts_res_attr *a;

	build("svc", "");
	a = ts_resource_find(&res, "process.pid");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, TS_RES_INT);
	ck_assert_int_eq(a->ival, getpid());
	ck_assert_int_eq(res.pid, getpid());
}
END_TEST

START_TEST(test_command_args_match_proc_cmdline)
{
	char want[8192];
	const struct ts_res_attr *a;
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(want, 1, sizeof(want), f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, 4096); /* our runner's command line fits */
	build("svc", "");
	a = ts_resource_find(&res, "process.command_args");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, TS_RES_STRARRAY);
	ck_assert_uint_eq(a->len, n);
	ck_assert(!memcmp(a->str, want, n));
	ck_assert_int_eq(a->str[a->len - 1], '\0'); /* whole strings only */
}
END_TEST

START_TEST(test_executable_name_and_path_match_proc_exe)
{
	char exe[4096];
	const char *base;

	own_exe(exe, sizeof(exe), &base);
	build("svc", "");
	assert_res_str("process.executable.path", exe);
	assert_res_str("process.executable.name", base);
}
END_TEST

START_TEST(test_sdk_attributes_name_traceshim)
{
	build("svc", "");
	assert_res_str("telemetry.sdk.name", "traceshim");
	assert_res_str("telemetry.sdk.version", TS_VERSION);
}
END_TEST

START_TEST(test_keys_are_unique)
{
	build("svc", "a=1,a=2,service.name=x,host.name=h,process.pid=9");
	for (size_t i = 0; i < res.n; i++)
		ck_assert_msg(key_count(res.attrs[i].key) == 1, "%s twice",
			      res.attrs[i].key);
	/* process.pid stays one entry, whichever definition won. */
	ck_assert_uint_eq(key_count("process.pid"), 1);
}
END_TEST

START_TEST(test_service_name_survives_many_user_attributes)
{
	char attrs[4096], want[4200], exe[4096];
	const char *base;
	size_t used = 0;

	/* More entries than the table holds: service.name must not be the
	 * one that falls off, it is the one attribute OTLP requires. */
	for (int i = 0; i < 2 * TS_RES_MAX_ATTRS; i++)
		used += (size_t)snprintf(attrs + used, sizeof(attrs) - used,
					 "k%d=v,", i);
	own_exe(exe, sizeof(exe), &base);
	snprintf(want, sizeof(want), "unknown_service:%s", base);
	build("", attrs);
	ck_assert_uint_le(res.n, TS_RES_MAX_ATTRS);
	assert_res_str("service.name", want);
}
END_TEST

/* In a child: report the pid the resource names, then exit. */
static void child_report(int fd, const struct ts_config *c)
{
	const struct ts_resource *r = ts_resource_get(c);
	const struct ts_res_attr *a = ts_resource_find(r, "process.pid");
	long v[3] = { (long)getpid(), r->pid, a ? (long)a->ival : -1 };

	(void)!write(fd, v, sizeof(v));
	_exit(0);
}

START_TEST(test_resource_get_rebuilds_after_fork)
{
	struct ts_config c;
	const struct ts_resource *r;
	long v[3];
	int fds[2], status;
	pid_t pid;

	ts_config_defaults(&c);
	strcpy(c.service_name, "svc");
	r = ts_resource_get(&c);
	ck_assert_int_eq(r->pid, getpid());
	ck_assert_ptr_eq(ts_resource_get(&c), r);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_report(fds[1], &c);
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], v, sizeof(v)), sizeof(v));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(v[0], pid);
	ck_assert_int_eq(v[1], pid);
	ck_assert_int_eq(v[2], pid);
	/* The parent's copy still names the parent. */
	r = ts_resource_get(&c);
	ck_assert_int_eq(r->pid, getpid());
	ck_assert_int_eq(ts_resource_find(r, "process.pid")->ival, getpid());
}
END_TEST

Suite *ts_test_resource_suite(void)
{
	Suite *s = suite_create("resource");
	TCase *tc = tcase_create("resource");

	tcase_add_test(tc, test_check_env_accepts_valid_lists_silently);
	tcase_add_test(tc, test_check_env_rejects_malformed_with_one_warning);
	tcase_add_test(tc, test_check_env_warning_silenced_at_log_level_none);
	tcase_add_test(tc, test_values_percent_decoded_and_trimmed);
	tcase_add_test(tc, test_malformed_list_is_ignored_entirely);
	tcase_add_test(tc, test_service_name_from_env_beats_attribute_and_default);
	tcase_add_test(tc, test_service_name_from_attribute_beats_default);
	tcase_add_test(tc, test_service_name_defaults_to_unknown_service_exe);
	tcase_add_test(tc, test_user_attributes_beat_detected_ones);
	tcase_add_test(tc, test_process_pid_is_getpid);
	tcase_add_test(tc, test_command_args_match_proc_cmdline);
	tcase_add_test(tc, test_executable_name_and_path_match_proc_exe);
	tcase_add_test(tc, test_sdk_attributes_name_traceshim);
	tcase_add_test(tc, test_keys_are_unique);
	tcase_add_test(tc, test_service_name_survives_many_user_attributes);
	tcase_add_test(tc, test_resource_get_rebuilds_after_fork);
	suite_add_tcase(s, tc);
	return s;
}
