/*
 * process.c - _exit and _Exit (see process.h).
 *
 * Threads: any.  In a vfork child, ts_exit_flush() sees a pid that is not
 * ours and returns at once: nothing is touched, nothing allocated.
 */
#include <stdlib.h>
#include <unistd.h>

#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "process.h"

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
