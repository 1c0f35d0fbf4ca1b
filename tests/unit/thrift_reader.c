/*
 * thrift_reader.c - an independent Thrift compact protocol reader for the
 * tests (see thrift_reader.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../reporter/jaeger_thrift.h"
#include "../../reporter/thrift_compact.h"
#include "thrift_reader.h"

#define POOL_MAX (1 << 17)
static struct ts_tv *pool;
static size_t pool_used;

void ts_tv_pool_setup(void)
{
	pool = calloc(POOL_MAX, sizeof(*pool));
	ck_assert(pool != NULL);
	pool_used = 0;
}

void ts_tv_pool_teardown(void)
{
	free(pool);
	pool = NULL;
}

void ts_tv_pool_reset(void)
{
	pool_used = 0;
}

static struct ts_tv *tv_node(struct ts_rd *r)
{
	if (pool_used >= POOL_MAX) {
		r->err = "too many values";
		return &pool[0];
	}
	memset(&pool[pool_used], 0, sizeof(pool[0]));
	return &pool[pool_used++];
}

uint8_t ts_rd_byte(struct ts_rd *r)
{
	if (r->p >= r->end) {
		r->err = r->err ? r->err : "read past the end";
		return 0;
	}
	return *r->p++;
}

uint64_t ts_rd_varint(struct ts_rd *r, int max_bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < max_bytes; i++) {
		uint8_t b = ts_rd_byte(r);

		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	r->err = r->err ? r->err : "varint too long";
	return v;
}

static int64_t rd_zigzag(struct ts_rd *r, int max_bytes)
{
	uint64_t u = ts_rd_varint(r, max_bytes);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static struct ts_tv *rd_value(struct ts_rd *r, uint8_t type, int depth);

struct ts_tv *ts_rd_struct(struct ts_rd *r, int depth)
{
	struct ts_tv *st = tv_node(r), **tail = &st->child;
	int16_t last = 0;

	st->type = TS_TC_STRUCT;
	if (depth > 16)
		r->err = "nested too deeply";
	while (!r->err) {
		uint8_t b = ts_rd_byte(r), type = b & 0x0f;
		struct ts_tv *f;
		int16_t id;

		if (b == 0)
			break;
		id = (b >> 4) ? (int16_t)(last + (b >> 4))
			      : (int16_t)rd_zigzag(r, 3);
		last = id;
		if (type == TS_TC_BOOL_TRUE || type == TS_TC_BOOL_FALSE) {
			f = tv_node(r);
			f->type = TS_TC_BOOL_TRUE;
			f->i = type == TS_TC_BOOL_TRUE;
		} else {
			f = rd_value(r, type, depth + 1);
		}
		f->id = id;
		*tail = f;
		tail = &f->next;
		st->n++;
	}
	return st;
}

static struct ts_tv *rd_value(struct ts_rd *r, uint8_t type, int depth)
{
	struct ts_tv *v, **tail;
	uint8_t b;

	if (type == TS_TC_STRUCT)
		return ts_rd_struct(r, depth);
	v = tv_node(r);
	v->type = type;
	switch (type) {
	case TS_TC_BOOL_TRUE: /* list element: a byte, 1 true, 2 false */
	case TS_TC_BOOL_FALSE:
		b = ts_rd_byte(r);
		if (b != 1 && b != 2)
			r->err = "bad bool byte";
		v->type = TS_TC_BOOL_TRUE;
		v->i = b == 1;
		break;
	case TS_TC_BYTE:
		v->i = (int8_t)ts_rd_byte(r);
		break;
	case TS_TC_I16:
		v->i = rd_zigzag(r, 3);
		break;
	case TS_TC_I32:
		v->i = rd_zigzag(r, 5);
		break;
	case TS_TC_I64:
		v->i = rd_zigzag(r, 10);
		break;
	case TS_TC_BINARY:
		v->len = (size_t)ts_rd_varint(r, 5);
		if (v->len > (size_t)(r->end - r->p)) {
			r->err = "string past the end";
			break;
		}
		v->s = r->p;
		r->p += v->len;
		break;
	case TS_TC_LIST:
		b = ts_rd_byte(r);
		v->etype = b & 0x0f;
		v->n = b >> 4 == 15 ? (size_t)ts_rd_varint(r, 5) : b >> 4;
		if (b >> 4 == 15 && v->n < 15)
			r->err = "long list header for a short list";
		tail = &v->child;
		for (size_t i = 0; i < v->n && !r->err; i++) {
			*tail = rd_value(r, v->etype, depth + 1);
			tail = &(*tail)->next;
		}
		break;
	default:
		r->err = "unexpected type";
	}
	return v;
}

