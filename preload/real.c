/*
 * real.c - resolution of the real-function table.
 *
 * Why fallbacks instead of NULL checks: a hook can run before our
 * constructor (another library's constructor calls write), or inside
 * dlsym itself (dlsym -> calloc -> an interposing allocator that logs with
 * write).  A raw syscall is always a correct answer there, and the table
 * never needs a lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"

/*
 * A system call without libc: syscall(3) is interposed (hooks/sockets.c),
 * so neither the fallbacks here nor the fallback for syscall itself may
 * call it.  Returns like syscall(3): -1 with errno set on failure.
 */
static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	r = x0;
#else
#error "raw_syscall: no system call sequence for this architecture"
#endif
	if ((unsigned long)r > -4096ul) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static long fb_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	return raw_syscall(n, a, b, c, d, e, f);
}

/* The fallbacks' system calls, any number of arguments up to six. */
#define fb_sys(...) fb_sys_n(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define fb_sys_n(n, a, b, c, d, e, f, ...)                                     \
	raw_syscall((long)(n), (long)(a), (long)(b), (long)(c), (long)(d),     \
		    (long)(e), (long)(f))

/* glibc's own name for sigaction, which we do not interpose. */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *oact);

static int fb_sigaction(int sig, const struct sigaction *act,
			struct sigaction *oact)
{
	return __sigaction(sig, act, oact);
}

/* signal() with glibc's BSD semantics, over __sigaction. */
static sighandler_t fb_signal(int sig, sighandler_t fn)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	if (__sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

static ssize_t fb_read(int fd, void *buf, size_t n)
{
	return fb_sys(SYS_read, fd, buf, n);
}

static ssize_t fb_write(int fd, const void *buf, size_t n)
{
	return fb_sys(SYS_write, fd, buf, n);
}

static ssize_t fb_readv(int fd, const struct iovec *iov, int cnt)
{
	return fb_sys(SYS_readv, fd, iov, cnt);
}

static ssize_t fb_writev(int fd, const struct iovec *iov, int cnt)
{
	return fb_sys(SYS_writev, fd, iov, cnt);
}

static ssize_t fb_recvfrom(int fd, void *buf, size_t n, int fl,
			   struct sockaddr *a, socklen_t *al)
{
	return fb_sys(SYS_recvfrom, fd, buf, n, fl, a, al);
}

static ssize_t fb_recv(int fd, void *buf, size_t n, int fl)
{
	return fb_recvfrom(fd, buf, n, fl, NULL, NULL);
}

static ssize_t fb_recvmsg(int fd, struct msghdr *m, int fl)
{
	return fb_sys(SYS_recvmsg, fd, m, fl);
}

static ssize_t fb_sendto(int fd, const void *buf, size_t n, int fl,
			 const struct sockaddr *a, socklen_t al)
{
	return fb_sys(SYS_sendto, fd, buf, n, fl, a, al);
}

static ssize_t fb_send(int fd, const void *buf, size_t n, int fl)
{
	return fb_sendto(fd, buf, n, fl, NULL, 0);
}

static ssize_t fb_sendmsg(int fd, const struct msghdr *m, int fl)
{
	return fb_sys(SYS_sendmsg, fd, m, fl);
}

static ssize_t fb_sendfile(int out, int in, off_t *off, size_t n)
{
	return fb_sys(SYS_sendfile, out, in, off, n);
}

static ssize_t fb_splice(int in, loff_t *oin, int out, loff_t *oout,
			 size_t n, unsigned fl)
{
	return fb_sys(SYS_splice, in, oin, out, oout, n, fl);
}

static int fb_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int fl)
{
	return (int)fb_sys(SYS_sendmmsg, fd, v, n, fl);
}

static int fb_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int fl,
		       struct timespec *t)
{
	return (int)fb_sys(SYS_recvmmsg, fd, v, n, fl, t);
}

/* The _chk fallbacks skip the buffer check: they only run during bootstrap. */
static ssize_t fb___read_chk(int fd, void *buf, size_t n, size_t bl)
{
	(void)bl;
	return fb_read(fd, buf, n);
}

static ssize_t fb___recv_chk(int fd, void *buf, size_t n, size_t bl, int fl)
{
	(void)bl;
	return fb_recv(fd, buf, n, fl);
}

static ssize_t fb___recvfrom_chk(int fd, void *buf, size_t n, size_t bl,
				 int fl, struct sockaddr *a, socklen_t *al)
{
	(void)bl;
	return fb_recvfrom(fd, buf, n, fl, a, al);
}

static int fb_accept4(int fd, struct sockaddr *a, socklen_t *al, int fl)
{
	return (int)fb_sys(SYS_accept4, fd, a, al, fl);
}

static int fb_accept(int fd, struct sockaddr *a, socklen_t *al)
{
	return fb_accept4(fd, a, al, 0);
}

static int fb_connect(int fd, const struct sockaddr *a, socklen_t al)
{
	return (int)fb_sys(SYS_connect, fd, a, al);
}

