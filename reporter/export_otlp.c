/*
 * export_otlp.c - the `otlp` exporter (the default).
 *
 * OTLP/HTTP transport is not built yet: until it is, batches are dropped
 * quietly (one debug line), so the default configuration never prints
 * anything nor touches the network.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>

#include "../preload/log.h"
#include "exporter.h"

static int otlp_export(struct ts_exporter *e, const struct ts_resource *res,
		       const struct ts_span *const *spans, size_t n,
		       uint64_t deadline)
{
	(void)e, (void)res, (void)spans, (void)deadline;
	if (ts_log_enabled(TS_LOG_DEBUG))
		ts_debug("otlp exporter not available yet; dropped %zu spans", n);
	return -ENOSYS;
}

static void otlp_shutdown(struct ts_exporter *e)
{
	(void)e;
}

void ts_exporter_otlp_init(struct ts_exporter *e, const struct ts_config *c)
{
	e->name = "otlp";
	e->export = otlp_export;
	e->shutdown = otlp_shutdown;
	e->cfg = c;
}
