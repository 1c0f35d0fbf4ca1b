/*
 * spans.c - the span store and the OTLP/JSON reader (see spans.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "spans.h"

void *ts_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "traceshim: out of memory\n");
		exit(1);
	}
	return p;
}

void *ts_xrealloc(void *p, size_t size)
{
	if (!(p = realloc(p, size ? size : 1))) {
		fprintf(stderr, "traceshim: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = ts_xcalloc(1, n + 1);

	memcpy(d, s, n);
	return d;
}

uint64_t ts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	for (; b && *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

const char *ts_kind_name(int kind)
{
	static const char *const names[] = { "unspecified", "internal",
					     "server", "client", "producer",
					     "consumer" };

	return kind >= 0 && kind <= 5 ? names[kind] : "unspecified";
}

/* ---- the store ----------------------------------------------------------- */

void ts_store_init(struct ts_store *s, bool utf8_tree)
{
	memset(s, 0, sizeof(*s));
	s->utf8_tree = utf8_tree;
	s->tmap_cap = 64;
	s->tmap = ts_xcalloc(s->tmap_cap, sizeof(*s->tmap));
	s->smap_cap = 256;
	s->smap = ts_xcalloc(s->smap_cap, sizeof(*s->smap));
}

static void kv_free(struct ts_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].text);
	}
	free(kv);
}

static void span_free(struct ts_span_view *sp)
{
	size_t i;

	free(sp->name);
	free(sp->status_msg);
	free(sp->scope);
	free(sp->prefix);
	kv_free(sp->attrs, sp->nattrs);
	for (i = 0; i < sp->nevents; i++) {
		free(sp->events[i].name);
		kv_free(sp->events[i].attrs, sp->events[i].n);
	}
	free(sp->events);
	if (sp->res && --sp->res->refs == 0) {
		kv_free(sp->res->attrs, sp->res->n);
		free(sp->res);
	}
	free(sp);
}

static void trace_free(struct ts_trace_view *t);

void ts_store_free(struct ts_store *s)
{
	size_t i;

	for (i = 0; i < s->ntraces; i++)
		trace_free(s->traces[i]);
	free(s->traces);
	free(s->tmap);
	free(s->smap);
	memset(s, 0, sizeof(*s));
}

struct ts_trace_view *ts_store_find(struct ts_store *s, const char *id)
{
	size_t i = hash(id, NULL) & (s->tmap_cap - 1);

	for (; s->tmap[i]; i = (i + 1) & (s->tmap_cap - 1))
		if (!strcmp(s->tmap[i]->id, id))
			return s->tmap[i];
	return NULL;
}

static void tmap_put(struct ts_store *s, struct ts_trace_view *t)
{
	size_t i = hash(t->id, NULL) & (s->tmap_cap - 1);

	while (s->tmap[i])
		i = (i + 1) & (s->tmap_cap - 1);
	s->tmap[i] = t;
}

static struct ts_trace_view *trace_get(struct ts_store *s, const char *id)
{
	struct ts_trace_view *t = ts_store_find(s, id);
	size_t i;

	if (t)
		return t;
	if ((s->ntraces + 1) * 2 > s->tmap_cap) {
		free(s->tmap);
		s->tmap_cap *= 2;
		s->tmap = ts_xcalloc(s->tmap_cap, sizeof(*s->tmap));
		for (i = 0; i < s->ntraces; i++)
			tmap_put(s, s->traces[i]);
	}
	if (s->ntraces == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->traces = ts_xrealloc(s->traces, s->cap * sizeof(*s->traces));
	}
	t = ts_xcalloc(1, sizeof(*t));
	memcpy(t->id, id, sizeof(t->id));
	s->traces[s->ntraces++] = t;
	tmap_put(s, t);
	return t;
}

struct ts_span_view *ts_store_span(struct ts_store *s, const char *trace,
				   const char *id)
{
	size_t i = hash(trace, id) & (s->smap_cap - 1);

	for (; s->smap[i]; i = (i + 1) & (s->smap_cap - 1))
		if (!strcmp(s->smap[i]->id, id) &&
		    !strcmp(s->smap[i]->trace, trace))
			return s->smap[i];
	return NULL;
}

static void smap_put(struct ts_store *s, struct ts_span_view *sp)
{
	size_t i = hash(sp->trace, sp->id) & (s->smap_cap - 1);

	while (s->smap[i])
		i = (i + 1) & (s->smap_cap - 1);
	s->smap[i] = sp;
}

