/*
 * config.h - configuration read once from the environment.
 *
 * Standard OTEL_* variables keep the OpenTelemetry specification's names
 * and defaults; TRACESHIM_* variables are ours.  An empty variable counts
 * as unset (as the specification asks).  An invalid value produces exactly
 * one warning naming the variable, the value and the default used.
 *
 * Threads: ts_config_load() runs once, during initialisation; afterwards
 * ts_cfg is read-only and may be read from any thread.
 */
#ifndef TS_CONFIG_H
#define TS_CONFIG_H

#include <limits.h>

#include "common.h"
#include "sampler.h"

/* Exporter bits of OTEL_TRACES_EXPORTER. */
enum {
	TS_EXPORTER_OTLP = 1u << 0,    /* OTLP/HTTP; the default */
	TS_EXPORTER_FILE = 1u << 1,    /* OTLP/JSON lines to TRACESHIM_FILE */
	TS_EXPORTER_CONSOLE = 1u << 2, /* one readable line per span, stderr */
	TS_EXPORTER_ZIPKIN = 1u << 3,  /* Zipkin v2 JSON over HTTP */
	TS_EXPORTER_JAEGER = 1u << 4,  /* Jaeger agent, Thrift compact/UDP */
};

/* OTEL_EXPORTER_OTLP_PROTOCOL values we speak. */
enum {
	TS_OTLP_HTTP_PROTOBUF = 0, /* the default */
	TS_OTLP_HTTP_JSON = 1,
	TS_OTLP_GRPC = 2,          /* protobuf in gRPC over HTTP/2 */
};

#define TS_URL_MAX 1024 /* longest exporter endpoint URL */

#define TS_QUEUE_SIZE_MAX (1u << 20) /* keeps the ring's mapping sane */

/* Propagation formats of OTEL_PROPAGATORS (hooks/propagate.h). */
enum ts_prop_format {
	TS_PROP_TRACECONTEXT = 1, /* W3C traceparent, tracestate */
	TS_PROP_BAGGAGE,          /* W3C baggage */
	TS_PROP_B3,               /* Zipkin b3 single header */
	TS_PROP_B3MULTI,          /* Zipkin X-B3-* headers */
	TS_PROP_JAEGER,           /* uber-trace-id, uberctx-* */
	TS_PROP_FORMATS_,
};

#define TS_PROP_BIT(f) (1u << (f))

struct ts_prop_config {
	uint8_t order[TS_PROP_FORMATS_]; /* formats, as configured */
	uint8_t n;                /* entries of order[] */
	uint16_t mask;            /* TS_PROP_BIT of each */
};

/*
 * Header names of one OTEL_INSTRUMENTATION_HTTP_*_CAPTURE_*_HEADERS
 * variable: lowercase, at most TS_CAPTURE_NAMES of TS_CAPTURE_NAME_MAX
 * bytes each (hooks/http_parse.h captures their values).
 */
#define TS_CAPTURE_NAMES 8
#define TS_CAPTURE_NAME_MAX 32

struct ts_capture_list {
	uint8_t n;                     /* names in use */
	uint8_t len[TS_CAPTURE_NAMES];
	char name[TS_CAPTURE_NAMES][TS_CAPTURE_NAME_MAX + 1];
};

/* Which message of which side a list is for (ts_config.capture[]). */
enum {
	TS_CAPTURE_SERVER_REQ = 0,  /* ..._HTTP_SERVER_CAPTURE_REQUEST_HEADERS */
	TS_CAPTURE_SERVER_RESP,     /* ..._HTTP_SERVER_CAPTURE_RESPONSE_HEADERS */
	TS_CAPTURE_CLIENT_REQ,      /* ..._HTTP_CLIENT_CAPTURE_REQUEST_HEADERS */
	TS_CAPTURE_CLIENT_RESP,     /* ..._HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS */
	TS_CAPTURE_LISTS_,
};

