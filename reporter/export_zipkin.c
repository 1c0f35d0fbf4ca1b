/*
 * export_zipkin.c - the `zipkin` exporter: Zipkin v2 JSON over HTTP.
 *
 * Each batch is one JSON span list POSTed to OTEL_EXPORTER_ZIPKIN_ENDPOINT
 * (default http://localhost:9411/api/v2/spans) by the shared transport,
 * with the same retry rules and bounds as OTLP.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <string.h>

#include "../preload/config.h"
#include "exporter.h"
#include "transport.h"
#include "zipkin_json.h"

static struct {
	struct ts_transport tr; /* endpoint, connection, retry state */
	struct ts_buf buf;      /* reused encoding buffer */
} st;

static int zipkin_export(struct ts_exporter *e, const struct ts_resource *res,
			 const struct ts_span *const *spans, size_t n,
			 uint64_t deadline)
{
	(void)e;
	ts_buf_reset(&st.buf);
	if (!ts_zipkin_json_encode(&st.buf, res, spans, n))
		return -ENOMEM;
	return ts_transport_send(&st.tr, st.buf.data, st.buf.len, deadline);
}

static void zipkin_shutdown(struct ts_exporter *e)
{
	(void)e;
	ts_transport_close(&st.tr);
	ts_buf_free(&st.buf);
}

static void zipkin_after_fork(struct ts_exporter *e)
{
	(void)e;
	ts_transport_after_fork(&st.tr);
	memset(&st.buf, 0, sizeof(st.buf));
}

void ts_exporter_zipkin_init(struct ts_exporter *e, const struct ts_config *c)
{
	/* https:// Zipkin endpoints use the system's trust store. */
	struct ts_tls_files tls = { "", "", "" };

	ts_transport_init(&st.tr, "Zipkin", c->zipkin_endpoint,
			  c->zipkin_timeout_ms, "application/json", NULL, NULL,
			  false, &tls);
	e->name = "zipkin";
	e->export = zipkin_export;
	e->shutdown = zipkin_shutdown;
	e->after_fork = zipkin_after_fork;
	e->cfg = c;
}
