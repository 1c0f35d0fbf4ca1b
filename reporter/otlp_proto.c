/*
 * otlp_proto.c - OTLP protobuf encoder (see otlp_proto.h).
 *
 * Field numbers are those of opentelemetry-proto's trace.proto,
 * common.proto and resource.proto (v1).  Each span is sized in a first
 * pass (which also learns whether each string needs UTF-8 repair) and
 * then written with unchecked stores into space reserved once, so the
 * per-span cost is two walks over its strings and one memcpy each.
 *
 * The outer messages (ResourceSpans, ScopeSpans) are length-prefixed too,
 * and their lengths are only known after the last span: the spans are
 * written after a gap large enough for the longest possible prefix, and
 * the prefix is then written right-aligned against the first span.  The
 * message therefore starts somewhere inside the gap (see *out).
 */
#include <string.h>

#include "../preload/span.h"
#include "otlp_proto.h"
#include "resource.h"
#include "span_prefetch.h"

/* Wire types and tags: (field << 3) | type. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };
#define TAG(f, t) ((unsigned)((f) << 3 | (t)))

/* Span fields. */
#define SPAN_TRACE_ID TAG(1, WT_LEN)
#define SPAN_SPAN_ID TAG(2, WT_LEN)
#define SPAN_TRACE_STATE TAG(3, WT_LEN)
#define SPAN_PARENT_ID TAG(4, WT_LEN)
#define SPAN_NAME TAG(5, WT_LEN)
#define SPAN_KIND TAG(6, WT_VARINT)
#define SPAN_START TAG(7, WT_I64)
#define SPAN_END TAG(8, WT_I64)
#define SPAN_ATTRS TAG(9, WT_LEN)
#define SPAN_DROPPED_ATTRS TAG(10, WT_VARINT)
#define SPAN_STATUS TAG(15, WT_LEN)
#define SPAN_FLAGS TAG(16, WT_I32) /* two-byte tag: 0x85 0x01 */
#define STATUS_MESSAGE TAG(2, WT_LEN)
#define STATUS_CODE TAG(3, WT_VARINT)
#define KV_KEY TAG(1, WT_LEN)
#define KV_VALUE TAG(2, WT_LEN)
#define ANY_STRING TAG(1, WT_LEN)
#define ANY_BOOL TAG(2, WT_VARINT)
#define ANY_INT TAG(3, WT_VARINT)
#define ANY_ARRAY TAG(5, WT_LEN)
#define ARRAY_VALUES TAG(1, WT_LEN)
#define RESOURCE_ATTRS TAG(1, WT_LEN)
#define SCOPE_NAME TAG(1, WT_LEN)
#define SCOPE_VERSION TAG(2, WT_LEN)
#define SS_SCOPE TAG(1, WT_LEN)
#define SS_SPANS TAG(2, WT_LEN)
#define RS_RESOURCE TAG(1, WT_LEN)
#define RS_SCOPE_SPANS TAG(2, WT_LEN)
#define REQ_RESOURCE_SPANS TAG(1, WT_LEN)

#define SCOPE_NAME_STR "traceshim"

static inline size_t vlen(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline char *put_varint(char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (char)v;
	return p;
}

static inline char *put_fixed64(char *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8); /* little-endian, as the wire wants */
#else
	for (int i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
#endif
	return p + 8;
}

/* --- UTF-8 repair ------------------------------------------------------ */

/* True when the 8 bytes at p are all ASCII. */
static inline bool ascii8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return !(w & 0x8080808080808080ull);
}

size_t ts_utf8_clean_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0, n;

	while (i < len) {
		if (i + 8 <= len && ascii8(s + i)) {
			i += 8, out += 8;
			continue;
		}
		if (p[i] < 0x80) {
			i++, out++;
			continue;
		}
		n = ts_utf8_seq_len(p + i, len - i);
		if (n) {
			i += n, out += n;
		} else {
			i++, out += 3; /* U+FFFD */
		}
	}
	return out;
}

char *ts_utf8_clean_copy(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			*dst++ = (char)p[i++];
			continue;
		}
		n = ts_utf8_seq_len(p + i, len - i);
		if (n) {
			memcpy(dst, p + i, n);
			dst += n, i += n;
		} else {
			memcpy(dst, "\xef\xbf\xbd", 3);
			dst += 3, i++;
		}
	}
	return dst;
}

/* A string field whose repaired length `clean` is known. */
static inline char *put_str(char *p, unsigned tag, const char *s, size_t len,
			    size_t clean)
{
	*p++ = (char)tag;
	p = put_varint(p, clean);
	if (clean == len)
		return ts_copy_small(p, s, len);
	return ts_utf8_clean_copy(p, s, len);
}