struct ts_config {
	bool sdk_disabled;             /* OTEL_SDK_DISABLED=true */
	unsigned exporters;            /* TS_EXPORTER_* bits; 0 = none */
	unsigned schedule_delay_ms;    /* OTEL_BSP_SCHEDULE_DELAY, 5000 */
	unsigned max_queue_size;       /* OTEL_BSP_MAX_QUEUE_SIZE, 2048 */
	unsigned max_export_batch;     /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512 */
	unsigned export_timeout_ms;    /* OTEL_BSP_EXPORT_TIMEOUT, 30000 */
	unsigned shutdown_timeout_ms;  /* TRACESHIM_SHUTDOWN_TIMEOUT, 1000 */
	unsigned max_header_bytes;     /* TRACESHIM_MAX_HEADER_BYTES, 8192 */
	int log_level;                 /* TRACESHIM_LOG_LEVEL, warn */
	struct ts_prop_config prop;    /* OTEL_PROPAGATORS,
					  tracecontext,baggage */
	char service_name[256];        /* OTEL_SERVICE_NAME, "" = derive */
	char resource_attrs[4096];     /* OTEL_RESOURCE_ATTRIBUTES, raw */
	char file_path[PATH_MAX];      /* TRACESHIM_FILE */
	/* --- jaeger exporter (reporter/export_jaeger.c) --- */
	char jaeger_host[256];         /* OTEL_EXPORTER_JAEGER_AGENT_HOST, localhost */
	unsigned jaeger_port;          /* OTEL_EXPORTER_JAEGER_AGENT_PORT, 6831 */
	/* --- end of jaeger exporter --- */
	/* OTLP and Zipkin exporters (config_export.c). */
	char otlp_endpoint[TS_URL_MAX];   /* full URL of the traces endpoint
					     (grpc: the collector's origin) */
	char otlp_headers[4096];          /* raw `k=v,...`, percent-encoded */
	bool otlp_headers_signal;         /* ...from OTEL_EXPORTER_OTLP_TRACES_
					     HEADERS (else the general one) */
	unsigned otlp_timeout_ms;         /* OTEL_EXPORTER_OTLP_TIMEOUT, 10000 */
	int otlp_protocol;                /* TS_OTLP_*; http/protobuf */
	bool otlp_gzip;                   /* OTEL_EXPORTER_OTLP_COMPRESSION=gzip */
	char otlp_ca_file[PATH_MAX];      /* OTEL_EXPORTER_OTLP_CERTIFICATE */
	char otlp_client_cert[PATH_MAX];  /* ..._CLIENT_CERTIFICATE */
	char otlp_client_key[PATH_MAX];   /* ..._CLIENT_KEY */
	char zipkin_endpoint[TS_URL_MAX]; /* OTEL_EXPORTER_ZIPKIN_ENDPOINT */
	unsigned zipkin_timeout_ms;       /* OTEL_EXPORTER_ZIPKIN_TIMEOUT, 10000 */
	/* ---- sampling and span attribute limits (branch sampling) ---- */
	struct ts_sampler sampler;     /* OTEL_TRACES_SAMPLER[_ARG] */
	unsigned attr_count_limit;     /* OTEL_[SPAN_]ATTRIBUTE_COUNT_LIMIT,
					  when attr_count_set (128) */
	unsigned attr_value_limit;     /* OTEL_[SPAN_]ATTRIBUTE_VALUE_LENGTH_
					  LIMIT, characters, when set */
	bool attr_count_set;           /* a count limit was configured */
	bool attr_value_set;           /* a value length limit was configured
					  (else: no limit but our own) */
	/* ---- end of branch sampling's fields ---- */
	struct ts_capture_list capture[TS_CAPTURE_LISTS_]; /* header capture,
					  TS_CAPTURE_*; none by default */
	bool env_proxy;                /* http_proxy, HTTPS_PROXY or ALL_PROXY
					  (either case) set: libcurl transfers
					  may go through a proxy */
};

extern struct ts_config ts_cfg;

/* Fill `c` with the defaults only (no environment, no warnings). */
void ts_config_defaults(struct ts_config *c);

/*
 * Fill `c` from the environment, warning about each invalid value.
 * Returns the number of invalid values found (printed or not, depending
 * on TRACESHIM_LOG_LEVEL).  Also sets ts_log_level, and compiles the
 * module-level tables of TRACESHIM_ROUTES (hooks/route.h),
 * TRACESHIM_REDACT_QUERY_PARAMS (hooks/redact.h) and
 * TRACESHIM_PROPAGATE_TO (hooks/propagate_to.h), which live in those
 * modules' static storage whatever `c` is.
 * Calls getenv only; never allocates.
 */
int ts_config_load(struct ts_config *c);

/*
 * The OTEL_EXPORTER_OTLP_* and OTEL_EXPORTER_ZIPKIN_* part of the above
 * (config_export.c): defaults, then the environment.  Returns the number
 * of invalid values.  Called by ts_config_defaults/ts_config_load.
 */
void ts_config_export_defaults(struct ts_config *c);
int ts_config_export_load(struct ts_config *c);

#endif /* TS_CONFIG_H */
