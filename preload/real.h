/*
 * real.h - the one typed table of real libc functions.
 *
 * Our own code never calls an interposed name directly (scripts/check-real
 * enforces it): it calls TS_REAL(name)(args).  Every entry starts out
 * pointing at a raw-syscall fallback, so the table is usable before it is
 * resolved, while it is being resolved (dlsym may allocate, and an
 * interposing malloc may call write or _exit back into us), and if dlsym
 * fails.  ts_real_resolve() then swaps in the libc functions found with
 * dlsym(RTLD_NEXT, ...).
 *
 * Threads: any.  Entries are read and written with relaxed atomics; both
 * the fallback and the resolved pointer are correct at every moment.
 */
#ifndef TS_REAL_H
#define TS_REAL_H

#include <sys/types.h>
#include <sys/uio.h>

#include "common.h"

/* X(return type, name, parameter list, argument list) */
#define TS_REAL_FUNCS(X)                                                       \
	X(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))          \
	X(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))   \
	X(ssize_t, writev, (int fd, const struct iovec *iov, int cnt),         \
	  (fd, iov, cnt))                                                      \
	X(int, close, (int fd), (fd))                                          \
	X(void, _exit, (int status), (status))                                 \
	X(void, _Exit, (int status), (status))

struct ts_real_table {
#define TS_REAL_FIELD(ret, name, params, args) ret(*name) params;
	TS_REAL_FUNCS(TS_REAL_FIELD)
#undef TS_REAL_FIELD
};

extern struct ts_real_table ts_real;

/* The current pointer for `name`: fallback or resolved, never NULL. */
#define TS_REAL(name) __atomic_load_n(&ts_real.name, __ATOMIC_RELAXED)

/*
 * Resolve the table with dlsym(RTLD_NEXT).  Idempotent, never blocks on
 * another thread, and returns at once if this thread is already inside a
 * resolution (the fallbacks stay in place for that nested call).
 */
void ts_real_resolve(void);

/* True once a resolution has completed in this process. */
bool ts_real_is_resolved(void);

#endif /* TS_REAL_H */