static inline size_t str_field_size(size_t clean)
{
	return 1 + vlen(clean) + clean;
}

/* --- spans ------------------------------------------------------------- */

/* Per-span sizes learnt in the sizing pass and reused by the writer. */
struct span_plan {
	bool ascii;                            /* whole arena is ASCII */
	size_t name, tstate, smsg;             /* repaired string lengths */
	size_t key[TS_SPAN_MAX_ATTRS];         /* repaired key lengths */
	size_t val[TS_SPAN_MAX_ATTRS];         /* repaired string values */
	size_t any[TS_SPAN_MAX_ATTRS];         /* AnyValue message sizes */
	size_t kv[TS_SPAN_MAX_ATTRS];          /* KeyValue message sizes */
	size_t status;                         /* Status message size */
	size_t total;                          /* Span message size */
};

/*
 * Repaired length of a span string: most spans are pure ASCII, checked
 * once for the whole arena, and then every string is valid as it is.
 */
static inline size_t clen(const struct span_plan *pl, const char *p, size_t n)
{
	return pl->ascii ? n : ts_utf8_clean_len(p, n);
}

static bool arena_is_ascii(const struct ts_span *s)
{
	const char *p = s->arena;
	size_t i = 0, n = s->arena_used;
	uint64_t acc = 0, w;

	/* Mostly ASCII: OR every word together, test once. */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return !(acc & 0x8080808080808080ull);
}

static bool has_parent(const struct ts_span *s)
{
	uint64_t w;

	memcpy(&w, s->parent_id, 8);
	return w != 0;
}

/* Size of a string-array attribute's ArrayValue (no tag, no length). */
static size_t span_array_size(const struct ts_span *s, const struct ts_attr *a)
{
	size_t n = 0, c;

	TS_ATTR_FOREACH_STR(s, a, v, end) {
		c = str_field_size(ts_utf8_clean_len(v, strlen(v)));
		n += 1 + vlen(c) + c; /* ArrayValue.values: one AnyValue */
	}
	return n;
}

static size_t attr_sizes(const struct ts_span *s, unsigned i,
			 struct span_plan *pl)
{
	const struct ts_attr *a = &s->attrs[i];

	/* A literal key is our own ASCII text; a copied one is in the arena. */
	pl->key[i] = a->key ? a->key_len
			    : clen(pl, ts_attr_key(s, a), a->key_len);
	switch (a->type) {
	case TS_ATTR_INT:
		pl->any[i] = 1 + vlen((uint64_t)a->ival);
		break;
	case TS_ATTR_BOOL:
		pl->any[i] = 2;
		break;
	case TS_ATTR_STRARRAY:
		/* AnyValue.array_value: its ArrayValue's size in val[i]. */
		pl->val[i] = span_array_size(s, a);
		pl->any[i] = 1 + vlen(pl->val[i]) + pl->val[i];
		break;
	default:
		pl->val[i] = clen(pl, ts_span_str(s, a->val_off), a->val_len);
		pl->any[i] = str_field_size(pl->val[i]);
	}
	pl->kv[i] = str_field_size(pl->key[i]) + 1 + vlen(pl->any[i]) +
		    pl->any[i];
	return 1 + vlen(pl->kv[i]) + pl->kv[i];
}

static size_t span_size(const struct ts_span *s, struct span_plan *pl)
{
	size_t n = 18 + 10 + 9 + 9 + 6; /* ids, times, flags */

	unsigned i;

	pl->tstate = pl->smsg = pl->status = 0;
	pl->ascii = arena_is_ascii(s);
	pl->name = clen(pl, ts_span_str(s, s->name_off), s->name_len);
	if (pl->name)
		n += str_field_size(pl->name);
	if (s->tstate_len) {
		pl->tstate = clen(pl, ts_span_str(s, s->tstate_off),
				  s->tstate_len);
		n += str_field_size(pl->tstate);
	}
	if (has_parent(s))
		n += 10;
	if (s->kind)
		n += 1 + vlen(s->kind);
	for (i = 0; i < s->nattrs; i++)
		n += attr_sizes(s, i, pl);
	if (s->dropped_attrs)
		n += 1 + vlen(s->dropped_attrs);
	if (s->status != TS_STATUS_UNSET) {
		pl->smsg = s->smsg_len
				   ? clen(pl, ts_span_str(s, s->smsg_off),
					  s->smsg_len)
				   : 0;
		pl->status = 2 + (pl->smsg ? str_field_size(pl->smsg) : 0);
		n += 1 + vlen(pl->status) + pl->status;
	}
	pl->total = n;
	return n;
}

