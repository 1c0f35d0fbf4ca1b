/*
 * reporter.h - the background thread that batches and exports spans.
 *
 * One thread per process, started lazily at the first finished span, with
 * every signal blocked and the reentrancy guard held for its whole life.
 * It sleeps on a futex and wakes when a batch is full, when the schedule
 * delay expires, or when a flush or stop is asked for.  Nothing an
 * application thread does waits for it except the bounded flush at exit.
 *
 * Threads: start_once and wake from any thread or signal handler (wake is
 * a futex syscall); flush/stop from application threads; setup and
 * after_fork_child from the entry code.
 */
#ifndef TS_REPORTER_H
#define TS_REPORTER_H

#include "../preload/common.h"

struct ts_config;

/* Choose the exporters for c.  No thread, no I/O. */
void ts_reporter_setup(const struct ts_config *c);

/* Start the thread if it has never been started in this process. */
void ts_reporter_start_once(void);

/* Ask the thread to look at the queue now. */
void ts_reporter_wake(void);

/* See ts_pipeline_flush. */
bool ts_reporter_flush(uint64_t deadline);

/*
 * Final drain and thread exit, waiting at most until `deadline`.  True
 * when no reporter thread runs any more (stopped, or never started).
 */
bool ts_reporter_stop(uint64_t deadline);

/*
 * True once the final drain has been asked for (process exit): exporters
 * then skip retries that cannot help, such as a refused connection.
 */
bool ts_reporter_is_stopping(void);

/* The process has begun to exit (or the reporter to stop): nothing may be
 * set up for the first time any more (see reporter.c). */
bool ts_reporter_exiting(void);

/*
 * Reporter thread: sleep until CLOCK_MONOTONIC `when`, waking early when
 * the final drain is asked for.  False when it was (or already had been).
 */
bool ts_reporter_sleep_until(uint64_t when);

/* Forked child: no thread exists; forget the parent's. */
void ts_reporter_after_fork_child(void);

/* Spans delivered and spans lost by export failure. */
void ts_reporter_counts(uint64_t *exported, uint64_t *failed);

#endif /* TS_REPORTER_H */
