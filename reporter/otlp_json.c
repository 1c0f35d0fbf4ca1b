/*
 * otlp_json.c - OTLP/JSON encoder (see otlp_json.h).
 *
 * Written by hand for a fixed schema into a reused buffer: no allocation
 * per span, no generic JSON library.
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

static void span_attr(struct ts_buf *b, const struct ts_span *s,
		      const struct ts_attr *a)
{
	key_value_open(b, ts_span_str(s, a->key_off), a->key_len);
	switch (a->type) {
	case TS_ATTR_INT:
		ts_buf_puts(b, "\"intValue\":\"");
		ts_buf_i64(b, a->ival);
		ts_buf_putc(b, '"');
		break;
	case TS_ATTR_BOOL:
		ts_buf_puts(b, a->ival ? "\"boolValue\":true"
				       : "\"boolValue\":false");
		break;
	default:
		ts_buf_puts(b, "\"stringValue\":");
		ts_buf_json_str(b, ts_span_str(s, a->val_off), a->val_len);
	}
	ts_buf_puts(b, "}}");
}

static void span(struct ts_buf *b, const struct ts_span *s)
{
	unsigned i;
	/* Span.flags: W3C flags in bits 0-7; bit 8 says the remote bit
	 * (bit 9) is known. */
	unsigned flags = s->flags | 0x100u | (s->parent_remote ? 0x200u : 0);

	ts_buf_puts(b, "{\"traceId\":\"");
	ts_buf_hex(b, s->trace_id, 16);
	ts_buf_puts(b, "\",\"spanId\":\"");
	ts_buf_hex(b, s->span_id, 8);
	ts_buf_putc(b, '"');
	if (s->tstate_len) {
		ts_buf_puts(b, ",\"traceState\":");
		ts_buf_json_str(b, ts_span_str(s, s->tstate_off), s->tstate_len);
	}
	if (s->parent_id[0] | s->parent_id[1] | s->parent_id[2] |
	    s->parent_id[3] | s->parent_id[4] | s->parent_id[5] |
	    s->parent_id[6] | s->parent_id[7]) {
		ts_buf_puts(b, ",\"parentSpanId\":\"");
		ts_buf_hex(b, s->parent_id, 8);
		ts_buf_putc(b, '"');
	}
	ts_buf_puts(b, ",\"flags\":");
	ts_buf_u64(b, flags);
	ts_buf_puts(b, ",\"name\":");
	ts_buf_json_str(b, ts_span_str(s, s->name_off), s->name_len);
	ts_buf_puts(b, ",\"kind\":");
	ts_buf_u64(b, s->kind);
	ts_buf_puts(b, ",\"startTimeUnixNano\":\"");
	ts_buf_u64(b, s->start_unix_ns);
	ts_buf_puts(b, "\",\"endTimeUnixNano\":\"");
	ts_buf_u64(b, s->end_unix_ns);
	ts_buf_puts(b, "\",\"attributes\":[");
	for (i = 0; i < s->nattrs; i++) {
		if (i)
			ts_buf_putc(b, ',');
		span_attr(b, s, &s->attrs[i]);
	}
	ts_buf_putc(b, ']');
	if (s->dropped_attrs) {
		ts_buf_puts(b, ",\"droppedAttributesCount\":");
		ts_buf_u64(b, s->dropped_attrs);
	}
	ts_buf_puts(b, ",\"status\":{");
	if (s->status != TS_STATUS_UNSET) {
		ts_buf_puts(b, "\"code\":");
		ts_buf_u64(b, s->status);
		if (s->smsg_len) {
			ts_buf_puts(b, ",\"message\":");
			ts_buf_json_str(b, ts_span_str(s, s->smsg_off),
					s->smsg_len);
		}
	}
	ts_buf_puts(b, "}}");
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
		if (i)
			ts_buf_putc(b, ',');
		span(b, spans[i]);
	}
	ts_buf_puts(b, "]}]}]}");
	return !b->failed;
}
