/*
 * export_otlp.c - the `otlp` exporter (the default): OTLP over HTTP.
 *
 * Each batch is encoded as one ExportTraceServiceRequest, in protobuf
 * (http/protobuf, the default) or OTLP/JSON (http/json, the same encoder
 * as the file exporter), and POSTed to the traces endpoint by the shared
 * transport (retries, gzip, http:// or https://).  Nothing is sent and
 * nothing opened before the first batch.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <string.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "exporter.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "transport.h"

static struct {
	struct ts_transport tr; /* endpoint, connection, retry state */
	struct ts_buf buf;      /* reused encoding buffer */
	bool json;              /* http/json instead of http/protobuf */
} st;

static int otlp_export(struct ts_exporter *e, const struct ts_resource *res,
		       const struct ts_span *const *spans, size_t n,
		       uint64_t deadline)
{
	const char *body;
	size_t len;

	(void)e;
	ts_buf_reset(&st.buf);
	if (st.json) {
		if (!ts_otlp_json_encode(&st.buf, res, spans, n))
			return -ENOMEM;
		body = st.buf.data;
		len = st.buf.len;
	} else if (!ts_otlp_proto_encode(&st.buf, res, spans, n, &body,
					 &len)) {
		return -ENOMEM;
	}
	return ts_transport_send(&st.tr, body, len, deadline);
}

static void otlp_shutdown(struct ts_exporter *e)
{
	(void)e;
	ts_transport_close(&st.tr);
	ts_buf_free(&st.buf);
}

static void otlp_after_fork(struct ts_exporter *e)
{
	(void)e;
	ts_transport_after_fork(&st.tr);
	memset(&st.buf, 0, sizeof(st.buf));
}

void ts_exporter_otlp_init(struct ts_exporter *e, const struct ts_config *c)
{
	struct ts_tls_files tls = { c->otlp_ca_file, c->otlp_client_cert,
				    c->otlp_client_key };

	st.json = c->otlp_protocol == TS_OTLP_HTTP_JSON;
	ts_transport_init(&st.tr, "OTLP", c->otlp_endpoint, c->otlp_timeout_ms,
			  st.json ? "application/json"
				  : "application/x-protobuf",
			  c->otlp_headers, "OTEL_EXPORTER_OTLP_HEADERS",
			  c->otlp_gzip, &tls);
	e->name = "otlp";
	e->export = otlp_export;
	e->shutdown = otlp_shutdown;
	e->after_fork = otlp_after_fork;
	e->cfg = c;
}
