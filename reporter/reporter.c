/*
 * reporter.c - the reporter thread (see reporter.h).
 *
 * Hand-off words, all futexes in this file:
 *   wake        bumped by producers (once per batch), flush and stop;
 *               the thread sleeps on it.
 *   flush_req   bumped by each flush request; flush_done is the newest
 *               request the thread has fully served (requesters sleep on it).
 *   stopped     set by the thread as its last act.
 * The thread reads `wake` before it checks for work, and every requester
 * changes `wake` after posting work, so a wake-up is never lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../preload/clock.h"
#include "../preload/config.h"
#include "../preload/guard.h"
#include "../preload/log.h"
#include "../preload/pipeline.h"
#include "../preload/real.h"
#include "../preload/span.h"
#include "../hooks/threads.h"
#include "exporter.h"
#include "fd_high.h"
#include "http_curl.h"
#include "reporter.h"
#include "span_prefetch.h"
#include "resource.h"

enum { ST_IDLE, ST_RUNNING, ST_FAILED, ST_STOPPED };

static struct {
	const struct ts_config *cfg;    /* configuration in force */
	struct ts_exporter exp[5];      /* configured exporters, one per kind */
	unsigned nexp;                  /* entries of exp[] in use */
	int state;                      /* ST_*; CAS from ST_IDLE starts */
	uint32_t wake;                  /* futex: something to look at */
	uint32_t flush_req;             /* newest flush request number */
	uint32_t flush_done;            /* futex: newest request served */
	int stop_req;                   /* final drain, then exit */
	uint64_t stop_deadline;         /* exports give up by then (stop) */
	uint32_t stopped;               /* futex: thread has exited */
	uint64_t exported;              /* spans some exporter took */
	uint64_t failed;                /* spans every exporter refused */
} rep;

static TS_TLS bool on_reporter;         /* this thread is the reporter */

static void futex_wait(uint32_t *word, uint32_t seen, uint64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000u),
		.tv_nsec = (long)(timeout_ns % 1000000000u),
	};

	ts_syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void futex_wake_all(uint32_t *word)
{
	ts_syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/*
 * libcurl (https:// endpoints) must never be set up once the process has
 * begun to exit: the TLS library's own atexit clean-up may run under it.
 * At the first span, while the program runs normally, this handler is
 * registered, after the program's own TLS set-up: it runs before that
 * clean-up, says the process is exiting, and waits for a set-up already
 * under way on the reporter (which then registers the flush that runs
 * next, with libcurl whole).
 */
static int exiting, preparing;

/* The announced set-up is over (or will not be): mark_exit() goes on. */
static void prepare_done(void)
{
	__atomic_store_n(&preparing, 0, __ATOMIC_SEQ_CST);
	futex_wake_all((uint32_t *)&preparing);
}

static void mark_exit(void)
{
	uint64_t deadline = ts_clock_mono_ns() + 2000000000ull;

	__atomic_store_n(&exiting, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&preparing, __ATOMIC_SEQ_CST) &&
	       ts_clock_mono_ns() < deadline)
		futex_wait((uint32_t *)&preparing, 1, 1000000u);
}

bool ts_reporter_exiting(void)
{
	return __atomic_load_n(&exiting, __ATOMIC_SEQ_CST) != 0 ||
	       ts_reporter_is_stopping();
}

void ts_reporter_setup(const struct ts_config *c)
{
	memset(&rep, 0, sizeof(rep));
	rep.cfg = c;
	if (c->exporters & TS_EXPORTER_OTLP)
		ts_exporter_otlp_init(&rep.exp[rep.nexp++], c);
	if (c->exporters & TS_EXPORTER_ZIPKIN)
		ts_exporter_zipkin_init(&rep.exp[rep.nexp++], c);
	if (c->exporters & TS_EXPORTER_JAEGER)
		ts_exporter_jaeger_init(&rep.exp[rep.nexp++], c);
	if (c->exporters & TS_EXPORTER_FILE)
		ts_exporter_file_init(&rep.exp[rep.nexp++], c);
	if (c->exporters & TS_EXPORTER_CONSOLE)
		ts_exporter_console_init(&rep.exp[rep.nexp++], c);
}

