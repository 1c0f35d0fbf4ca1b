/*
 * udp.h - a connected UDP socket to host:port, for datagram exporters.
 *
 * The host is resolved at the first send and then never again (a failed
 * resolution is retried at most every 30 s): getaddrinfo runs on the
 * reporter thread, which holds the reentrancy guard, so the resolver's
 * own sockets and files are never traced.  IPv4 and IPv6 both work; up
 * to TS_UDP_MAX_ADDRS results are kept in the resolver's order.
 *
 * The socket is connected, so the kernel reports an ICMP "port
 * unreachable" for an earlier datagram as ECONNREFUSED on a later send:
 * that is how an absent agent is noticed, and what moves the socket to
 * the next address (an agent listening on 127.0.0.1 only, reached as
 * "localhost" that resolved to ::1 first).  An address that cannot be
 * used at all (no IPv6 on this host, no route) is skipped the same way.
 *
 * The descriptor lives in the application's table: it is moved to a high
 * number, and before every send its identity (device and inode of the
 * socket) is checked, so a program that closes every descriptor, or
 * reuses the number, never receives our bytes; we then open a new socket.
 * A descriptor that is no longer ours is forgotten, never closed.
 *
 * Threads: one owner at a time (the reporter thread).
 */
#ifndef TS_UDP_H
#define TS_UDP_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../preload/common.h"

#define TS_UDP_MAX_ADDRS 4

struct ts_udp {
	const char *what;        /* peer's name in messages, "jaeger agent" */
	char host[256];          /* host name or address literal */
	char port[8];            /* decimal port */
	struct sockaddr_storage addrs[TS_UDP_MAX_ADDRS]; /* resolved */
	socklen_t addrlens[TS_UDP_MAX_ADDRS]; /* their lengths */
	unsigned naddrs;         /* entries of addrs; 0 = not resolved */
	unsigned cur;            /* the address the socket is connected to */
	uint64_t retry_ns;       /* no resolution before (CLOCK_MONOTONIC) */
	int fd;                  /* our socket, -1 when none */
	dev_t dev;               /* identity of the socket behind fd */
	ino_t ino;
	uint64_t refusals;       /* ECONNREFUSED answers seen */
};

/* Set up u for host:port (no I/O). */
void ts_udp_init(struct ts_udp *u, const char *what, const char *host,
		 unsigned port);

/*
 * Send iov[0..niov) as one datagram; wait for room in the socket buffer
 * until `deadline` (CLOCK_MONOTONIC ns) at most.  Returns 0 when the
 * kernel took it, else -errno: -EHOSTUNREACH (the host does not resolve),
 * -ECONNREFUSED (every address refused), -ETIMEDOUT, or the socket's error.
 */
int ts_udp_send(struct ts_udp *u, const struct iovec *iov, int niov,
		uint64_t deadline);

/* Close the socket if it still is ours. */
void ts_udp_close(struct ts_udp *u);

#endif /* TS_UDP_H */
