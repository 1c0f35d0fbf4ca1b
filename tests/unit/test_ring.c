/*
 * test_ring.c - the span queue's MPSC ring under real concurrency.
 *
 * What must hold: with room for everything, every record arrives exactly
 * once and in its producer's order; when the ring is full a push fails at
 * once and is counted, so accepted + dropped always equals what was pushed
 * and the consumer sees exactly the accepted records; the capacity is the
 * one asked for, power of two or not.
 *
 * Threads: producer and consumer threads are plain pthreads; everything
 * they share is either the ring itself or a __atomic variable, and their
 * findings are read by the test thread only after pthread_join, so the
 * suite is clean under ThreadSanitizer (`make check-tsan` runs it there).
 * Worker threads never call ck_assert: a failure there would exit the
 * forked test from the wrong thread, so they count problems instead.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/ring.h"
#include "suites.h"

#define NPROD 4

/* One record: 16 bytes, so copying is cheap and the slot rounds to 64. */
struct rec {
	uint32_t producer; /* 0..NPROD-1 */
	uint32_t magic;    /* REC_MAGIC: catches a slot read before its copy */
	uint64_t seq;      /* 0, 1, 2, ... per producer */
};

#define REC_MAGIC 0x7ace5u
#define CONSUMER_BATCH 256 /* records peeked before one release */

struct run {
	struct ts_ring ring;
	uint64_t per_prod;            /* records each producer pushes */
	pthread_barrier_t start;      /* all threads of a run start together */
	uint32_t producers_done;      /* atomic: producers that finished */
	uint64_t accepted[NPROD];     /* pushes that succeeded, per producer */
	uint8_t *pushed_bits;         /* bit per (producer, seq) accepted */
	/* Consumer's findings, read after join. */
	uint8_t *seen_bits;           /* bit per (producer, seq) received */
	uint64_t next_seq[NPROD];     /* lowest seq allowed next per producer */
	uint64_t received;            /* records consumed */
	uint64_t bad;                 /* garbage, duplicate or out of order */
};

static bool bit_test_and_set(uint8_t *bits, uint64_t i)
{
	bool was = bits[i / 8] & (1u << (i % 8));

	bits[i / 8] |= (uint8_t)(1u << (i % 8));
	return was;
}

static void run_init(struct run *r, uint64_t capacity, uint64_t per_prod)
{
	size_t nbytes = (NPROD * per_prod + 7) / 8;

	memset(r, 0, sizeof(*r));
	ck_assert_uint_eq(per_prod % 8, 0);
	ck_assert_int_eq(ts_ring_init(&r->ring, capacity, sizeof(struct rec)),
			 0);
	r->per_prod = per_prod;
	r->pushed_bits = calloc(1, nbytes);
	r->seen_bits = calloc(1, nbytes);
	ck_assert_ptr_nonnull(r->pushed_bits);
	ck_assert_ptr_nonnull(r->seen_bits);
}

static void run_free(struct run *r)
{
	ts_ring_destroy(&r->ring);
	free(r->pushed_bits);
	free(r->seen_bits);
}

struct producer_arg {
	struct run *run;
	uint32_t id;
};