/* --- Jaeger structures ------------------------------------------------------ */

const struct ts_tv *ts_tv_field(const struct ts_tv *st, int16_t id, uint8_t type)
{
	const struct ts_tv *f, *found = NULL;

	ck_assert_int_eq(st->type, TS_TC_STRUCT);
	for (f = st->child; f; f = f->next) {
		if (f->id != id)
			continue;
		ck_assert_msg(!found, "field %d twice", id);
		found = f;
	}
	if (found)
		ck_assert_msg(found->type == type, "field %d has type %d, want %d",
			      id, found->type, type);
	return found;
}

const struct ts_tv *ts_tv_need(const struct ts_tv *st, int16_t id, uint8_t type)
{
	const struct ts_tv *f = ts_tv_field(st, id, type);

	ck_assert_msg(f != NULL, "required field %d missing", id);
	return f;
}

int64_t ts_tv_int(const struct ts_tv *st, int16_t id, uint8_t type)
{
	return ts_tv_need(st, id, type)->i;
}

bool ts_tv_str_is(const struct ts_tv *v, const char *s)
{
	return v->type == TS_TC_BINARY && v->len == strlen(s) &&
	       !memcmp(v->s, s, v->len);
}

/* The Tag struct named key of a Span (tags: field 10) or Process (2). */
const struct ts_tv *ts_tv_tag(const struct ts_tv *holder, const char *key)
{
	const struct ts_tv *list = NULL, *t, *found = NULL;

	for (t = holder->child; t; t = t->next)
		if (t->id == 10 && t->type == TS_TC_LIST)
			list = t;
	if (!list)
		list = ts_tv_field(holder, 2, TS_TC_LIST);
	if (!list)
		return NULL;
	ck_assert_int_eq(list->etype, TS_TC_STRUCT);
	for (t = list->child; t; t = t->next) {
		if (!ts_tv_str_is(ts_tv_need(t, 1, TS_TC_BINARY), key))
			continue;
		ck_assert_msg(!found, "tag %s twice", key);
		found = t;
	}
	return found;
}

void ts_tv_assert_tag_str(const struct ts_tv *holder, const char *key,
			   const char *val)
{
	const struct ts_tv *t = ts_tv_tag(holder, key);

	ck_assert_msg(t, "tag %s missing", key);
	ck_assert_int_eq(ts_tv_int(t, 2, TS_TC_I32), TS_JAEGER_STRING);
	ck_assert_msg(ts_tv_str_is(ts_tv_need(t, 3, TS_TC_BINARY), val),
		      "tag %s is not \"%s\"", key, val);
	ck_assert_uint_eq(t->n, 3);
}

void ts_tv_assert_tag_long(const struct ts_tv *holder, const char *key,
			    int64_t val)
{
	const struct ts_tv *t = ts_tv_tag(holder, key);

	ck_assert_msg(t, "tag %s missing", key);
	ck_assert_int_eq(ts_tv_int(t, 2, TS_TC_I32), TS_JAEGER_LONG);
	ck_assert_int_eq(ts_tv_int(t, 6, TS_TC_I64), val);
	ck_assert_uint_eq(t->n, 3);
}

void ts_tv_assert_tag_bool(const struct ts_tv *holder, const char *key, bool val)
{
	const struct ts_tv *t = ts_tv_tag(holder, key);

	ck_assert_msg(t, "tag %s missing", key);
	ck_assert_int_eq(ts_tv_int(t, 2, TS_TC_I32), TS_JAEGER_BOOL);
	ck_assert_int_eq(ts_tv_int(t, 5, TS_TC_BOOL_TRUE), val);
	ck_assert_uint_eq(t->n, 3);
}

