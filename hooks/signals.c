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
 * default again.  The exception is a handler set with SA_RESETHAND, whose
 * reset the kernel would do behind our back: it is wrapped (on_signal()).
 * A signal the program (or its parent) ignores is left alone, and exec
 * resets our handler like any other.
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

/* Who stands behind a managed signal. */
enum {
	M_APP = 0,    /* the program's own action is installed, untouched */
	M_DEFAULT,    /* ours, standing in for the default action */
	M_ONESHOT,    /* ours, wrapping a handler the program gave with
			 SA_RESETHAND: see on_signal() */
};

static struct managed {
	int mode;                /* M_*, atomic */
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

static bool is_ignore(const struct sigaction *a)
{
	return !(a->sa_flags & SA_SIGINFO) && a->sa_handler == SIG_IGN;
}

/* The default action: flush the queue (bounded; a no-op in a vfork
 * child), put the real default back and deliver the signal again, so the
 * process ends the way it would have without us. */
static void die_of(int sig)
{
	struct sigaction dfl;
	sigset_t set;

	ts_exit_flush();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	TS_REAL(sigaction)(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	ts_syscall(SYS_tgkill, (pid_t)ts_syscall(SYS_getpid),
		(pid_t)ts_syscall(SYS_gettid), sig);
}

/*
 * A program that handles SIGTERM with SA_RESETHAND typically cleans up and
 * raises the signal again (node does, to restore the terminal), trusting
 * the kernel to have put the default back: that default would end the
 * process without a flush.  So such a handler is installed wrapped: the
 * first delivery does what the kernel's reset would (the program now
 * reads the default) and calls the program's handler, with the program's
 * mask and flags; a delivery after that is the default's, ours.  The
 * exchange makes one delivery, and only one, the program's, as the
 * kernel's reset does when two threads take the signal at once.
 */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	struct managed *m = managed_of(sig);
	struct sigaction h;
	int saved = errno;

	if (!m)
		return;
	h = m->app;
	if (__atomic_exchange_n(&m->mode, M_DEFAULT, __ATOMIC_ACQ_REL) !=
	    M_ONESHOT) {
		die_of(sig);
		errno = saved;
		return;
	}
	memset(&m->app, 0, sizeof(m->app));
	m->app.sa_handler = SIG_DFL;
	sigemptyset(&m->app.sa_mask);
	errno = saved;
	if (h.sa_flags & SA_SIGINFO)
		h.sa_sigaction(sig, si, uc);
	else if (!is_default(&h) && !is_ignore(&h))
		h.sa_handler(sig);
}

/* Install ours for `sig`: standing in for the default (app NULL), or
 * wrapping the program's one-shot handler `app`, with its mask and flags
 * but for the reset, which on_signal() does itself. */
static int install_ours(int sig, const struct sigaction *app)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	if (app) {
		sa.sa_mask = app->sa_mask;
		sa.sa_flags = (app->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
	} else {
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART | SA_SIGINFO;
	}
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
		if (install_ours(sig, NULL) == 0)
			__atomic_store_n(&managed[i].mode, M_DEFAULT,
					 __ATOMIC_RELEASE);
	}
}

/* What stands behind `act`, the program's new action: ours for the
 * default and for a one-shot handler (while the shim is active), the
 * program's own for anything else. */
static int wants(const struct sigaction *act)
{
	if (!ts_is_active())
		return M_APP;
	if (is_default(act))
		return M_DEFAULT;
	if ((act->sa_flags & SA_RESETHAND) && !is_ignore(act))
		return M_ONESHOT;
	return M_APP;
}

static int hook_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *oact)
{
	struct managed *m = managed_of(sig);
	struct sigaction old;
	int saved = errno, mode, r;

	if (!m)
		return TS_REAL(sigaction)(sig, act, oact);
	mode = __atomic_load_n(&m->mode, __ATOMIC_ACQUIRE);
	if (mode == M_APP) {
		if (!act || wants(act) == M_APP)
			return TS_REAL(sigaction)(sig, act, oact);
		r = TS_REAL(sigaction)(sig, NULL, &old);
		if (r != 0)
			return r;
	} else {
		old = m->app;
	}
	if (act) {
		int want = wants(act);

		if (want == M_APP) {
			/* The program's own action from now on, as given. */
			r = TS_REAL(sigaction)(sig, act, NULL);
			if (r != 0)
				return r;
			__atomic_store_n(&m->mode, M_APP, __ATOMIC_RELEASE);
		} else {
			/* Ours stays or comes back.  Stop the handler from
			 * reading a half-written m->app: mode first. */
			__atomic_store_n(&m->mode, M_APP, __ATOMIC_RELEASE);
			m->app = *act;
			if (install_ours(sig, want == M_ONESHOT ? act : NULL)) {
				/* Refused: the program's action as given, or
				 * its call fails as it would without us (and
				 * nothing changed). */
				r = TS_REAL(sigaction)(sig, act, NULL);
				if (r != 0) {
					m->app = old;
					__atomic_store_n(&m->mode, mode,
							 __ATOMIC_RELEASE);
					return r;
				}
			} else {
				__atomic_store_n(&m->mode, want,
						 __ATOMIC_RELEASE);
			}
		}
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
