/*
 * jaeger_thrift.c - the Jaeger Thrift encoder and datagram packer (see
 * jaeger_thrift.h for the mapping and the layout).
 *
 * Field numbers below are jaeger.thrift's; they are written in order, so
 * almost every field header is one byte.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "../preload/log.h"
#include "../preload/span.h"
#include "buf.h"
#include "jaeger_thrift.h"
#include "resource.h"
#include "thrift_compact.h"

/* Bytes before the process in a datagram, at most: the message header
 * (2 + seqid varint + name), args field 1 and Batch field 1 headers. */
#define METHOD "emitBatch"
#define HEAD_MAX (2 + TS_TC_VARINT32_MAX + 1 + (sizeof(METHOD) - 1) + 2)
/* After the process: Batch field 2 header and the list header. */
#define MID_MAX (1 + TS_TC_LIST_MAX)
/* After the spans: Batch's and the arguments' stop bytes. */
#define TAIL 2

/* Constant tag strings and the most bytes their tags take. */
#define SCOPE_NAME "traceshim"
#define FIXED_TAGS 10 /* kind, status x3, scope x4, dropped, tracestate */

static const char *const kind_names[] = {
	[TS_KIND_SERVER] = "server",
	[TS_KIND_CLIENT] = "client",
	[TS_KIND_PRODUCER] = "producer",
	[TS_KIND_CONSUMER] = "consumer",
};

/* Big-endian bytes as Thrift's i64 (the same 64 bits, reinterpreted). */
static int64_t id64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return (int64_t)v;
}

/* Tag {1: key, 2: vType, ...}: the key and type, value field left open. */
static uint8_t *tag_open(uint8_t *p, int16_t *last, const char *key,
			 size_t klen, enum ts_jaeger_tag_type type)
{
	*last = 0;
	p = ts_tc_field(p, last, 1, TS_TC_BINARY);
	p = ts_tc_string(p, key, klen);
	p = ts_tc_field(p, last, 2, TS_TC_I32);
	return ts_tc_i32(p, (int32_t)type);
}

static uint8_t *tag_str(uint8_t *p, const char *key, size_t klen,
			const char *val, size_t vlen)
{
	int16_t last;

	p = tag_open(p, &last, key, klen, TS_JAEGER_STRING);
	p = ts_tc_field(p, &last, 3, TS_TC_BINARY);
	p = ts_tc_string(p, val, vlen);
	return ts_tc_stop(p);
}

static uint8_t *tag_long(uint8_t *p, const char *key, size_t klen, int64_t v)
{
	int16_t last;

	p = tag_open(p, &last, key, klen, TS_JAEGER_LONG);
	p = ts_tc_field(p, &last, 6, TS_TC_I64);
	p = ts_tc_i64(p, v);
	return ts_tc_stop(p);
}

static uint8_t *tag_bool(uint8_t *p, const char *key, size_t klen, bool v)
{
	int16_t last;

	p = tag_open(p, &last, key, klen, TS_JAEGER_BOOL);
	p = ts_tc_field_bool(p, &last, 5, v);
	return ts_tc_stop(p);
}

/*
 * Tags that are the same for many spans (scope, kind, status, error) are
 * encoded once and copied: they are most of a span's tags, and copying
 * beats validating and writing the same strings again for every span.
 */
struct blob {
	uint8_t b[160];          /* encoded Tag structs, back to back */
	uint8_t len;             /* bytes used */
};

static struct {
	struct blob scope;       /* otel.scope.name/.version, otel.library.* */
	struct blob kind[TS_ARRAY_SIZE(kind_names)]; /* span.kind=<kind> */
	struct blob ok, error;   /* otel.status_code=OK / =ERROR, error=true */
} consts;
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

/* The scope blob, the largest: four keys (70 bytes), the name and version
 * twice, 7 bytes of framing per tag (strings under 128 bytes). */
_Static_assert(70 + 2 * (sizeof(SCOPE_NAME) - 1) + 2 * (sizeof(TS_VERSION) - 1) +
		       4 * 7 <= sizeof(((struct blob *)0)->b),
	       "the scope tags outgrew their blob");

static void blob_str(struct blob *bl, const char *key, const char *val)
{
	uint8_t *p = bl->b + bl->len;

	p = tag_str(p, key, strlen(key), val, strlen(val));
	bl->len = (uint8_t)(p - bl->b);
}

