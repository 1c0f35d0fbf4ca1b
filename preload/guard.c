/*
 * guard.c - storage for the per-thread reentrancy guard (see guard.h).
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"

TS_TLS unsigned ts_guard_depth;
TS_TLS int ts_vfork_parent; /* pid that called vfork() on this thread */

bool ts_guard_vfork_over(void)
{
	/* Not getpid(): no cache may hide the vfork child's own pid. */
	if ((int)ts_syscall(SYS_getpid) != ts_vfork_parent)
		return false; /* the child, until it execs or exits */
	ts_guard_depth &= ~TS_GUARD_VFORK;
	return true;
}