static int fb_shutdown(int fd, int how)
{
	return (int)fb_sys(SYS_shutdown, fd, how);
}

static int fb_close(int fd)
{
	return (int)fb_sys(SYS_close, fd);
}

static int fb_close_range(unsigned lo, unsigned hi, int fl)
{
	return (int)fb_sys(SYS_close_range, lo, hi, fl);
}

static void fb_closefrom(int lo)
{
	fb_sys(SYS_close_range, (unsigned)lo, ~0u, 0);
}

/* glibc's other exported name for fclose (weak: NULL elsewhere). */
extern int _IO_fclose(FILE *f) __attribute__((weak));

static int fb_fclose(FILE *f)
{
	if (_IO_fclose)
		return _IO_fclose(f);
	errno = ENOSYS;
	return EOF;
}

static int fb_dup(int fd)
{
	return (int)fb_sys(SYS_dup, fd);
}

static int fb_dup3(int fd, int to, int fl)
{
	return (int)fb_sys(SYS_dup3, fd, to, fl);
}

static int fb_dup2(int fd, int to)
{
	if (fd == to) /* dup3 refuses equal fds; dup2 checks validity */
		return (int)fb_sys(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : to;
	return fb_dup3(fd, to, 0);
}

static int fb_fcntl(int fd, int cmd, long arg)
{
	return (int)fb_sys(SYS_fcntl, fd, cmd, arg);
}

static int fb_fcntl64(int fd, int cmd, long arg)
{
	return fb_fcntl(fd, cmd, arg);
}

/* No thread without libc's help: refuse (callers handle the error). */
static int fb_pthread_create(pthread_t *t, const pthread_attr_t *a,
			     void *(*fn)(void *), void *arg)
{
	(void)t, (void)a, (void)fn, (void)arg;
	return EAGAIN;
}

/*
 * vfork() by a system call cannot be made from C (the child would return
 * through this frame and clobber it for the parent); POSIX allows vfork
 * to be fork, and a correct child only execs or exits.
 */
static pid_t fb_vfork(void)
{
	return fork();
}

static int fb_execve(const char *p, char *const *av, char *const *ev)
{
	return (int)fb_sys(SYS_execve, p, av, ev);
}

/* No PATH search without libc: only a name with a '/' is run. */
static int fb_execvpe(const char *f, char *const *av, char *const *ev)
{
	if (strchr(f, '/'))
		return fb_execve(f, av, ev);
	errno = ENOSYS;
	return -1;
}

static int fb_posix_spawn(pid_t *pid, const char *p,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *at, char *const *av,
			  char *const *ev)
{
	(void)pid, (void)p, (void)fa, (void)at, (void)av, (void)ev;
	return ENOSYS;
}

static int fb_posix_spawnp(pid_t *pid, const char *f,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *at, char *const *av,
			   char *const *ev)
{
	return fb_posix_spawn(pid, f, fa, at, av, ev);
}

static int fb_system(const char *cmd)
{
	(void)cmd;
	errno = ENOSYS;
	return -1;
}

static FILE *fb_popen(const char *cmd, const char *type)
{
	(void)cmd, (void)type;
	errno = ENOSYS;
	return NULL;
}

/* The calling thread only; glibc's own clean-up is not run. */
static TS_NORETURN void fb_pthread_exit(void *ret)
{
	(void)ret;
	for (;;)
		fb_sys(SYS_exit, 0);
}

static TS_NORETURN void fb__exit(int status)
{
	for (;;)
		fb_sys(SYS_exit_group, status);
}

static TS_NORETURN void fb__Exit(int status)
{
	fb__exit(status);
}

struct ts_real_table ts_real = {
#define TS_REAL_INIT(ret, name, params, args) .name = fb_##name,
	TS_REAL_FUNCS(TS_REAL_INIT)
#undef TS_REAL_INIT
};

static int resolved;                         /* 1 once a pass completed */
static TS_TLS bool resolving;                /* this thread is in dlsym */

void ts_real_resolve(void)
{
	int saved = errno;
	void *p;

	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE) || resolving)
		return;
	/*
	 * Two threads may both get here; they store the same pointers, so
	 * no lock is needed and neither waits for the other.
	 */
	resolving = true;
	ts_guard_hold();
#define TS_REAL_LOOKUP(ret, name, params, args)                                \
	p = dlsym(RTLD_NEXT, #name);                                           \
	if (p)                                                                 \
		__atomic_store_n(&ts_real.name, (ret(*) params)p,              \
				 __ATOMIC_RELAXED);
	TS_REAL_FUNCS(TS_REAL_LOOKUP)
#undef TS_REAL_LOOKUP
	ts_guard_release();
	resolving = false;
	__atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
	errno = saved;
}

bool ts_real_is_resolved(void)
{
	return __atomic_load_n(&resolved, __ATOMIC_ACQUIRE) != 0;
}
