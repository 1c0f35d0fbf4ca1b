/*
 * process.c - vfork, _exit and _Exit (see process.h).
 *
 * Threads: any.  In a vfork child, ts_exit_flush() sees a pid that is not
 * ours and returns at once: nothing is touched, nothing allocated.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "process.h"

extern TS_TLS int ts_vfork_parent; /* preload/guard.c */

/*
 * vfork(): python's subprocess (3.10 and later) and many spawners call
 * it, and the child then calls close_range, dup2 and close on its copy of
 * the descriptor table, on our memory.  This thread is marked (see
 * TS_GUARD_VFORK in guard.h) and the real vfork entered by a jump, so no
 * frame of ours lies between the caller and the child's return.
 * Returns the real function for the entry stub below.
 */
__attribute__((used)) void *ts_vfork_prepare(void)
{
	ts_vfork_parent = (int)ts_syscall(SYS_getpid);
	ts_guard_depth |= TS_GUARD_VFORK;
	return (void *)TS_REAL(vfork);
}

/* The same for syscall(SYS_vfork / SYS_clone / SYS_clone3): returns the
 * real syscall (hooks/sockets.c jumps to it). */
__attribute__((used)) void *ts_syscall_fork_prepare(void)
{
	ts_vfork_parent = (int)ts_syscall(SYS_getpid);
	ts_guard_depth |= TS_GUARD_VFORK;
	return (void *)TS_REAL(syscall);
}

#if defined(__x86_64__)
TS_EXPORT __attribute__((naked)) pid_t vfork(void)
{
	__asm__("sub $8, %rsp\n\t" /* the call below on a 16-byte boundary */
		"call ts_vfork_prepare\n\t"
		"add $8, %rsp\n\t"
		"jmp *%rax\n\t");
}
#elif defined(__aarch64__)
TS_EXPORT __attribute__((naked)) pid_t vfork(void)
{
	__asm__("stp x29, x30, [sp, #-16]!\n\t"
		"mov x29, sp\n\t"
		"bl ts_vfork_prepare\n\t"
		"ldp x29, x30, [sp], #16\n\t"
		"br x0\n\t");
}
#else
/* No stub for this architecture: vfork is fork, which POSIX allows. */
TS_EXPORT pid_t vfork(void)
{
	return fork();
}
#endif

static TS_NORETURN void hook_exit(int status, bool upper)
{
	if (ts_guard_enter()) {
		ts_exit_flush();
		ts_guard_leave();
	}
	if (upper)
		TS_REAL(_Exit)(status);
	else
		TS_REAL(_exit)(status);
	__builtin_unreachable();
}

TS_EXPORT void _exit(int status)
{
	hook_exit(status, false);
}

TS_EXPORT void _Exit(int status)
{
	hook_exit(status, true);
}
