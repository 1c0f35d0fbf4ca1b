/*
 * export_otlp.c - the `otlp` exporter (the default): OTLP over HTTP or
 * gRPC.
 *
 * Each batch is encoded as one ExportTraceServiceRequest, in protobuf
 * (http/protobuf, the default, and grpc) or OTLP/JSON (http/json, the
 * same encoder as the file exporter), and POSTed to the traces endpoint
 * by the shared transport (retries, gzip, http:// or https://; for grpc
 * the TraceService/Export call over HTTP/2).  Nothing is sent and
 * nothing opened before the first batch.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "exporter.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include "pb_read.h"
#include "transport.h"

static struct {
	struct ts_transport tr; /* endpoint, connection, retry state */
	struct ts_buf buf;      /* reused encoding buffer */
	bool json;              /* http/json instead of http/protobuf */
} st;

/* --- partial success ------------------------------------------------------
 *
 * A collector that accepts only part of a batch still answers 200, with
 * ExportTraceServiceResponse.partial_success { int64 rejected_spans = 1;
 * string error_message = 2; } (the spec forbids retrying it).  We read it
 * from the start of the reply, in the encoding we sent, and warn once.
 */

static void partial_proto(const uint8_t *p, size_t n, int64_t *rej,
			  const char **msg, size_t *mlen)
{
	const uint8_t *end = p + n, *sub_end;
	uint64_t tag, v;

	/* partial_success is field 1 of the response, length-delimited; we
	 * hold only the reply's first bytes, so a long message is cut */
	if (!ts_pb_varint(&p, end, &tag) || tag != 0x0a ||
	    !ts_pb_varint(&p, end, &v))
		return;
	sub_end = v <= (uint64_t)(end - p) ? p + v : end;
	while (p < sub_end && ts_pb_varint(&p, sub_end, &tag)) {
		if (tag == 0x08 && ts_pb_varint(&p, sub_end, &v)) {
			*rej = (int64_t)v;
		} else if (tag == 0x12 && ts_pb_varint(&p, sub_end, &v)) {
			if (v > (uint64_t)(sub_end - p))
				v = (uint64_t)(sub_end - p);
			*msg = (const char *)p;
			*mlen = (size_t)v;
			p += v;
		} else {
			return; /* a field we do not expect: stop */
		}
	}
}

static void partial_json(const char *body, int64_t *rej, const char **msg,
			 size_t *mlen)
{
	const char *r = strstr(body, "\"rejectedSpans\""), *m;

	if (r) {
		r += sizeof("\"rejectedSpans\"") - 1;
		r += strspn(r, " \t:\"");
		*rej = strtoll(r, NULL, 10);
	}
	m = strstr(body, "\"errorMessage\"");
	if (m) {
		m += sizeof("\"errorMessage\"") - 1;
		m += strspn(m, " \t:");
		if (*m == '"') {
			*msg = ++m;
			while (*m && *m != '"')
				m += m[0] == '\\' && m[1] ? 2 : 1;
			*mlen = (size_t)(m - *msg);
		}
	}
}

static void check_partial(const struct ts_http_resp *r)
{
	const char *msg = NULL;
	size_t mlen = 0, i;
	int64_t rej = 0;
	char text[128];

	if (!r->body_len)
		return;
	if (st.json)
		partial_json(r->body, &rej, &msg, &mlen);
	else
		partial_proto((const uint8_t *)r->body, r->body_len, &rej, &msg,
			      &mlen);
	if (rej <= 0 && !mlen)
		return;
	for (i = 0; i < mlen && i < sizeof(text) - 1; i++) /* one line */
		text[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	text[i] = '\0';
	ts_warn_once("OTLP collector %s accepted a batch only in part: %lld "
		     "spans rejected: \"%s\" (further cases are not logged)",
		     st.tr.url_str, (long long)rej, text);
}

static int otlp_export(struct ts_exporter *e, const struct ts_resource *res,
		       const struct ts_span *const *spans, size_t n,
		       uint64_t deadline)
{
	const char *body;
	size_t len;
	int err;

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
	err = ts_transport_send(&st.tr, body, len, deadline);
	if (err == 0)
		check_partial(&st.tr.resp);
	return err;
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
			  : c->otlp_protocol == TS_OTLP_GRPC
				  ? "application/grpc"
				  : "application/x-protobuf",
			  c->otlp_headers,
			  c->otlp_headers_signal ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
						 : "OTEL_EXPORTER_OTLP_HEADERS",
			  c->otlp_gzip, &tls);
	if (c->otlp_protocol == TS_OTLP_GRPC)
		ts_transport_use_grpc(&st.tr, "/opentelemetry.proto.collector."
					      "trace.v1.TraceService/Export");
	e->name = "otlp";
	e->export = otlp_export;
	e->shutdown = otlp_shutdown;
	e->after_fork = otlp_after_fork;
	e->cfg = c;
}