static void store_span(struct ts_store *s, struct ts_span_view *sp)
{
	struct ts_trace_view *t;
	size_t i, k;

	if ((s->nspans + 1) * 2 > s->smap_cap) {
		free(s->smap);
		s->smap_cap *= 2;
		s->smap = ts_xcalloc(s->smap_cap, sizeof(*s->smap));
		for (i = 0; i < s->ntraces; i++)
			for (k = 0; k < s->traces[i]->n; k++)
				smap_put(s, s->traces[i]->spans[k]);
	}
	t = trace_get(s, sp->trace);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->spans = ts_xrealloc(t->spans, t->cap * sizeof(*t->spans));
	}
	t->spans[t->n++] = sp;
	t->laid_out = false;
	t->seen_ms = ts_now_ms();
	smap_put(s, sp);
	s->nspans++;
}

static void trace_free(struct ts_trace_view *t)
{
	size_t k;

	for (k = 0; k < t->n; k++)
		span_free(t->spans[k]);
	free(t->spans);
	free(t->rows);
	free(t);
}

size_t ts_store_evict(struct ts_store *s, uint64_t idle_ms)
{
	uint64_t now = ts_now_ms();
	size_t i, k, kept = 0, freed = 0;

	for (i = 0; i < s->ntraces; i++) {
		struct ts_trace_view *t = s->traces[i];

		if (t->shown == t->n && now - t->seen_ms >= idle_ms) {
			s->nspans -= t->n;
			trace_free(t);
			freed++;
		} else {
			s->traces[kept++] = t;
		}
	}
	if (!freed)
		return 0;
	s->ntraces = kept;
	/* Rebuild both maps from what is left (no tombstones needed). */
	memset(s->tmap, 0, s->tmap_cap * sizeof(*s->tmap));
	memset(s->smap, 0, s->smap_cap * sizeof(*s->smap));
	for (i = 0; i < s->ntraces; i++) {
		tmap_put(s, s->traces[i]);
		for (k = 0; k < s->traces[i]->n; k++)
			smap_put(s, s->traces[i]->spans[k]);
	}
	return freed;
}

/* ---- OTLP/JSON values ---------------------------------------------------- */

struct text {
	char *d;
	size_t len, cap;
};

