/*
 * log.h - one-line diagnostics to stderr, prefixed "traceshim: ".
 *
 * The shim is silent unless something is wrong: the default level is
 * warn, and warnings are only produced for bad input or internal faults.
 * Each message is formatted into a stack buffer and written with one real
 * write(2) to fd 2, so lines from several threads never interleave and no
 * stdio lock is taken.  errno is preserved.
 *
 * Threads: any.  Not async-signal-safe (vsnprintf); never called from a
 * hook's signal-reachable path.
 */
#ifndef TS_LOG_H
#define TS_LOG_H

#include "common.h"

enum ts_log_level {
	TS_LOG_NONE = 0, /* nothing at all */
	TS_LOG_ERROR,
	TS_LOG_WARN, /* default */
	TS_LOG_INFO,
	TS_LOG_DEBUG,
};

extern int ts_log_level;

void ts_log(int level, const char *fmt, ...) TS_PRINTF(2, 3) TS_COLD;

/*
 * True when fd 2 may receive our text: it is open and is not a socket
 * that was put there after start-up (a daemon that closed stderr and got
 * a client connection on fd 2 must never receive log or console lines).
 */
bool ts_stderr_is_safe(void);

/* Remember what fd 2 is at start-up (entry code, once). */
/* Per-entry warnings about one list variable before the rest are only
 * counted (one summary line). */
#define TS_WARN_ENTRIES 3

void ts_stderr_note(void);

#define ts_log_enabled(lvl) ((lvl) <= ts_log_level)
#define ts_error(...) ts_log(TS_LOG_ERROR, __VA_ARGS__)
#define ts_warn(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define ts_info(...) ts_log(TS_LOG_INFO, __VA_ARGS__)
#define ts_debug(...) ts_log(TS_LOG_DEBUG, __VA_ARGS__)

/* Warn only the first time this call site is reached, process-wide. */
#define ts_warn_once(...)                                                      \
	do {                                                                   \
		static int ts_once_;                                           \
		if (!__atomic_exchange_n(&ts_once_, 1, __ATOMIC_RELAXED))      \
			ts_warn(__VA_ARGS__);                                  \
	} while (0)

#endif /* TS_LOG_H */