static void consts_init(void)
{
	uint8_t *p;

	blob_str(&consts.scope, "otel.scope.name", SCOPE_NAME);
	blob_str(&consts.scope, "otel.scope.version", TS_VERSION);
	blob_str(&consts.scope, "otel.library.name", SCOPE_NAME);
	blob_str(&consts.scope, "otel.library.version", TS_VERSION);
	for (size_t k = 0; k < TS_ARRAY_SIZE(kind_names); k++)
		if (kind_names[k])
			blob_str(&consts.kind[k], "span.kind", kind_names[k]);
	blob_str(&consts.ok, "otel.status_code", "OK");
	blob_str(&consts.error, "otel.status_code", "ERROR");
	p = tag_bool(consts.error.b + consts.error.len, "error", 5, true);
	consts.error.len = (uint8_t)(p - consts.error.b);
}

static uint8_t *put_blob(uint8_t *p, const struct blob *bl)
{
	memcpy(p, bl->b, bl->len);
	return p + bl->len;
}

/* Most bytes of a tag besides 3x its key and value bytes. */
#define TAG_OVERHEAD                                                           \
	(3 * TS_TC_FIELD_MAX + 2 * TS_TC_VARINT64_MAX + TS_TC_VARINT32_MAX + 1)

size_t ts_jaeger_span_bound(const struct ts_span *s)
{
	/*
	 * The strings written, each counted (two attributes may share bytes
	 * of the arena, a literal key is in none), and a string never grows
	 * by more than 3x (invalid bytes become U+FFFD); the constant tags'
	 * keys and values are under 256 bytes together.
	 */
	size_t strs = (size_t)s->name_len + s->tstate_len + s->smsg_len;

	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];

		strs += a->key_len;
		/* An array: its bytes, and a JSON list string of up to 9x
		 * them. */
		if (a->type == TS_ATTR_STRARRAY)
			strs += 10u * a->val_len + 2;
		else if (a->type == TS_ATTR_STRING)
			strs += a->val_len;
	}
	return 14 * (TS_TC_FIELD_MAX + TS_TC_VARINT64_MAX) + 2 * TS_TC_LIST_MAX +
	       3 * strs + (size_t)(s->nattrs + FIXED_TAGS) * TAG_OVERHEAD + 256;
}

/* A string array as the specification wants it outside OTLP: the text of
 * a JSON list ("[\"a\",\"b\"]").  `out` holds 9x the value + 2 bytes. */
static size_t json_list(const struct ts_span *s, const struct ts_attr *a,
			char *out)
{
	char *p = out;
	bool first = true;

	*p++ = '[';
	TS_ATTR_FOREACH_STR(s, a, v, end) {
		if (!first)
			*p++ = ',';
		first = false;
		p = ts_put_json_str(p, v, strlen(v));
	}
	*p++ = ']';
	return (size_t)(p - out);
}

static bool is_root(const struct ts_span *s)
{
	uint64_t v;

	memcpy(&v, s->parent_id, 8);
	return v == 0;
}

/* Is attribute a written?  ERROR's error=true replaces `error`. */
static bool attr_kept(const struct ts_span *s, const struct ts_attr *a)
{
	return !(s->status == TS_STATUS_ERROR && a->key_len == 5 &&
		 !memcmp(ts_attr_key(s, a), "error", 5));
}

static const char *kind_name(const struct ts_span *s)
{
	return s->kind < TS_ARRAY_SIZE(kind_names) ? kind_names[s->kind] : NULL;
}

static uint32_t tag_count(const struct ts_span *s)
{
	uint32_t n = 4; /* scope name and version, and their aliases */

	for (unsigned i = 0; i < s->nattrs; i++)
		n += attr_kept(s, &s->attrs[i]);
	/* The same predicates as span_tags(), so the count always matches. */
	n += kind_name(s) != NULL;
	n += s->status == TS_STATUS_OK;
	n += s->status == TS_STATUS_ERROR ? 2u + (s->smsg_len != 0) : 0u;
	n += s->dropped_attrs != 0;
	n += s->tstate_len != 0;
	return n;
}

