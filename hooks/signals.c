/*
 * signals.c - spans are not lost when SIGTERM or SIGINT ends the process.
 *
 * A signal whose default action ends the process runs no destructor, so
 * queued spans would be lost (a service stopped by `kill`, a command
 * stopped with Ctrl-C).  Where the program leaves SIGTERM or SIGINT at its
 * default, the shim installs its own handler: it runs the bounded exit
 * flush (at most TRACESHIM_SHUTDOWN_TIMEOUT), puts the default action
 * back and raises the signal again, so the process still dies of that
 * signal, with the same status its parent sees.
 *
 * The program must not notice: sigaction() and signal() are interposed
 * for those two signals.  While our handler stands in for the default,
 * queries answer what the program set (the default), and setting the
 * default keeps ours in place; setting anything else (a handler, SIG_IGN)
 * installs exactly that and we step aside, until the program asks for the
 * default again.  A signal the program (or its parent) ignores is left
 * alone, and exec resets our handler like any other.
 *
 * Threads: any, signal handlers included (sigaction is async-signal-safe
 * and so is this): no lock; concurrent changes of one signal's action are
 * the program's own race, as they are without us.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "signals.h"

typedef void (*sighandler_fn)(int);

/* glibc has it (an alias of signal) but declares it only for XPG. */
TS_EXPORT sighandler_fn bsd_signal(int sig, sighandler_fn fn);

static const int managed_sigs[] = { SIGTERM, SIGINT };

static struct managed {
	int ours;                /* our handler is installed (atomic) */
	struct sigaction app;    /* what the program believes is there */
} managed[TS_ARRAY_SIZE(managed_sigs)];

static struct managed *managed_of(int sig)
{
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(managed_sigs); i++)
		if (managed_sigs[i] == sig)
			return &managed[i];
	return NULL;
}

static bool is_default(const struct sigaction *a)
{
	/* sa_handler and sa_sigaction share storage; SIG_DFL is 0. */
	return (a->sa_flags & SA_SIGINFO) ? a->sa_sigaction == NULL
					  : a->sa_handler == SIG_DFL;
}

static void on_fatal(int sig)
{
	sigset_t set;

	ts_exit_flush(); /* bounded; a no-op in a vfork child */
	/* SA_RESETHAND put the default back: deliver the signal again, so
	 * the process ends the way it would have without us. */
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid),
		(pid_t)syscall(SYS_gettid), sig);
}

static int install_ours(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	return TS_REAL(sigaction)(sig, &sa, NULL);
}

void ts_signals_setup(void)
{
	struct sigaction cur;
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(managed_sigs); i++) {
		int sig = managed_sigs[i];

		if (TS_REAL(sigaction)(sig, NULL, &cur) != 0 || !is_default(&cur))
			continue; /* ignored, or the program's own already */
		managed[i].app = cur;
		if (install_ours(sig) == 0)
			__atomic_store_n(&managed[i].ours, 1, __ATOMIC_RELEASE);
	}
}

static int hook_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *oact)
{
	struct managed *m = managed_of(sig);
	struct sigaction old;
	int saved = errno, r;

	if (!m)
		return TS_REAL(sigaction)(sig, act, oact);
	if (!__atomic_load_n(&m->ours, __ATOMIC_ACQUIRE)) {
		r = TS_REAL(sigaction)(sig, act, oact);
		/* Back to the default: stand in for it again. */
		if (r == 0 && act && is_default(act) && ts_is_active()) {
			saved = errno;
			m->app = *act;
			if (install_ours(sig) == 0)
				__atomic_store_n(&m->ours, 1, __ATOMIC_RELEASE);
			errno = saved;
		}
		return r;
	}
	old = m->app;
	if (act && !is_default(act)) {
		/* The program's own action from now on, exactly as given. */
		r = TS_REAL(sigaction)(sig, act, NULL);
		if (r != 0)
			return r;
		__atomic_store_n(&m->ours, 0, __ATOMIC_RELEASE);
	} else if (act) {
		m->app = *act; /* still the default: ours stays */
	}
	if (oact)
		*oact = old;
	errno = saved;
	return 0;
}

/* signal(): BSD semantics, as glibc's (restart, the signal blocked in
 * its handler). */
static sighandler_fn hook_signal(int sig, sighandler_fn fn)
{
	struct sigaction sa, old;

	if (!managed_of(sig))
		return TS_REAL(signal)(sig, fn);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	if (hook_sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return (old.sa_flags & SA_SIGINFO)
		       ? (sighandler_fn)(uintptr_t)old.sa_sigaction
		       : old.sa_handler;
}

TS_EXPORT int sigaction(int sig, const struct sigaction *act,
			struct sigaction *oact)
{
	return hook_sigaction(sig, act, oact);
}

TS_EXPORT sighandler_fn signal(int sig, sighandler_fn fn)
{
	return hook_signal(sig, fn);
}

TS_EXPORT sighandler_fn bsd_signal(int sig, sighandler_fn fn)
{
	return hook_signal(sig, fn);
}
