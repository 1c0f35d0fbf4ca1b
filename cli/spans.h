/*
 * spans.h - spans read back from OTLP/JSON files, grouped into traces.
 *
 * Input: lines of OTLP/JSON, each one ExportTraceServiceRequest (what
 * traceshim's file exporter and the OpenTelemetry Collector's file
 * exporter write): resourceSpans[] -> resource.attributes[] and
 * scopeSpans[] (or the older instrumentationLibrarySpans[]) -> spans[].
 * Ids are hex strings (either case; kept lowercase), 64-bit integers
 * decimal strings or numbers, enums integers or their names.
 *
 * A store owns every span it read, joined by trace id across any number
 * of lines, files and processes; a span read twice (same trace and span
 * id) is kept once.  Files are read by tail.c, traces laid out for
 * display by layout.c.
 *
 * Threads: a store belongs to one thread.
 */
#ifndef TS_CLI_SPANS_H
#define TS_CLI_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ts_val_type {
	TS_VAL_STRING,
	TS_VAL_INT,
	TS_VAL_DOUBLE,
	TS_VAL_BOOL,
	TS_VAL_ARRAY,
	TS_VAL_KVLIST,
	TS_VAL_BYTES,
	TS_VAL_EMPTY,
};

struct ts_kv {
	char *key;             /* attribute key */
	char *text;            /* value as display text (arrays as [a, b]) */
	enum ts_val_type type; /* what the value was */
};

struct ts_resource_view {
	struct ts_kv *attrs;   /* resource attributes */
	size_t n;
	const char *service;   /* service.name, or "unknown_service" */
	size_t refs;           /* spans pointing here */
};

struct ts_event_view {
	char *name;
	uint64_t time;         /* unix ns */
	struct ts_kv *attrs;
	size_t n;
};

struct ts_span_view {
	char trace[33];        /* lowercase hex */
	char id[17];
	char parent[17];       /* "" for a root */
	char *name;
	int kind;              /* OTLP SpanKind: 0 unspecified .. 5 consumer */
	uint64_t start, end;   /* unix ns; end >= start */
	int status;            /* 0 unset, 1 ok, 2 error */
	char *status_msg;      /* or NULL */
	char *scope;           /* instrumentation scope name, or NULL */
	struct ts_kv *attrs;
	size_t nattrs;
	struct ts_event_view *events;
	size_t nevents;
	struct ts_resource_view *res;
	/* Set by ts_trace_layout() (layout.h): */
	struct ts_span_view *up;    /* parent span in the trace, or NULL */
	int depth;                  /* 0 for roots */
	bool orphan;                /* parent id set but not in the trace */
	bool cycle;                 /* parent links form a loop */
	char *prefix;               /* tree drawing before the name */
	size_t row;                 /* index in the trace's rows */
};

struct ts_trace_view {
	char id[33];
	struct ts_span_view **spans; /* as read */
	size_t n, cap;
	struct ts_span_view **rows;  /* display order (ts_trace_layout) */
	uint64_t start, end;         /* earliest start, latest end */
	uint64_t seen_ms;            /* monotonic ms of the newest span */
	size_t shown;                /* spans when last printed (--follow) */
	bool laid_out;               /* rows are up to date */
};

struct ts_store {
	struct ts_trace_view **traces; /* in order of first appearance */
	size_t ntraces, cap;
	struct ts_trace_view **tmap;   /* open addressing by trace id */
	size_t tmap_cap;
	struct ts_span_view **smap;    /* open addressing by trace+span id */
	size_t smap_cap, nspans;
	size_t dups;                   /* spans read again and dropped */
	bool utf8_tree;                /* prefixes with box-drawing chars */
};

void ts_store_init(struct ts_store *s, bool utf8_tree);
void ts_store_free(struct ts_store *s);

/*
 * Add the spans of one OTLP/JSON line.  Returns the number of spans
 * added; -1 when the line is not an OTLP/JSON export request (err says
 * why).  *skipped counts spans dropped for invalid ids.
 */
long ts_store_add_line(struct ts_store *s, const char *line, size_t len,
		       size_t *skipped, char *err, size_t errsize);

/*
 * Forget the traces that were printed whole (shown == n) and got no span
 * for `idle_ms`, so a long --follow stays bounded by recent traffic.
 * Returns how many were freed.  A late span of a forgotten trace starts
 * it again (shown with its parent missing).
 */
size_t ts_store_evict(struct ts_store *s, uint64_t idle_ms);

/* The trace with this id, or NULL. */
struct ts_trace_view *ts_store_find(struct ts_store *s, const char *id);

/* The span with this trace and span id, or NULL. */
struct ts_span_view *ts_store_span(struct ts_store *s, const char *trace,
				   const char *id);

/* The value of a span attribute, or NULL. */
const struct ts_kv *ts_span_attr(const struct ts_span_view *sp,
				 const char *key);

/* "server", "client", ... for an OTLP SpanKind. */
const char *ts_kind_name(int kind);

/* Monotonic milliseconds. */
uint64_t ts_now_ms(void);

/* calloc/realloc that end the command with a message when out of
 * memory (a viewer has nothing better to do). */
void *ts_xcalloc(size_t n, size_t size);
void *ts_xrealloc(void *p, size_t size);

#endif /* TS_CLI_SPANS_H */