static void text_put(struct text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->d = ts_xrealloc(t->d, t->cap);
	}
	memcpy(t->d + t->len, p, n);
	t->len += n;
	t->d[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

static void value_text(struct text *t, const struct ts_json *v, int depth,
		       bool quote, enum ts_val_type *type);

static void array_text(struct text *t, const struct ts_json *arr, int depth)
{
	const struct ts_json *vals = ts_json_get(arr, "values");
	enum ts_val_type ty;
	size_t i;

	text_str(t, "[");
	for (i = 0; vals && vals->type == TS_JSON_ARRAY && i < vals->n; i++) {
		if (i)
			text_str(t, ", ");
		value_text(t, &vals->items[i], depth + 1, true, &ty);
	}
	text_str(t, "]");
}

static void kvlist_text(struct text *t, const struct ts_json *kvl, int depth)
{
	const struct ts_json *vals = ts_json_get(kvl, "values");
	const char *k;
	enum ts_val_type ty;
	size_t i;

	text_str(t, "{");
	for (i = 0; vals && vals->type == TS_JSON_ARRAY && i < vals->n; i++) {
		if (i)
			text_str(t, ", ");
		k = ts_json_string(ts_json_get(&vals->items[i], "key"));
		text_str(t, k ? k : "?");
		text_str(t, ": ");
		value_text(t, ts_json_get(&vals->items[i], "value"), depth + 1,
			   true, &ty);
	}
	text_str(t, "}");
}

/* An OTLP AnyValue as display text. */
static void value_text(struct text *t, const struct ts_json *v, int depth,
		       bool quote, enum ts_val_type *type)
{
	const struct ts_json *x;
	char num[64];
	int64_t i;
	double d;

	*type = TS_VAL_EMPTY;
	if (!v || v->type != TS_JSON_OBJECT || !v->n || depth > 8)
		return;
	if ((x = ts_json_get(v, "stringValue")) && x->type == TS_JSON_STRING) {
		*type = TS_VAL_STRING;
		if (quote)
			text_str(t, "\"");
		text_put(t, x->str, x->n);
		if (quote)
			text_str(t, "\"");
	} else if ((x = ts_json_get(v, "intValue"))) {
		*type = TS_VAL_INT;
		if (ts_json_i64(x, &i))
			snprintf(num, sizeof(num), "%" PRId64, i);
		else
			snprintf(num, sizeof(num), "?");
		text_str(t, num);
	} else if ((x = ts_json_get(v, "doubleValue"))) {
		*type = TS_VAL_DOUBLE;
		if (ts_json_double(x, &d))
			snprintf(num, sizeof(num), "%.17g", d);
		else
			snprintf(num, sizeof(num), "%s", ts_json_string(x)
				 ? ts_json_string(x) : "?");
		text_str(t, num);
	} else if ((x = ts_json_get(v, "boolValue"))) {
		*type = TS_VAL_BOOL;
		text_str(t, x->type == TS_JSON_TRUE ? "true" : "false");
	} else if ((x = ts_json_get(v, "arrayValue"))) {
		*type = TS_VAL_ARRAY;
		array_text(t, x, depth);
	} else if ((x = ts_json_get(v, "kvlistValue"))) {
		*type = TS_VAL_KVLIST;
		kvlist_text(t, x, depth);
	} else if ((x = ts_json_get(v, "bytesValue")) &&
		   x->type == TS_JSON_STRING) {
		*type = TS_VAL_BYTES;
		text_put(t, x->str, x->n);
	}
}

/* attributes[] (KeyValue list) into a malloc'd array. */
static struct ts_kv *attrs_of(const struct ts_json *list, size_t *n)
{
	struct ts_kv *kv;
	struct text t;
	const char *k;
	size_t i;

	*n = 0;
	if (!list || list->type != TS_JSON_ARRAY || !list->n)
		return NULL;
	kv = ts_xcalloc(list->n, sizeof(*kv));
	for (i = 0; i < list->n; i++) {
		if (!(k = ts_json_string(ts_json_get(&list->items[i], "key"))))
			continue;
		memset(&t, 0, sizeof(t));
		text_str(&t, "");
		value_text(&t, ts_json_get(&list->items[i], "value"), 0, false,
			   &kv[*n].type);
		kv[*n].key = xstrndup(k, strlen(k));
		kv[*n].text = t.d;
		(*n)++;
	}
	return kv;
}

const struct ts_kv *ts_span_attr(const struct ts_span_view *sp,
				 const char *key)
{
	size_t i;

	for (i = 0; i < sp->nattrs; i++)
		if (!strcmp(sp->attrs[i].key, key))
			return &sp->attrs[i];
	return NULL;
}

/* A hex id of `digits` digits into out, lowercased; false when invalid
 * (wrong length, not hex, all zero). */
static bool hex_id(const char *s, size_t digits, char *out)
{
	bool nonzero = false;
	size_t i;

	if (!s || strlen(s) != digits)
		return false;
	for (i = 0; i < digits; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		nonzero |= c != '0';
		out[i] = c;
	}
	out[digits] = '\0';
	return nonzero;
}

/* An enum given as an integer or as one of its names. */
static int enum_of(const struct ts_json *v, const char *const *names, int n)
{
	const char *s = ts_json_string(v);
	int64_t i;
	int k;

	if (ts_json_i64(v, &i))
		return i >= 0 && i < n ? (int)i : 0;
	for (k = 0; s && k < n; k++)
		if (!strcmp(s, names[k]))
			return k;
	return 0;
}

static int kind_of(const struct ts_json *v)
{
	static const char *const names[] = {
		"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
		"SPAN_KIND_SERVER",	 "SPAN_KIND_CLIENT",
		"SPAN_KIND_PRODUCER",	 "SPAN_KIND_CONSUMER",
	};

	return enum_of(v, names, 6);
}

static int status_of(const struct ts_json *v)
{
	static const char *const names[] = { "STATUS_CODE_UNSET",
					     "STATUS_CODE_OK",
					     "STATUS_CODE_ERROR" };

	return enum_of(v, names, 3);
}

static void events_of(struct ts_span_view *sp, const struct ts_json *list)
{
	const struct ts_json *e;
	const char *name;
	size_t i;

	if (!list || list->type != TS_JSON_ARRAY || !list->n)
		return;
	sp->events = ts_xcalloc(list->n, sizeof(*sp->events));
	for (i = 0; i < list->n; i++) {
		e = &list->items[i];
		name = ts_json_string(ts_json_get(e, "name"));
		sp->events[i].name = xstrndup(name ? name : "", name ? strlen(name) : 0);
		if (!ts_json_u64(ts_json_get(e, "timeUnixNano"), &sp->events[i].time))
			sp->events[i].time = 0;
		sp->events[i].attrs = attrs_of(ts_json_get(e, "attributes"),
					       &sp->events[i].n);
	}
	sp->nevents = list->n;
}

/* One span object; NULL when its ids are invalid. */
static struct ts_span_view *span_of(const struct ts_json *j,
				    struct ts_resource_view *res,
				    const char *scope)
{
	struct ts_span_view sp = { 0 }, *out;
	const struct ts_json *st = ts_json_get(j, "status");
	const char *s;

	if (!hex_id(ts_json_string(ts_json_get(j, "traceId")), 32, sp.trace) ||
	    !hex_id(ts_json_string(ts_json_get(j, "spanId")), 16, sp.id))
		return NULL;
	s = ts_json_string(ts_json_get(j, "parentSpanId"));
	if (s && *s && !hex_id(s, 16, sp.parent))
		return NULL;
	s = ts_json_string(ts_json_get(j, "name"));
	sp.name = xstrndup(s ? s : "", s ? ts_json_get(j, "name")->n : 0);
	sp.kind = kind_of(ts_json_get(j, "kind"));
	if (!ts_json_u64(ts_json_get(j, "startTimeUnixNano"), &sp.start))
		sp.start = 0;
	if (!ts_json_u64(ts_json_get(j, "endTimeUnixNano"), &sp.end) ||
	    sp.end < sp.start)
		sp.end = sp.start;
	sp.status = status_of(ts_json_get(st, "code"));
	if ((s = ts_json_string(ts_json_get(st, "message"))) && *s)
		sp.status_msg = xstrndup(s, strlen(s));
	if (scope && *scope)
		sp.scope = xstrndup(scope, strlen(scope));
	sp.attrs = attrs_of(ts_json_get(j, "attributes"), &sp.nattrs);
	events_of(&sp, ts_json_get(j, "events"));
	sp.res = res;
	out = ts_xcalloc(1, sizeof(*out));
	*out = sp;
	return out;
}

static struct ts_resource_view *resource_of(const struct ts_json *rs)
{
	struct ts_resource_view *r = ts_xcalloc(1, sizeof(*r));
	size_t i;

	r->attrs = attrs_of(ts_json_get(ts_json_get(rs, "resource"),
					"attributes"), &r->n);
	r->service = "unknown_service";
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->attrs[i].key, "service.name") &&
		    r->attrs[i].text[0])
			r->service = r->attrs[i].text;
	return r;
}

