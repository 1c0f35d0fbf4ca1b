/*
 * resource.c - resource detection and OTEL_RESOURCE_ATTRIBUTES parsing.
 *
 * Runs on the reporter thread (which holds the reentrancy guard), so the
 * file reads below are never traced.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "../hooks/redact.h"
#include "buf.h"
#include "resource.h"

/*
 * Percent-decode p[0..len) into out (at most len bytes), trimming blanks.
 * Returns the decoded length, or -1 on a malformed escape.
 */
static long pct_decode(const char *p, size_t len, char *out)
{
	size_t i, n = 0;

	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	for (i = 0; i < len; i++) {
		if (p[i] != '%') {
			out[n++] = p[i];
			continue;
		}
		if (i + 2 >= len || ts_hexval(p[i + 1]) < 0 || ts_hexval(p[i + 2]) < 0)
			return -1;
		out[n++] = (char)(ts_hexval(p[i + 1]) << 4 | ts_hexval(p[i + 2]));
		i += 2;
	}
	return (long)n;
}

/* Copy a string into the store, NUL-terminated; NULL when full. */
static const char *store(struct ts_resource *r, const char *p, size_t len)
{
	char *d;

	if (len + 1 > sizeof(r->store) - r->used)
		return NULL;
	d = r->store + r->used;
	memcpy(d, p, len);
	d[len] = '\0';
	r->used += len + 1;
	return d;
}

static struct ts_res_attr *add(struct ts_resource *r, const char *key,
			       size_t klen, enum ts_res_type type)
{
	struct ts_res_attr *a;
	const char *k;

	if (r->n >= TS_RES_MAX_ATTRS)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->attrs[i].key) == klen &&
		    !memcmp(r->attrs[i].key, key, klen))
			return NULL; /* first definition wins */
	k = store(r, key, klen);
	if (!k)
		return NULL;
	a = &r->attrs[r->n++];
	memset(a, 0, sizeof(*a));
	a->key = k;
	a->type = (uint8_t)type;
	return a;
}

static void add_str(struct ts_resource *r, const char *key, const char *v,
		    size_t len)
{
	size_t used = r->used;
	struct ts_res_attr *a = add(r, key, strlen(key), TS_RES_STRING);

	if (!a)
		return;
	a->str = store(r, v, len);
	a->len = len;
	if (!a->str) {
		r->n--;
		r->used = used;
	}
}

/*
 * Room kept for the detected attributes (service.name, process.pid,
 * process.executable.name/.path, process.command_args, host.name,
 * telemetry.sdk.name/.version): user attributes may never crowd out
 * service.name, which OTLP backends require.
 */
#define DETECTED_ATTRS 8

/*
 * Walk `k=v,...`.  With r == NULL only validate.  Returns false on the
 * first malformed entry.  Entries past the room left for detected
 * attributes are dropped with one warning.
 */
