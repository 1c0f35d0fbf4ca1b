/*
 * thrift_reader.h - an independent Thrift compact protocol reader for the
 * tests.
 *
 * It knows nothing of Jaeger: it turns bytes into a tree of typed values
 * (structs of numbered fields, lists, strings, integers) and refuses
 * anything malformed: a bad header, a count that does not match the
 * elements, a length past the end.  The ts_tv_* helpers then look up
 * fields by number and type (failing the test when a required one is
 * missing or has the wrong type) and Jaeger tags by key.
 *
 * Values live in a pool: set up and torn down per test (a Check fixture),
 * reset when earlier values are no longer needed.
 */
#ifndef TS_TEST_THRIFT_READER_H
#define TS_TEST_THRIFT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_tv {
	uint8_t type;          /* TS_TC_*; bools are TS_TC_BOOL_TRUE */
	int16_t id;            /* field id, inside a struct */
	int64_t i;             /* integer or bool value */
	const uint8_t *s;      /* binary: bytes and length */
	size_t len;
	uint8_t etype;         /* list: element type */
	size_t n;              /* list: elements; struct: fields */
	struct ts_tv *child;   /* first element or field */
	struct ts_tv *next;    /* next sibling */
};

struct ts_rd {
	const uint8_t *p, *end;
	const char *err;       /* first problem found, NULL if none */
};

void ts_tv_pool_setup(void);
void ts_tv_pool_teardown(void);
void ts_tv_pool_reset(void);

/* Readers: on malformed input r->err is set and reading stops. */
uint8_t ts_rd_byte(struct ts_rd *r);
uint64_t ts_rd_varint(struct ts_rd *r, int max_bytes);
struct ts_tv *ts_rd_struct(struct ts_rd *r, int depth);

/* Field `id` of struct st (NULL if absent; fails if its type is not type). */
const struct ts_tv *ts_tv_field(const struct ts_tv *st, int16_t id,
				uint8_t type);
/* The same, failing the test when the field is absent. */
const struct ts_tv *ts_tv_need(const struct ts_tv *st, int16_t id,
			       uint8_t type);
int64_t ts_tv_int(const struct ts_tv *st, int16_t id, uint8_t type);
bool ts_tv_str_is(const struct ts_tv *v, const char *s);

/* The Tag named key of a Span (tags: field 10) or a Process (field 2). */
const struct ts_tv *ts_tv_tag(const struct ts_tv *holder, const char *key);
void ts_tv_assert_tag_str(const struct ts_tv *holder, const char *key,
			  const char *val);
void ts_tv_assert_tag_long(const struct ts_tv *holder, const char *key,
			   int64_t val);
void ts_tv_assert_tag_bool(const struct ts_tv *holder, const char *key,
			   bool val);

#endif
