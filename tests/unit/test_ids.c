/*
 * test_ids.c - trace and span ids never repeat: not within a thread, not
 * across threads, not across a fork.
 *
 * Uniqueness is checked exactly, not statistically: ids go into one array,
 * are sorted, and neighbours are compared.  The fork tests run a child
 * that sends its ids to the parent through a pipe; they also show what
 * the child would produce without ts_ids_after_fork(), which is why the
 * entry code's atfork handler must call it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../preload/ids.h"
#include "suites.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort ids[0..n) and return how many equal neighbours there are. */
static size_t count_repeats(uint64_t *ids, size_t n)
{
	size_t i, rep = 0;

	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			rep++;
	return rep;
}

static uint64_t span_id(void)
{
	uint8_t b[8];
	uint64_t v;

	ts_ids_span(b);
	memcpy(&v, b, sizeof(v));
	return v;
}

START_TEST(ten_million_span_ids_have_no_repeats)
{
	const size_t n = 10000000;
	uint64_t *ids = malloc(n * sizeof(*ids));
	size_t i, zero = 0;

	ck_assert_ptr_nonnull(ids);
	for (i = 0; i < n; i++) {
		ids[i] = span_id();
		zero += ids[i] == 0;
	}
	ck_assert_uint_eq(zero, 0);
	ck_assert_uint_eq(count_repeats(ids, n), 0);
	free(ids);
}
END_TEST

struct trace_id {
	uint64_t w[2];
};

static int cmp_trace(const void *a, const void *b)
{
	const struct trace_id *x = a, *y = b;

	if (x->w[0] != y->w[0])
		return x->w[0] < y->w[0] ? -1 : 1;
	return x->w[1] < y->w[1] ? -1 : x->w[1] > y->w[1];
}

START_TEST(a_million_trace_ids_are_unique_and_never_zero)
{
	const size_t n = 1000000;
	struct trace_id *ids = malloc(n * sizeof(*ids));
	uint8_t b[16];
	size_t i, zero = 0, rep = 0;

	ck_assert_ptr_nonnull(ids);
	for (i = 0; i < n; i++) {
		ts_ids_trace(b);
		zero += ts_ids_is_zero(b, sizeof(b));
		memcpy(ids[i].w, b, sizeof(b));
	}
	ck_assert_uint_eq(zero, 0);
	qsort(ids, n, sizeof(*ids), cmp_trace);
	for (i = 1; i < n; i++)
		rep += !cmp_trace(&ids[i], &ids[i - 1]);
	ck_assert_uint_eq(rep, 0);
	free(ids);
}
END_TEST

#define NTHREADS 4
#define PER_THREAD 1000000

struct gen_arg {
	uint64_t *out;             /* this thread's PER_THREAD entries */
	pthread_barrier_t *start;  /* all threads generate at the same time */
};

static void *gen_main(void *p)
{
	struct gen_arg *a = p;
	size_t i;

	pthread_barrier_wait(a->start);
	for (i = 0; i < PER_THREAD; i++)
		a->out[i] = span_id();
	return NULL;
}

/* Each thread seeds its own stream; two streams must never collide. */
START_TEST(ids_from_concurrent_threads_have_no_repeats)
{
	const size_t n = (size_t)NTHREADS * PER_THREAD;
	uint64_t *ids = malloc(n * sizeof(*ids));
	struct gen_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t start;
	unsigned i;

	ck_assert_ptr_nonnull(ids);
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++) {
		args[i].out = ids + (size_t)i * PER_THREAD;
		args[i].start = &start;
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, gen_main, &args[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	ck_assert_uint_eq(count_repeats(ids, n), 0);
	free(ids);
}
END_TEST

#define FORK_IDS 10000

/* Read exactly len bytes; false on EOF or error. */
static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t got;

	while (len) {
		got = read(fd, p, len);
		if (got <= 0)
			return false;
		p += got;
		len -= (size_t)got;
	}
	return true;
}

