/*
 * spawn.c - a program started inside a request carries its context.
 *
 * A service that runs a program while it serves a request (a CGI script,
 * `subprocess.run(["curl", ...])`, a shell script) passes that request's
 * server span to it in the environment, as OpenTelemetry's environment
 * carriers say: TRACEPARENT, TRACESTATE (when the request brought one)
 * and BAGGAGE (with the baggage propagator); a traced program, or any
 * program that reads them, then makes its requests children of that
 * span (see ts_ctx_env_load()).  The three variables the program would
 * have had are replaced: the request is its context now.  Outside a
 * request, or when the environment is too large to copy on the stack,
 * the call is passed through unchanged.
 *
 * Interposed: execve, execv, execvp, execvpe, execl, execle, execlp,
 * posix_spawn, posix_spawnp; and system() and popen(), which start their
 * shell inside libc where no exec of ours is seen: inside a request
 * their command is prefixed with the shell's own assignments (see
 * shell_carriers()).
 *
 * Threads: any.  Also from a vfork child (python's subprocess vforks),
 * which runs on its parent's memory: so nothing here writes outside its
 * own stack frame (ts_ctx_parent_for_exec() is read-only) and nothing
 * takes the guard; the new environment lives on the stack, which stays
 * valid until the exec replaces the process (posix_spawn's child copies
 * it while its parent waits).
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "context.h"
#include "propagate.h"

/* Linux's limit on one argument string (MAX_ARG_STRLEN), with its NUL. */
#define ARG_STRLEN_MAX (32 * 4096)

/* Environments of more entries pass through (8 KiB of stack at most). */
#define ENV_MAX 1024

/* The carriers' variables, as written. */
struct carriers {
	char tp[sizeof("TRACEPARENT=00-") + 32 + 1 + 16 + 1 + 2];
	char ts[sizeof("TRACESTATE=") + TS_CTX_TS_MAX];
	char bg[sizeof("BAGGAGE=") + TS_CTX_BG_MAX];
	bool has_ts, has_bg;
};

static bool is_carrier(const char *e)
{
	return !strncmp(e, "TRACEPARENT=", 12) || !strncmp(e, "TRACESTATE=", 11) ||
	       !strncmp(e, "BAGGAGE=", 8);
}

/* The request this thread serves now, as variables; false: none. */
static bool request_carriers(struct carriers *c)
{
	struct ts_span_ctx ctx;
	struct ts_ctx_ref ref;
	size_t ts_len, bg_len, n;
	unsigned mask = ts_cfg.prop.mask;

	/* Our own code (the reporter) never runs programs; a hook of ours
	 * in progress on this thread means a signal handler: pass. */
	if (ts_guard_depth != 0 && ts_guard_depth != TS_GUARD_VFORK)
		return false;
	if (!ts_is_running() || !(mask & TS_PROP_BIT(TS_PROP_TRACECONTEXT)) ||
	    !ts_ctx_parent_for_exec(&ctx, &ref))
		return false;
	memcpy(c->tp, "TRACEPARENT=00-", 15);
	ts_prop_hex(ctx.trace_id, 16, c->tp + 15);
	c->tp[47] = '-';
	ts_prop_hex(ctx.span_id, 8, c->tp + 48);
	c->tp[64] = '-';
	ts_prop_hex(&ctx.flags, 1, c->tp + 65);
	c->tp[67] = '\0';
	ts_ctx_extras(&ref, c->ts + 11, &ts_len, c->bg + 8, &bg_len);
	c->has_ts = ts_len > 0;
	if (c->has_ts) {
		memcpy(c->ts, "TRACESTATE=", 11);
		c->ts[11 + ts_len] = '\0';
	}
	n = bg_len;
	c->has_bg = n > 0 && (mask & TS_PROP_BIT(TS_PROP_BAGGAGE));
	if (c->has_bg) {
		memcpy(c->bg, "BAGGAGE=", 8);
		c->bg[8 + n] = '\0';
	}
	return true;
}

/*
 * `env` with the carriers in place of its own, into `out` (ENV_MAX + 4
 * entries): false when it has more entries than that.
 */
static bool with_carriers(char *const *env, char **out, struct carriers *c)
{
	size_t i, n = 0;

	for (i = 0; env && env[i]; i++) {
		if (n == ENV_MAX)
			return false;
		if (!is_carrier(env[i]))
			out[n++] = env[i];
	}
	out[n++] = c->tp;
	if (c->has_ts)
		out[n++] = c->ts;
	if (c->has_bg)
		out[n++] = c->bg;
	out[n] = NULL;
	return true;
}

/*
 * The environment to pass: `env`, or (inside a request) a copy with the
 * carriers, built in the caller's `buf` and `c`.
 */
#define CHOOSE_ENV(env, buf, c)                                                \
	(request_carriers(&(c)) && with_carriers((env), (buf), &(c))            \
		 ? (char *const *)(buf)                                        \
		 : (env))

static int exec_path(const char *path, char *const argv[], char *const envp[])
{
	char *buf[ENV_MAX + 4];
	struct carriers c;

	return TS_REAL(execve)(path, argv, CHOOSE_ENV(envp, buf, c));
}

static int exec_search(const char *file, char *const argv[],
		       char *const envp[])
{
	char *buf[ENV_MAX + 4];
	struct carriers c;

	return TS_REAL(execvpe)(file, argv, CHOOSE_ENV(envp, buf, c));
}

TS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_path(path, argv, envp);
}

TS_EXPORT int execv(const char *path, char *const argv[])
{
	return exec_path(path, argv, environ);
}

TS_EXPORT int execvpe(const char *file, char *const argv[],
		      char *const envp[])
{
	return exec_search(file, argv, envp);
}

