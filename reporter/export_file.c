/*
 * export_file.c - the `file` exporter: OTLP/JSON lines in TRACESHIM_FILE.
 *
 * One batch becomes one ExportTraceServiceRequest on one line, written
 * with a single write(2) to an O_APPEND descriptor: the kernel appends it
 * whole, so any number of processes (a forking server and its children,
 * several services) can share one file without interleaving lines.
 *
 * The file is opened at the first export, never at start-up, so a program
 * that traces nothing leaves no file behind.  The descriptor is moved to a
 * high number, and before every write we check with fstat that it is still
 * the file we opened: an application that closes every descriptor and
 * reuses the number must never receive our bytes.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "exporter.h"
#include "fd_high.h"
#include "otlp_json.h"

#define HIGH_FD 700 /* out of the way of applications' low descriptors */

static struct {
	char path[PATH_MAX]; /* TRACESHIM_FILE made absolute at start-up */
	int fd;          /* our descriptor, -1 when not open */
	dev_t dev;       /* identity of the file behind fd */
	ino_t ino;
	struct ts_buf buf; /* reused encoding buffer */
} st = { .fd = -1 };

static bool fd_is_ours(void)
{
	return ts_fd_is(st.fd, st.dev, st.ino);
}

static int file_open(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	fd = ts_fd_move_high(fd, HIGH_FD);
	if (fstat(fd, &sb) != 0) {
		int err = -errno;

		TS_REAL(close)(fd);
		return err;
	}
	st.fd = fd;
	st.dev = sb.st_dev;
	st.ino = sb.st_ino;
	return 0;
}

/* Write all of p, retrying EINTR and (rare on files) short writes. */
static int write_all(const char *p, size_t len)
{
	while (len) {
		ssize_t n = TS_REAL(write)(st.fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int file_export(struct ts_exporter *e, const struct ts_resource *res,
		       const struct ts_span *const *spans, size_t n,
		       uint64_t deadline)
{
	int err;

	(void)deadline;
	if (!fd_is_ours()) {
		/* Never closed here: if the number was reused it is not ours. */
		st.fd = -1;
		err = file_open(st.path);
		if (err) {
			ts_warn_once("cannot open TRACESHIM_FILE \"%s\": %s; "
				     "spans are dropped",
				     e->cfg->file_path, strerror(-err));
			return err;
		}
	}
	ts_buf_reset(&st.buf);
	if (!ts_otlp_json_encode(&st.buf, res, spans, n))
		return -ENOMEM;
	ts_buf_putc(&st.buf, '\n');
	if (st.buf.failed)
		return -ENOMEM;
	err = write_all(st.buf.data, st.buf.len);
	if (err)
		ts_warn_once("writing TRACESHIM_FILE \"%s\" failed: %s",
			     e->cfg->file_path, strerror(-err));
	return err;
}

static void file_shutdown(struct ts_exporter *e)
{
	(void)e;
	if (fd_is_ours())
		TS_REAL(close)(st.fd);
	st.fd = -1;
	ts_buf_free(&st.buf);
}

static void file_after_fork(struct ts_exporter *e)
{
	(void)e;
	memset(&st.buf, 0, sizeof(st.buf));
}

void ts_exporter_file_init(struct ts_exporter *e, const struct ts_config *c)
{
	size_t n;

	/*
	 * A relative path means relative to where the program started: a
	 * later chdir() must not scatter span files across directories.
	 */
	st.path[0] = '\0';
	if (c->file_path[0] != '/' && getcwd(st.path, sizeof(st.path))) {
		n = strlen(st.path);
		if (n + 1 + strlen(c->file_path) < sizeof(st.path)) {
			st.path[n] = '/';
			strcpy(st.path + n + 1, c->file_path);
		} else {
			st.path[0] = '\0';
		}
	}
	if (!st.path[0])
		snprintf(st.path, sizeof(st.path), "%s", c->file_path);
	e->name = "file";
	e->export = file_export;
	e->shutdown = file_shutdown;
	e->after_fork = file_after_fork;
	e->cfg = c;
}
