/*
 * entry.h - process-wide state of the shim: initialisation, fork, exit.
 *
 * Initialisation is lazy and thread-safe: the constructor runs it, and so
 * does the first hook if another library's constructor calls us earlier.
 * A thread that finds initialisation in progress on another thread does
 * not wait: its call is passed through untraced.  Secure-execution
 * processes (setuid, AT_SECURE) and OTEL_SDK_DISABLED=true stay pure
 * pass-through for their whole life.
 *
 * Threads: any.  ts_is_active is async-signal-safe once initialised.
 */
#ifndef TS_ENTRY_H
#define TS_ENTRY_H

#include "common.h"

/* True when this process is traced; initialises on first use. */
bool ts_is_active(void);

/* The same without initialising (a vfork child must not): false while
 * initialisation has not run. */
bool ts_is_running(void);

/*
 * Export what is queued and stop the reporter, waiting at most
 * TRACESHIM_SHUTDOWN_TIMEOUT.  Runs once per process; does nothing in a
 * vfork child (which shares our memory) or an untraced process.
 */
void ts_exit_flush(void);

#endif /* TS_ENTRY_H */
