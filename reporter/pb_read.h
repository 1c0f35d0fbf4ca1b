/*
 * pb_read.h - reading the few protobuf fields a collector's replies carry
 * (a partial success, a gRPC status's RetryInfo).
 *
 * Threads: any (no state).
 */
#ifndef TS_PB_READ_H
#define TS_PB_READ_H

#include <stdbool.h>
#include <stdint.h>

/* A varint at *p (advanced past it) into *v; false when cut or too long. */
static inline bool ts_pb_varint(const uint8_t **p, const uint8_t *end,
				uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

#endif /* TS_PB_READ_H */
