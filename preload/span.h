/*
 * span.h - the fixed-size span record and its builder.
 *
 * A span is built in memory the caller owns (a per-fd slot, the stack),
 * then ts_span_end() copies the used part into the ring.  Every string
 * (name, attribute keys and values, tracestate, status message) lives in
 * the record's own arena, so a record is self-contained, can be copied
 * with memcpy, and no span ever allocates.  What does not fit is dropped
 * and counted in dropped_attrs (exported as droppedAttributesCount).
 *
 * Threads: a record belongs to one thread at a time; the functions keep no
 * global state except the pipeline hand-off in ts_span_end().
 */
#ifndef TS_SPAN_H
#define TS_SPAN_H

#include "common.h"

/* OTLP's SpanKind numbers. */
enum ts_span_kind {
	TS_KIND_INTERNAL = 1,
	TS_KIND_SERVER = 2,
	TS_KIND_CLIENT = 3,
	TS_KIND_PRODUCER = 4,
	TS_KIND_CONSUMER = 5,
};

/* OTLP's Status.StatusCode numbers. */
enum ts_status {
	TS_STATUS_UNSET = 0,
	TS_STATUS_OK = 1,
	TS_STATUS_ERROR = 2,
};

enum ts_attr_type {
	TS_ATTR_STRING = 1,
	TS_ATTR_INT = 2,
	TS_ATTR_BOOL = 3,
	TS_ATTR_STRARRAY = 4,    /* val: NUL-terminated strings back to back,
				    val_len bytes (terminators included) */
};

#define TS_SPAN_MAX_ATTRS 32     /* attribute descriptors per span */
#define TS_SPAN_ARENA 1536       /* bytes for all strings of one span */
#define TS_SPAN_VALUE_MAX 512    /* longest attribute value kept */
#define TS_TRACE_FLAG_SAMPLED 0x01

/* ts_span_ctx.xflags: what other formats carry beside W3C flags. */
#define TS_CTX_DEBUG 0x01        /* B3 / Jaeger debug: keep sampling */
#define TS_CTX_DEFERRED 0x02     /* the caller made no sampling decision */

/* The propagated part of a span: what goes into traceparent. */
struct ts_span_ctx {
	uint8_t trace_id[16];    /* all zero = no context */
	uint8_t span_id[8];
	uint8_t flags;           /* W3C trace-flags */
	bool remote;             /* extracted from a request, not local */
	uint8_t xflags;          /* TS_CTX_* */
};

struct ts_attr {
	const char *key;         /* a key that outlives every span (a
				    literal), or NULL: at key_off */
	uint16_t key_off;        /* a copied key: arena offset */
	uint8_t key_len;         /* key length (keys are short) */
	uint8_t type;            /* enum ts_attr_type */
	uint16_t val_off;        /* string value: arena offset */
	uint16_t val_len;        /* string value length */
	int64_t ival;            /* int value, or bool as 0/1 */
};

struct ts_span {
	uint8_t trace_id[16];    /* W3C trace id */
	uint8_t span_id[8];      /* this span's id */
	uint8_t parent_id[8];    /* parent span id; all zero for a root */
	uint64_t start_unix_ns;  /* CLOCK_REALTIME at start */
	uint64_t start_mono_ns;  /* CLOCK_MONOTONIC at start */
	uint64_t end_unix_ns;    /* start_unix_ns + monotonic duration */
	uint8_t flags;           /* W3C trace-flags */
	uint8_t kind;            /* enum ts_span_kind */
	uint8_t status;          /* enum ts_status */
	uint8_t nattrs;          /* used entries of attrs[] */
	bool parent_remote;      /* parent came from another process */
	uint8_t defer;           /* enum ts_span_defer: raw facts to expand */
	uint8_t xflags;          /* TS_CTX_DEBUG, inherited from the parent */
	uint16_t dropped_attrs;  /* attributes that did not fit */
	uint16_t name_off, name_len;      /* span name in the arena */
	uint16_t tstate_off, tstate_len;  /* W3C tracestate in the arena */
	uint16_t smsg_off, smsg_len;      /* status message in the arena */
	uint16_t arena_used;     /* bytes of arena[] in use */
	uint16_t defer_off;      /* arena offset of the deferred payload */
	struct ts_attr attrs[TS_SPAN_MAX_ATTRS]; /* attribute descriptors */
	char arena[TS_SPAN_ARENA];        /* every string of this span */
};

/*
 * Deferred attributes.  Turning the raw facts of a request into a name and
 * semantic-convention attributes costs more than everything else the shim
 * does per request, and is not needed until export.  So a hook may record
 * its facts raw (a payload of its own in the arena, at defer_off) and mark
 * the record with a kind; the reporter calls ts_span_expand() on each
 * record before export, and the kind's expander, running on the reporter
 * thread, rebuilds the record's name, attributes and status from them.
 */
enum ts_span_defer {
	TS_DEFER_NONE = 0,
	TS_DEFER_HTTP = 1,       /* hooks/http_attrs.c */
	TS_DEFER_KINDS_,
};

typedef void (*ts_span_expander)(struct ts_span *s);

/* Register the expander of `kind` (at start-up, before any span ends). */
void ts_span_set_expander(enum ts_span_defer kind, ts_span_expander fn);

/* A deferred record becomes a complete one; others are left alone.  On
 * the reporter thread, on records it owns (peeked, not yet released). */
void ts_span_expand(struct ts_span *s);

