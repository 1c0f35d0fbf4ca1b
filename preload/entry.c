/*
 * entry.c - constructor, destructor and fork handlers (see entry.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../hooks/conn.h"
#include "../hooks/context.h"
#include "../hooks/http_attrs.h"
#include "../hooks/signals.h"
#include "../hooks/threads.h"
#include "../reporter/resource.h"
#include "clock.h"
#include "config.h"
#include "entry.h"
#include "guard.h"
#include "ids.h"
#include "log.h"
#include "pipeline.h"
#include "real.h"

enum { ST_NEW, ST_INIT, ST_ACTIVE, ST_OFF };

static int state;                 /* ST_*; CAS from ST_NEW initialises */
static int owner_pid;             /* process the state belongs to */
static int flushed_pid;           /* process whose exit flush has run */
static TS_TLS sigset_t fork_mask; /* caller's mask across fork() */

static int raw_getpid(void)
{
	/* Not getpid(): no cache may hide a vfork child's own pid. */
	return (int)ts_syscall(SYS_getpid);
}

/*
 * Fork: signals are blocked from prepare until our state is consistent
 * in both processes, so no handler can run a hook against a half-reset
 * queue.  We hold no lock, so there is nothing to take before fork.
 */
static void fork_prepare(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &fork_mask);
}

static void fork_parent(void)
{
	pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
}

static void fork_child(void)
{
	owner_pid = raw_getpid();
	flushed_pid = 0;
	ts_ids_after_fork();
	ts_pipeline_after_fork_child();
	ts_conn_after_fork_child();
	ts_ctx_after_fork_child();
	ts_threads_after_fork_child();
	pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
}

/*
 * The exporters keep their descriptors at 700 and up, out of the
 * program's way.  Growing the descriptor table that far costs the kernel
 * an RCU grace period (about 15 ms) when threads share it, as they do by
 * the first export; now, before main, there is usually one thread and
 * the growth is free.  The table never shrinks.
 */
static void grow_fd_table(void)
{
	int saved = errno, fd, src;

	for (src = 0; src < 3; src++) {
		fd = TS_REAL(fcntl)(src, F_DUPFD_CLOEXEC, 711);
		if (fd >= 0) {
			TS_REAL(close)(fd);
			break;
		}
	}
	errno = saved;
}

static int init_locked(void)
{
	int err;

	ts_real_resolve();
	ts_stderr_note();
	if (getauxval(AT_SECURE))
		return -EPERM; /* never read a setuid program's environment */
	ts_config_load(&ts_cfg);
	if (ts_cfg.sdk_disabled)
		return -ECANCELED;
	if (!ts_resource_check_env(ts_cfg.resource_attrs))
		ts_cfg.resource_attrs[0] = '\0';
	ts_span_set_expander(TS_DEFER_HTTP, ts_http_expand);
	err = ts_pipeline_init(&ts_cfg);
	if (err) {
		ts_warn("cannot map a span queue of %u spans: %s; tracing off",
			ts_cfg.max_queue_size, strerror(-err));
		return err;
	}
	ts_ctx_env_load(&ts_cfg.prop);
	err = ts_conn_init();
	if (err) /* the socket hooks then pass everything through */
		ts_warn("cannot map the descriptor table: %s; sockets untraced",
			strerror(-err));
	err = pthread_atfork(fork_prepare, fork_parent, fork_child);
	if (err) {
		ts_warn("cannot register fork handlers: %s; tracing off",
			strerror(err));
		return -err;
	}
	owner_pid = raw_getpid();
	ts_threads_init();
	grow_fd_table();
	ts_signals_setup(); /* SIGTERM and SIGINT flush before they kill */
	return 0;
}

static void init(void)
{
	int expect = ST_NEW;

	if (!__atomic_compare_exchange_n(&state, &expect, ST_INIT, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	ts_guard_hold();
	expect = init_locked() == 0 ? ST_ACTIVE : ST_OFF;
	ts_guard_release();
	__atomic_store_n(&state, expect, __ATOMIC_RELEASE);
}

TS_HOT
bool ts_is_running(void)
{
	return __atomic_load_n(&state, __ATOMIC_ACQUIRE) == ST_ACTIVE;
}

bool ts_is_active(void)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);

	if (ts_unlikely(s == ST_NEW)) {
		init();
		s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	}
	return s == ST_ACTIVE;
}

void ts_exit_flush(void)
{
	struct ts_pipeline_stats st;
	uint64_t deadline;
	int me;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != ST_ACTIVE)
		return;
	me = raw_getpid();
	if (me != owner_pid)
		return; /* a vfork child: the memory is the parent's */
	if (__atomic_exchange_n(&flushed_pid, me, __ATOMIC_ACQ_REL) == me)
		return;
	deadline = ts_clock_mono_ns() +
		   (uint64_t)ts_cfg.shutdown_timeout_ms * 1000000u;
	ts_guard_hold();
	ts_pipeline_shutdown(deadline);
	if (ts_log_enabled(TS_LOG_INFO)) {
		uint64_t done;

		ts_pipeline_stats(&st);
		done = st.exported + st.dropped + st.failed;
		/* The rest were still queued or being sent (a collector that
		 * never answers) when the shutdown deadline came. */
		if (!ts_cfg.exporters) /* OTEL_TRACES_EXPORTER=none */
			ts_info("%llu spans created, none exported (no "
				"exporter), %llu dropped (queue full)",
				(unsigned long long)st.created,
				(unsigned long long)st.dropped);
		else
			ts_info("%llu spans created, %llu exported, %llu "
				"dropped (queue full), %llu lost to export "
				"failures, %llu unsent at the shutdown deadline",
				(unsigned long long)st.created,
				(unsigned long long)st.exported,
				(unsigned long long)st.dropped,
				(unsigned long long)st.failed,
				(unsigned long long)(st.created > done
							     ? st.created - done
							     : 0));
	}
	ts_guard_release();
}

__attribute__((constructor)) static void ts_constructor(void)
{
	init();
}

/* exit(), return from main, and unloading all arrive here. */
__attribute__((destructor)) static void ts_destructor(void)
{
	ts_exit_flush();
}
