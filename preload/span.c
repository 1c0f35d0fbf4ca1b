/*
 * span.c - building span records (see span.h).
 */
#include <string.h>

#include "../reporter/buf.h"
#include "clock.h"
#include "config.h"
#include "ids.h"
#include "pipeline.h"
#include "sampler.h"
#include "span.h"

TS_HOT
void ts_span_begin(struct ts_span *s, enum ts_span_kind kind,
		   const char *name, size_t name_len, uint64_t mono_ns,
		   uint64_t unix_ns)
{
	/* Only the header is cleared: attribute descriptors past nattrs and
	 * the arena are written before they are read. */
	memset(s, 0, offsetof(struct ts_span, attrs));
	s->kind = (uint8_t)kind;
	s->start_mono_ns = mono_ns;
	s->start_unix_ns = unix_ns;
	ts_span_set_name(s, name, name_len);
}

TS_HOT
void ts_span_start_at(struct ts_span *s, enum ts_span_kind kind,
		      const char *name, size_t name_len,
		      const struct ts_span_ctx *parent, uint64_t mono_ns,
		      uint64_t unix_ns)
{
	ts_span_begin(s, kind, name, name_len, mono_ns, unix_ns);
	if (parent && ts_span_ctx_is_valid(parent)) {
		memcpy(s->trace_id, parent->trace_id, 16);
		memcpy(s->parent_id, parent->span_id, 8);
		s->xflags = parent->xflags & TS_CTX_DEBUG;
		s->parent_remote = parent->remote;
	} else {
		ts_ids_trace(s->trace_id);
		parent = NULL;
	}
	s->flags = ts_span_decide_flags(parent, s->trace_id);
	ts_ids_span(s->span_id);
}

void ts_span_start(struct ts_span *s, enum ts_span_kind kind,
		   const char *name, size_t name_len,
		   const struct ts_span_ctx *parent)
{
	uint64_t mono = ts_clock_mono_ns();

	ts_span_start_at(s, kind, name, name_len, parent, mono,
			 ts_clock_unix_of(mono));
}

TS_HOT
uint8_t ts_span_decide_flags(const struct ts_span_ctx *parent,
			     const uint8_t trace_id[16])
{
	uint8_t flags = parent ? parent->flags : 0;
	bool sampled = ts_sampler_sample(&ts_cfg.sampler, parent, trace_id);

	return (uint8_t)((flags & ~TS_TRACE_FLAG_SAMPLED) |
			 (sampled ? TS_TRACE_FLAG_SAMPLED : 0));
}

TS_HOT
void ts_span_ctx_of(const struct ts_span *s, struct ts_span_ctx *out)
{
	memcpy(out->trace_id, s->trace_id, 16);
	memcpy(out->span_id, s->span_id, 8);
	out->flags = s->flags;
	out->remote = false;
	out->xflags = s->xflags & TS_CTX_DEBUG;
}

TS_HOT
bool ts_span_ctx_is_valid(const struct ts_span_ctx *c)
{
	return !ts_ids_is_zero(c->trace_id, 16) && !ts_ids_is_zero(c->span_id, 8);
}

static bool arena_put(struct ts_span *s, const char *p, size_t len,
		      uint16_t *off);

static ts_span_expander expanders[TS_DEFER_KINDS_];

/* Arena bytes a long string value leaves for the ones after it. */
#define ARENA_RESERVE 128

void ts_span_set_expander(enum ts_span_defer kind, ts_span_expander fn)
{
	if (kind > TS_DEFER_NONE && kind < TS_DEFER_KINDS_)
		expanders[kind] = fn;
}

void ts_span_expand(struct ts_span *s)
{
	ts_span_expander fn;

	if (s->defer == TS_DEFER_NONE)
		return;
	fn = s->defer < TS_DEFER_KINDS_ ? expanders[s->defer] : NULL;
	if (fn)
		fn(s); /* clears s->defer */
	s->defer = TS_DEFER_NONE;
}

TS_HOT
bool ts_span_arena_put(struct ts_span *s, const void *p, size_t len,
		       uint16_t *off)
{
	return arena_put(s, p, len, off);
}

/* Copy bytes into the arena; false when there is no room. */
static bool arena_put(struct ts_span *s, const char *p, size_t len,
		      uint16_t *off)
{
	if (len > (size_t)TS_SPAN_ARENA - s->arena_used)
		return false;
	if (!len) { /* p may be NULL: no memcpy */
		*off = s->arena_used;
		return true;
	}
	memcpy(s->arena + s->arena_used, p, len);
	*off = s->arena_used;
	s->arena_used = (uint16_t)(s->arena_used + len);
	return true;
}

