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
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"

static ssize_t fb_read(int fd, void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

static ssize_t fb_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

static ssize_t fb_writev(int fd, const struct iovec *iov, int cnt)
{
	return syscall(SYS_writev, fd, iov, cnt);
}

static int fb_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static TS_NORETURN void fb__exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
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