static uint8_t *span_tags(uint8_t *p, const struct ts_span *s)
{
	p = ts_tc_list(p, TS_TC_STRUCT, tag_count(s));
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];
		const char *key = ts_attr_key(s, a);

		if (!attr_kept(s, a))
			continue;
		if (a->type == TS_ATTR_INT) {
			p = tag_long(p, key, a->key_len, a->ival);
		} else if (a->type == TS_ATTR_BOOL) {
			p = tag_bool(p, key, a->key_len, a->ival != 0);
		} else if (a->type == TS_ATTR_STRARRAY) {
			char list[9 * TS_SPAN_VALUE_MAX + 2];

			p = tag_str(p, key, a->key_len, list,
				    json_list(s, a, list));
		} else {
			p = tag_str(p, key, a->key_len,
				    ts_span_str(s, a->val_off), a->val_len);
		}
	}
	if (kind_name(s))
		p = put_blob(p, &consts.kind[s->kind]);
	if (s->status == TS_STATUS_OK)
		p = put_blob(p, &consts.ok);
	if (s->status == TS_STATUS_ERROR) {
		p = put_blob(p, &consts.error); /* with error=true */
		if (s->smsg_len)
			p = tag_str(p, "otel.status_description", 23,
				    ts_span_str(s, s->smsg_off), s->smsg_len);
	}
	if (s->dropped_attrs)
		p = tag_long(p, "otel.dropped_attributes_count", 29,
			     s->dropped_attrs);
	if (s->tstate_len)
		p = tag_str(p, "w3c.tracestate", 14,
			    ts_span_str(s, s->tstate_off), s->tstate_len);
	return put_blob(p, &consts.scope);
}

uint8_t *ts_jaeger_span(uint8_t *p, const struct ts_span *s)
{
	int16_t last = 0, rlast = 0;
	int64_t lo = id64(s->trace_id + 8), hi = id64(s->trace_id);
	int64_t start = (int64_t)(s->start_unix_ns / 1000);
	int64_t end = (int64_t)(s->end_unix_ns / 1000);
	bool root = is_root(s);

	pthread_once(&consts_once, consts_init);
	p = ts_tc_field(p, &last, 1, TS_TC_I64);
	p = ts_tc_i64(p, lo);
	p = ts_tc_field(p, &last, 2, TS_TC_I64);
	p = ts_tc_i64(p, hi);
	p = ts_tc_field(p, &last, 3, TS_TC_I64);
	p = ts_tc_i64(p, id64(s->span_id));
	p = ts_tc_field(p, &last, 4, TS_TC_I64);
	p = ts_tc_i64(p, root ? 0 : id64(s->parent_id));
	p = ts_tc_field(p, &last, 5, TS_TC_BINARY);
	p = ts_tc_string(p, ts_span_str(s, s->name_off), s->name_len);
	if (!root) {
		/* The specification: the parent is the first reference. */
		p = ts_tc_field(p, &last, 6, TS_TC_LIST);
		p = ts_tc_list(p, TS_TC_STRUCT, 1);
		p = ts_tc_field(p, &rlast, 1, TS_TC_I32);
		p = ts_tc_i32(p, TS_JAEGER_CHILD_OF);
		p = ts_tc_field(p, &rlast, 2, TS_TC_I64);
		p = ts_tc_i64(p, lo);
		p = ts_tc_field(p, &rlast, 3, TS_TC_I64);
		p = ts_tc_i64(p, hi);
		p = ts_tc_field(p, &rlast, 4, TS_TC_I64);
		p = ts_tc_i64(p, id64(s->parent_id));
		p = ts_tc_stop(p);
	}
	p = ts_tc_field(p, &last, 7, TS_TC_I32);
	p = ts_tc_i32(p, s->flags & TS_TRACE_FLAG_SAMPLED ? 1 : 0);
	p = ts_tc_field(p, &last, 8, TS_TC_I64);
	p = ts_tc_i64(p, start);
	p = ts_tc_field(p, &last, 9, TS_TC_I64);
	p = ts_tc_i64(p, end > start ? end - start : 0);
	p = ts_tc_field(p, &last, 10, TS_TC_LIST);
	p = span_tags(p, s);
	return ts_tc_stop(p);
}

