/*
 * config.c - parsing of the OTEL_* and TRACESHIM_* environment variables.
 *
 * Runs once, on the initialising thread.  Uses getenv and fixed buffers
 * only: initialisation may happen inside another library's constructor or
 * from a hook called before malloc is usable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../hooks/propagate_to.h"
#include "../hooks/redact.h"
#include "../hooks/route.h"
#include "config.h"
#include "config_internal.h"
#include "log.h"
#include "quote.h"

struct ts_config ts_cfg;

void ts_config_defaults(struct ts_config *c)
{
	memset(c, 0, sizeof(*c));
	c->exporters = TS_EXPORTER_OTLP;
	c->schedule_delay_ms = 5000;
	c->max_queue_size = 2048;
	c->max_export_batch = 512;
	c->export_timeout_ms = 30000;
	c->shutdown_timeout_ms = 1000;
	c->max_header_bytes = 8192;
	c->log_level = TS_LOG_WARN;
	strcpy(c->file_path, "traceshim-spans.jsonl");
	c->prop.order[0] = TS_PROP_TRACECONTEXT;
	c->prop.order[1] = TS_PROP_BAGGAGE;
	c->prop.n = 2;
	c->prop.mask = TS_PROP_BIT(TS_PROP_TRACECONTEXT) |
		       TS_PROP_BIT(TS_PROP_BAGGAGE);
	/* jaeger exporter */
	strcpy(c->jaeger_host, "localhost");
	c->jaeger_port = 6831;
	ts_config_export_defaults(c);
	ts_sampler_configure(&c->sampler, NULL, NULL); /* branch sampling */
	c->attr_count_limit = 128;                      /* branch sampling */
}

/* getenv with surrounding blanks trimmed into `buf`; NULL when unset/empty. */
static const char *env_value(const char *name, char *buf, size_t size)
{
	const char *v = getenv(name);
	size_t n;

	if (!v)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n'))
		n--;
	if (n == 0)
		return NULL;
	if (n >= size)
		n = size - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* Strict decimal in [min, max]: no sign, no suffix, no overflow. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

static int load_uint(const char *name, unsigned min, unsigned max,
		     unsigned *field)
{
	char buf[64];
	const char *v = env_value(name, buf, sizeof(buf));
	unsigned long n;

	if (!v)
		return 0;
	if (parse_uint(v, min, max, &n)) {
		*field = (unsigned)n;
		return 0;
	}
	ts_warn("%s=\"%s\" is not a whole number from %u to %u; using %u",
		name, v, min, max, *field);
	return 1;
}

static int load_bool(const char *name, bool *field)
{
	char buf[64];
	const char *v = env_value(name, buf, sizeof(buf));

	if (!v)
		return 0;
	if (!strcasecmp(v, "true")) {
		*field = true;
		return 0;
	}
	if (!strcasecmp(v, "false")) {
		*field = false;
		return 0;
	}
	ts_warn("%s=\"%s\" is not true or false; using %s", name, v,
		*field ? "true" : "false");
	return 1;
}

static int load_log_level(struct ts_config *c)
{
	static const char *const names[] = { "none", "error", "warn", "info",
					     "debug" };
	char buf[64];
	const char *v = env_value("TRACESHIM_LOG_LEVEL", buf, sizeof(buf));
	size_t i;

	if (!v)
		return 0;
	for (i = 0; i < TS_ARRAY_SIZE(names); i++) {
		if (!strcasecmp(v, names[i])) {
			c->log_level = (int)i;
			ts_log_level = c->log_level;
			return 0;
		}
	}
	ts_warn("TRACESHIM_LOG_LEVEL=\"%s\" is not one of error, warn, info, "
		"debug, none; using warn",
		v);
	return 1;
}

/* One entry of OTEL_TRACES_EXPORTER: returns its bit, 0 for none, -1 bad. */
static int exporter_bit(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int bit;
	} known[] = {
		{ "otlp", TS_EXPORTER_OTLP },
		{ "file", TS_EXPORTER_FILE },
		{ "zipkin", TS_EXPORTER_ZIPKIN },
		{ "jaeger", TS_EXPORTER_JAEGER },
		{ "console", TS_EXPORTER_CONSOLE },
		{ "logging", TS_EXPORTER_CONSOLE }, /* deprecated alias */
		{ "none", 0 },
	};
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(known); i++)
		if (strlen(known[i].name) == len &&
		    !strncasecmp(name, known[i].name, len))
			return known[i].bit;
	return -1;
}

