/*
 * signals.h - the bounded exit flush on SIGTERM and SIGINT (signals.c).
 *
 * Threads: ts_signals_setup() once, from the initialisation, after the
 * pipeline exists.
 */
#ifndef TS_HOOKS_SIGNALS_H
#define TS_HOOKS_SIGNALS_H

/* Stand in for the default action of SIGTERM and SIGINT where the
 * program left them at it. */
void ts_signals_setup(void);

#endif /* TS_HOOKS_SIGNALS_H */
