/*
 * spans.c - OTLP/JSON span files into traces (see spans.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "spans.h"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "traceshim: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	if (!(p = realloc(p, size ? size : 1))) {
		fprintf(stderr, "traceshim: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xcalloc(1, n + 1);

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
	s->tmap = xcalloc(s->tmap_cap, sizeof(*s->tmap));
	s->smap_cap = 256;
	s->smap = xcalloc(s->smap_cap, sizeof(*s->smap));
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
		s->tmap = xcalloc(s->tmap_cap, sizeof(*s->tmap));
		for (i = 0; i < s->ntraces; i++)
			tmap_put(s, s->traces[i]);
	}
	if (s->ntraces == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->traces = xrealloc(s->traces, s->cap * sizeof(*s->traces));
	}
	t = xcalloc(1, sizeof(*t));
	memcpy(t->id, id, sizeof(t->id));
	s->traces[s->ntraces++] = t;
	tmap_put(s, t);
	return t;
}

/* The span with this trace and span id, or NULL. */
static struct ts_span_view *span_find(struct ts_store *s, const char *trace,
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
		s->smap = xcalloc(s->smap_cap, sizeof(*s->smap));
		for (i = 0; i < s->ntraces; i++)
			for (k = 0; k < s->traces[i]->n; k++)
				smap_put(s, s->traces[i]->spans[k]);
	}
	t = trace_get(s, sp->trace);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->spans = xrealloc(t->spans, t->cap * sizeof(*t->spans));
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
		t->d = xrealloc(t->d, t->cap);
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
	kv = xcalloc(list->n, sizeof(*kv));
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
	sp->events = xcalloc(list->n, sizeof(*sp->events));
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
	out = xcalloc(1, sizeof(*out));
	*out = sp;
	return out;
}

