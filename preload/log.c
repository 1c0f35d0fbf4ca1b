/*
 * log.c - the diagnostics writer (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "real.h"

int ts_log_level = TS_LOG_WARN;
static bool stderr_was_socket; /* fd 2 was a socket at start-up */

void ts_stderr_note(void)
{
	struct stat sb;

	stderr_was_socket = fstat(2, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

bool ts_stderr_is_safe(void)
{
	struct stat sb;

	if (fstat(2, &sb) != 0)
		return false;
	return !S_ISSOCK(sb.st_mode) || stderr_was_socket;
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
	line[n++] = '\n';
	if (ts_stderr_is_safe())
		(void)!TS_REAL(write)(2, line, (size_t)n);
	errno = saved;
}