/* The spans[] of one scopeSpans entry. */
static long add_scope(struct ts_store *s, const struct ts_json *ss,
		      struct ts_resource_view *res, size_t *skipped)
{
	const struct ts_json *spans = ts_json_get(ss, "spans");
	const char *scope = ts_json_string(
		ts_json_get(ts_json_get(ss, "scope"), "name"));
	struct ts_span_view *sp;
	long added = 0;
	size_t i;

	if (!scope)
		scope = ts_json_string(ts_json_get(
			ts_json_get(ss, "instrumentationLibrary"), "name"));
	for (i = 0; spans && spans->type == TS_JSON_ARRAY && i < spans->n; i++) {
		if (!(sp = span_of(&spans->items[i], res, scope))) {
			(*skipped)++;
			continue;
		}
		if (ts_store_span(s, sp->trace, sp->id)) {
			s->dups++;
			sp->res = NULL;
			span_free(sp);
			continue;
		}
		res->refs++;
		store_span(s, sp);
		added++;
	}
	return added;
}

long ts_store_add_line(struct ts_store *s, const char *line, size_t len,
		       size_t *skipped, char *err, size_t errsize)
{
	struct ts_json_arena a = { 0 };
	const struct ts_json *root, *rss, *sss;
	struct ts_resource_view *res;
	long added = 0;
	size_t i, k;

	*skipped = 0;
	if (!(root = ts_json_parse(&a, line, len, err, errsize)))
		goto out_bad;
	rss = ts_json_get(root, "resourceSpans");
	if (!rss || rss->type != TS_JSON_ARRAY) {
		snprintf(err, errsize, "no \"resourceSpans\" array: not an "
			 "OTLP/JSON ExportTraceServiceRequest");
		goto out_bad;
	}
	for (i = 0; i < rss->n; i++) {
		res = resource_of(&rss->items[i]);
		sss = ts_json_get(&rss->items[i], "scopeSpans");
		if (!sss)
			sss = ts_json_get(&rss->items[i],
					  "instrumentationLibrarySpans");
		for (k = 0; sss && sss->type == TS_JSON_ARRAY && k < sss->n; k++)
			added += add_scope(s, &sss->items[k], res, skipped);
		if (!res->refs) {
			kv_free(res->attrs, res->n);
			free(res);
		}
	}
	ts_json_arena_free(&a);
	return added;
out_bad:
	ts_json_arena_free(&a);
	return -1;
}