static bool parse_user(const char *raw, struct ts_resource *r)
{
	char key[256], val[4096];
	const char *p = raw;

	while (*p) {
		size_t len = strcspn(p, ","), klen;
		const char *eq = memchr(p, '=', len);
		long kn, vn;

		klen = eq ? (size_t)(eq - p) : 0;
		if (len == 0 || strspn(p, " \t") == len)
			goto next; /* tolerate empty entries: "a=b,,c=d" */
		if (!eq || klen >= sizeof(key) || len - klen - 1 >= sizeof(val))
			return false;
		kn = pct_decode(p, klen, key);
		vn = pct_decode(eq + 1, len - klen - 1, val);
		if (kn <= 0 || vn < 0)
			return false;
		if (r && r->n >= TS_RES_MAX_ATTRS - DETECTED_ATTRS) {
			ts_warn_once("OTEL_RESOURCE_ATTRIBUTES has too many "
				     "entries; those after the first %zu are "
				     "ignored",
				     r->n);
		} else if (r) {
			size_t used = r->used;
			struct ts_res_attr *a =
				add(r, key, (size_t)kn, TS_RES_STRING);

			if (a) {
				a->str = store(r, val, (size_t)vn);
				a->len = (size_t)vn;
				if (!a->str) {
					r->n--;
					r->used = used;
				}
			}
		}
next:
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

bool ts_resource_check_env(const char *raw)
{
	if (!raw || !*raw || parse_user(raw, NULL))
		return true;
	ts_warn("OTEL_RESOURCE_ATTRIBUTES is not a list of key=value pairs "
		"with percent-encoded values; ignoring all of it");
	return false;
}

/* Read a small /proc file whole; returns its length or -1. */
static ssize_t read_small(const char *path, char *out, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < size) {
		n = TS_REAL(read)(fd, out + total, size - (size_t)total);
		if (n <= 0)
			break;
		total += n;
	}
	TS_REAL(close)(fd);
	return total;
}

/*
 * Command lines carry secrets (a URL with a password, a token option):
 * each argument is redacted (hooks/redact.h) before it is recorded.  In
 * place: args holds `n` bytes of NUL-terminated strings, `size` in all;
 * returns the new length, whole strings only.
 */
static size_t redact_args(char *args, size_t n, size_t size)
{
	static char out[8192];
	size_t i = 0, w = 0, len, k;

	while (i < n) {
		len = strlen(args + i);
		if (w + 1 >= sizeof(out))
			break;
		k = ts_redact_arg(args + i, len, out + w, sizeof(out) - w);
		if (k < len && w + k + 1 >= sizeof(out) - 1)
			break; /* did not fit whole: stop at the last one */
		w += k + 1; /* ts_redact_arg wrote the NUL */
		i += len + 1;
	}
	if (w > size)
		w = 0;
	memcpy(args, out, w);
	return w;
}

static void add_process(struct ts_resource *r, const struct ts_config *c)
{
	char exe[4096], args[4096], svc[300];
	const char *base = "";
	ssize_t n;
	struct utsname u;
	struct ts_res_attr *a;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	}
	if (c->service_name[0]) {
		add_str(r, "service.name", c->service_name,
			strlen(c->service_name));
	} else {
		n = snprintf(svc, sizeof(svc), "unknown_service:%s", base);
		add_str(r, "service.name", svc, (size_t)n < sizeof(svc) ?
			(size_t)n : sizeof(svc) - 1);
	}
	a = add(r, "process.pid", 11, TS_RES_INT);
	if (a)
		a->ival = r->pid;
	if (*base) {
		add_str(r, "process.executable.name", base, strlen(base));
		add_str(r, "process.executable.path", exe, strlen(exe));
	}
	n = read_small("/proc/self/cmdline", args, sizeof(args));
	if (n > 0) {
		size_t used = r->used;

		if (args[n - 1] != '\0') /* cut off: end on a whole string */
			while (n > 0 && args[n - 1] != '\0')
				n--;
		n = (ssize_t)redact_args(args, (size_t)n, sizeof(args));
		a = n > 0 ? add(r, "process.command_args", 20, TS_RES_STRARRAY)
			  : NULL;
		if (a) {
			a->str = store(r, args, (size_t)n);
			a->len = (size_t)n;
			if (!a->str) {
				r->n--;
				r->used = used;
			}
		}
	}
	if (uname(&u) == 0)
		add_str(r, "host.name", u.nodename, strlen(u.nodename));
	add_str(r, "telemetry.sdk.name", "traceshim", 9);
	add_str(r, "telemetry.sdk.version", TS_VERSION, strlen(TS_VERSION));
}

void ts_resource_build(struct ts_resource *r, const struct ts_config *c)
{
	r->n = 0;
	r->used = 0;
	r->pid = (int)ts_syscall(SYS_getpid);
	/*
	 * OTEL_SERVICE_NAME beats service.name from the attribute list,
	 * which beats the derived default; other user attributes beat the
	 * detected ones.  add() keeps the first definition, so the order
	 * of these calls is the precedence.
	 */
	if (c->service_name[0])
		add_str(r, "service.name", c->service_name,
			strlen(c->service_name));
	if (c->resource_attrs[0] && parse_user(c->resource_attrs, NULL))
		parse_user(c->resource_attrs, r);
	add_process(r, c);
}

const struct ts_resource *ts_resource_get(const struct ts_config *c)
{
	static struct ts_resource res;

	if (res.n == 0 || res.pid != (int)ts_syscall(SYS_getpid))
		ts_resource_build(&res, c);
	return &res;
}

const struct ts_res_attr *ts_resource_find(const struct ts_resource *r,
					   const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->attrs[i].key, key))
			return &r->attrs[i];
	return NULL;
}
