/*
 * resource.h - the OpenTelemetry resource describing this process.
 *
 * Built by the reporter thread before its first export and rebuilt when
 * the pid changes (a forked child), so every batch names the process that
 * really produced it.  OTEL_RESOURCE_ATTRIBUTES is checked once at
 * initialisation (ts_resource_check_env) so a bad value is reported at
 * start-up, as the other configuration is.
 *
 * Threads: ts_resource_check_env on the initialising thread;
 * ts_resource_get on the reporter thread only.
 */
#ifndef TS_RESOURCE_H
#define TS_RESOURCE_H

#include "../preload/common.h"

struct ts_config;

enum ts_res_type {
	TS_RES_STRING = 1, /* str/len */
	TS_RES_INT,        /* ival */
	TS_RES_STRARRAY,   /* str/len: NUL-terminated strings back to back */
};

struct ts_res_attr {
	const char *key;   /* NUL-terminated */
	const char *str;   /* string or string array bytes */
	size_t len;        /* bytes at str */
	int64_t ival;      /* TS_RES_INT value */
	uint8_t type;      /* enum ts_res_type */
};

#define TS_RES_MAX_ATTRS 64

struct ts_resource {
	struct ts_res_attr attrs[TS_RES_MAX_ATTRS]; /* in output order */
	size_t n;                  /* used entries */
	int pid;                   /* pid this resource was built for */
	char store[16384];         /* every key and value string */
	size_t used;               /* bytes of store in use */
};

/*
 * Validate OTEL_RESOURCE_ATTRIBUTES (`k=v,...`, percent-encoded values).
 * On error: one warning, and false (the whole value is then ignored, as
 * the specification asks).
 */
bool ts_resource_check_env(const char *raw);

/* Build `r` for the current process from `c`. */
void ts_resource_build(struct ts_resource *r, const struct ts_config *c);

/* The resource of the current process, rebuilt after a fork. */
const struct ts_resource *ts_resource_get(const struct ts_config *c);

/* The entry named `key`, or NULL. */
const struct ts_res_attr *ts_resource_find(const struct ts_resource *r,
					   const char *key);

#endif /* TS_RESOURCE_H */
