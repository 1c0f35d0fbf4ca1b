/*
 * log.c - the diagnostics writer (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "real.h"

int ts_log_level = TS_LOG_WARN;
static bool stderr_ok;         /* fd 2 was open at start-up */
static bool stderr_was_socket; /* ... and a socket */
static dev_t stderr_dev;       /* ... this file */
static ino_t stderr_ino;

void ts_stderr_note(void)
{
	struct stat sb;

	stderr_ok = fstat(2, &sb) == 0;
	stderr_was_socket = stderr_ok && S_ISSOCK(sb.st_mode);
	stderr_dev = stderr_ok ? sb.st_dev : 0;
	stderr_ino = stderr_ok ? sb.st_ino : 0;
}

/*
 * fd 2 is still the stderr the program started with: one it closed and
 * reused for a file of its own (or a connection) never gets our lines.
 */
bool ts_stderr_is_safe(void)
{
	struct stat sb;

	if (!stderr_ok || fstat(2, &sb) != 0)
		return false;
	return sb.st_dev == stderr_dev && sb.st_ino == stderr_ino &&
	       (!S_ISSOCK(sb.st_mode) || stderr_was_socket);
}

/*
 * Write a line to stderr without ever blocking the program or killing it:
 * a full pipe (or a reader that does not read) drops the line, and a
 * reader that is gone costs no SIGPIPE (blocked for the write; one we
 * caused is taken off again, one already pending is left alone).
 */
static void stderr_write(const char *line, size_t n)
{
	struct pollfd pf = { .fd = 2, .events = POLLOUT };
	struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	bool had;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
		return;
	had = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLOUT) &&
	    !(pf.revents & (POLLERR | POLLHUP)) &&
	    TS_REAL(write)(2, line, n) < 0 && errno == EPIPE && !had)
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static const char *const level_names[] = {
	[TS_LOG_ERROR] = "error: ",
	[TS_LOG_WARN] = "warning: ",
	[TS_LOG_INFO] = "",
	[TS_LOG_DEBUG] = "debug: ",
};

void ts_log(int level, const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;
	int n, m;

	if (level <= TS_LOG_NONE || !ts_log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "traceshim: %s", level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2; /* truncated: keep it one line */
	/* One line, whatever a value quoted in it held (a newline in a
	 * variable, a collector's HTML): control bytes become '?'. */
	for (m = 11; m < n; m++)
		if ((unsigned char)line[m] < 0x20 || line[m] == 0x7f)
			line[m] = '?';
	line[n++] = '\n';
	if (ts_stderr_is_safe())
		stderr_write(line, (size_t)n);
	errno = saved;
}