static int load_exporters(struct ts_config *c)
{
	char buf[256];
	const char *v = env_value("OTEL_TRACES_EXPORTER", buf, sizeof(buf));
	const char *p, *bad = NULL;
	size_t bad_len = 0;
	unsigned bits = 0;
	bool any_valid = false;

	if (!v)
		return 0;
	for (p = v; *p;) {
		size_t len = strcspn(p, ","), elen = len;
		const char *e = p;
		int bit;

		while (elen && (*e == ' ' || *e == '\t'))
			e++, elen--;
		while (elen && (e[elen - 1] == ' ' || e[elen - 1] == '\t'))
			elen--;
		if (elen) {
			bit = exporter_bit(e, elen);
			if (bit < 0 && !bad) {
				bad = e;
				bad_len = elen;
			} else if (bit >= 0) {
				bits |= (unsigned)bit;
				any_valid = true;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (any_valid)
		c->exporters = bits;
	if (!bad)
		return 0;
	/* One line for the variable, naming the first unknown entry. */
	ts_warn("OTEL_TRACES_EXPORTER=\"%s\": unknown exporter \"%.*s\" "
		"ignored (known: otlp, zipkin, jaeger, file, console, none); using %s",
		v, (int)bad_len, bad, any_valid ? "the others" : "otlp");
	return 1;
}

/* --- OTEL_PROPAGATORS ------------------------------------------------------ */

/* One entry: its format, 0 for none, -1 unknown, -2 known but not built. */
static int propagator_of(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int format;
	} known[] = {
		{ "tracecontext", TS_PROP_TRACECONTEXT },
		{ "baggage", TS_PROP_BAGGAGE },
		{ "b3", TS_PROP_B3 },
		{ "b3multi", TS_PROP_B3MULTI },
		{ "jaeger", TS_PROP_JAEGER },
		{ "none", 0 },
		{ "xray", -2 },
		{ "ottrace", -2 },
	};
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(known); i++)
		if (strlen(known[i].name) == len &&
		    !strncasecmp(name, known[i].name, len))
			return known[i].format;
	return -1;
}

/*
 * A comma list; order matters (extraction takes the first valid context).
 * Unknown entries are ignored with one warning; "none" alone propagates
 * nothing; a list of nothing valid keeps the default.
 */
static int load_propagators(struct ts_config *c)
{
	char buf[256];
	const char *v = env_value("OTEL_PROPAGATORS", buf, sizeof(buf));
	struct ts_prop_config pc = { { 0 }, 0, 0 };
	const char *p, *bad = NULL;
	size_t bad_len = 0;
	bool any_valid = false;
	int f, bad_kind = 0;

	if (!v)
		return 0;
	for (p = v; *p;) {
		size_t len = strcspn(p, ","), elen = len;
		const char *e = p;

		while (elen && (*e == ' ' || *e == '\t'))
			e++, elen--;
		while (elen && (e[elen - 1] == ' ' || e[elen - 1] == '\t'))
			elen--;
		if (elen) {
			f = propagator_of(e, elen);
			if (f < 0 && !bad) {
				bad = e;
				bad_len = elen;
				bad_kind = f;
			} else if (f >= 0) {
				any_valid = true;
				if (f && !(pc.mask & TS_PROP_BIT(f))) {
					pc.order[pc.n++] = (uint8_t)f;
					pc.mask |= (uint16_t)TS_PROP_BIT(f);
				}
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (any_valid)
		c->prop = pc;
	if (!bad)
		return 0;
	ts_warn("OTEL_PROPAGATORS=\"%s\": %s propagator \"%.*s\" ignored "
		"(known: tracecontext, baggage, b3, b3multi, jaeger, none); "
		"using %s",
		v, bad_kind == -2 ? "unsupported" : "unknown", (int)bad_len, bad,
		any_valid ? "the others" : "tracecontext,baggage");
	return 1;
}

static int load_string(const char *name, char *field, size_t size)
{
	const char *v = getenv(name);
	size_t n;

	if (!v || !*v)
		return 0;
	n = strlen(v);
	if (n >= size) {
		ts_warn("%s is longer than %zu bytes; ignored", name, size - 1);
		return 1;
	}
	memcpy(field, v, n + 1);
	return 0;
}

/* --- jaeger exporter ---------------------------------------------------- */

/* Letters, digits, '-', '_', '.': a host name or IPv4 address. */
static bool name_chars(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

/*
 * A host name, an IPv4 address, or an IPv6 address (hex digits, ':' and
 * '.', then an optional %zone), bare or in brackets; stored bare.
 */
static bool jaeger_host_valid(char *h)
{
	size_t n = strlen(h), i;
	const char *zone;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		memmove(h, h + 1, n - 2);
		h[n -= 2] = '\0';
		if (!strchr(h, ':'))
			return false;
	}
	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	if (!strchr(h, ':'))
		return name_chars(h, n);
	zone = strchr(h, '%');
	for (i = 0; i < (size_t)((zone ? zone : h + n) - h); i++)
		if (!strchr("0123456789abcdefABCDEF:.", h[i]))
			return false;
	return !zone || (zone[1] && name_chars(zone + 1, strlen(zone + 1)));
}

/*
 * The specification's other Jaeger variables select a collector over HTTP
 * or gRPC, which this exporter does not do: say so once rather than let a
 * user believe spans go there.
 */
static int jaeger_unsupported(const struct ts_config *c)
{
	char buf[256];
	const char *v;
	int w = 0;

	if (!(c->exporters & TS_EXPORTER_JAEGER))
		return 0;
	v = env_value("OTEL_EXPORTER_JAEGER_PROTOCOL", buf, sizeof(buf));
	if (v && strcasecmp(v, "udp/thrift.compact")) {
		ts_warn("OTEL_EXPORTER_JAEGER_PROTOCOL=\"%s\" is not supported; "
			"using udp/thrift.compact to the agent at %s:%u",
			v, c->jaeger_host, c->jaeger_port);
		w++;
	}
	v = env_value("OTEL_EXPORTER_JAEGER_ENDPOINT", buf, sizeof(buf));
	if (v) {
		ts_warn("OTEL_EXPORTER_JAEGER_ENDPOINT=\"%s\": collector "
			"endpoints are not supported; sending to the agent at "
			"%s:%u (udp/thrift.compact)",
			v, c->jaeger_host, c->jaeger_port);
		w++;
	}
	return w;
}

static int load_jaeger(struct ts_config *c)
{
	char buf[sizeof(c->jaeger_host) + 64];
	const char *v = env_value("OTEL_EXPORTER_JAEGER_AGENT_HOST", buf,
				  sizeof(buf));
	int w = load_uint("OTEL_EXPORTER_JAEGER_AGENT_PORT", 1, 65535,
			  &c->jaeger_port);

	if (v && strlen(v) < sizeof(c->jaeger_host) && jaeger_host_valid(buf)) {
		strcpy(c->jaeger_host, buf);
	} else if (v) {
		ts_warn("OTEL_EXPORTER_JAEGER_AGENT_HOST=\"%s\" is not a host "
			"name or an IP address; using %s",
			v, c->jaeger_host);
		w++;
	}
	return w + jaeger_unsupported(c);
}

/* --- end of jaeger exporter --------------------------------------------- */

/* ---- sampling, attribute limits, routes, redaction (branch sampling) -- */

#define ATTR_LIMIT_MAX 2147483647u /* the SDKs' int */

/*
 * A span limit with its general fallback (the specification: the span's
 * own variable wins, e.g. OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT over
 * OTEL_ATTRIBUTE_COUNT_LIMIT).  An invalid value warns and counts as
 * unset, so the general one (or the default) applies.
 */
static int load_limit(const char *span_name, const char *general_name,
		      unsigned *field, bool *set)
{
	const char *names[2] = { span_name, general_name };
	char buf[256], q[80];
	unsigned long n;
	int w = 0;

	for (int i = 0; i < 2; i++) {
		const char *raw = getenv(names[i]);
		const char *v = env_value(names[i], buf, sizeof(buf));

		if (!v)
			continue;
		/* A value env_value() had to cut is never taken for its
		 * start ("0000...05" must not read as 0). */
		if (strlen(raw) < sizeof(buf) - 1 &&
		    parse_uint(v, 0, ATTR_LIMIT_MAX, &n)) {
			if (!*set) {
				*field = (unsigned)n;
				*set = true;
			}
			continue;
		}
		ts_warn("%s=\"%s\" is not a whole number from 0 to %u; "
			"ignored",
			names[i], ts_quote(q, sizeof(q), v, strlen(v)),
			ATTR_LIMIT_MAX);
		w++;
	}
	return w;
}

/* ts_sampler_configure() trims and bounds the raw values itself. */
static int load_sampling(struct ts_config *c)
{
	return ts_sampler_configure(&c->sampler, getenv("OTEL_TRACES_SAMPLER"),
				    getenv("OTEL_TRACES_SAMPLER_ARG"));
}

/* libcurl's proxy variables (it reads http_proxy in lower case only). */
static bool env_proxy(void)
{
	static const char *const names[] = { "http_proxy", "HTTPS_PROXY",
					     "https_proxy", "ALL_PROXY",
					     "all_proxy" };
	const char *v;
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(names); i++)
		if ((v = getenv(names[i])) && *v)
			return true;
	return false;
}

/* The list variables are compiled by their modules, straight from the
 * environment (they may be long); each warns per invalid entry. */
static int load_lists(void)
{
	int w = 0;

	w += ts_route_configure(getenv("TRACESHIM_ROUTES"));
	w += ts_redact_configure(getenv("TRACESHIM_REDACT_QUERY_PARAMS"));
	w += ts_propagate_to_configure(getenv("TRACESHIM_PROPAGATE_TO"));
	return w;
}

/* ---- end of branch sampling's loaders ---------------------------------- */

/* ---- HTTP header capture ------------------------------------------------ */

/*
 * One comma list of header names (OpenTelemetry's HTTP instrumentation
 * variables).  Names are matched case-insensitively and kept lowercase;
 * entries that are not header names, too long, never recorded (secrets)
 * or past TS_CAPTURE_NAMES are left out, with
 * one warning for the variable naming the first of them.
 */
static int load_capture(const char *var, struct ts_capture_list *l)
{
	const char *v = getenv(var), *p, *bad = NULL, *why = NULL;
	size_t bad_len = 0;
	unsigned skipped = 0;

	memset(l, 0, sizeof(*l));
	if (!v)
		return 0;
	for (p = v; *p;) {
		size_t len = strcspn(p, ","), n = len, i;
		const char *e = p, *problem = NULL;
		char low[TS_CAPTURE_NAME_MAX + 1];

		while (n && (*e == ' ' || *e == '\t'))
			e++, n--;
		while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		p += len;
		if (*p == ',')
			p++;
		if (!n)
			continue;
		for (i = 0; i < n && i < TS_CAPTURE_NAME_MAX; i++) {
			unsigned char ch = (unsigned char)e[i];

			if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
				break;
			low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
		}
		if (n > TS_CAPTURE_NAME_MAX)
			problem = "longer than 32 bytes";
		else if (i < n)
			problem = "not a header name";
		else if (ts_redact_header_forbidden(e, n))
			problem = "never recorded";
		else if (l->n == TS_CAPTURE_NAMES)
			problem = "more than 8 names";
		if (!problem) {
			for (i = 0; i < l->n; i++)
				if (l->len[i] == n && !memcmp(l->name[i], low, n))
					break;
			if (i < l->n)
				continue; /* a duplicate: nothing to say */
			memcpy(l->name[l->n], low, n);
			l->name[l->n][n] = '\0';
			l->len[l->n++] = (uint8_t)n;
			continue;
		}
		if (!skipped++) {
			bad = e;
			bad_len = n;
			why = problem;
		}
	}
	if (!skipped)
		return 0;
	ts_warn("%s: header \"%.*s\" is %s; %u name%s left out", var,
		(int)(bad_len > 64 ? 64 : bad_len), bad, why, skipped,
		skipped == 1 ? "" : "s");
	return 1;
}

static int load_captures(struct ts_config *c)
{
	static const char *const vars[TS_CAPTURE_LISTS_] = {
		"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS",
		"OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS",
		"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS",
		"OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS",
	};
	int w = 0;

	for (int i = 0; i < TS_CAPTURE_LISTS_; i++)
		w += load_capture(vars[i], &c->capture[i]);
	return w;
}

int ts_config_load(struct ts_config *c)
{
	int w = 0;

	ts_config_defaults(c);
	ts_log_level = c->log_level;
	w += load_log_level(c); /* first: it decides what the rest prints */
	w += load_bool("OTEL_SDK_DISABLED", &c->sdk_disabled);
	w += load_exporters(c);
	w += load_propagators(c);
	w += load_uint("OTEL_BSP_SCHEDULE_DELAY", 1, 3600000,
		       &c->schedule_delay_ms);
	w += load_uint("OTEL_BSP_MAX_QUEUE_SIZE", 1, TS_QUEUE_SIZE_MAX,
		       &c->max_queue_size);
	w += load_uint("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, TS_QUEUE_SIZE_MAX,
		       &c->max_export_batch);
	w += load_uint("OTEL_BSP_EXPORT_TIMEOUT", 1, 3600000,
		       &c->export_timeout_ms);
	w += load_uint("TRACESHIM_SHUTDOWN_TIMEOUT", 0, 60000,
		       &c->shutdown_timeout_ms);
	w += load_uint("TRACESHIM_MAX_HEADER_BYTES", 256, 1u << 20,
		       &c->max_header_bytes);
	w += load_string("OTEL_SERVICE_NAME", c->service_name,
			 sizeof(c->service_name));
	w += load_string("OTEL_RESOURCE_ATTRIBUTES", c->resource_attrs,
			 sizeof(c->resource_attrs));
	w += load_string("TRACESHIM_FILE", c->file_path, sizeof(c->file_path));
	w += load_jaeger(c); /* jaeger exporter */
	w += ts_config_export_load(c);
	/* branch sampling: */
	w += load_sampling(c);
	w += load_limit("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
			"OTEL_ATTRIBUTE_COUNT_LIMIT", &c->attr_count_limit,
			&c->attr_count_set);
	w += load_limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
			"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", &c->attr_value_limit,
			&c->attr_value_set);
	w += load_lists();
	w += load_captures(c);
	c->env_proxy = env_proxy();
	if (c->max_export_batch > c->max_queue_size) {
		char set[8];

		/* The specification: the batch must not exceed the queue.  A
		 * default batch under a small queue is cut silently. */
		if (ts_config_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", set,
				  sizeof(set))) {
			ts_warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=%u exceeds "
				"OTEL_BSP_MAX_QUEUE_SIZE=%u; using %u",
				c->max_export_batch, c->max_queue_size,
				c->max_queue_size);
			w++;
		}
		c->max_export_batch = c->max_queue_size;
	}
	return w;
}

/* The same parsers for config_export.c (see config_internal.h). */
const char *ts_config_env(const char *name, char *buf, size_t size)
{
	return env_value(name, buf, size);
}

int ts_config_load_uint(const char *name, unsigned min, unsigned max,
			unsigned *field)
{
	return load_uint(name, min, max, field);
}

int ts_config_load_string(const char *name, char *field, size_t size)
{
	return load_string(name, field, size);
}