/*
 * The longest start of p[0..len) that stays within `max_bytes` bytes and
 * `max_chars` characters as the encoders will write it, never splitting
 * a UTF-8 sequence.  They write each byte of malformed input as U+FFFD,
 * one character of three bytes (reporter/buf.c, ts_utf8_seq_len), so such
 * a byte is counted that way: a limit holds in what is exported, not only
 * in what was recorded.
 */
static size_t utf8_cut_as_sent(const char *s, size_t len, size_t max_bytes,
			       size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0, chars = 0, n, w;

	/* Within both limits whatever the bytes are (3 bytes per byte at
	 * most): the usual case, no walk. */
	if (len <= max_chars && len <= max_bytes / 3)
		return len;
	while (i < len && chars < max_chars) {
		if (p[i] < 0x80)
			n = w = 1;
		else if ((n = ts_utf8_seq_len(p + i, len - i)) != 0)
			w = n;
		else
			n = 1, w = 3; /* U+FFFD */
		if (out + w > max_bytes)
			break;
		i += n, out += w, chars++;
	}
	return i;
}

/* Shorten `len` to at most `max` bytes as sent (see above). */
static size_t utf8_cut(const char *p, size_t len, size_t max)
{
	return utf8_cut_as_sent(p, len, max, SIZE_MAX);
}

/* ---- attribute limits (branch sampling) --------------------------------
 *
 * OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT
 * (and their general/span twins), read from ts_cfg.  A zeroed ts_cfg (unit
 * tests, or a span made before the configuration is loaded) has neither
 * limit set: the specification's defaults apply, 128 attributes (which our
 * record caps at TS_SPAN_MAX_ATTRS) and no length limit (TS_SPAN_VALUE_MAX
 * bytes still apply).  ts_cfg is written once before any span and read-only
 * after, so the plain loads are safe from any thread and signal handler.
 */
static unsigned attr_count_max(void)
{
	if (ts_cfg.attr_count_set && ts_cfg.attr_count_limit < TS_SPAN_MAX_ATTRS)
		return ts_cfg.attr_count_limit;
	return TS_SPAN_MAX_ATTRS;
}

/* A string attribute's value as kept: the configured character limit
 * (the specification counts every character as one) and our own byte
 * limit, both as sent and at character boundaries. */
static size_t attr_value_len(const char *val, size_t len)
{
	return utf8_cut_as_sent(val, len, TS_SPAN_VALUE_MAX,
				ts_cfg.attr_value_set ? ts_cfg.attr_value_limit
						      : SIZE_MAX);
}

/* ---- end of branch sampling's limits ------------------------------------ */

TS_HOT
bool ts_span_set_name(struct ts_span *s, const char *name, size_t len)
{
	len = utf8_cut(name, len, TS_SPAN_VALUE_MAX);
	if (!arena_put(s, name, len, &s->name_off))
		return false;
	s->name_len = (uint16_t)len;
	return true;
}

bool ts_span_set_tracestate(struct ts_span *s, const char *ts, size_t len)
{
	if (len > TS_SPAN_VALUE_MAX || !arena_put(s, ts, len, &s->tstate_off))
		return false;
	s->tstate_len = (uint16_t)len;
	return true;
}

/* Reserve a descriptor and store its key (a copy in the arena, or only
 * the address of a literal); NULL (and a drop) if full. */
static struct ts_attr *attr_new(struct ts_span *s, const char *key,
				size_t klen, enum ts_attr_type type, bool lit)
{
	struct ts_attr *a;

	if (s->nattrs >= attr_count_max() || klen > 255)
		goto out_drop;
	a = &s->attrs[s->nattrs];
	a->key = lit ? key : NULL;
	if (!lit && !arena_put(s, key, klen, &a->key_off))
		goto out_drop;
	a->key_len = (uint8_t)klen;
	a->type = (uint8_t)type;
	a->val_off = a->val_len = 0;
	a->ival = 0;
	return a;
out_drop:
	s->dropped_attrs++;
	return NULL;
}

static bool attr_str(struct ts_span *s, const char *key, size_t klen,
		     const char *val, size_t len, bool lit)
{
	uint16_t used = s->arena_used;
	struct ts_attr *a = attr_new(s, key, klen, TS_ATTR_STRING, lit);

	if (!a)
		return false;
	len = attr_value_len(val, len);
	if (len > (size_t)TS_SPAN_ARENA - s->arena_used &&
	    (size_t)TS_SPAN_ARENA - s->arena_used > ARENA_RESERVE + 32)
		/* Cut to the room left, less a reserve for the attributes
		 * after it: a long value shortened rather than lost. */
		len = utf8_cut(val, len,
			       (size_t)TS_SPAN_ARENA - s->arena_used -
				       ARENA_RESERVE);
	if (!arena_put(s, val, len, &a->val_off)) {
		s->arena_used = used; /* give the key's bytes back */
		s->dropped_attrs++;
		return false;
	}
	a->val_len = (uint16_t)len;
	s->nattrs++;
	return true;
}