static void *producer_main(void *p)
{
	struct producer_arg *a = p;
	struct run *r = a->run;
	struct rec rec = { .producer = a->id, .magic = REC_MAGIC };
	uint64_t ok = 0;

	pthread_barrier_wait(&r->start);
	for (rec.seq = 0; rec.seq < r->per_prod; rec.seq++) {
		if (!ts_ring_push(&r->ring, &rec, sizeof(rec), NULL))
			continue;
		ok++;
		/* Each producer owns whole bytes of the bitmap (run_init
		 * insists on per_prod % 8 == 0): no byte has two writers. */
		bit_test_and_set(r->pushed_bits, a->id * r->per_prod + rec.seq);
	}
	r->accepted[a->id] = ok;
	/* Release: every push above is published before the consumer can
	 * see this producer as done (it loads with acquire). */
	__atomic_add_fetch(&r->producers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Check one record and take note of it. */
static void consume_one(struct run *r, const struct rec *rec)
{
	r->received++;
	if (rec->magic != REC_MAGIC || rec->producer >= NPROD ||
	    rec->seq >= r->per_prod) {
		r->bad++;
		return;
	}
	/* Strictly increasing per producer: in order, and no duplicates. */
	if (rec->seq < r->next_seq[rec->producer])
		r->bad++;
	r->next_seq[rec->producer] = rec->seq + 1;
	if (bit_test_and_set(r->seen_bits,
			     rec->producer * r->per_prod + rec->seq))
		r->bad++;
}

/* Read every published record once, release them; returns how many. */
static uint64_t consume_available(struct run *r)
{
	uint64_t total = 0, n;
	const void *p;
	struct rec rec;

	do {
		for (n = 0; n < CONSUMER_BATCH &&
			    (p = ts_ring_peek(&r->ring, n)) != NULL;
		     n++) {
			memcpy(&rec, p, sizeof(rec));
			consume_one(r, &rec);
		}
		ts_ring_release(&r->ring, n);
		total += n;
	} while (n == CONSUMER_BATCH);
	return total;
}

static void *consumer_main(void *p)
{
	struct run *r = p;
	bool all_done;

	pthread_barrier_wait(&r->start);
	for (;;) {
		/*
		 * Loaded before looking at the ring: if every producer had
		 * finished then, all their records are visible, so an empty
		 * look afterwards means nothing more will ever arrive.
		 */
		all_done = __atomic_load_n(&r->producers_done,
					   __ATOMIC_ACQUIRE) == NPROD;
		if (consume_available(r) == 0) {
			if (all_done)
				break;
			sched_yield();
		}
	}
	return NULL;
}

/* Run NPROD producers, plus a consumer thread when `live`. */
static void run_threads(struct run *r, bool live)
{
	struct producer_arg args[NPROD];
	pthread_t prod[NPROD], cons;
	unsigned i;

	ck_assert_int_eq(pthread_barrier_init(&r->start, NULL,
					      NPROD + (live ? 1 : 0)),
			 0);
	if (live)
		ck_assert_int_eq(pthread_create(&cons, NULL, consumer_main, r),
				 0);
	for (i = 0; i < NPROD; i++) {
		args[i].run = r;
		args[i].id = i;
		ck_assert_int_eq(pthread_create(&prod[i], NULL, producer_main,
						&args[i]),
				 0);
	}
	for (i = 0; i < NPROD; i++)
		pthread_join(prod[i], NULL);
	if (live)
		pthread_join(cons, NULL);
	pthread_barrier_destroy(&r->start);
}

static uint64_t run_accepted(const struct run *r)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < NPROD; i++)
		sum += r->accepted[i];
	return sum;
}

/*
 * Room for every record, so no loss is possible: anything missing,
 * repeated or reordered is the ring's fault.
 */
START_TEST(every_record_arrives_once_in_producer_order)
{
	const uint64_t per = 1000000, total = NPROD * per;
	struct run *r = malloc(sizeof(*r));
	unsigned i;

	ck_assert_ptr_nonnull(r);
	run_init(r, total, per);
	run_threads(r, true);

	ck_assert_uint_eq(ts_ring_dropped(&r->ring), 0);
	ck_assert_uint_eq(run_accepted(r), total);
	ck_assert_uint_eq(r->bad, 0);
	ck_assert_uint_eq(r->received, total);
	/* Strictly increasing and per records each: exactly 0..per-1. */
	for (i = 0; i < NPROD; i++)
		ck_assert_uint_eq(r->next_seq[i], per);
	ck_assert_ptr_null(ts_ring_peek(&r->ring, 0));
	ck_assert_uint_eq(ts_ring_count(&r->ring), 0);
	run_free(r);
	free(r);
}
END_TEST

/*
 * Nobody consumes, so the ring fills once and stays full: exactly
 * `capacity` pushes win whatever the interleaving, every other push is
 * counted as dropped, and what is left to read is exactly what was won.
 */
START_TEST(full_ring_accepts_exactly_capacity_and_counts_the_rest)
{
	const uint64_t cap = 1000, per = 10000, total = NPROD * per;
	struct run *r = malloc(sizeof(*r));
	unsigned i;

	ck_assert_ptr_nonnull(r);
	run_init(r, cap, per);
	run_threads(r, false);

	ck_assert_uint_eq(run_accepted(r), cap);
	ck_assert_uint_eq(ts_ring_dropped(&r->ring), total - cap);
	ck_assert_uint_eq(ts_ring_count(&r->ring), cap);

	ck_assert_uint_eq(consume_available(r), cap);
	ck_assert_uint_eq(r->bad, 0);
	ck_assert_uint_eq(r->received, cap);
	/*
	 * A full ring never frees itself, so each producer's winners are a
	 * prefix of its sequence: 0..accepted-1, nothing after.
	 */
	for (i = 0; i < NPROD; i++)
		ck_assert_uint_eq(r->next_seq[i], r->accepted[i]);
	ck_assert_mem_eq(r->seen_bits, r->pushed_bits, (total + 7) / 8);
	ck_assert_ptr_null(ts_ring_peek(&r->ring, 0));
	run_free(r);
	free(r);
}
END_TEST

/*
 * Producers and consumer race on a tiny ring: the books must balance and
 * the consumer must get exactly the set of records whose push succeeded.
 */
