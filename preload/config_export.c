/*
 * config_export.c - the network exporters' settings: OTEL_EXPORTER_OTLP_*
 * and OTEL_EXPORTER_ZIPKIN_* (OpenTelemetry specification, "OpenTelemetry
 * Protocol Exporter" and "Environment Variable Specification").
 *
 * Every OTLP setting has a traces-specific variable that takes precedence
 * over the all-signals one (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT over
 * OTEL_EXPORTER_OTLP_TIMEOUT).  The endpoint rule differs: the specific
 * variable is used as is, the general one gets "/v1/traces" appended
 * (over HTTP; gRPC names its method in a path of its own, so with
 * OTEL_EXPORTER_OTLP_PROTOCOL=grpc both are the collector's address, by
 * default http://localhost:4317, and any path in them is not used).
 * Values whose syntax needs more than a glance (URLs, header lists) are
 * stored raw here and checked by the exporter at set-up, still at start-up.
 *
 * Threads: the initialising thread only, like config.c.
 */
#include <string.h>
#include <strings.h>

#include "config.h"
#include "../reporter/http_client.h"
#include "config_internal.h"
#include "log.h"

#define OTLP "OTEL_EXPORTER_OTLP_"
#define OTLP_TRACES "OTEL_EXPORTER_OTLP_TRACES_"
#define OTLP_DEFAULT_ENDPOINT "http://localhost:4318/v1/traces"
#define OTLP_GRPC_DEFAULT_ENDPOINT "http://localhost:4317"
#define ZIPKIN_DEFAULT_ENDPOINT "http://localhost:9411/api/v2/spans"

void ts_config_export_defaults(struct ts_config *c)
{
	strcpy(c->otlp_endpoint, OTLP_DEFAULT_ENDPOINT);
	c->otlp_headers[0] = '\0';
	c->otlp_timeout_ms = 10000;
	c->otlp_protocol = TS_OTLP_HTTP_PROTOBUF;
	c->otlp_gzip = false;
	c->otlp_ca_file[0] = c->otlp_client_cert[0] = c->otlp_client_key[0] = 0;
	strcpy(c->zipkin_endpoint, ZIPKIN_DEFAULT_ENDPOINT);
	c->zipkin_timeout_ms = 10000;
}

/* The traces-specific variable's name if it is set, else the general one. */
static const char *pick(const char *specific, const char *general)
{
	char buf[8];

	return ts_config_env(specific, buf, sizeof(buf)) ? specific : general;
}

/* What the exporters can use: the same parser they use (no empty host,
 * port 1-65535, no credentials, no blank). */
static bool is_http_url(const char *v)
{
	struct ts_url u;

	return ts_url_parse(v, &u) == 0; /* it checks the scheme too */
}

/* An endpoint URL into field; `suffix` appended (general OTLP variable). */
static int load_url(const char *name, const char *suffix, char *field,
		    size_t size, const char *def)
{
	char buf[TS_URL_MAX + 8], url[TS_URL_MAX + 16];
	const char *v = ts_config_env(name, buf, sizeof(buf));
	size_t n;

	if (!v)
		return 0;
	n = strlen(v);
	if (suffix && n && v[n - 1] == '/')
		suffix++; /* "http://h:4318/" + "v1/traces" */
	/* The value itself must be a URL ("http://" + "v1/traces" would
	 * name a host "v1"), and so must the endpoint made of it. */
	if (n + (suffix ? strlen(suffix) : 0) < size && is_http_url(v)) {
		memcpy(url, v, n);
		strcpy(url + n, suffix ? suffix : "");
		if (is_http_url(url)) {
			strcpy(field, url);
			return 0;
		}
	}
	ts_warn("%s=\"%s\" is not an http:// or https:// URL (host[:port], "
		"no credentials) of at most %zu bytes; using %s",
		name, v, size - 1, def);
	return 1;
}