static void export_batch(const struct ts_span *const *spans, size_t n)
{
	const struct ts_resource *res = ts_resource_get(rep.cfg);
	uint64_t deadline = ts_clock_mono_ns() +
			    (uint64_t)rep.cfg->export_timeout_ms * 1000000u;
	uint64_t stop = __atomic_load_n(&rep.stop_deadline, __ATOMIC_ACQUIRE);
	bool delivered = false;
	unsigned i;

	/* The exit flush bounds every export, retries included. */
	if (stop && stop < deadline)
		deadline = stop;
	for (i = 0; i < rep.nexp; i++)
		if (rep.exp[i].export(&rep.exp[i], res, spans, n, deadline) == 0)
			delivered = true;
	if (delivered)
		__atomic_add_fetch(&rep.exported, n, __ATOMIC_RELAXED);
	/* Cut by the exit flush's deadline: not the collector's failure but
	 * spans unsent at the deadline, as the exit summary, taken then,
	 * already counts them. */
	else if (rep.nexp && !(stop && deadline == stop &&
			       ts_clock_mono_ns() >= stop))
		__atomic_add_fetch(&rep.failed, n, __ATOMIC_RELAXED);
}

/*
 * Export queued spans in batches and return how many went out.  With
 * `all`, everything queued when we started (bounded, so a busy producer
 * cannot keep us here forever); without, only whole batches: a batch that
 * meets a slot still being written waits for the next look.
 */
static uint64_t drain(const struct ts_span **batch, bool all)
{
	uint64_t max = rep.cfg->max_export_batch;
	uint64_t budget = ts_ring_count(&ts_span_ring), done = 0;
	uint64_t n;
	const void *p;

	while (budget) {
		if (!all && ts_ring_count(&ts_span_ring) < max)
			break;
		for (n = 0; n < max && n < budget &&
			    (p = ts_ring_peek(&ts_span_ring, n));
		     n++) {
			/* Ours until released: deferred attributes are named
			 * now, off the application's threads (span.h). */
			if (rep.nexp) {
				/* Written long enough ago to be out of this
				 * core's caches: the record four places ahead
				 * is asked for while this one is expanded. */
				const void *ahead = n + 4 < max
					? ts_ring_peek(&ts_span_ring, n + 4)
					: NULL;

				if (ahead)
					ts_span_prefetch(ahead);
				ts_span_expand((struct ts_span *)p);
			}
			batch[n] = p;
		}
		if (n == 0 || (!all && n < max))
			break; /* next slot claimed but not yet written */
		export_batch(batch, n);
		ts_ring_release(&ts_span_ring, n);
		budget -= n;
		done += n;
	}
	return done;
}

/*
 * Is this thread the process's last?  A program whose threads all end by
 * pthread_exit() (main() among them) or by returning from their start
 * routines ends when the last one does, as exit(0) (glibc); the reporter
 * must not keep it alive, unkillable by any signal it does not catch
 * (every thread able to take it is gone).
 *
 * /proc/self/stat tells, read through a descriptor opened when the
 * reporter starts (out of the program's way, at 700 and up, and checked
 * to be still ours before each read), so that nothing is opened later: a
 * program that sandboxes itself against open() afterwards is not killed
 * by it.  When to look: once a second, and when the thread count (hooks/
 * thread_count.c) says no thread is left, at once and then at doubling
 * intervals (the last thread wakes the reporter while it is still
 * ending).  A count that drops to zero again within a second of the last
 * such start goes on doubling instead of starting over: threads the
 * count does not know cost a few reads a second at most.
 */
#define ALONE_FIRST_NS 1000000ull       /* 1 ms */
#define ALONE_MAX_NS 1000000000ull      /* 1 s */
#define HIGH_FD 700                     /* as the exporters' descriptors */

static struct {
	int fd;                         /* /proc/self/stat, -1 when none */
	dev_t dev;                      /* and what it was when opened */
	ino_t ino;
} pstat = { .fd = -1 };

static bool pstat_ours(void)
{
	return ts_fd_is(pstat.fd, pstat.dev, pstat.ino);
}

static void pstat_open(void)
{
	struct stat sb;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	fd = ts_fd_move_high(fd, HIGH_FD);
	if (fstat(fd, &sb) != 0) {
		TS_REAL(close)(fd);
		return;
	}
	pstat.dev = sb.st_dev;
	pstat.ino = sb.st_ino;
	pstat.fd = fd;
}

