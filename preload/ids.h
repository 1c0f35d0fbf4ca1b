/*
 * ids.h - trace and span id generation.
 *
 * Each thread owns a SplitMix64 stream: a random 64-bit start seeded from
 * getrandom(2), advanced by one atomic add per id and passed through the
 * SplitMix64 finaliser.  The finaliser is a bijection, so one thread's
 * stream cannot repeat before 2^64 ids; threads start at independent random
 * points.  The advance is a single locked add on TLS, so a signal handler
 * that generates ids in the middle of another generation on the same thread
 * still gets a different value.
 *
 * Fork: ts_ids_after_fork() (the child's atfork handler) bumps a generation
 * number, and every thread reseeds lazily when its generation is stale, so a
 * child never replays its parent's stream.
 *
 * Threads: any; async-signal-safe except for the first id on a thread
 * (seeding issues one getrandom syscall, itself async-signal-safe).
 */
#ifndef TS_IDS_H
#define TS_IDS_H

#include "common.h"

/* Fill a non-zero 16-byte trace id. */
void ts_ids_trace(uint8_t out[16]);

/* Fill a non-zero 8-byte span id. */
void ts_ids_span(uint8_t out[8]);

/* Called in a forked child: every thread reseeds before its next id. */
void ts_ids_after_fork(void);

/* True when all `n` bytes are zero (an invalid W3C id). */
bool ts_ids_is_zero(const uint8_t *id, size_t n);

#endif /* TS_IDS_H */