static char *put_attr(char *p, const struct ts_span *s, unsigned i,
		      const struct span_plan *pl)
{
	const struct ts_attr *a = &s->attrs[i];

	*p++ = (char)SPAN_ATTRS;
	p = put_varint(p, pl->kv[i]);
	p = put_str(p, KV_KEY, ts_attr_key(s, a), a->key_len,
		    pl->key[i]);
	*p++ = (char)KV_VALUE;
	p = put_varint(p, pl->any[i]);
	switch (a->type) {
	case TS_ATTR_INT:
		*p++ = (char)ANY_INT;
		return put_varint(p, (uint64_t)a->ival);
	case TS_ATTR_BOOL:
		*p++ = (char)ANY_BOOL;
		*p++ = a->ival ? 1 : 0;
		return p;
	case TS_ATTR_STRARRAY:
		*p++ = (char)ANY_ARRAY;
		p = put_varint(p, pl->val[i]);
		TS_ATTR_FOREACH_STR(s, a, v, end) {
			size_t c = ts_utf8_clean_len(v, strlen(v));

			*p++ = (char)ARRAY_VALUES;
			p = put_varint(p, str_field_size(c));
			p = put_str(p, ANY_STRING, v, strlen(v), c);
		}
		return p;
	default:
		return put_str(p, ANY_STRING, ts_span_str(s, a->val_off),
			       a->val_len, pl->val[i]);
	}
}

static char *put_span(char *p, const struct ts_span *s,
		      const struct span_plan *pl)
{
	/* Span.flags: W3C flags in bits 0-7; bit 8 says the remote bit
	 * (bit 9) is known (as the JSON encoder writes it). */
	uint32_t flags = s->flags | 0x100u | (s->parent_remote ? 0x200u : 0);
	unsigned i;

	*p++ = (char)SPAN_TRACE_ID;
	*p++ = 16;
	memcpy(p, s->trace_id, 16);
	p += 16;
	*p++ = (char)SPAN_SPAN_ID;
	*p++ = 8;
	memcpy(p, s->span_id, 8);
	p += 8;
	if (s->tstate_len)
		p = put_str(p, SPAN_TRACE_STATE, ts_span_str(s, s->tstate_off),
			    s->tstate_len, pl->tstate);
	if (has_parent(s)) {
		*p++ = (char)SPAN_PARENT_ID;
		*p++ = 8;
		memcpy(p, s->parent_id, 8);
		p += 8;
	}
	if (pl->name)
		p = put_str(p, SPAN_NAME, ts_span_str(s, s->name_off),
			    s->name_len, pl->name);
	if (s->kind) {
		*p++ = (char)SPAN_KIND;
		p = put_varint(p, s->kind);
	}
	*p++ = (char)SPAN_START;
	p = put_fixed64(p, s->start_unix_ns);
	*p++ = (char)SPAN_END;
	p = put_fixed64(p, s->end_unix_ns);
	for (i = 0; i < s->nattrs; i++)
		p = put_attr(p, s, i, pl);
	if (s->dropped_attrs) {
		*p++ = (char)SPAN_DROPPED_ATTRS;
		p = put_varint(p, s->dropped_attrs);
	}
	if (s->status != TS_STATUS_UNSET) {
		*p++ = (char)SPAN_STATUS;
		p = put_varint(p, pl->status);
		if (pl->smsg)
			p = put_str(p, STATUS_MESSAGE,
				    ts_span_str(s, s->smsg_off), s->smsg_len,
				    pl->smsg);
		*p++ = (char)STATUS_CODE;
		*p++ = (char)s->status;
	}
	*p++ = (char)0x85; /* SPAN_FLAGS as a varint tag */
	*p++ = 0x01;
	p[0] = (char)flags; /* fixed32: little-endian */
	p[1] = (char)(flags >> 8);
	p[2] = (char)(flags >> 16);
	p[3] = (char)(flags >> 24);
	return p + 4;
}

/* --- resource and scope ------------------------------------------------ */

/* Size of a string array's ArrayValue message (without tag and length). */
static size_t res_array_size(const struct ts_res_attr *a)
{
	const char *p, *end;
	size_t n = 0, c;

	for (p = a->str, end = a->str + a->len; p < end; p += strlen(p) + 1) {
		c = str_field_size(ts_utf8_clean_len(p, strlen(p)));
		n += 1 + vlen(c) + c; /* ArrayValue.values: one AnyValue */
	}
	return n;
}

static size_t res_any_size(const struct ts_res_attr *a)
{
	size_t n;

	switch (a->type) {
	case TS_RES_INT:
		return 1 + vlen((uint64_t)a->ival);
	case TS_RES_STRARRAY:
		n = res_array_size(a);
		return 1 + vlen(n) + n;
	default:
		return str_field_size(ts_utf8_clean_len(a->str, a->len));
	}
}

