/*
 * process.h - hooks on process exit.
 *
 * _exit() and _Exit() skip destructors, so a forked child that leaves by
 * _exit() (the usual way out of a fork-per-request server) would lose its
 * spans: these hooks run the bounded exit flush first.  exit() and return
 * from main reach the destructor in entry.c instead.
 */
#ifndef TS_HOOKS_PROCESS_H
#define TS_HOOKS_PROCESS_H

/* vfork()'s entry stub calls this before jumping to the real vfork: it
 * marks the thread (TS_GUARD_VFORK) and returns the real function. */
void *ts_vfork_prepare(void);

/* The same for syscall(SYS_vfork, SYS_clone or SYS_clone3): marks the
 * thread, returns the real syscall. */
void *ts_syscall_fork_prepare(void);
#endif
