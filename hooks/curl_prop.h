/*
 * curl_prop.h - trace context in a libcurl transfer's header list: what
 * the application's CURLOPT_HTTPHEADER list already carries, and the copy
 * of it the shim sets for a request, with every configured propagation
 * format (hooks/propagate.h) added.
 *
 * Threads: any; the list functions allocate through libcurl's own
 * curl_slist_append (the caller frees with curl_slist_free_all).
 */
#ifndef TS_HOOKS_CURL_PROP_H
#define TS_HOOKS_CURL_PROP_H

#include "curl_real.h"
#include "propagate.h"

/* TS_PROP_HAS_* bits that are a context (not tracestate or baggage). */
#define TS_CURL_PROP_CTX                                                       \
	(TS_PROP_HAS_TRACEPARENT | TS_PROP_HAS_B3 | TS_PROP_HAS_B3MULTI |      \
	 TS_PROP_HAS_UBER)

/*
 * The context headers the list `l` carries (TS_PROP_HAS_* bits, header
 * names compared case-insensitively).  When it has a context, *fwd is the
 * first valid one in the order traceparent, b3, X-B3-*, uber-trace-id and
 * true is stored in *valid; more than one traceparent line is never valid
 * (which one is meant is unknown).
 */
unsigned ts_curl_prop_scan(const struct curl_slist *l, struct ts_span_ctx *fwd,
			   bool *valid);

/* `pc` plus the context formats whose headers `has` says were forwarded. */
void ts_curl_prop_with_forwarded(struct ts_prop_config *pc, unsigned has);

/* What goes into the copy besides the application's lines. */
struct ts_curl_prop {
	struct ts_prop_config pc;  /* formats written */
	unsigned skip;             /* TS_PROP_HAS_* the app's lines keep */
	bool drop_ctx;             /* the app's context lines are replaced
				      (traceparent, b3, X-B3-*,
				      uber-trace-id), not kept */
	const char *ts, *bg;       /* tracestate, baggage to add */
	size_t ts_len, bg_len;
};

/*
 * A copy of `app` (which is only read) for one request, into *out: the
 * app's lines (less its context lines with drop_ctx), then the lines
 * ts_prop_inject() makes for `self` under `w`.  False when out of memory;
 * *out is NULL when the copy would be empty.
 */
bool ts_curl_prop_list(const struct ts_curl_api *api,
		       const struct curl_slist *app,
		       const struct ts_span_ctx *self,
		       const struct ts_curl_prop *w, struct curl_slist **out);

#endif /* TS_HOOKS_CURL_PROP_H */
