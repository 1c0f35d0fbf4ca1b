/*
 * otlp_json.c - OTLP/JSON encoder (see otlp_json.h).
 *
 * Written by hand for a fixed schema into a reused buffer: no allocation
 * per span, no generic JSON library.  The resource (once per batch) goes
 * through the checked ts_buf writers; each span is written with raw
 * stores into room reserved once for its worst case.
 */
#include <string.h>

#include "../preload/span.h"
#include "otlp_json.h"
#include "resource.h"
#include "span_prefetch.h"

static void key_value_open(struct ts_buf *b, const char *key, size_t klen)
{
	ts_buf_puts(b, "{\"key\":");
	ts_buf_json_str(b, key, klen);
	ts_buf_puts(b, ",\"value\":{");
}

static void res_attr(struct ts_buf *b, const struct ts_res_attr *a)
{
	const char *p, *end;

	key_value_open(b, a->key, strlen(a->key));
	switch (a->type) {
	case TS_RES_INT:
		ts_buf_puts(b, "\"intValue\":\"");
		ts_buf_i64(b, a->ival);
		ts_buf_putc(b, '"');
		break;
	case TS_RES_STRARRAY:
		ts_buf_puts(b, "\"arrayValue\":{\"values\":[");
		for (p = a->str, end = a->str + a->len; p < end;
		     p += strlen(p) + 1) {
			if (p != a->str)
				ts_buf_putc(b, ',');
			ts_buf_puts(b, "{\"stringValue\":");
			ts_buf_json_str(b, p, strlen(p));
			ts_buf_putc(b, '}');
		}
		ts_buf_puts(b, "]}");
		break;
	default:
		ts_buf_puts(b, "\"stringValue\":");
		ts_buf_json_str(b, a->str, a->len);
	}
	ts_buf_puts(b, "}}");
}

/*
 * Spans are written with raw stores after one reservation of their worst
 * case: every string byte escaped to six, plus the fixed text.
 */
static size_t span_bound(const struct ts_span *s)
{
	size_t n = (size_t)s->name_len + s->tstate_len + s->smsg_len;
	unsigned i;

	size_t elems = 0;

	for (i = 0; i < s->nattrs; i++) {
		n += s->attrs[i].key_len +
		     (s->attrs[i].type == TS_ATTR_STRING ||
				      s->attrs[i].type == TS_ATTR_STRARRAY
			      ? s->attrs[i].val_len
			      : 0);
		/* At most one element per byte (each has its NUL). */
		if (s->attrs[i].type == TS_ATTR_STRARRAY)
			elems += s->attrs[i].val_len;
	}
	/* An element costs 20 bytes more than its string: {"stringValue":},
	 * and the array around them 30. */
	return TS_JSON_MAX(n) + 20u * elems + 126u * s->nattrs + 512;
}

static char *span_attr(char *p, const struct ts_span *s,
		       const struct ts_attr *a)
{
	p = TS_PUT_LIT(p, "{\"key\":");
	p = ts_put_json_str(p, ts_attr_key(s, a), a->key_len);
	p = TS_PUT_LIT(p, ",\"value\":{");
	switch (a->type) {
	case TS_ATTR_INT:
		p = TS_PUT_LIT(p, "\"intValue\":\"");
		p = ts_put_i64(p, a->ival);
		*p++ = '"';
		break;
	case TS_ATTR_BOOL:
		p = a->ival ? TS_PUT_LIT(p, "\"boolValue\":true")
			    : TS_PUT_LIT(p, "\"boolValue\":false");
		break;
	case TS_ATTR_STRARRAY: {
		bool first = true;

		p = TS_PUT_LIT(p, "\"arrayValue\":{\"values\":[");
		TS_ATTR_FOREACH_STR(s, a, v, end) {
			if (!first)
				*p++ = ',';
			first = false;
			p = TS_PUT_LIT(p, "{\"stringValue\":");
			p = ts_put_json_str(p, v, strlen(v));
			*p++ = '}';
		}
		p = TS_PUT_LIT(p, "]}");
		break;
	}
	default:
		p = TS_PUT_LIT(p, "\"stringValue\":");
		p = ts_put_json_str(p, ts_span_str(s, a->val_off), a->val_len);
	}
	return TS_PUT_LIT(p, "}}");
}