/* Copy bytes into the arena: false when there is no room. */
bool ts_span_arena_put(struct ts_span *s, const void *p, size_t len,
		       uint16_t *off);

/*
 * Start a span now.  With a valid parent context the span joins its
 * trace and copies its flags; otherwise it starts a new sampled trace.
 */
void ts_span_start(struct ts_span *s, enum ts_span_kind kind,
		   const char *name, size_t name_len,
		   const struct ts_span_ctx *parent);

/* The same, started at a time already read (both clocks). */
void ts_span_start_at(struct ts_span *s, enum ts_span_kind kind,
		      const char *name, size_t name_len,
		      const struct ts_span_ctx *parent, uint64_t mono_ns,
		      uint64_t unix_ns);

/*
 * Only clear the record and set kind, name and start: for a caller that
 * has the span's ids and flags already decided and copies them in.
 */
void ts_span_begin(struct ts_span *s, enum ts_span_kind kind,
		   const char *name, size_t name_len, uint64_t mono_ns,
		   uint64_t unix_ns);

/*
 * The W3C flags of a new span: those of its parent (NULL: a root) with the
 * sampled bit as the configured sampler decides for it and `trace_id`.
 */
uint8_t ts_span_decide_flags(const struct ts_span_ctx *parent,
			     const uint8_t trace_id[16]);

/* The context a child of `s` (or an outgoing request) should carry. */
void ts_span_ctx_of(const struct ts_span *s, struct ts_span_ctx *out);

/* True when `c` holds a usable (non-zero) trace and span id. */
bool ts_span_ctx_is_valid(const struct ts_span_ctx *c);

/* Replace the name (e.g. once the route is known).  False if no room. */
bool ts_span_set_name(struct ts_span *s, const char *name, size_t len);

bool ts_span_set_tracestate(struct ts_span *s, const char *ts, size_t len);

/*
 * Add an attribute.  String values are cut to the configured
 * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT characters, if any, and to
 * TS_SPAN_VALUE_MAX bytes, always at a UTF-8 character boundary.  Returns
 * false (and counts a dropped attribute) when the record is full or holds
 * OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT attributes already (limits: ts_cfg,
 * see config.h; a zeroed ts_cfg means the specification's defaults).
 */
bool ts_span_attr_str(struct ts_span *s, const char *key, size_t klen,
		      const char *val, size_t len);
bool ts_span_attr_int(struct ts_span *s, const char *key, size_t klen,
		      int64_t val);
bool ts_span_attr_bool(struct ts_span *s, const char *key, size_t klen,
		       bool val);

/*
 * A string-array attribute: `vals` holds `len` bytes of NUL-terminated
 * strings back to back.  Each string is cut like a string attribute's
 * value; strings that no longer fit are left out (whole), and an array
 * left empty is dropped and counted.
 */
bool ts_span_attr_strarray(struct ts_span *s, const char *key, size_t klen,
			   const char *vals, size_t len);

/* Each string of an array attribute's value, in order. */
#define TS_ATTR_FOREACH_STR(s, a, p, end)                                      \
	for (const char *p = ts_span_str((s), (a)->val_off),                   \
			*end = p + (a)->val_len;                               \
	     p < end; p += strlen(p) + 1)

/*
 * The same with a key that lives as long as the process (a literal, or
 * configuration never freed): only its address is kept, not a copy.
 */
bool ts_span_attr_str_lit(struct ts_span *s, const char *key, size_t klen,
			  const char *val, size_t len);
bool ts_span_attr_int_lit(struct ts_span *s, const char *key, size_t klen,
			  int64_t val);
bool ts_span_attr_bool_lit(struct ts_span *s, const char *key, size_t klen,
			   bool val);

/* A string attribute with a literal key whose value is already in the
 * arena, `len` bytes at `off` (cut to the limits in place, not copied). */
bool ts_span_attr_str_in(struct ts_span *s, const char *key, size_t klen,
			 uint16_t off, size_t len);

/* With a string literal as key (`"" key` refuses anything else), its
 * length folded at compile time: spans are built on hot paths. */
#define ts_span_add_str(s, key, val, len)                                      \
	ts_span_attr_str_lit((s), "" key, sizeof(key) - 1, (val), (len))
#define ts_span_add_int(s, key, val)                                           \
	ts_span_attr_int_lit((s), "" key, sizeof(key) - 1, (val))
#define ts_span_add_bool(s, key, val)                                          \
	ts_span_attr_bool_lit((s), "" key, sizeof(key) - 1, (val))

/* An attribute's key (key_len bytes, not NUL-terminated). */
static inline const char *ts_attr_key(const struct ts_span *s,
				      const struct ts_attr *a)
{
	return a->key ? a->key : s->arena + a->key_off;
}

void ts_span_set_status(struct ts_span *s, enum ts_status st,
			const char *msg, size_t len);

/*
 * Stamp the end time and hand the span to the pipeline.  Returns false if
 * it was dropped (not sampled, queue full, tracing inactive).  `s` may be
 * reused after.
 */
bool ts_span_end(struct ts_span *s);

/* The same, with the end taken at CLOCK_MONOTONIC time `mono_ns` (the
 * moment the I/O that ended the span returned, not when we got to it). */
bool ts_span_end_at(struct ts_span *s, uint64_t mono_ns);

/* Accessors for encoders. */
static inline const char *ts_span_str(const struct ts_span *s, uint16_t off)
{
	return s->arena + off;
}

#endif /* TS_SPAN_H */