/*
 * Fork once the parent's stream is seeded; the child (after calling the
 * atfork step or not) writes FORK_IDS ids to a pipe, the parent generates
 * FORK_IDS of its own.  Returns the child's ids in `child`, the parent's
 * in `parent`.
 */
static void ids_across_fork(bool child_calls_after_fork, uint64_t *parent,
			    uint64_t *child)
{
	int fds[2], status;
	pid_t pid;
	size_t i;

	(void)span_id(); /* seed this thread's stream before the fork */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (child_calls_after_fork)
			ts_ids_after_fork();
		for (i = 0; i < FORK_IDS; i++)
			child[i] = span_id();
		/* _exit: never run the test framework's exit path twice. */
		_exit(write(fds[1], child, FORK_IDS * sizeof(*child)) ==
				      (ssize_t)(FORK_IDS * sizeof(*child))
			      ? 0
			      : 1);
	}
	close(fds[1]);
	for (i = 0; i < FORK_IDS; i++)
		parent[i] = span_id();
	ck_assert(read_full(fds[0], child, FORK_IDS * sizeof(*child)));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(forked_child_ids_differ_from_the_parents)
{
	uint64_t *all = malloc(2 * FORK_IDS * sizeof(*all));

	ck_assert_ptr_nonnull(all);
	ids_across_fork(true, all, all + FORK_IDS);
	/* Parent's and child's ids together: still no repeats. */
	ck_assert_uint_eq(count_repeats(all, 2 * FORK_IDS), 0);
	free(all);
}
END_TEST

/*
 * The control experiment: a child that skips ts_ids_after_fork() replays
 * the parent's stream id for id: spans of both processes would share
 * ids.  This is what the atfork handler's call prevents.
 */
START_TEST(without_after_fork_the_child_replays_the_parents_ids)
{
	uint64_t *parent = malloc(FORK_IDS * sizeof(*parent));
	uint64_t *child = malloc(FORK_IDS * sizeof(*child));

	ck_assert_ptr_nonnull(parent);
	ck_assert_ptr_nonnull(child);
	ids_across_fork(false, parent, child);
	ck_assert_mem_eq(parent, child, FORK_IDS * sizeof(*parent));
	free(parent);
	free(child);
}
END_TEST

START_TEST(is_zero_is_true_only_for_all_zero_bytes)
{
	uint8_t id[16] = { 0 };
	size_t i;

	ck_assert(ts_ids_is_zero(id, 16));
	ck_assert(ts_ids_is_zero(id, 8));
	ck_assert(ts_ids_is_zero(id, 0));
	/* Any one non-zero byte, first or last included, makes it valid. */
	for (i = 0; i < 16; i++) {
		id[i] = 0x80;
		ck_assert(!ts_ids_is_zero(id, 16));
		ck_assert(ts_ids_is_zero(id, i)); /* bytes before i are zero */
		id[i] = 0;
	}
	id[15] = 1;
	ck_assert(ts_ids_is_zero(id, 15));
	ck_assert(!ts_ids_is_zero(id, 16));
}
END_TEST

Suite *ts_test_ids_suite(void)
{
	Suite *s = suite_create("ids");
	TCase *tc = tcase_create("uniqueness");

	/* Tens of millions of ids plus a sort: seconds under ASan. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, ten_million_span_ids_have_no_repeats);
	tcase_add_test(tc, a_million_trace_ids_are_unique_and_never_zero);
	tcase_add_test(tc, ids_from_concurrent_threads_have_no_repeats);
	suite_add_tcase(s, tc);

	tc = tcase_create("fork");
	tcase_add_test(tc, forked_child_ids_differ_from_the_parents);
	tcase_add_test(tc,
		       without_after_fork_the_child_replays_the_parents_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("zero");
	tcase_add_test(tc, is_zero_is_true_only_for_all_zero_bytes);
	suite_add_tcase(s, tc);
	return s;
}
