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

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common.h"

/*
 * X(return type, name, parameter list, argument list).  Each entry has a
 * fallback fb_<name> in real.c doing the same through syscall(2) (fclose,
 * which no system call does, through glibc's other name for it).
 */
#define TS_REAL_FUNCS(X)                                                       \
	X(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))          \
	X(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))   \
	X(ssize_t, readv, (int fd, const struct iovec *iov, int cnt),          \
	  (fd, iov, cnt))                                                      \
	X(ssize_t, writev, (int fd, const struct iovec *iov, int cnt),         \
	  (fd, iov, cnt))                                                      \
	X(ssize_t, recv, (int fd, void *buf, size_t n, int fl),                \
	  (fd, buf, n, fl))                                                    \
	X(ssize_t, recvfrom,                                                   \
	  (int fd, void *buf, size_t n, int fl, struct sockaddr *a,            \
	   socklen_t *al),                                                     \
	  (fd, buf, n, fl, a, al))                                             \
	X(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))   \
	X(ssize_t, send, (int fd, const void *buf, size_t n, int fl),          \
	  (fd, buf, n, fl))                                                    \
	X(ssize_t, sendto,                                                     \
	  (int fd, const void *buf, size_t n, int fl,                          \
	   const struct sockaddr *a, socklen_t al),                            \
	  (fd, buf, n, fl, a, al))                                             \
	X(ssize_t, sendmsg, (int fd, const struct msghdr *m, int fl),          \
	  (fd, m, fl))                                                         \
	X(ssize_t, sendfile, (int out, int in, off_t *off, size_t n),          \
	  (out, in, off, n))                                                   \
	X(ssize_t, splice,                                                     \
	  (int in, loff_t *oin, int out, loff_t *oout, size_t n, unsigned fl), \
	  (in, oin, out, oout, n, fl))                                         \
	X(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned n, int fl),      \
	  (fd, v, n, fl))                                                      \
	X(int, recvmmsg,                                                       \
	  (int fd, struct mmsghdr *v, unsigned n, int fl, struct timespec *t), \
	  (fd, v, n, fl, t))                                                   \
	X(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t bl),       \
	  (fd, buf, n, bl))                                                    \
	X(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t bl, int fl), \
	  (fd, buf, n, bl, fl))                                                \
	X(ssize_t, __recvfrom_chk,                                             \
	  (int fd, void *buf, size_t n, size_t bl, int fl, struct sockaddr *a, \
	   socklen_t *al),                                                     \
	  (fd, buf, n, bl, fl, a, al))                                         \
	X(int, accept, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al)) \
	X(int, accept4, (int fd, struct sockaddr *a, socklen_t *al, int fl),   \
	  (fd, a, al, fl))                                                     \
	X(int, connect, (int fd, const struct sockaddr *a, socklen_t al),      \
	  (fd, a, al))                                                         \
	X(int, shutdown, (int fd, int how), (fd, how))                         \
	X(int, close, (int fd), (fd))                                          \
	X(int, close_range, (unsigned lo, unsigned hi, int fl), (lo, hi, fl))  \
	X(void, closefrom, (int lo), (lo))                                     \
	X(int, fclose, (FILE * f), (f))                                        \
	X(int, dup, (int fd), (fd))                                            \
	X(int, dup2, (int fd, int to), (fd, to))                               \
	X(int, dup3, (int fd, int to, int fl), (fd, to, fl))                   \
	X(int, fcntl, (int fd, int cmd, long arg), (fd, cmd, arg))             \
	X(int, fcntl64, (int fd, int cmd, long arg), (fd, cmd, arg))           \
	X(int, pthread_create,                                                 \
	  (pthread_t * t, const pthread_attr_t *a, void *(*fn)(void *),        \
	   void *arg),                                                         \
	  (t, a, fn, arg))                                                     \
	X(void, pthread_exit, (void *ret), (ret))                              \
	X(void, _exit, (int status), (status))                                 \
	X(pid_t, vfork, (void), ())                                            \
	X(void, _Exit, (int status), (status))                                 \
	X(long, syscall, (long n, long a, long b, long c, long d, long e,      \
			  long f),                                             \
	  (n, a, b, c, d, e, f))                                               \
	X(int, sigaction,                                                      \
	  (int sig, const struct sigaction *act, struct sigaction *oact),      \
	  (sig, act, oact))                                                    \
	X(sighandler_t, signal, (int sig, sighandler_t fn), (sig, fn))        \
	X(int, execve, (const char *p, char *const *av, char *const *ev),     \
	  (p, av, ev))                                                         \
	X(int, execvpe, (const char *f, char *const *av, char *const *ev),    \
	  (f, av, ev))                                                         \
	X(int, posix_spawn,                                                    \
	  (pid_t * pid, const char *p, const posix_spawn_file_actions_t *fa,   \
	   const posix_spawnattr_t *at, char *const *av, char *const *ev),     \
	  (pid, p, fa, at, av, ev))                                            \
	X(int, posix_spawnp,                                                   \
	  (pid_t * pid, const char *f, const posix_spawn_file_actions_t *fa,   \
	   const posix_spawnattr_t *at, char *const *av, char *const *ev),     \
	  (pid, f, fa, at, av, ev))                                            \
	X(int, system, (const char *cmd), (cmd))                              \
	X(FILE *, popen, (const char *cmd, const char *type), (cmd, type))

struct ts_real_table {
#define TS_REAL_FIELD(ret, name, params, args) ret(*name) params;
	TS_REAL_FUNCS(TS_REAL_FIELD)
#undef TS_REAL_FIELD
};

extern struct ts_real_table ts_real;

/* The current pointer for `name`: fallback or resolved, never NULL. */
#define TS_REAL(name) __atomic_load_n(&ts_real.name, __ATOMIC_RELAXED)

/*
 * syscall(3) for our own code (it is interposed: never call it by name),
 * with up to six arguments.  libc's syscall reads its arguments from the
 * registers whatever its prototype says; the table's has them all.
 */
#define ts_syscall(...) ts_syscall_n(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define ts_syscall_n(n, a, b, c, d, e, f, ...)                                 \
	TS_REAL(syscall)((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), \
			 (long)(e), (long)(f))

/*
 * Resolve the table with dlsym(RTLD_NEXT).  Idempotent, never blocks on
 * another thread, and returns at once if this thread is already inside a
 * resolution (the fallbacks stay in place for that nested call).
 */
void ts_real_resolve(void);

/* True once a resolution has completed in this process. */
bool ts_real_is_resolved(void);

#endif /* TS_REAL_H */