/* False when /proc cannot tell (or the descriptor is no longer ours). */
static bool alone(void)
{
	char buf[1024], *p, state;
	ssize_t n;
	long threads;
	int field;

	if (!pstat_ours())
		return false;
	n = pread(pstat.fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* After "pid (comm)", whose name may hold anything: the state of
	 * the main thread (field 3), the number of threads (field 20).  A
	 * main thread that ended by pthread_exit() is a zombie counted
	 * until the process ends. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return false;
	state = p[2];
	for (field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	threads = strtol(p + 1, NULL, 10);
	return threads == 1 || (threads == 2 && state == 'Z');
}

static void *reporter_main(void *arg)
{
	const struct ts_span **batch;
	uint64_t delay = (uint64_t)rep.cfg->schedule_delay_ms * 1000000u;
	uint64_t next, now, check, gap = ALONE_MAX_NS, zero_start = 0;
	uint32_t seen, req, stop, served = 0;
	bool last = false, zero = false;
	unsigned i;

	ts_guard_hold(); /* everything this thread does is untraced */
	on_reporter = true;
	prctl(PR_SET_NAME, "traceshim");
	if (arg) { /* `preparing` set by ts_reporter_start_once() */
		ts_curl_prepare();
		prepare_done();
	}
	batch = malloc(sizeof(*batch) * rep.cfg->max_export_batch);
	if (!batch) {
		ts_warn("cannot allocate the export batch; spans are dropped");
		goto out;
	}
	pstat_open();
	next = ts_clock_mono_ns() + delay;
	check = ts_clock_mono_ns() + ALONE_MAX_NS;
	for (;;) {
		seen = __atomic_load_n(&rep.wake, __ATOMIC_ACQUIRE);
		req = __atomic_load_n(&rep.flush_req, __ATOMIC_ACQUIRE);
		/*
		 * Read before the drain: a stop (or flush) asked while a drain
		 * runs may follow spans that drain did not see, so only one
		 * asked before it ends the loop; the next round drains again.
		 */
		stop = __atomic_load_n(&rep.stop_req, __ATOMIC_ACQUIRE);
		now = ts_clock_mono_ns();
		if (!ts_threads_none_left()) {
			zero = false;
		} else if (!zero) {
			zero = true;
			if (now - zero_start >= ALONE_MAX_NS) {
				zero_start = now;
				gap = 0;
				check = now;
			}
		}
		if (now >= check) {
			gap = !zero ? ALONE_MAX_NS
			      : !gap ? ALONE_FIRST_NS
			      : gap * 2 < ALONE_MAX_NS ? gap * 2 : ALONE_MAX_NS;
			check = now + gap;
			if (!stop && alone()) {
				/* Export what is left, as the exit flush would;
				 * returning then ends the process (exit(0)). */
				__atomic_store_n(&rep.stop_deadline,
						 now + (uint64_t)rep.cfg->shutdown_timeout_ms *
							       1000000u,
						 __ATOMIC_RELEASE);
				__atomic_store_n(&rep.stop_req, 1,
						 __ATOMIC_RELEASE);
				stop = 1;
				last = true;
			}
		}
		if (req != served || now >= next || stop) {
			drain(batch, true);
			next = ts_clock_mono_ns() + delay;
			served = req;
			__atomic_store_n(&rep.flush_done, req, __ATOMIC_RELEASE);
			futex_wake_all(&rep.flush_done);
			if (stop)
				break;
			continue;
		}
		if (ts_ring_count(&ts_span_ring) >= rep.cfg->max_export_batch &&
		    drain(batch, false))
			continue;
		/*
		 * A full batch whose last slot is still being written gives no
		 * progress: nap 1 ms rather than spin against its producer.
		 */
		futex_wait(&rep.wake, seen,
			   ts_ring_count(&ts_span_ring) >= rep.cfg->max_export_batch
				   ? (next - now < 1000000u ? next - now : 1000000u)
				   : (check < next ? check : next) - now);
	}
	for (i = 0; i < rep.nexp; i++)
		rep.exp[i].shutdown(&rep.exp[i]);
	free(batch);
out:
	__atomic_store_n(&rep.stopped, 1, __ATOMIC_RELEASE);
	futex_wake_all(&rep.stopped);
	if (last) {
		sigset_t none;

		/* glibc's exit(0) runs the program's exit handlers here, on
		 * this thread: with signals open, as on a thread of its own
		 * (this one started with all of them blocked). */
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
	}
	return NULL;
}

void ts_reporter_start_once(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int expect = ST_IDLE, err;
	bool prep = false;

	if (ts_likely(__atomic_load_n(&rep.state, __ATOMIC_RELAXED) != ST_IDLE))
		return;
	if (!__atomic_compare_exchange_n(&rep.state, &expect, ST_RUNNING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	/* pthread_create has no syscall fallback: make sure it is resolved
	 * (a no-op once the entry code has done it). */
	ts_real_resolve();
	/*
	 * The set-up is announced here, before the thread exists: a program
	 * that exits right after its first span (a short-lived client) waits
	 * in mark_exit() for it, rather than exit before the thread has
	 * begun and lose every span for lack of libcurl.  Stored, then
	 * `exiting` read, as mark_exit() does the reverse: one of the two
	 * sees the other.
	 */
	if (ts_curl_wanted()) {
		atexit(mark_exit);
		__atomic_store_n(&preparing, 1, __ATOMIC_SEQ_CST);
		prep = !__atomic_load_n(&exiting, __ATOMIC_SEQ_CST);
		if (!prep)
			prepare_done();
	}
	/* The thread inherits a full mask: no app signal is ever run there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	err = TS_REAL(pthread_create)(&tid, &attr, reporter_main,
				      prep ? &preparing : NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err && prep)
		prepare_done();
	if (err) {
		__atomic_store_n(&rep.state, ST_FAILED, __ATOMIC_RELEASE);
		ts_warn_once("cannot start the reporter thread: %s; spans are "
			     "dropped",
			     strerror(err));
	}
}

void ts_reporter_wake(void)
{
	__atomic_add_fetch(&rep.wake, 1, __ATOMIC_RELEASE);
	ts_syscall(SYS_futex, &rep.wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleep on `word` until pred(word) or the deadline; true if pred held. */
static bool wait_until(uint32_t *word, uint32_t target, bool at_least,
		       uint64_t deadline)
{
	uint32_t v;
	uint64_t now;

	for (;;) {
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (at_least ? (int32_t)(v - target) >= 0 : v == target)
			return true;
		now = ts_clock_mono_ns();
		if (now >= deadline)
			return false;
		futex_wait(word, v, deadline - now);
	}
}

bool ts_reporter_flush(uint64_t deadline)
{
	int state = __atomic_load_n(&rep.state, __ATOMIC_ACQUIRE);
	uint32_t target;

	if (state == ST_IDLE || state == ST_STOPPED)
		return true;
	if (state != ST_RUNNING || on_reporter)
		return false;
	target = __atomic_add_fetch(&rep.flush_req, 1, __ATOMIC_ACQ_REL);
	ts_reporter_wake();
	return wait_until(&rep.flush_done, target, true, deadline);
}

bool ts_reporter_stop(uint64_t deadline)
{
	int state = __atomic_load_n(&rep.state, __ATOMIC_ACQUIRE);

	if (state != ST_RUNNING)
		return true;
	if (on_reporter)
		return false;
	__atomic_store_n(&rep.stop_deadline, deadline, __ATOMIC_RELEASE);
	__atomic_store_n(&rep.stop_req, 1, __ATOMIC_RELEASE);
	ts_reporter_wake();
	if (!wait_until(&rep.stopped, 1, false, deadline))
		return false;
	__atomic_store_n(&rep.state, ST_STOPPED, __ATOMIC_RELEASE);
	return true;
}

bool ts_reporter_is_stopping(void)
{
	return __atomic_load_n(&rep.stop_req, __ATOMIC_ACQUIRE) != 0;
}

bool ts_reporter_sleep_until(uint64_t when)
{
	uint64_t now;
	uint32_t seen;

	for (;;) {
		seen = __atomic_load_n(&rep.wake, __ATOMIC_ACQUIRE);
		if (ts_reporter_is_stopping())
			return false;
		now = ts_clock_mono_ns();
		if (now >= when)
			return true;
		/* stop bumps `wake` after setting stop_req: never missed. */
		futex_wait(&rep.wake, seen, when - now);
	}
}

void ts_reporter_after_fork_child(void)
{
	unsigned i;

	for (i = 0; i < rep.nexp; i++)
		if (rep.exp[i].after_fork)
			rep.exp[i].after_fork(&rep.exp[i]);
	if (pstat_ours()) /* the parent's process, and its number */
		TS_REAL(close)(pstat.fd);
	pstat.fd = -1;
	/* A set-up the parent's reporter was doing (or had announced) is
	 * not the child's: its exit must not wait for it. */
	preparing = 0;
	rep.state = ST_IDLE;
	rep.wake = rep.flush_req = rep.flush_done = rep.stopped = 0;
	rep.stop_req = 0;
	rep.stop_deadline = 0;
	rep.exported = rep.failed = 0;
}

void ts_reporter_counts(uint64_t *exported, uint64_t *failed)
{
	*exported = __atomic_load_n(&rep.exported, __ATOMIC_RELAXED);
	*failed = __atomic_load_n(&rep.failed, __ATOMIC_RELAXED);
}
