/*
 * export_jaeger.c - the `jaeger` exporter: Agent.emitBatch, Thrift compact
 * protocol, over UDP to a Jaeger agent (OTEL_EXPORTER_JAEGER_AGENT_HOST,
 * OTEL_EXPORTER_JAEGER_AGENT_PORT; localhost:6831 by default).
 *
 * Each batch becomes as many datagrams of at most 65,000 bytes as it
 * needs (jaeger_thrift.c), sent one by one on a connected UDP socket
 * (udp.c).  UDP gives no acknowledgement: a batch counts as delivered
 * when the kernel took every datagram and no send came back refused.  An
 * absent agent costs one send per datagram and nothing else: nothing is
 * buffered, retried later or waited for, so memory stays bounded and the
 * application's exit is never delayed beyond the shutdown bound.
 *
 * An absent agent is not a configuration error, so it is reported at the
 * info level only (the application's stderr stays as it was); a host that
 * does not resolve is warned about once.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <string.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "exporter.h"
#include "jaeger_thrift.h"
#include "udp.h"

static struct {
	struct ts_udp udp;         /* the agent's socket */
	struct ts_jaeger_enc enc;  /* reused encoding buffers */
	uint64_t datagrams;        /* datagrams the kernel took */
	uint64_t spans;            /* spans in them */
	uint64_t too_big;          /* spans too large for any datagram */
	uint64_t lost;             /* spans of datagrams not sent */
	bool told_refused;         /* the info line about refusals is out */
} jst;

struct emit_ctx {
	uint64_t deadline;         /* of this export */
	size_t lost;               /* spans of datagrams that failed */
	int err;                   /* first error of a datagram */
};

static int emit(void *arg, const struct iovec *iov, int niov, size_t nspans)
{
	struct emit_ctx *ctx = arg;
	int err = ts_udp_send(&jst.udp, iov, niov, ctx->deadline);

	if (err == 0)
		return 0;
	ctx->lost += nspans;
	if (!ctx->err)
		ctx->err = err;
	/* A refusal is about this datagram or an earlier one: keep going, the
	 * agent may be back; anything else will fail again: stop the batch. */
	return err == -ECONNREFUSED ? 0 : err;
}

static int jaeger_export(struct ts_exporter *e, const struct ts_resource *res,
			 const struct ts_span *const *spans, size_t n,
			 uint64_t deadline)
{
	struct emit_ctx ctx = { .deadline = deadline };
	struct ts_jaeger_stats st;
	uint64_t refusals = jst.udp.refusals;
	int err;

	(void)e;
	err = ts_jaeger_encode_batch(&jst.enc, res, spans, n,
				     TS_JAEGER_MAX_DATAGRAM, emit, &ctx, &st);
	jst.datagrams += st.datagrams;
	jst.spans += st.spans;
	jst.too_big += st.too_big;
	jst.lost += n - st.spans - st.too_big;
	if (st.too_big)
		ts_warn_once("a span does not fit in one %u-byte Jaeger "
			     "datagram even alone; dropped (and counted)",
			     TS_JAEGER_MAX_DATAGRAM);
	if (!err)
		err = ctx.err;
	/*
	 * A refusal that a resend got past still means an earlier datagram
	 * (of this batch or the one before) was lost: not delivered.
	 */
	if (!err && jst.udp.refusals != refusals)
		err = -ECONNREFUSED;
	if (err == -ECONNREFUSED && !jst.told_refused) {
		jst.told_refused = true;
		ts_info("jaeger agent %s:%s refuses datagrams (is it running?); "
			"their spans are lost",
			jst.udp.host, jst.udp.port);
	}
	if (err && err != -ECONNREFUSED && err != -EHOSTUNREACH)
		ts_warn_once("sending to the jaeger agent %s:%s failed: %s; "
			     "spans are dropped",
			     jst.udp.host, jst.udp.port, strerror(-err));
	return err;
}

static void jaeger_shutdown(struct ts_exporter *e)
{
	(void)e;
	if (ts_log_enabled(TS_LOG_INFO))
		ts_info("jaeger: %llu spans sent in %llu datagrams, %llu "
			"refusals (each: an earlier datagram lost), %llu spans "
			"not sent, %llu too large",
			(unsigned long long)jst.spans,
			(unsigned long long)jst.datagrams,
			(unsigned long long)jst.udp.refusals,
			(unsigned long long)jst.lost,
			(unsigned long long)jst.too_big);
	ts_udp_close(&jst.udp);
	ts_jaeger_enc_free(&jst.enc);
}

static void jaeger_after_fork(struct ts_exporter *e)
{
	(void)e;
	/* The socket is kept (datagrams from two processes never mix); the
	 * counts restart, they are this process's. */
	ts_jaeger_enc_forget(&jst.enc);
	jst.datagrams = jst.spans = jst.too_big = jst.lost = 0;
	jst.udp.refusals = 0;
}

void ts_exporter_jaeger_init(struct ts_exporter *e, const struct ts_config *c)
{
	memset(&jst, 0, sizeof(jst));
	ts_udp_init(&jst.udp, "jaeger agent", c->jaeger_host, c->jaeger_port);
	e->name = "jaeger";
	e->export = jaeger_export;
	e->shutdown = jaeger_shutdown;
	e->after_fork = jaeger_after_fork;
	e->cfg = c;
}
