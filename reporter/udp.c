/*
 * udp.c - connected UDP sockets for the datagram exporters (see udp.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../preload/clock.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "fd_high.h"
#include "udp.h"

#define HIGH_FD 710 /* out of the way of applications' low descriptors */
#define RESOLVE_RETRY_NS (30ull * 1000000000u)

void ts_udp_init(struct ts_udp *u, const char *what, const char *host,
		 unsigned port)
{
	memset(u, 0, sizeof(*u));
	u->what = what;
	snprintf(u->host, sizeof(u->host), "%s", host);
	snprintf(u->port, sizeof(u->port), "%u", port);
	u->fd = -1;
}

static bool fd_is_ours(const struct ts_udp *u)
{
	struct stat sb;

	return u->fd >= 0 && fstat(u->fd, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	       sb.st_dev == u->dev && sb.st_ino == u->ino;
}

static int resolve(struct ts_udp *u)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *res, *ai;
	uint64_t now = ts_clock_mono_ns();
	int rc;

	if (u->naddrs)
		return 0;
	if (now < u->retry_ns)
		return -EHOSTUNREACH;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc == 0) {
		for (ai = res; ai && u->naddrs < TS_UDP_MAX_ADDRS;
		     ai = ai->ai_next) {
			if (ai->ai_addrlen > sizeof(u->addrs[0]))
				continue;
			memcpy(&u->addrs[u->naddrs], ai->ai_addr,
			       ai->ai_addrlen);
			u->addrlens[u->naddrs++] = ai->ai_addrlen;
		}
		freeaddrinfo(res);
	}
	if (u->naddrs)
		return 0;
	u->retry_ns = now + RESOLVE_RETRY_NS;
	ts_warn_once("cannot resolve the %s's host \"%s\": %s; its spans are "
		     "dropped until it resolves",
		     u->what, u->host,
		     rc ? (rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc))
			: "no address");
	return -EHOSTUNREACH;
}

/* A new non-blocking socket, connected to addrs[cur], moved up high. */
static int open_socket(struct ts_udp *u)
{
	const struct sockaddr *sa = (const struct sockaddr *)&u->addrs[u->cur];
	struct stat sb;
	int fd, err;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	fd = ts_fd_move_high(fd, HIGH_FD);
	if (TS_REAL(connect)(fd, sa, u->addrlens[u->cur]) != 0 ||
	    fstat(fd, &sb) != 0) {
		err = -errno;
		TS_REAL(close)(fd);
		return err;
	}
	u->fd = fd;
	u->dev = sb.st_dev;
	u->ino = sb.st_ino;
	return 0;
}

/* Wait until the socket has room or the deadline passes. */
static int wait_writable(const struct ts_udp *u, uint64_t deadline)
{
	struct pollfd pfd = { .fd = u->fd, .events = POLLOUT };
	uint64_t now = ts_clock_mono_ns(), ms;

	if (now >= deadline)
		return -ETIMEDOUT;
	ms = (deadline - now + 999999) / 1000000;
	if (poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms) > 0)
		return 0;
	return errno == EINTR ? 0 : -ETIMEDOUT;
}

/* Move to the next resolved address (with one, reconnect to the same). */
static void next_address(struct ts_udp *u)
{
	if (u->naddrs < 2)
		return; /* the refusal was about an earlier datagram: resend */
	TS_REAL(close)(u->fd); /* ours: checked just before the send */
	u->fd = -1;
	u->cur = (u->cur + 1) % u->naddrs;
}

/* A socket to the current address, or else to the next ones in turn (an
 * IPv6 address on a host without IPv6, a network without a route). */
static int open_any(struct ts_udp *u)
{
	int err = -EHOSTUNREACH;

	for (unsigned k = 0; k < u->naddrs; k++) {
		err = open_socket(u);
		if (!err)
			return 0;
		u->cur = (u->cur + 1) % u->naddrs;
	}
	return err;
}

int ts_udp_send(struct ts_udp *u, const struct iovec *iov, int niov,
		uint64_t deadline)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov,
			      .msg_iovlen = (size_t)niov };
	unsigned moves = 0, lost_fd = 0;
	int err;

	for (;;) {
		if (!fd_is_ours(u)) {
			/* Never closed here: the number may be the app's now. */
			u->fd = -1;
			err = resolve(u);
			if (!err)
				err = open_any(u);
			if (err)
				return err;
		}
		/*
		 * A thread of the application could still close and reuse
		 * the number between the check and this call; the window is
		 * one system call wide, as for the file exporter.
		 */
		if (TS_REAL(sendmsg)(u->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		err = errno;
		switch (err) {
		case EINTR:
			continue;
		case EAGAIN:
			err = wait_writable(u, deadline);
			if (err)
				return err;
			continue;
		case ECONNREFUSED:
			u->refusals++;
			/* Each address gets one more chance for this datagram
			 * (one address: the refusal was for an earlier one). */
			if (moves++ >= u->naddrs)
				return -ECONNREFUSED;
			next_address(u);
			continue;
		case ENETUNREACH:
		case EHOSTUNREACH:
		case EADDRNOTAVAIL:
			if (u->naddrs < 2 || moves++ >= u->naddrs)
				return -err;
			next_address(u);
			continue;
		case EBADF:
		case ENOTSOCK:
			/* Closed (and maybe reused) since the check. */
			u->fd = -1;
			if (lost_fd++ == 0)
				continue;
			return -err;
		default:
			return -err;
		}
	}
}

void ts_udp_close(struct ts_udp *u)
{
	if (fd_is_ours(u))
		TS_REAL(close)(u->fd);
	u->fd = -1;
}