TS_EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_search(file, argv, environ);
}

TS_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	char *buf[ENV_MAX + 4];
	struct carriers c;

	return TS_REAL(posix_spawn)(pid, path, fa, attr, argv,
				    CHOOSE_ENV(envp, buf, c));
}

TS_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	char *buf[ENV_MAX + 4];
	struct carriers c;

	return TS_REAL(posix_spawnp)(pid, file, fa, attr, argv,
				     CHOOSE_ENV(envp, buf, c));
}

/*
 * The execl family: the arguments up to the NULL into an argv on the
 * stack of just their size, as glibc does (it then calls its own
 * execve, which we cannot see: so these are ours).
 */
#define COUNT_ARGS(arg0, ap, n)                                                \
	do {                                                                   \
		va_start(ap, arg0);                                            \
		for ((n) = 1; va_arg(ap, char *); (n)++)                       \
			if ((n) > (size_t)INT_MAX / sizeof(char *) - 2) {      \
				va_end(ap);                                    \
				errno = E2BIG;                                 \
				return -1;                                     \
			}                                                      \
		va_end(ap);                                                    \
	} while (0)

/* argv[0..n-1] the arguments, argv[n] NULL; `ap` left after the NULL.
 * (arg0 is never NULL: glibc's contract, which glibc's own relies on.) */
#define TAKE_ARGS(arg0, ap, argv, n)                                           \
	do {                                                                   \
		va_start(ap, arg0);                                            \
		(argv)[0] = (char *)(arg0);                                    \
		for (size_t i_ = 1; i_ <= (n); i_++)                           \
			(argv)[i_] = va_arg(ap, char *);                       \
	} while (0)

/* execl and execlp: the list as argv, the process's environment. */
#define EXEC_LIST(run, first, arg0)                                            \
	do {                                                                   \
		va_list ap;                                                    \
		size_t n;                                                      \
                                                                               \
		COUNT_ARGS(arg0, ap, n);                                       \
		char *argv[n + 1];                                             \
                                                                               \
		TAKE_ARGS(arg0, ap, argv, n);                                  \
		va_end(ap);                                                    \
		return run(first, argv, environ);                              \
	} while (0)

TS_EXPORT int execl(const char *path, const char *arg0, ...)
{
	EXEC_LIST(exec_path, path, arg0);
}

TS_EXPORT int execlp(const char *file, const char *arg0, ...)
{
	EXEC_LIST(exec_search, file, arg0);
}

TS_EXPORT int execle(const char *path, const char *arg0, ...)
{
	char *const *envp;
	va_list ap;
	size_t n;

	COUNT_ARGS(arg0, ap, n);
	char *argv[n + 1];

	TAKE_ARGS(arg0, ap, argv, n);
	envp = va_arg(ap, char *const *); /* after the NULL */
	va_end(ap);
	return exec_path(path, argv, envp);
}

/* `v` single-quoted for the shell at `o`: its end. */
static char *shell_quote(char *o, const char *v)
{
	*o++ = '\'';
	for (; *v; v++) {
		if (*v == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *v;
		}
	}
	*o++ = '\'';
	return o;
}

/*
 * The command system() or popen() gives "/bin/sh -c", inside a request:
 * "export TRACEPARENT=... [TRACESTATE='...'] [BAGGAGE='...'];
 * [unset ...;] CMD", so that the shell, and what it runs, has the
 * request's carriers in place of its own, as execve would give them.
 * One line, so the shell's messages about CMD still name line 1.  NULL
 * (pass `cmd` as it is): outside a request, system(NULL), no memory, or
 * a command the prefix would make too long for one argument.
 */
static char *shell_carriers(const char *cmd)
{
	struct carriers c;
	size_t n;
	char *s, *o;

	if (!cmd || !request_carriers(&c))
		return NULL;
	/* Quoting at most quadruples a value; the words around it: 64. */
	n = strlen(cmd) + sizeof(c.tp) + 4 * (sizeof(c.ts) + sizeof(c.bg)) + 64;
	s = malloc(n);
	if (!s)
		return NULL;
	o = s;
	memcpy(o, "export ", 7);
	o += 7;
	o += strlen(strcpy(o, c.tp));
	if (c.has_ts) {
		memcpy(o, " TRACESTATE=", 12);
		o = shell_quote(o + 12, c.ts + 11);
	}
	if (c.has_bg) {
		memcpy(o, " BAGGAGE=", 9);
		o = shell_quote(o + 9, c.bg + 8);
	}
	*o++ = ';';
	if (!c.has_ts || !c.has_bg) {
		o += strlen(strcpy(o, " unset"));
		if (!c.has_ts)
			o += strlen(strcpy(o, " TRACESTATE"));
		if (!c.has_bg)
			o += strlen(strcpy(o, " BAGGAGE"));
		*o++ = ';';
	}
	*o++ = ' ';
	if ((size_t)(o - s) + strlen(cmd) >= ARG_STRLEN_MAX) {
		free(s); /* the kernel would refuse the longer argument */
		return NULL;
	}
	strcpy(o, cmd);
	return s;
}

/* free() the command shell_carriers() made, the caller's errno kept. */
static void free_keep_errno(char *s)
{
	int saved = errno;

	free(s);
	errno = saved;
}

TS_EXPORT int system(const char *cmd)
{
	char *s = shell_carriers(cmd);
	int r = TS_REAL(system)(s ? s : cmd);

	free_keep_errno(s);
	return r;
}

TS_EXPORT FILE *popen(const char *cmd, const char *type)
{
	char *s = shell_carriers(cmd);
	FILE *f = TS_REAL(popen)(s ? s : cmd, type);

	free_keep_errno(s);
	return f;
}
