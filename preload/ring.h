/*
 * ring.h - bounded lock-free multi-producer single-consumer ring.
 *
 * Fixed-size slots in one anonymous mapping made at initialisation; no
 * allocation afterwards.  Producers (application threads, signal
 * handlers) claim a position with one CAS and copy their record in; they
 * never wait and never take a lock: when the ring is full the record is
 * dropped and counted.  The single consumer (the reporter thread) reads a
 * run of published slots in place, exports them, then releases them.
 *
 * The algorithm is D. Vyukov's bounded queue: each slot has a sequence
 * number saying whose turn it is.  Slot i is free for the producer of
 * position p when seq == p, published for the consumer when seq == p + 1,
 * and handed back for position p + capacity after release.  Positions are
 * 64-bit and never wrap in practice.  The capacity need not be a power of
 * two, so OTEL_BSP_MAX_QUEUE_SIZE is honoured exactly.
 *
 * Threads: ts_ring_push from any thread or signal handler; peek/release
 * from one consumer thread at a time; init/destroy/reset when no producer
 * or consumer runs (initialisation, a forked child's atfork handler).
 */
#ifndef TS_RING_H
#define TS_RING_H

#include "common.h"

struct ts_ring {
	uint64_t capacity;       /* number of slots */
	uint64_t slot_size;      /* bytes per slot, multiple of 64 */
	uint64_t *seq;           /* per-slot turn numbers (see above) */
	unsigned char *slots;    /* capacity * slot_size bytes */
	size_t map_len;          /* length of the one mapping holding both */
	TS_ALIGNED_CL uint64_t head; /* next position producers claim */
	TS_ALIGNED_CL uint64_t tail; /* next position the consumer reads */
	TS_ALIGNED_CL uint64_t dropped; /* records refused because full */
};

/* Map a ring of `capacity` slots of at least `slot_size` bytes. 0/-errno. */
int ts_ring_init(struct ts_ring *r, uint64_t capacity, uint64_t slot_size);

/* Unmap the ring.  Safe on a zeroed or already destroyed ring. */
void ts_ring_destroy(struct ts_ring *r);

/* Forget every record, published or half-written (a forked child). */
void ts_ring_reset(struct ts_ring *r);

/*
 * Copy `len` (<= slot_size) bytes into the next free slot.  Returns true
 * and stores the claimed position in *pos (may be NULL), or returns false
 * and counts a drop when the ring is full.  Lock-free, never blocks.
 */
bool ts_ring_push(struct ts_ring *r, const void *rec, size_t len,
		  uint64_t *pos);

/* One piece of a record: `len` bytes from `src` to slot offset `off`. */
struct ts_ring_part {
	size_t off;
	const void *src;
	size_t len;
};

/*
 * The same with the record gathered from `n` pieces (each within
 * slot_size); bytes of the slot no piece covers are left as they were.
 */
bool ts_ring_pushv(struct ts_ring *r, const struct ts_ring_part *parts,
		   int n, uint64_t *pos);

/*
 * Consumer: the address of the i-th published record after the tail, or
 * NULL if it is not published yet.  Records stay valid until released.
 */
const void *ts_ring_peek(struct ts_ring *r, uint64_t i);

/* Consumer: hand the first `n` peeked records back to producers. */
void ts_ring_release(struct ts_ring *r, uint64_t n);

/* Approximate number of records claimed but not yet released. */
uint64_t ts_ring_count(const struct ts_ring *r);

static inline uint64_t ts_ring_dropped(const struct ts_ring *r)
{
	return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
}

#endif /* TS_RING_H */
