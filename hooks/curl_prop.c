/*
 * curl_prop.c - trace context in libcurl header lists (see curl_prop.h).
 */
#include <string.h>
#include <strings.h>

#include "context.h"
#include "curl_attr.h"
#include "curl_prop.h"

/* A header's value, if line `l` is that header; else NULL. */
static const char *value_of(const char *l, const char *name)
{
	const char *v;

	return ts_curl_header_is(l, name, &v) ? v : NULL;
}

unsigned ts_curl_prop_scan(const struct curl_slist *l, struct ts_span_ctx *fwd,
			   bool *valid)
{
	const char *tp = NULL, *b3 = NULL, *uber = NULL, *v;
	const char *tid = "", *sid = "", *smp = "", *flg = "";
	unsigned has = 0, ntp = 0;

	for (; l; l = l->next) {
		const char *d = l->data;

		if ((v = value_of(d, "traceparent")) != NULL) {
			has |= TS_PROP_HAS_TRACEPARENT;
			tp = v;
			ntp++;
		} else if (value_of(d, "tracestate")) {
			has |= TS_PROP_HAS_TRACESTATE;
		} else if ((v = value_of(d, "b3")) != NULL) {
			has |= TS_PROP_HAS_B3;
			b3 = b3 ? b3 : v;
		} else if ((v = value_of(d, "X-B3-TraceId")) != NULL) {
			has |= TS_PROP_HAS_B3MULTI;
			tid = v;
		} else if ((v = value_of(d, "X-B3-SpanId")) != NULL) {
			has |= TS_PROP_HAS_B3MULTI;
			sid = v;
		} else if ((v = value_of(d, "X-B3-Sampled")) != NULL) {
			smp = v;
		} else if ((v = value_of(d, "X-B3-Flags")) != NULL) {
			flg = v;
		} else if ((v = value_of(d, "uber-trace-id")) != NULL) {
			has |= TS_PROP_HAS_UBER;
			uber = uber ? uber : v;
		} else if (value_of(d, "baggage")) {
			has |= TS_PROP_HAS_BAGGAGE;
		} else if (d && !strncasecmp(d, "uberctx-", 8)) {
			has |= TS_PROP_HAS_UBERCTX;
		}
	}
	*valid = (tp && ntp == 1 && ts_prop_parse_traceparent(tp, strlen(tp), fwd)) ||
		 (!tp && b3 && ts_prop_parse_b3(b3, strlen(b3), fwd)) ||
		 (!tp && (has & TS_PROP_HAS_B3MULTI) &&
		  ts_prop_parse_b3multi(tid, strlen(tid), sid, strlen(sid), smp,
					strlen(smp), flg, strlen(flg), fwd)) ||
		 (!tp && uber && ts_prop_parse_uber(uber, strlen(uber), fwd));
	return has;
}

void ts_curl_prop_with_forwarded(struct ts_prop_config *pc, unsigned has)
{
	static const struct {
		unsigned bit;
		uint8_t format;
	} map[] = { { TS_PROP_HAS_TRACEPARENT, TS_PROP_TRACECONTEXT },
		    { TS_PROP_HAS_B3, TS_PROP_B3 },
		    { TS_PROP_HAS_B3MULTI, TS_PROP_B3MULTI },
		    { TS_PROP_HAS_UBER, TS_PROP_JAEGER } };
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(map); i++) {
		if (!(has & map[i].bit) ||
		    (pc->mask & TS_PROP_BIT(map[i].format)) ||
		    pc->n >= TS_ARRAY_SIZE(pc->order))
			continue;
		pc->order[pc->n++] = map[i].format;
		pc->mask |= (uint16_t)TS_PROP_BIT(map[i].format);
	}
}

static bool is_ctx_line(const char *l)
{
	static const char *const names[] = { "traceparent", "b3",
					     "X-B3-TraceId", "X-B3-SpanId",
					     "X-B3-ParentSpanId", "X-B3-Sampled",
					     "X-B3-Flags", "uber-trace-id" };
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(names); i++)
		if (value_of(l, names[i]))
			return true;
	return false;
}

/*
 * The header fields a request with list l will have: libcurl writes the
 * head, so they are estimated, the list's lines that send a header plus
 * the 2 to 5 libcurl adds (Host, Accept, and maybe User-Agent,
 * Content-Length, Content-Type).  Near the limits nothing is then added
 * (ts_prop_would_cross_limits()), rather than risk a refused request.
 */
static unsigned list_fields(const struct curl_slist *l)
{
	unsigned n = 0;
	const char *c;

	for (; l; l = l->next) {
		c = strpbrk(l->data, ":;");
		if (!c)
			continue;
		if (*c == ';') { /* "Name;" sends it empty */
			n++;
			continue;
		}
		for (c++; *c == ' ' || *c == '\t'; c++)
			;
		n += *c != '\0'; /* "Name:" only removes libcurl's */
	}
	return n;
}

bool ts_curl_prop_list(const struct ts_curl_api *api,
		       const struct curl_slist *app,
		       const struct ts_span_ctx *self,
		       const struct ts_curl_prop *w, struct curl_slist **out)
{
	/* context lines (400) + tracestate + baggage and its uberctx-* */
	char buf[400 + TS_CTX_TS_MAX + 16 + 2 * (TS_CTX_BG_MAX + 16) + 1024];
	struct curl_slist *l = NULL, *n;
	char *p, *eol;
	size_t len;

	for (; app; app = app->next) {
		if (w->drop_ctx && is_ctx_line(app->data))
			continue;
		n = api->curl_slist_append(l, app->data);
		if (!n)
			goto out_nomem;
		l = n;
	}
	len = ts_prop_inject(self, &w->pc, w->skip, w->ts, w->ts_len, w->bg,
			     w->bg_len, buf, sizeof(buf) - 1);
	if (len) {
		unsigned f = list_fields(l);

		if (ts_prop_would_cross_limits(f + 2, f + 5, 0, buf, len))
			len = 0;
	}
	buf[len] = '\0';
	/* One list entry per line: libcurl adds the CRLF. */
	for (p = buf; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2) {
		*eol = '\0';
		n = api->curl_slist_append(l, p);
		if (!n)
			goto out_nomem;
		l = n;
	}
	*out = l;
	return true;
out_nomem:
	api->curl_slist_free_all(l);
	*out = NULL;
	return false;
}