START_TEST(lossy_ring_delivers_exactly_the_accepted_records)
{
	const uint64_t cap = 64, per = 100000, total = NPROD * per;
	struct run *r = malloc(sizeof(*r));
	uint64_t accepted;
	unsigned i;

	ck_assert_ptr_nonnull(r);
	run_init(r, cap, per);
	run_threads(r, true);

	accepted = run_accepted(r);
	ck_assert_uint_eq(accepted + ts_ring_dropped(&r->ring), total);
	/* Drops happen only with `cap` records outstanding, all accepted. */
	ck_assert_uint_ge(accepted, cap);
	ck_assert_uint_eq(r->received, accepted);
	ck_assert_uint_eq(r->bad, 0);
	for (i = 0; i < NPROD; i++)
		ck_assert_uint_le(r->next_seq[i], per);
	ck_assert_mem_eq(r->seen_bits, r->pushed_bits, (total + 7) / 8);
	run_free(r);
	free(r);
}
END_TEST

static uint64_t seq_at(struct ts_ring *ring, uint64_t i)
{
	const struct rec *p = ts_ring_peek(ring, i);

	ck_assert_ptr_nonnull(p);
	return p->seq;
}

/* OTEL_BSP_MAX_QUEUE_SIZE=3 must mean 3, not 4, across many laps. */
START_TEST(non_power_of_two_capacity_is_exact)
{
	struct ts_ring ring;
	struct rec rec = { .magic = REC_MAGIC };
	uint64_t pos, next = 0;
	unsigned lap;

	ck_assert_int_eq(ts_ring_init(&ring, 3, sizeof(rec)), 0);
	ck_assert_uint_eq(ring.capacity, 3);
	for (rec.seq = 0; rec.seq < 3; rec.seq++) {
		ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), &pos));
		ck_assert_uint_eq(pos, rec.seq);
	}
	ck_assert(!ts_ring_push(&ring, &rec, sizeof(rec), &pos));
	ck_assert_uint_eq(ts_ring_dropped(&ring), 1);

	ts_ring_release(&ring, 1);
	ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), &pos));
	ck_assert_uint_eq(pos, 3);
	ck_assert(!ts_ring_push(&ring, &rec, sizeof(rec), NULL));
	ck_assert_uint_eq(ts_ring_dropped(&ring), 2);
	ck_assert_uint_eq(seq_at(&ring, 0), 1);
	ck_assert_uint_eq(seq_at(&ring, 1), 2);
	ck_assert_uint_eq(seq_at(&ring, 2), 3);
	ck_assert_ptr_null(ts_ring_peek(&ring, 3));

	/* Many laps with the ring full: slot reuse wraps modulo 3. */
	ts_ring_release(&ring, 3);
	next = 4;
	for (lap = 0; lap < 50; lap++) {
		for (rec.seq = next; rec.seq < next + 3; rec.seq++) {
			ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), &pos));
			ck_assert_uint_eq(pos, rec.seq);
		}
		ck_assert(!ts_ring_push(&ring, &rec, sizeof(rec), NULL));
		ck_assert_uint_eq(seq_at(&ring, 0), next);
		ck_assert_uint_eq(seq_at(&ring, 2), next + 2);
		ts_ring_release(&ring, 3);
		next += 3;
	}
	ck_assert_uint_eq(ts_ring_dropped(&ring), 2 + 50);
	ts_ring_destroy(&ring);
}
END_TEST

START_TEST(peek_stops_at_the_last_published_record)
{
	struct ts_ring ring;
	struct rec rec = { .magic = REC_MAGIC };

	ck_assert_int_eq(ts_ring_init(&ring, 8, sizeof(rec)), 0);
	ck_assert_ptr_null(ts_ring_peek(&ring, 0));
	for (rec.seq = 0; rec.seq < 5; rec.seq++)
		ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), NULL));
	ck_assert_uint_eq(seq_at(&ring, 4), 4);
	ck_assert_ptr_null(ts_ring_peek(&ring, 5));
	ck_assert_ptr_null(ts_ring_peek(&ring, 8));
	ck_assert_ptr_null(ts_ring_peek(&ring, 1000));

	/* Peek is relative to the tail: after releasing 2, index 0 is 2. */
	ts_ring_release(&ring, 2);
	ck_assert_uint_eq(seq_at(&ring, 0), 2);
	ck_assert_uint_eq(seq_at(&ring, 2), 4);
	ck_assert_ptr_null(ts_ring_peek(&ring, 3));
	ck_assert_uint_eq(ts_ring_count(&ring), 3);
	ts_ring_release(&ring, 3);
	ck_assert_ptr_null(ts_ring_peek(&ring, 0));
	ck_assert_uint_eq(ts_ring_count(&ring), 0);
	ts_ring_destroy(&ring);
}
END_TEST

/*
 * A record gathered from pieces: each lands at its offset in the slot,
 * and the bytes between them are the slot's own (the pipeline leaves the
 * unused attribute descriptors of a span uncopied).
 */