bool ts_span_attr_str_in(struct ts_span *s, const char *key, size_t klen,
			 uint16_t off, size_t len)
{
	struct ts_attr *a;

	if (off > s->arena_used) {
		s->dropped_attrs++; /* not a value of this record */
		return false;
	}
	if ((size_t)off + len > s->arena_used)
		len = s->arena_used - off; /* recorded cut: the value is too */
	a = attr_new(s, key, klen, TS_ATTR_STRING, true);
	if (!a)
		return false;
	a->val_off = off;
	a->val_len = (uint16_t)attr_value_len(s->arena + off, len);
	s->nattrs++;
	return true;
}

/* An int or bool attribute: the value is in the descriptor. */
static bool attr_num(struct ts_span *s, const char *key, size_t klen,
		     enum ts_attr_type type, int64_t val, bool lit)
{
	struct ts_attr *a = attr_new(s, key, klen, type, lit);

	if (!a)
		return false;
	a->ival = val;
	s->nattrs++;
	return true;
}

bool ts_span_attr_str(struct ts_span *s, const char *key, size_t klen,
		      const char *val, size_t len)
{
	return attr_str(s, key, klen, val, len, false);
}

bool ts_span_attr_str_lit(struct ts_span *s, const char *key, size_t klen,
			  const char *val, size_t len)
{
	return attr_str(s, key, klen, val, len, true);
}

bool ts_span_attr_int(struct ts_span *s, const char *key, size_t klen,
		      int64_t val)
{
	return attr_num(s, key, klen, TS_ATTR_INT, val, false);
}

bool ts_span_attr_int_lit(struct ts_span *s, const char *key, size_t klen,
			  int64_t val)
{
	return attr_num(s, key, klen, TS_ATTR_INT, val, true);
}

bool ts_span_attr_strarray(struct ts_span *s, const char *key, size_t klen,
			   const char *vals, size_t len)
{
	uint16_t used = s->arena_used, off = 0, first = 0;
	struct ts_attr *a = attr_new(s, key, klen, TS_ATTR_STRARRAY, false);
	const char *p = vals, *end = vals + len;
	size_t total = 0, n;
	bool any = false;

	if (!a)
		return false;
	for (; p < end; p += strnlen(p, (size_t)(end - p)) + 1) {
		n = attr_value_len(p, strnlen(p, (size_t)(end - p)));
		if (total + n + 1 > TS_SPAN_VALUE_MAX ||
		    !arena_put(s, p, n, &off) || !arena_put(s, "", 1, &off))
			break;
		if (!any)
			first = (uint16_t)(s->arena_used - n - 1);
		any = true;
		total += n + 1;
	}
	if (!any) {
		s->arena_used = used; /* give the key's bytes back */
		s->dropped_attrs++;
		return false;
	}
	a->val_off = first;
	a->val_len = (uint16_t)total;
	s->nattrs++;
	return true;
}

bool ts_span_attr_bool(struct ts_span *s, const char *key, size_t klen,
		       bool val)
{
	return attr_num(s, key, klen, TS_ATTR_BOOL, val, false);
}

bool ts_span_attr_bool_lit(struct ts_span *s, const char *key, size_t klen,
			   bool val)
{
	return attr_num(s, key, klen, TS_ATTR_BOOL, val, true);
}

void ts_span_set_status(struct ts_span *s, enum ts_status st,
			const char *msg, size_t len)
{
	s->status = (uint8_t)st;
	s->smsg_len = 0;
	/* The specification: a description is only kept with ERROR. */
	if (st == TS_STATUS_ERROR && msg && len) {
		len = utf8_cut(msg, len, TS_SPAN_VALUE_MAX);
		if (arena_put(s, msg, len, &s->smsg_off))
			s->smsg_len = (uint16_t)len;
	}
}

bool ts_span_end(struct ts_span *s)
{
	return ts_span_end_at(s, ts_clock_mono_ns());
}

TS_HOT
bool ts_span_end_at(struct ts_span *s, uint64_t now)
{
	/* Not sampled: its context travelled on, the span records nothing. */
	if (!(s->flags & TS_TRACE_FLAG_SAMPLED))
		return false;
	s->end_unix_ns = s->start_unix_ns +
			 (now > s->start_mono_ns ? now - s->start_mono_ns : 0);
	return ts_pipeline_submit(s);
}