static size_t res_kv_size(const struct ts_res_attr *a)
{
	size_t any = res_any_size(a);

	return str_field_size(ts_utf8_clean_len(a->key, strlen(a->key))) + 1 +
	       vlen(any) + any;
}

static size_t resource_size(const struct ts_resource *res)
{
	size_t n = 0, kv, i;

	for (i = 0; i < res->n; i++) {
		kv = res_kv_size(&res->attrs[i]);
		n += 1 + vlen(kv) + kv;
	}
	return n;
}

static char *put_cstr(char *p, unsigned tag, const char *s, size_t len)
{
	return put_str(p, tag, s, len, ts_utf8_clean_len(s, len));
}

static char *put_res_attr(char *p, const struct ts_res_attr *a)
{
	const char *s, *end;
	size_t any = res_any_size(a), c;

	*p++ = (char)RESOURCE_ATTRS;
	p = put_varint(p, res_kv_size(a));
	p = put_cstr(p, KV_KEY, a->key, strlen(a->key));
	*p++ = (char)KV_VALUE;
	p = put_varint(p, any);
	switch (a->type) {
	case TS_RES_INT:
		*p++ = (char)ANY_INT;
		return put_varint(p, (uint64_t)a->ival);
	case TS_RES_STRARRAY:
		*p++ = (char)ANY_ARRAY;
		p = put_varint(p, res_array_size(a));
		for (s = a->str, end = a->str + a->len; s < end;
		     s += strlen(s) + 1) {
			c = str_field_size(ts_utf8_clean_len(s, strlen(s)));
			*p++ = (char)ARRAY_VALUES;
			p = put_varint(p, c);
			p = put_cstr(p, ANY_STRING, s, strlen(s));
		}
		return p;
	default:
		return put_cstr(p, ANY_STRING, a->str, a->len);
	}
}

#define SCOPE_SIZE                                                             \
	(2 + sizeof(SCOPE_NAME_STR) - 1 + 2 + sizeof(TS_VERSION) - 1)

static char *put_scope(char *p)
{
	*p++ = (char)SS_SCOPE;
	*p++ = (char)SCOPE_SIZE;
	p = put_cstr(p, SCOPE_NAME, SCOPE_NAME_STR, sizeof(SCOPE_NAME_STR) - 1);
	return put_cstr(p, SCOPE_VERSION, TS_VERSION, sizeof(TS_VERSION) - 1);
}

/* --- the request ------------------------------------------------------- */

bool ts_otlp_proto_encode(struct ts_buf *b, const struct ts_resource *res,
			  const struct ts_span *const *spans, size_t n,
			  const char **out, size_t *len)
{
	struct span_plan pl;
	size_t res_sz = resource_size(res), gap, base, spans_sz, ss, rs, pre;
	size_t i;
	char *p;

	/* Longest prefix: three tag+5-byte lengths, resource, scope. */
	gap = 3 * 6 + 1 + vlen(res_sz) + res_sz + 2 + SCOPE_SIZE;
	if (!ts_buf_reserve(b, gap))
		return false;
	base = b->len;
	b->len += gap;
	for (i = 0; i < n; i++) {
		const struct ts_span *s = spans[i];

		ts_span_prefetch_ahead(spans, i, n);
		span_size(s, &pl); /* exact: the room to reserve */
		if (!ts_buf_reserve(b, 1 + vlen(pl.total) + pl.total))
			return false;
		p = b->data + b->len;
		*p++ = (char)SS_SPANS;
		p = put_varint(p, pl.total);
		p = put_span(p, s, &pl);
		b->len = (size_t)(p - b->data);
	}
	spans_sz = b->len - base - gap;
	ss = 2 + SCOPE_SIZE + spans_sz;
	rs = 1 + vlen(res_sz) + res_sz + 1 + vlen(ss) + ss;
	pre = 1 + vlen(rs) + (rs - spans_sz);
	p = b->data + base + gap - pre;
	*out = p;
	*len = pre + spans_sz;
	*p++ = (char)REQ_RESOURCE_SPANS;
	p = put_varint(p, rs);
	*p++ = (char)RS_RESOURCE;
	p = put_varint(p, res_sz);
	for (i = 0; i < res->n; i++)
		p = put_res_attr(p, &res->attrs[i]);
	*p++ = (char)RS_SCOPE_SPANS;
	p = put_varint(p, ss);
	p = put_scope(p);
	return p == b->data + base + gap && !b->failed;
}