START_TEST(gathered_pieces_land_at_their_offsets_and_nothing_else_is_written)
{
	struct ts_ring ring;
	unsigned char head[8], tail[5], fill[128];
	const unsigned char *slot;

	memset(head, 'h', sizeof(head));
	memset(tail, 't', sizeof(tail));
	memset(fill, 'x', sizeof(fill));
	ck_assert_int_eq(ts_ring_init(&ring, 2, sizeof(fill)), 0);
	/* The slot's old contents: a full record of 'x'. */
	ck_assert(ts_ring_push(&ring, fill, sizeof(fill), NULL));
	ts_ring_release(&ring, 1);
	ck_assert(ts_ring_push(&ring, fill, sizeof(fill), NULL));
	ts_ring_release(&ring, 1);
	{
		struct ts_ring_part parts[2] = { { 0, head, sizeof(head) },
						 { 100, tail, sizeof(tail) } };
		uint64_t pos;

		ck_assert(ts_ring_pushv(&ring, parts, 2, &pos));
		ck_assert_uint_eq(pos, 2);
	}
	slot = ts_ring_peek(&ring, 0);
	ck_assert_ptr_nonnull(slot);
	for (size_t i = 0; i < sizeof(fill); i++) {
		unsigned char want = i < 8 ? 'h' : i >= 100 && i < 105 ? 't' : 'x';

		if (slot[i] != want)
			ck_abort_msg("byte %zu: %c, want %c", i, slot[i], want);
	}
	ts_ring_destroy(&ring);
}
END_TEST

/* A forked child resets the ring: nothing old is readable, all slots free. */
START_TEST(reset_empties_the_ring_and_zeroes_drops)
{
	struct ts_ring ring;
	struct rec rec = { .magic = REC_MAGIC };
	uint64_t pos;

	ck_assert_int_eq(ts_ring_init(&ring, 5, sizeof(rec)), 0);
	for (rec.seq = 0; rec.seq < 8; rec.seq++)
		ts_ring_push(&ring, &rec, sizeof(rec), NULL);
	ts_ring_release(&ring, 2); /* leave the ring mid-lap */
	ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), NULL));
	ck_assert_uint_eq(ts_ring_dropped(&ring), 3);

	ts_ring_reset(&ring);
	ck_assert_uint_eq(ts_ring_dropped(&ring), 0);
	ck_assert_uint_eq(ts_ring_count(&ring), 0);
	ck_assert_ptr_null(ts_ring_peek(&ring, 0));
	/* The whole capacity is usable again, positions restart at 0. */
	for (rec.seq = 100; rec.seq < 105; rec.seq++) {
		ck_assert(ts_ring_push(&ring, &rec, sizeof(rec), &pos));
		ck_assert_uint_eq(pos, rec.seq - 100);
	}
	ck_assert(!ts_ring_push(&ring, &rec, sizeof(rec), NULL));
	ck_assert_uint_eq(seq_at(&ring, 0), 100);
	ck_assert_uint_eq(seq_at(&ring, 4), 104);
	ts_ring_destroy(&ring);
}
END_TEST

START_TEST(init_rejects_empty_rings_and_rounds_slots_to_cache_lines)
{
	struct ts_ring ring;

	ck_assert_int_eq(ts_ring_init(&ring, 0, 16), -EINVAL);
	ck_assert_int_eq(ts_ring_init(&ring, 16, 0), -EINVAL);
	ck_assert_int_eq(ts_ring_init(&ring, 16, 65), 0);
	ck_assert_uint_eq(ring.slot_size, 128);
	/* Slots must not overlap the turn numbers or each other. */
	ck_assert((void *)ring.slots >= (void *)(ring.seq + 16));
	ts_ring_destroy(&ring);
	ts_ring_destroy(&ring); /* documented as safe */
	ck_assert_ptr_null(ring.seq);
}
END_TEST

Suite *ts_test_ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("concurrent");

	/* Generous: the big run takes seconds plain, longer under TSan. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, every_record_arrives_once_in_producer_order);
	tcase_add_test(tc,
		       full_ring_accepts_exactly_capacity_and_counts_the_rest);
	tcase_add_test(tc, lossy_ring_delivers_exactly_the_accepted_records);
	suite_add_tcase(s, tc);

	tc = tcase_create("single");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, non_power_of_two_capacity_is_exact);
	tcase_add_test(tc, peek_stops_at_the_last_published_record);
	tcase_add_test(tc, gathered_pieces_land_at_their_offsets_and_nothing_else_is_written);
	tcase_add_test(tc, reset_empties_the_ring_and_zeroes_drops);
	tcase_add_test(
		tc, init_rejects_empty_rings_and_rounds_slots_to_cache_lines);
	suite_add_tcase(s, tc);
	return s;
}