static char *span_status(char *p, const struct ts_span *s)
{
	p = TS_PUT_LIT(p, ",\"status\":{");
	if (s->status != TS_STATUS_UNSET) {
		p = TS_PUT_LIT(p, "\"code\":");
		p = ts_put_u64(p, s->status);
		if (s->smsg_len) {
			p = TS_PUT_LIT(p, ",\"message\":");
			p = ts_put_json_str(p, ts_span_str(s, s->smsg_off),
					    s->smsg_len);
		}
	}
	return TS_PUT_LIT(p, "}}");
}

static char *span(char *p, const struct ts_span *s)
{
	unsigned i;
	/* Span.flags: W3C flags in bits 0-7; bit 8 says the remote bit
	 * (bit 9) is known. */
	unsigned flags = s->flags | 0x100u | (s->parent_remote ? 0x200u : 0);

	p = TS_PUT_LIT(p, "{\"traceId\":\"");
	p = ts_put_hex(p, s->trace_id, 16);
	p = TS_PUT_LIT(p, "\",\"spanId\":\"");
	p = ts_put_hex(p, s->span_id, 8);
	*p++ = '"';
	if (s->tstate_len) {
		p = TS_PUT_LIT(p, ",\"traceState\":");
		p = ts_put_json_str(p, ts_span_str(s, s->tstate_off),
				    s->tstate_len);
	}
	if (s->parent_id[0] | s->parent_id[1] | s->parent_id[2] |
	    s->parent_id[3] | s->parent_id[4] | s->parent_id[5] |
	    s->parent_id[6] | s->parent_id[7]) {
		p = TS_PUT_LIT(p, ",\"parentSpanId\":\"");
		p = ts_put_hex(p, s->parent_id, 8);
		*p++ = '"';
	}
	p = TS_PUT_LIT(p, ",\"flags\":");
	p = ts_put_u64(p, flags);
	p = TS_PUT_LIT(p, ",\"name\":");
	p = ts_put_json_str(p, ts_span_str(s, s->name_off), s->name_len);
	p = TS_PUT_LIT(p, ",\"kind\":");
	p = ts_put_u64(p, s->kind);
	p = TS_PUT_LIT(p, ",\"startTimeUnixNano\":\"");
	p = ts_put_u64(p, s->start_unix_ns);
	p = TS_PUT_LIT(p, "\",\"endTimeUnixNano\":\"");
	p = ts_put_u64(p, s->end_unix_ns);
	p = TS_PUT_LIT(p, "\",\"attributes\":[");
	for (i = 0; i < s->nattrs; i++) {
		if (i)
			*p++ = ',';
		p = span_attr(p, s, &s->attrs[i]);
	}
	*p++ = ']';
	if (s->dropped_attrs) {
		p = TS_PUT_LIT(p, ",\"droppedAttributesCount\":");
		p = ts_put_u64(p, s->dropped_attrs);
	}
	return span_status(p, s);
}

bool ts_otlp_json_encode(struct ts_buf *b, const struct ts_resource *res,
			 const struct ts_span *const *spans, size_t n)
{
	size_t i;

	ts_buf_puts(b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
	for (i = 0; i < res->n; i++) {
		if (i)
			ts_buf_putc(b, ',');
		res_attr(b, &res->attrs[i]);
	}
	ts_buf_puts(b, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"traceshim\","
		       "\"version\":\"" TS_VERSION "\"},\"spans\":[");
	for (i = 0; i < n; i++) {
		ts_span_prefetch_ahead(spans, i, n);
		if (!ts_buf_reserve(b, span_bound(spans[i]) + 1))
			return false;
		if (i)
			b->data[b->len++] = ',';
		b->len = (size_t)(span(b->data + b->len, spans[i]) - b->data);
	}
	ts_buf_puts(b, "]}]}]}");
	return !b->failed;
}
