/*
 * fd_high.c - see fd_high.h.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "../preload/real.h"
#include "fd_high.h"

int ts_fd_move_high(int fd, int base)
{
	int high = TS_REAL(fcntl)(fd, F_DUPFD_CLOEXEC, base);

	if (high < 0)
		return fd;
	TS_REAL(close)(fd);
	return high;
}

bool ts_fd_is(int fd, dev_t dev, ino_t ino)
{
	struct stat sb;

	return fd >= 0 && fstat(fd, &sb) == 0 && sb.st_dev == dev &&
	       sb.st_ino == ino;
}