static int load_protocol(struct ts_config *c)
{
	const char *name = pick(OTLP_TRACES "PROTOCOL", OTLP "PROTOCOL");
	char buf[64];
	const char *v = ts_config_env(name, buf, sizeof(buf));

	if (!v)
		return 0;
	if (!strcmp(v, "http/protobuf")) {
		c->otlp_protocol = TS_OTLP_HTTP_PROTOBUF;
		return 0;
	}
	if (!strcmp(v, "http/json")) {
		c->otlp_protocol = TS_OTLP_HTTP_JSON;
		return 0;
	}
	if (!strcmp(v, "grpc")) {
		c->otlp_protocol = TS_OTLP_GRPC;
		return 0;
	}
	ts_warn("%s=\"%s\" is not http/protobuf, http/json or grpc; using "
		"http/protobuf",
		name, v);
	return 1;
}

static int load_compression(struct ts_config *c)
{
	const char *name = pick(OTLP_TRACES "COMPRESSION", OTLP "COMPRESSION");
	char buf[64];
	const char *v = ts_config_env(name, buf, sizeof(buf));

	if (!v)
		return 0;
	if (!strcasecmp(v, "gzip") || !strcasecmp(v, "none")) {
		c->otlp_gzip = !strcasecmp(v, "gzip");
		return 0;
	}
	ts_warn("%s=\"%s\" is not gzip or none; using none", name, v);
	return 1;
}

static int load_otlp(struct ts_config *c)
{
	char buf[8];
	int w, bad;
	bool grpc;
	const char *def;

	/* First: the protocol decides the endpoints' default and rule. */
	w = load_protocol(c);
	grpc = c->otlp_protocol == TS_OTLP_GRPC;
	def = grpc ? OTLP_GRPC_DEFAULT_ENDPOINT : OTLP_DEFAULT_ENDPOINT;
	strcpy(c->otlp_endpoint, def);
	/* An invalid signal-specific endpoint falls back to the general one
	 * (then the default), as an unset one does. */
	if (ts_config_env(OTLP_TRACES "ENDPOINT", buf, sizeof(buf)))
		bad = load_url(OTLP_TRACES "ENDPOINT", NULL, c->otlp_endpoint,
			       sizeof(c->otlp_endpoint),
			       ts_config_env(OTLP "ENDPOINT", buf, sizeof(buf))
				       ? OTLP "ENDPOINT"
				       : def);
	else
		bad = -1; /* unset */
	if (bad)
		w += load_url(OTLP "ENDPOINT", grpc ? NULL : "/v1/traces",
			      c->otlp_endpoint, sizeof(c->otlp_endpoint), def);
	w += bad > 0;
	c->otlp_headers_signal =
		ts_config_env(OTLP_TRACES "HEADERS", buf, sizeof(buf)) != NULL;
	w += ts_config_load_string(pick(OTLP_TRACES "HEADERS", OTLP "HEADERS"),
				   c->otlp_headers, sizeof(c->otlp_headers));
	w += ts_config_load_uint(pick(OTLP_TRACES "TIMEOUT", OTLP "TIMEOUT"), 1,
				 3600000, &c->otlp_timeout_ms);
	w += load_compression(c);
	w += ts_config_load_string(pick(OTLP_TRACES "CERTIFICATE",
					OTLP "CERTIFICATE"),
				   c->otlp_ca_file, sizeof(c->otlp_ca_file));
	w += ts_config_load_string(pick(OTLP_TRACES "CLIENT_CERTIFICATE",
					OTLP "CLIENT_CERTIFICATE"),
				   c->otlp_client_cert,
				   sizeof(c->otlp_client_cert));
	w += ts_config_load_string(pick(OTLP_TRACES "CLIENT_KEY",
					OTLP "CLIENT_KEY"),
				   c->otlp_client_key,
				   sizeof(c->otlp_client_key));
	return w;
}

int ts_config_export_load(struct ts_config *c)
{
	int w = load_otlp(c);

	w += load_url("OTEL_EXPORTER_ZIPKIN_ENDPOINT", NULL, c->zipkin_endpoint,
		      sizeof(c->zipkin_endpoint), ZIPKIN_DEFAULT_ENDPOINT);
	w += ts_config_load_uint("OTEL_EXPORTER_ZIPKIN_TIMEOUT", 1, 3600000,
				 &c->zipkin_timeout_ms);
	return w;
}