/* Append a resource attribute as a process tag. */
static bool process_tag(struct ts_buf *b, struct ts_buf *scratch,
			const struct ts_res_attr *a)
{
	const char *val = a->str, *q, *end;
	size_t vlen = a->len, klen = strlen(a->key);
	uint8_t *p;

	if (a->type == TS_RES_STRARRAY) {
		/* The specification: arrays become a JSON list string. */
		ts_buf_reset(scratch);
		ts_buf_putc(scratch, '[');
		for (q = a->str, end = a->str + a->len; q < end;
		     q += strlen(q) + 1) {
			if (q != a->str)
				ts_buf_putc(scratch, ',');
			ts_buf_json_str(scratch, q, strlen(q));
		}
		ts_buf_putc(scratch, ']');
		if (scratch->failed)
			return false;
		val = scratch->data;
		vlen = scratch->len;
	}
	if (!ts_buf_reserve(b, TAG_OVERHEAD + 3 * (klen + vlen)))
		return false;
	p = (uint8_t *)b->data + b->len;
	if (a->type == TS_RES_INT)
		p = tag_long(p, a->key, klen, a->ival);
	else
		p = tag_str(p, a->key, klen, val, vlen);
	b->len = (size_t)(p - (uint8_t *)b->data);
	return true;
}

bool ts_jaeger_process(struct ts_buf *b, struct ts_buf *scratch,
		       const struct ts_resource *res, bool with_tags)
{
	const struct ts_res_attr *svc = ts_resource_find(res, "service.name");
	const char *name = svc ? svc->str : "unknown_service";
	size_t nlen = svc ? svc->len : strlen(name), i;
	uint32_t ntags = (uint32_t)(res->n - (svc != NULL));
	int16_t last = 0;
	uint8_t *p;

	if (!ts_buf_reserve(b, 2 * TS_TC_FIELD_MAX + TS_TC_LIST_MAX + 1 +
				       ts_tc_string_bound(nlen)))
		return false;
	p = (uint8_t *)b->data + b->len;
	p = ts_tc_field(p, &last, 1, TS_TC_BINARY);
	p = ts_tc_string(p, name, nlen);
	if (with_tags && ntags) {
		p = ts_tc_field(p, &last, 2, TS_TC_LIST);
		p = ts_tc_list(p, TS_TC_STRUCT, ntags);
		b->len = (size_t)(p - (uint8_t *)b->data);
		for (i = 0; i < res->n; i++)
			if (&res->attrs[i] != svc &&
			    !process_tag(b, scratch, &res->attrs[i]))
				return false;
		if (!ts_buf_reserve(b, 1))
			return false;
		p = (uint8_t *)b->data + b->len;
	}
	p = ts_tc_stop(p);
	b->len = (size_t)(p - (uint8_t *)b->data);
	return !b->failed;
}

/* --- datagrams ---------------------------------------------------------- */

struct pack {
	struct ts_jaeger_enc *enc;
	size_t max;              /* datagram limit */
	size_t room;             /* headroom before the first span */
	size_t nspans;           /* spans in the current datagram */
	size_t len;              /* their bytes (they start at `room`) */
	ts_jaeger_emit_fn emit;
	void *ctx;
	struct ts_jaeger_stats *st;
};

static size_t list_len(size_t n)
{
	return n < 15 ? 1 : 1 + ts_tc_varint_len(n);
}

/* Datagram size with `nspans` spans of `len` bytes in all. */
static size_t dgram_size(const struct pack *pk, size_t nspans, size_t len)
{
	return 2 + ts_tc_varint_len(pk->enc->seqid) + 1 + sizeof(METHOD) - 1 +
	       2 + pk->enc->process.len + 1 + list_len(nspans) + len + TAIL;
}

/* Write the head right before the spans and hand the datagram over. */
static int flush(struct pack *pk)
{
	static const uint8_t tail[TAIL] = { 0, 0 };
	struct ts_jaeger_enc *enc = pk->enc;
	uint8_t head[HEAD_MAX], mid[MID_MAX], *h, *m, *spans;
	size_t hlen, mlen, size = dgram_size(pk, pk->nspans, pk->len);
	struct iovec iov[2];
	int err;

	h = ts_tc_message(head, METHOD, TS_TC_ONEWAY, enc->seqid);
	*h++ = 1 << 4 | TS_TC_STRUCT; /* emitBatch_args field 1: batch */
	*h++ = 1 << 4 | TS_TC_STRUCT; /* Batch field 1: process */
	hlen = (size_t)(h - head);
	m = mid;
	*m++ = 1 << 4 | TS_TC_LIST;   /* Batch field 2: spans */
	m = ts_tc_list(m, TS_TC_STRUCT, (uint32_t)pk->nspans);
	mlen = (size_t)(m - mid);
	/* Right-aligned in the headroom: the datagram is one run of bytes. */
	spans = (uint8_t *)enc->dgram.data + pk->room;
	memcpy(spans - mlen, mid, mlen);
	memcpy(spans - mlen - enc->process.len, enc->process.data,
	       enc->process.len);
	memcpy(spans - mlen - enc->process.len - hlen, head, hlen);
	iov[0].iov_base = spans - mlen - enc->process.len - hlen;
	iov[0].iov_len = hlen + enc->process.len + mlen + pk->len;
	iov[1].iov_base = (void *)tail;
	iov[1].iov_len = TAIL;
	enc->seqid++;
	err = pk->emit(pk->ctx, iov, 2, pk->nspans);
	if (err == 0) {
		pk->st->datagrams++;
		pk->st->spans += pk->nspans;
		if (size > pk->st->largest)
			pk->st->largest = size;
	}
	pk->nspans = pk->len = 0;
	return err;
}

