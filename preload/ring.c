/*
 * ring.c - the bounded MPSC ring (see ring.h for the protocol).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ring.h"

int ts_ring_init(struct ts_ring *r, uint64_t capacity, uint64_t slot_size)
{
	size_t seq_len, len;
	void *m;

	memset(r, 0, sizeof(*r));
	if (capacity == 0 || slot_size == 0)
		return -EINVAL;
	slot_size = (slot_size + TS_CACHELINE - 1) & ~(uint64_t)(TS_CACHELINE - 1);
	seq_len = (capacity * sizeof(uint64_t) + 4095) & ~(size_t)4095;
	len = seq_len + capacity * slot_size;
	/*
	 * MAP_NORESERVE: a large queue costs address space, not memory,
	 * until spans actually fill it.
	 */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	r->capacity = capacity;
	r->slot_size = slot_size;
	r->seq = m;
	r->slots = (unsigned char *)m + seq_len;
	r->map_len = len;
	ts_ring_reset(r);
	return 0;
}

void ts_ring_destroy(struct ts_ring *r)
{
	if (r->seq)
		munmap(r->seq, r->map_len);
	memset(r, 0, sizeof(*r));
}

void ts_ring_reset(struct ts_ring *r)
{
	uint64_t i;

	for (i = 0; i < r->capacity; i++)
		__atomic_store_n(&r->seq[i], i, __ATOMIC_RELAXED);
	__atomic_store_n(&r->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->tail, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->dropped, 0, __ATOMIC_RELEASE);
}

bool ts_ring_push(struct ts_ring *r, const void *rec, size_t len,
		  uint64_t *pos_out)
{
	struct ts_ring_part part = { 0, rec, len };

	return ts_ring_pushv(r, &part, 1, pos_out);
}

TS_HOT
bool ts_ring_pushv(struct ts_ring *r, const struct ts_ring_part *parts,
		   int n, uint64_t *pos_out)
{
	unsigned char *slot;
	uint64_t pos = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint64_t idx, seq;
	int64_t diff;

	for (;;) {
		idx = pos % r->capacity;
		/* Acquire pairs with the consumer's release in ts_ring_release:
		 * its reads of this slot are done before we overwrite it. */
		seq = __atomic_load_n(&r->seq[idx], __ATOMIC_ACQUIRE);
		diff = (int64_t)(seq - pos);
		if (diff == 0) {
			/* Relaxed suffices: the slot's seq, not head, carries
			 * the data hand-off. */
			if (__atomic_compare_exchange_n(&r->head, &pos, pos + 1,
							true, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				break;
		} else if (diff < 0) {
			__atomic_add_fetch(&r->dropped, 1, __ATOMIC_RELAXED);
			return false;
		} else {
			pos = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		}
	}
	slot = r->slots + idx * r->slot_size;
	for (int i = 0; i < n; i++)
		memcpy(slot + parts[i].off, parts[i].src, parts[i].len);
	/* Release publishes the copied bytes to the consumer's acquire. */
	__atomic_store_n(&r->seq[idx], pos + 1, __ATOMIC_RELEASE);
	if (pos_out)
		*pos_out = pos;
	return true;
}

const void *ts_ring_peek(struct ts_ring *r, uint64_t i)
{
	uint64_t pos = __atomic_load_n(&r->tail, __ATOMIC_RELAXED) + i;
	uint64_t idx;

	if (i >= r->capacity)
		return NULL;
	idx = pos % r->capacity;
	if (__atomic_load_n(&r->seq[idx], __ATOMIC_ACQUIRE) != pos + 1)
		return NULL;
	return r->slots + idx * r->slot_size;
}

void ts_ring_release(struct ts_ring *r, uint64_t n)
{
	uint64_t pos = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	uint64_t end = pos + n;

	for (; pos < end; pos++)
		__atomic_store_n(&r->seq[pos % r->capacity], pos + r->capacity,
				 __ATOMIC_RELEASE);
	__atomic_store_n(&r->tail, end, __ATOMIC_RELAXED);
}

uint64_t ts_ring_count(const struct ts_ring *r)
{
	uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	return h > t ? h - t : 0;
}