static struct ts_resource_view *resource_of(const struct ts_json *rs)
{
	struct ts_resource_view *r = xcalloc(1, sizeof(*r));
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
		if (span_find(s, sp->trace, sp->id)) {
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

/* ---- files ---------------------------------------------------------------- */

#define TAIL_WARN_MAX 10

static void line_done(struct ts_tail *t, struct ts_store *s, const char *p,
		      size_t n, FILE *warn, const char *prog, long *added)
{
	char err[256];
	size_t skipped;
	long r;

	t->lineno++;
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		return;
	r = ts_store_add_line(s, p, n, &skipped, err, sizeof(err));
	if (r < 0) {
		if (++t->malformed <= TAIL_WARN_MAX)
			fprintf(warn, "%s: warning: %s:%ld: skipped a malformed "
				"line (%s)\n", prog, t->path, t->lineno, err);
		return;
	}
	if (skipped)
		fprintf(warn, "%s: warning: %s:%ld: skipped %zu span%s with an "
			"invalid traceId, spanId or parentSpanId\n", prog,
			t->path, t->lineno, skipped, skipped == 1 ? "" : "s");
	*added += r;
}

/* (Re)open the file if it is not open or was replaced or truncated. */
static int tail_open(struct ts_tail *t)
{
	struct stat st, fst;

	if (!strcmp(t->path, "-")) { /* standard input: just read on */
		if (!t->f)
			t->f = stdin;
		return 0;
	}
	if (stat(t->path, &st))
		return t->f ? 0 : -errno; /* removed: keep reading the old */
	if (t->f && !fstat(fileno(t->f), &fst) && fst.st_dev == st.st_dev &&
	    fst.st_ino == st.st_ino && st.st_size >= t->off)
		return 0;
	if (t->f)
		fclose(t->f);
	if (!(t->f = fopen(t->path, "r")))
		return -errno;
	fstat(fileno(t->f), &fst);
	t->dev = fst.st_dev;
	t->ino = fst.st_ino;
	t->off = 0;
	t->plen = 0;
	t->lineno = 0;
	return 0;
}

long ts_tail_poll(struct ts_tail *t, struct ts_store *s, FILE *warn,
		  const char *prog, bool at_eof)
{
	char buf[65536], *nl, *p;
	long added = 0;
	size_t n;
	int r;

	if ((r = tail_open(t)))
		return r;
	clearerr(t->f);
	while ((n = fread(buf, 1, sizeof(buf), t->f)) > 0) {
		t->off += (off_t)n;
		for (p = buf; (nl = memchr(p, '\n', n - (size_t)(p - buf)));
		     p = nl + 1) {
			if (t->plen) {
				if (t->plen + (size_t)(nl - p) > t->pcap) {
					t->pcap = (t->plen + (size_t)(nl - p)) * 2;
					t->part = xrealloc(t->part, t->pcap);
				}
				memcpy(t->part + t->plen, p, (size_t)(nl - p));
				t->plen += (size_t)(nl - p);
				line_done(t, s, t->part, t->plen, warn, prog,
					  &added);
				t->plen = 0;
			} else {
				line_done(t, s, p, (size_t)(nl - p), warn,
					  prog, &added);
			}
		}
		n -= (size_t)(p - buf);
		if (!n)
			continue;
		if (t->plen + n > t->pcap) {
			t->pcap = (t->plen + n) * 2;
			t->part = xrealloc(t->part, t->pcap);
		}
		memcpy(t->part + t->plen, p, n);
		t->plen += n;
	}
	if (ferror(t->f))
		return -errno;
	if (at_eof && t->plen) { /* a last line without its newline */
		line_done(t, s, t->part, t->plen, warn, prog, &added);
		t->plen = 0;
	}
	return added;
}

void ts_tail_close(struct ts_tail *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
	free(t->part);
	t->part = NULL;
	t->plen = t->pcap = 0;
}

/* ---- layout -------------------------------------------------------------- */

static int by_start(const void *a, const void *b)
{
	const struct ts_span_view *x = *(struct ts_span_view *const *)a;
	const struct ts_span_view *y = *(struct ts_span_view *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* longer (outer) first */
	return strcmp(x->id, y->id);
}

#define PREFIX_LEVELS 24

struct frame {
	struct ts_span_view *sp;
	size_t next;          /* next child to visit */
	bool last;            /* last among its siblings */
};

/* Tree prefix of a span at `depth` whose ancestors' last-flags are in
 * lasts[1..depth]. */
static char *make_prefix(const bool *lasts, int depth, bool utf8)
{
	const char *bar = utf8 ? "\u2502  " : "|  ", *tee = utf8 ? "\u251c\u2500 " : "|- ";
	const char *ell = utf8 ? "\u2514\u2500 " : "`- ", *more = utf8 ? "\u2026" : "+";
	struct text t = { 0 };
	int d, from = depth > PREFIX_LEVELS ? depth - PREFIX_LEVELS + 1 : 1;

	text_str(&t, "");
	if (from > 1)
		text_str(&t, more);
	for (d = from; d < depth; d++)
		text_str(&t, lasts[d] ? "   " : bar);
	if (depth > 0)
		text_str(&t, lasts[depth] ? ell : tee);
	return t.d;
}

struct kids {
	size_t *first;                /* per span index: offset in all[] */
	size_t *count;
	struct ts_span_view **all;
};

static void visit(struct ts_store *s, struct ts_trace_view *t,
		  struct ts_span_view *root, bool root_last, struct kids *k,
		  bool *done, size_t *nrows, struct frame *stack, bool *lasts)
{
	size_t top = 0, i;
	struct ts_span_view *sp;

	stack[top++] = (struct frame){ root, 0, root_last };
	done[root->row] = true;
	root->depth = 0;
	for (;;) {
		struct frame *f = &stack[top - 1];

		if (f->next == 0) { /* entering */
			sp = f->sp;
			lasts[sp->depth] = f->last;
			free(sp->prefix);
			sp->prefix = make_prefix(lasts, sp->depth, s->utf8_tree);
			t->rows[*nrows] = sp;
			(*nrows)++;
		}
		i = k->first[f->sp->row] + f->next;
		while (f->next < k->count[f->sp->row] && done[k->all[i]->row]) {
			f->next++; /* reached already (duplicate link) */
			i++;
		}
		if (f->next >= k->count[f->sp->row]) {
			if (--top == 0)
				return;
			continue;
		}
		sp = k->all[i];
		f->next++;
		done[sp->row] = true;
		sp->depth = f->sp->depth + 1;
		sp->up = f->sp;
		stack[top++] = (struct frame){ sp, 0,
					       f->next >= k->count[f->sp->row] };
	}
}

void ts_trace_layout(struct ts_store *s, struct ts_trace_view *t)
{
	struct kids k;
	struct frame *stack;
	struct ts_span_view *sp, *up, **roots;
	size_t i, nroots = 0, nrows = 0, *fill;
	bool *done, *lasts;

	if (t->laid_out)
		return;
	qsort(t->spans, t->n, sizeof(*t->spans), by_start);
	t->start = t->n ? t->spans[0]->start : 0;
	t->end = t->start;
	for (i = 0; i < t->n; i++) {
		t->spans[i]->row = i;
		t->spans[i]->up = NULL;
		t->spans[i]->orphan = t->spans[i]->cycle = false;
		if (t->spans[i]->end > t->end)
			t->end = t->spans[i]->end;
	}
	k.first = xcalloc(t->n, sizeof(size_t));
	k.count = xcalloc(t->n, sizeof(size_t));
	k.all = xcalloc(t->n, sizeof(*k.all));
	fill = xcalloc(t->n, sizeof(size_t));
	roots = xcalloc(t->n, sizeof(*roots));
	/* Children grouped by parent, each group in start order. */
	for (i = 0; i < t->n; i++) {
		sp = t->spans[i];
		up = sp->parent[0] ? span_find(s, sp->trace, sp->parent) : NULL;
		if (up && up != sp) {
			k.count[up->row]++;
		} else if (!up) {
			roots[nroots++] = sp;
			sp->orphan = sp->parent[0] != '\0';
		}
		sp->up = up;
	}
	for (i = 1; i < t->n; i++)
		k.first[i] = k.first[i - 1] + k.count[i - 1];
	for (i = 0; i < t->n; i++)
		if ((up = t->spans[i]->up) && up != t->spans[i])
			k.all[k.first[up->row] + fill[up->row]++] = t->spans[i];
	free(t->rows);
	t->rows = xcalloc(t->n, sizeof(*t->rows));
	done = xcalloc(t->n, sizeof(bool));
	lasts = xcalloc(t->n + 1, sizeof(bool));
	stack = xcalloc(t->n + 1, sizeof(*stack));
	for (i = 0; i < t->n; i++)
		t->spans[i]->up = NULL;
	for (i = 0; i < nroots; i++)
		visit(s, t, roots[i], true, &k, done, &nrows, stack, lasts);
	/* What no root reached hangs in a parent cycle: break it open at
	 * its earliest span. */
	for (i = 0; i < t->n; i++)
		if (!done[i]) {
			t->spans[i]->cycle = true;
			visit(s, t, t->spans[i], true, &k, done, &nrows, stack,
			      lasts);
		}
	free(k.first);
	free(k.count);
	free(k.all);
	free(fill);
	free(roots);
	free(done);
	free(lasts);
	free(stack);
	for (i = 0; i < t->n; i++)
		t->rows[i]->row = i;
	t->laid_out = true;
}

static int trace_by_start(const void *a, const void *b)
{
	const struct ts_trace_view *x = *(struct ts_trace_view *const *)a;
	const struct ts_trace_view *y = *(struct ts_trace_view *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

struct ts_trace_view **ts_store_sorted(struct ts_store *s, size_t *n)
{
	struct ts_trace_view **v = xcalloc(s->ntraces, sizeof(*v));
	size_t i;

	for (i = 0; i < s->ntraces; i++) {
		ts_trace_layout(s, s->traces[i]);
		v[i] = s->traces[i];
	}
	qsort(v, s->ntraces, sizeof(*v), trace_by_start);
	*n = s->ntraces;
	return v;
}