/* Encode s after the current datagram's spans; flush first if it is full. */
static int add_span(struct pack *pk, const struct ts_span *s)
{
	struct ts_buf *d = &pk->enc->dgram;
	uint8_t *at, *end;
	size_t sz;
	int err;

	/* d->len is always room + len: the span goes at d->len. */
	if (!ts_buf_reserve(d, ts_jaeger_span_bound(s)))
		return -ENOMEM;
	at = (uint8_t *)d->data + pk->room + pk->len;
	end = ts_jaeger_span(at, s);
	sz = (size_t)(end - at);
	if (dgram_size(pk, pk->nspans + 1, pk->len + sz) <= pk->max) {
		pk->nspans++;
		pk->len += sz;
		d->len = pk->room + pk->len;
		return 0;
	}
	if (pk->nspans) {
		err = flush(pk);
		if (err)
			return err;
		memmove(d->data + pk->room, at, sz);
	}
	if (dgram_size(pk, 1, sz) > pk->max) {
		pk->st->too_big++;
		d->len = pk->room;
		return 0;
	}
	pk->nspans = 1;
	pk->len = sz;
	d->len = pk->room + sz;
	return 0;
}

/* Encode the process, without its tags if with them it leaves no room. */
static int encode_process(struct ts_jaeger_enc *enc,
			  const struct ts_resource *res, size_t max)
{
	size_t need = HEAD_MAX + MID_MAX + TAIL + 256; /* room for a span */

	ts_buf_reset(&enc->process);
	if (!ts_jaeger_process(&enc->process, &enc->scratch, res, true))
		return -ENOMEM;
	if (enc->process.len + need <= max)
		return 0;
	ts_warn_once("the resource takes %zu bytes in Jaeger's process, too "
		     "many for %zu-byte datagrams; process tags are left out",
		     enc->process.len, max);
	ts_buf_reset(&enc->process);
	if (!ts_jaeger_process(&enc->process, &enc->scratch, res, false))
		return -ENOMEM;
	return enc->process.len + need <= max ? 0 : -EMSGSIZE;
}

int ts_jaeger_encode_batch(struct ts_jaeger_enc *enc,
			   const struct ts_resource *res,
			   const struct ts_span *const *spans, size_t n,
			   size_t max, ts_jaeger_emit_fn emit, void *ctx,
			   struct ts_jaeger_stats *st)
{
	struct pack pk = { .enc = enc, .max = max, .emit = emit, .ctx = ctx,
			   .st = st };
	size_t i;
	int err;

	memset(st, 0, sizeof(*st));
	err = encode_process(enc, res, max);
	if (err)
		return err;
	pk.room = HEAD_MAX + enc->process.len + MID_MAX;
	ts_buf_reset(&enc->dgram);
	if (!ts_buf_reserve(&enc->dgram, pk.room))
		return -ENOMEM;
	enc->dgram.len = pk.room;
	for (i = 0; i < n; i++) {
		err = add_span(&pk, spans[i]);
		if (err)
			return err;
	}
	return pk.nspans ? flush(&pk) : 0;
}

void ts_jaeger_enc_free(struct ts_jaeger_enc *enc)
{
	ts_buf_free(&enc->process);
	ts_buf_free(&enc->dgram);
	ts_buf_free(&enc->scratch);
}

void ts_jaeger_enc_forget(struct ts_jaeger_enc *enc)
{
	memset(&enc->process, 0, sizeof(enc->process));
	memset(&enc->dgram, 0, sizeof(enc->dgram));
	memset(&enc->scratch, 0, sizeof(enc->scratch));
}
