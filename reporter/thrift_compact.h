/*
 * thrift_compact.h - a writer for Apache Thrift's compact protocol.
 *
 * Just enough of the protocol to write fixed schemas by hand (the Jaeger
 * encoder): varints, zigzag integers, field headers with deltas, list
 * headers, strings, and the message header of a call.  No reader, no
 * generic value model, no allocation.
 *
 * Contract: every writer takes a cursor into memory the caller reserved,
 * writes at most the documented number of bytes and returns the cursor
 * past what it wrote.  Callers reserve an upper bound once (see the
 * TS_TC_*_MAX sizes and ts_tc_string_bound) and then write without
 * checks, which is what keeps an encoder fast.
 *
 * Field ids are tracked per struct: each struct being written keeps an
 * int16_t `last` (0 at the struct's start) that ts_tc_field updates.  A
 * field whose id is 1..15 above the previous one takes one byte; any other
 * (a first id above 15, a jump over 15, an id lower than the previous one)
 * takes the long form: a type byte and the zigzag id.
 *
 * Threads: no state; any thread.
 */
#ifndef TS_THRIFT_COMPACT_H
#define TS_THRIFT_COMPACT_H

#include <string.h>

#include "../preload/common.h"

/* Type ids of the compact protocol, as in field and list headers. */
enum ts_tc_type {
	TS_TC_BOOL_TRUE = 1, /* in a field header: a bool field, true */
	TS_TC_BOOL_FALSE = 2,
	TS_TC_BYTE = 3,
	TS_TC_I16 = 4,
	TS_TC_I32 = 5,
	TS_TC_I64 = 6,
	TS_TC_DOUBLE = 7,
	TS_TC_BINARY = 8, /* string and binary */
	TS_TC_LIST = 9,
	TS_TC_SET = 10,
	TS_TC_MAP = 11,
	TS_TC_STRUCT = 12,
};

/* Message types (TMessageType). */
enum ts_tc_msg {
	TS_TC_CALL = 1,
	TS_TC_REPLY = 2,
	TS_TC_EXCEPTION = 3,
	TS_TC_ONEWAY = 4,
};

#define TS_TC_PROTOCOL_ID 0x82
#define TS_TC_VERSION 1

#define TS_TC_VARINT32_MAX 5  /* bytes of a 32-bit varint */
#define TS_TC_VARINT64_MAX 10 /* bytes of a 64-bit varint */
#define TS_TC_FIELD_MAX 4     /* long-form field header: type + zigzag i16 */
#define TS_TC_LIST_MAX 6      /* list header with a 32-bit count */

static inline uint8_t *ts_tc_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Bytes ts_tc_varint writes for v. */
static inline size_t ts_tc_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...  (no signed shifts). */
static inline uint64_t ts_tc_zigzag64(int64_t v)
{
	uint64_t u = (uint64_t)v;

	return (u << 1) ^ (0 - (u >> 63));
}

static inline uint32_t ts_tc_zigzag32(int32_t v)
{
	uint32_t u = (uint32_t)v;

	return (u << 1) ^ (0 - (u >> 31));
}

static inline uint8_t *ts_tc_i64(uint8_t *p, int64_t v)
{
	return ts_tc_varint(p, ts_tc_zigzag64(v));
}

static inline uint8_t *ts_tc_i32(uint8_t *p, int32_t v)
{
	return ts_tc_varint(p, ts_tc_zigzag32(v));
}

/* A field header: at most TS_TC_FIELD_MAX bytes. */
static inline uint8_t *ts_tc_field(uint8_t *p, int16_t *last, int16_t id,
				   enum ts_tc_type type)
{
	int delta = id - *last;

	if (delta > 0 && delta <= 15) {
		*p++ = (uint8_t)(delta << 4 | type);
	} else {
		*p++ = (uint8_t)type;
		p = ts_tc_varint(p, ts_tc_zigzag32(id));
	}
	*last = id;
	return p;
}

/* A bool field: its value lives in the header's type nibble. */
static inline uint8_t *ts_tc_field_bool(uint8_t *p, int16_t *last, int16_t id,
					bool v)
{
	return ts_tc_field(p, last, id, v ? TS_TC_BOOL_TRUE : TS_TC_BOOL_FALSE);
}

/* End of a struct's fields. */
static inline uint8_t *ts_tc_stop(uint8_t *p)
{
	*p++ = 0;
	return p;
}

/* A list header for n elements of `type`: at most TS_TC_LIST_MAX bytes. */
static inline uint8_t *ts_tc_list(uint8_t *p, enum ts_tc_type type,
				  uint32_t n)
{
	if (n < 15)
		return *p++ = (uint8_t)(n << 4 | type), p;
	*p++ = (uint8_t)(0xf0 | type);
	return ts_tc_varint(p, n);
}

/* Raw bytes (Thrift `binary`): length varint, then the bytes. */
static inline uint8_t *ts_tc_binary(uint8_t *p, const void *data, size_t len)
{
	p = ts_tc_varint(p, len);
	if (len)
		memcpy(p, data, len);
	return p + len;
}

/* Most bytes ts_tc_string writes for an input of `len` bytes. */
static inline size_t ts_tc_string_bound(size_t len)
{
	return TS_TC_VARINT64_MAX + 3 * len;
}

/*
 * A Thrift `string`: must be UTF-8 (strict decoders, Python's among them,
 * reject anything else), and what an application sent may not be.  Valid
 * input is copied as is; each byte that does not start a valid UTF-8
 * sequence becomes U+FFFD (3 bytes), the same rule the JSON encoder uses.
 * At most ts_tc_string_bound(len) bytes.
 */
uint8_t *ts_tc_string(uint8_t *p, const char *s, size_t len);

/* Bytes ts_tc_string would write for s[0..len). */
size_t ts_tc_string_size(const char *s, size_t len);

/*
 * The message header of a call: protocol id, version and type, sequence
 * id, method name.  At most 2 + 2 * TS_TC_VARINT32_MAX + strlen(name).
 */
uint8_t *ts_tc_message(uint8_t *p, const char *name, enum ts_tc_msg type,
		       uint32_t seqid);

#endif /* TS_THRIFT_COMPACT_H */
