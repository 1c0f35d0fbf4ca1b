/*
 * sockets.c - the interposed socket and descriptor calls.
 *
 * Each exported name is a one-line trampoline into a static hook.  A hook
 * passes the call straight through when the thread is already inside the
 * shim (reentrancy guard), when tracing is off, or when the descriptor is
 * not a traced stream socket (one fdmap load).  Otherwise it makes the
 * real call and hands the bytes to the HTTP layer.  The application sees
 * exactly the real call's return value and errno.
 *
 * Descriptor bookkeeping happens before close-type calls (so a descriptor
 * number reused by another thread right after the real close is never
 * wiped) and after dup-type and accept/connect calls succeed.
 *
 * Threads: any, including signal handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../preload/clock.h"
#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/real.h"
#include "conn.h"
#include "curl.h"
#include "http.h"
#include "process.h"

/* glibc's fortified entry points have no public prototypes. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       __SOCKADDR_ARG addr, socklen_t *alen);
int fcntl64(int fd, int cmd, ...);
int close_range(unsigned lo, unsigned hi, int flags);

/* The traced connection of fd, referenced, or NULL to pass through. */
static struct ts_conn *traced(int fd)
{
	return ts_is_active() ? ts_conn_get(fd) : NULL;
}

static void put_keep_errno(struct ts_conn *c)
{
	int saved = errno;

	ts_conn_put(c);
	errno = saved;
}

/* A read's errno that says the connection itself failed, not the call
 * (EINVAL from a MSG_OOB read with no urgent data, EFAULT, ENOMEM). */
static bool conn_failed(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT:
	case EPIPE:
	case ENOTCONN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return true;
	default:
		return false;
	}
}

/* After a read-type call on a traced connection returned r. */
TS_HOT
static void inbound_done(struct ts_conn *c, int fd, const struct iovec *iov,
			 int cnt, ssize_t r, int flags)
{
	int saved = errno;

	if (r >= 0 && !(flags & MSG_PEEK)) {
		if (flags & MSG_TRUNC) {
			c->http.in_lost = true; /* bytes discarded unseen */
		} else if (ts_conn_lock_in(c)) {
			ts_http_inbound(&c->http, fd, iov, cnt, (size_t)r);
			ts_conn_unlock_in(c);
		} else {
			__atomic_store_n(&c->http.in_lost, true,
					 __ATOMIC_RELAXED);
		}
	} else if (r < 0 && conn_failed(saved)) {
		/* Whatever the program does next, the response did not come
		 * whole (and a connection does not recover from these). */
		__atomic_store_n(&c->http.in_failed, true, __ATOMIC_RELAXED);
	}
	ts_conn_put(c);
	errno = saved;
}

/* A send-type call on a traced connection. */
static ssize_t outbound(struct ts_conn *c, const struct ts_http_sendop *op)
{
	ssize_t r;

	if (ts_conn_lock_out(c)) {
		r = ts_http_send(&c->http, op);
		ts_conn_unlock_out(c);
	} else {
		/* Another writer is mid-message: our state no longer
		 * matches the stream. */
		__atomic_store_n(&c->http.out_lost, true, __ATOMIC_RELAXED);
		r = ts_http_send_raw(op, op->iov, op->iovcnt);
	}
	put_keep_errno(c);
	return r;
}

/* ---- reads ------------------------------------------------------------ */

#define READ_HOOK(call, fd, buf, n, flags)                                     \
	do {                                                                   \
		struct iovec v_ = { (buf), (n) };                              \
		struct ts_conn *c_;                                            \
		ssize_t r_;                                                    \
                                                                               \
		if (!ts_guard_enter())                                         \
			return call;                                           \
		c_ = traced(fd);                                               \
		r_ = call;                                                     \
		if (c_)                                                        \
			inbound_done(c_, (fd), &v_, 1, r_, (flags));           \
		ts_guard_leave();                                              \
		return r_;                                                     \
	} while (0)

static ssize_t hook_read(int fd, void *buf, size_t n)
{
	READ_HOOK(TS_REAL(read)(fd, buf, n), fd, buf, n, 0);
}

static ssize_t hook_read_chk(int fd, void *buf, size_t n, size_t bl)
{
	READ_HOOK(TS_REAL(__read_chk)(fd, buf, n, bl), fd, buf, n, 0);
}

static ssize_t hook_recv(int fd, void *buf, size_t n, int fl)
{
	READ_HOOK(TS_REAL(recv)(fd, buf, n, fl), fd, buf, n, fl);
}

static ssize_t hook_recv_chk(int fd, void *buf, size_t n, size_t bl, int fl)
{
	READ_HOOK(TS_REAL(__recv_chk)(fd, buf, n, bl, fl), fd, buf, n, fl);
}

static ssize_t hook_recvfrom(int fd, void *buf, size_t n, int fl,
			     struct sockaddr *a, socklen_t *al)
{
	READ_HOOK(TS_REAL(recvfrom)(fd, buf, n, fl, a, al), fd, buf, n, fl);
}

static ssize_t hook_recvfrom_chk(int fd, void *buf, size_t n, size_t bl,
				 int fl, struct sockaddr *a, socklen_t *al)
{
	READ_HOOK(TS_REAL(__recvfrom_chk)(fd, buf, n, bl, fl, a, al), fd, buf,
		  n, fl);
}

static ssize_t hook_readv(int fd, const struct iovec *iov, int cnt)
{
	struct ts_conn *c;
	ssize_t r;

	if (!ts_guard_enter())
		return TS_REAL(readv)(fd, iov, cnt);
	c = traced(fd);
	r = TS_REAL(readv)(fd, iov, cnt);
	if (c)
		inbound_done(c, fd, iov, cnt, r, 0);
	ts_guard_leave();
	return r;
}

static ssize_t hook_recvmsg(int fd, struct msghdr *m, int fl)
{
	struct ts_conn *c;
	ssize_t r;

	if (!m || !ts_guard_enter()) /* NULL: the real call's EFAULT */
		return TS_REAL(recvmsg)(fd, m, fl);
	c = traced(fd);
	r = TS_REAL(recvmsg)(fd, m, fl);
	if (c)
		inbound_done(c, fd, r >= 0 ? m->msg_iov : NULL,
			     r >= 0 ? (int)m->msg_iovlen : 0, r,
			     fl | (r >= 0 ? (m->msg_flags & MSG_TRUNC) : 0));
	ts_guard_leave();
	return r;
}

/* ---- writes ----------------------------------------------------------- */

TS_HOT
static ssize_t send_common(struct ts_http_sendop *op)
{
	struct ts_conn *c;
	ssize_t r;

	if (!ts_guard_enter())
		return ts_http_send_raw(op, op->iov, op->iovcnt);
	c = traced(op->fd);
	r = c ? outbound(c, op) : ts_http_send_raw(op, op->iov, op->iovcnt);
	ts_guard_leave();
	return r;
}

static ssize_t hook_write(int fd, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	struct ts_http_sendop op = { .fd = fd, .how = TS_SEND_WRITE,
				     .iov = &v, .iovcnt = 1 };

	return send_common(&op);
}

static ssize_t hook_writev(int fd, const struct iovec *iov, int cnt)
{
	struct ts_http_sendop op = { .fd = fd, .how = TS_SEND_WRITEV,
				     .iov = iov, .iovcnt = cnt };

	return send_common(&op);
}

static ssize_t hook_send(int fd, const void *buf, size_t n, int fl)
{
	struct iovec v = { (void *)buf, n };
	struct ts_http_sendop op = { .fd = fd, .how = TS_SEND_SEND,
				     .flags = fl, .iov = &v, .iovcnt = 1 };

	return send_common(&op);
}

static ssize_t hook_sendto(int fd, const void *buf, size_t n, int fl,
			   const struct sockaddr *a, socklen_t al)
{
	struct iovec v = { (void *)buf, n };
	struct ts_http_sendop op = { .fd = fd, .how = TS_SEND_SENDTO,
				     .flags = fl, .addr = a, .addrlen = al,
				     .iov = &v, .iovcnt = 1 };

	return send_common(&op);
}

static ssize_t hook_sendmsg(int fd, const struct msghdr *m, int fl)
{
	struct ts_http_sendop op = { .fd = fd, .how = TS_SEND_SENDMSG,
				     .flags = fl, .msg = m };

	if (!m) /* the real call's EFAULT, not a crash of ours */
		return TS_REAL(sendmsg)(fd, m, fl);
	op.iov = m->msg_iov;
	op.iovcnt = (int)m->msg_iovlen;
	return send_common(&op);
}

/*
 * Bytes that leave by a call the shim cannot see into (sendfile, splice):
 * safe only inside a body, which ts_http_sendfile() checks.  Stamped
 * before the real call, as send_plain() does.
 */
static struct ts_conn *unseen_out_begin(int fd)
{
	struct ts_conn *c = traced(fd);

	if (c && !ts_conn_lock_out(c)) {
		__atomic_store_n(&c->http.out_lost, true, __ATOMIC_RELAXED);
		put_keep_errno(c);
		c = NULL;
	}
	if (c)
		c->http.out_mono_ns = ts_clock_mono_ns();
	return c;
}

static void unseen_out_end(struct ts_conn *c, ssize_t r)
{
	int saved = errno;

	if (r > 0)
		ts_http_sendfile(&c->http, (size_t)r);
	ts_conn_unlock_out(c);
	ts_conn_put(c);
	errno = saved;
}

static ssize_t hook_sendfile(int out, int in, off_t *off, size_t n)
{
	struct ts_conn *c;
	ssize_t r;

	if (!ts_guard_enter())
		return TS_REAL(sendfile)(out, in, off, n);
	c = unseen_out_begin(out);
	r = TS_REAL(sendfile)(out, in, off, n);
	if (c)
		unseen_out_end(c, r);
	ts_guard_leave();
	return r;
}

/*
 * splice(): one end is a pipe.  Bytes spliced out of a pipe into a traced
 * connection are sendfile's case; bytes spliced from a traced connection
 * into a pipe are read without being seen: counted when they are body
 * bytes, else the connection is no longer followed.
 */
static ssize_t hook_splice(int in, loff_t *oin, int out, loff_t *oout,
			   size_t n, unsigned fl)
{
	struct ts_conn *ci, *co = NULL;
	ssize_t r;
	int saved;

	if (!ts_guard_enter())
		return TS_REAL(splice)(in, oin, out, oout, n, fl);
	ci = traced(in);
	if (!ci)
		co = unseen_out_begin(out);
	r = TS_REAL(splice)(in, oin, out, oout, n, fl);
	if (co)
		unseen_out_end(co, r);
	if (ci && r == 0) {
		inbound_done(ci, in, NULL, 0, 0, 0); /* EOF */
	} else if (ci) {
		saved = errno;
		if (r > 0 && ts_conn_lock_in(ci)) {
			ts_http_inbound_unseen(&ci->http, in, (size_t)r);
			ts_conn_unlock_in(ci);
		} else if (r > 0) {
			__atomic_store_n(&ci->http.in_lost, true,
					 __ATOMIC_RELAXED);
		}
		ts_conn_put(ci);
		errno = saved;
	}
	ts_guard_leave();
	return r;
}

/*
 * sendmmsg() and recvmmsg() on a stream socket are rare; bytes they move
 * are not followed, and the connection is passed through from then on
 * (never a header spliced into the wrong place).
 */
static int hook_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int fl)
{
	struct ts_conn *c;
	int r;

	if (!ts_guard_enter())
		return TS_REAL(sendmmsg)(fd, v, n, fl);
	c = traced(fd);
	if (c)
		__atomic_store_n(&c->http.out_lost, true, __ATOMIC_RELAXED);
	r = TS_REAL(sendmmsg)(fd, v, n, fl);
	if (c)
		put_keep_errno(c);
	ts_guard_leave();
	return r;
}

static int hook_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int fl,
			 struct timespec *t)
{
	struct ts_conn *c;
	int r;

	if (!ts_guard_enter())
		return TS_REAL(recvmmsg)(fd, v, n, fl, t);
	c = traced(fd);
	r = TS_REAL(recvmmsg)(fd, v, n, fl, t);
	if (c) {
		if (r > 0 && !(fl & MSG_PEEK))
			__atomic_store_n(&c->http.in_lost, true,
					 __ATOMIC_RELAXED);
		put_keep_errno(c);
	}
	ts_guard_leave();
	return r;
}

/* ---- connections and descriptors -------------------------------------- */

static bool fd_is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_STREAM;
}

/* A new connection on fd: a fresh state object (or none). */
static void new_conn(int fd, enum ts_conn_kind kind)
{
	int saved = errno;
	struct ts_conn *c = NULL;

	if (ts_is_active()) {
		if (kind != TS_CONN_OFF && fd_is_stream(fd))
			c = ts_conn_create(fd, kind);
		else
			ts_conn_forget(fd);
	}
	if (c)
		ts_conn_put(c);
	errno = saved;
}

static int hook_accept4(int fd, struct sockaddr *a, socklen_t *al, int fl,
			bool four)
{
	int r;

	if (!ts_guard_enter())
		return four ? TS_REAL(accept4)(fd, a, al, fl)
			    : TS_REAL(accept)(fd, a, al);
	r = four ? TS_REAL(accept4)(fd, a, al, fl) : TS_REAL(accept)(fd, a, al);
	if (r >= 0)
		new_conn(r, TS_CONN_SERVER);
	ts_guard_leave();
	return r;
}

static int hook_connect(int fd, const struct sockaddr *a, socklen_t al)
{
	int r;

	if (!ts_guard_enter())
		return TS_REAL(connect)(fd, a, al);
	r = TS_REAL(connect)(fd, a, al);
	if (a && (a->sa_family == AF_INET || a->sa_family == AF_INET6 ||
		  a->sa_family == AF_UNIX) &&
	    (r == 0 || errno == EINPROGRESS))
		/* libcurl's own connections get their spans in hooks/curl.c;
		 * a proxy's tunnel carries its client's bytes, not its own */
		new_conn(fd, ts_curl_is_driving() || ts_http_tunnel_to(a)
				     ? TS_CONN_OFF
				     : TS_CONN_CLIENT);
	ts_guard_leave();
	return r;
}

static int hook_close(int fd)
{
	if (ts_guard_enter()) {
		if (ts_is_active())
			ts_conn_closed(fd);
		ts_guard_leave();
	}
	return TS_REAL(close)(fd);
}

static int hook_close_range(unsigned lo, unsigned hi, int fl)
{
	if (ts_guard_enter()) {
		if (ts_is_active() && !(fl & CLOSE_RANGE_CLOEXEC))
			ts_conn_closed_range(lo, hi);
		ts_guard_leave();
	}
	return TS_REAL(close_range)(lo, hi, fl);
}

/*
 * Descriptors glibc closes inside itself, past close(): a stream's
 * (fclose of an fdopen()ed socket) and closefrom()'s.  Their state goes
 * as close() drops it: a number reused by a file or a pipe must not
 * inherit a connection's state (its bytes would be parsed, and a request
 * written to it would get a traceparent).
 */
static void hook_closefrom(int lo)
{
	if (ts_guard_enter()) {
		if (ts_is_active() && lo >= 0)
			ts_conn_closed_range((unsigned)lo, ~0u);
		ts_guard_leave();
	}
	TS_REAL(closefrom)(lo);
}

static int hook_fclose(FILE *f)
{
	int fd, saved;

	if (f && ts_guard_enter()) {
		if (ts_is_active()) {
			saved = errno;
			fd = fileno_unlocked(f); /* -1: a stream of no fd */
			errno = saved;
			if (fd >= 0)
				ts_conn_closed(fd);
		}
		ts_guard_leave();
	}
	return TS_REAL(fclose)(f);
}

/* After a dup-type call returned r for `fd`. */
static int dup_done(int fd, int r)
{
	int saved = errno;

	if (r >= 0 && r != fd && ts_is_active())
		ts_conn_dup(fd, r);
	errno = saved;
	return r;
}

/* Bytes of a traced connection went by in a raw system call (fd as the
 * call's argument): its state no longer matches the stream, so that
 * direction passes through. */
static void unseen_io(long fd, bool in)
{
	struct ts_conn *c;

	if (fd < 0 || fd > INT_MAX || !(c = ts_conn_get((int)fd)))
		return;
	__atomic_store_n(in ? &c->http.in_lost : &c->http.out_lost, true,
			 __ATOMIC_RELAXED);
	ts_conn_put(c);
}

/*
 * syscall(3): libuv (node.js) closes every descriptor with
 * syscall(SYS_close) to avoid the cancellation point.  Unseen, the
 * socket's state stayed with its number, and the next socket on it (a
 * child's stdin socketpair) got a traceparent written into it.  Closes
 * and dups are booked as their libc calls are; I/O on a traced socket
 * makes that direction pass through.  The real call is always syscall.
 */
static long hook_syscall(long n, const long a[6])
{
	long r;
	int saved;

	if (!ts_guard_enter())
		return TS_REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	saved = errno;
	if (ts_is_active()) {
		switch (n) {
		case SYS_close:
			if (a[0] >= 0 && a[0] <= INT_MAX)
				ts_conn_closed((int)a[0]);
			break;
#ifdef SYS_close_range
		case SYS_close_range:
			if (!((int)a[2] & CLOSE_RANGE_CLOEXEC))
				ts_conn_closed_range((unsigned)a[0],
						     (unsigned)a[1]);
			break;
#endif
		case SYS_read:
		case SYS_readv:
		case SYS_recvfrom:
		case SYS_recvmsg:
		case SYS_recvmmsg:
			unseen_io(a[0], true);
			break;
		case SYS_write:
		case SYS_writev:
		case SYS_sendto:
		case SYS_sendmsg:
		case SYS_sendmmsg:
			unseen_io(a[0], false);
			break;
		case SYS_sendfile: /* (out, in, ...) */
			unseen_io(a[0], false);
			unseen_io(a[1], true);
			break;
		case SYS_splice: /* (in, off_in, out, ...) */
			unseen_io(a[0], true);
			unseen_io(a[2], false);
			break;
		}
	}
	errno = saved;
	r = TS_REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	switch (n) {
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup:
	case SYS_dup3:
		dup_done((int)a[0], (int)r); /* it checks r and ts_is_active() */
		break;
	}
	ts_guard_leave();
	return r;
}

static int hook_dup(int fd)
{
	int r;

	if (!ts_guard_enter())
		return TS_REAL(dup)(fd);
	r = dup_done(fd, TS_REAL(dup)(fd));
	ts_guard_leave();
	return r;
}

static int hook_dup3(int fd, int to, int fl, bool three)
{
	int r;

	if (!ts_guard_enter())
		return three ? TS_REAL(dup3)(fd, to, fl) : TS_REAL(dup2)(fd, to);
	r = three ? TS_REAL(dup3)(fd, to, fl) : TS_REAL(dup2)(fd, to);
	r = dup_done(fd, r);
	ts_guard_leave();
	return r;
}

static int hook_fcntl(int fd, int cmd, long arg, bool is64)
{
	int r;

	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return is64 ? TS_REAL(fcntl64)(fd, cmd, arg)
			    : TS_REAL(fcntl)(fd, cmd, arg);
	if (!ts_guard_enter())
		return is64 ? TS_REAL(fcntl64)(fd, cmd, arg)
			    : TS_REAL(fcntl)(fd, cmd, arg);
	r = is64 ? TS_REAL(fcntl64)(fd, cmd, arg) : TS_REAL(fcntl)(fd, cmd, arg);
	r = dup_done(fd, r);
	ts_guard_leave();
	return r;
}

/*
 * SHUT_WR ends a response delimited by close: its server span ends when
 * the call starts (the peer may see the end before the call returns).
 */
static int hook_shutdown(int fd, int how)
{
	struct ts_conn *c = NULL;
	uint64_t t;
	int r;

	if (!ts_guard_enter())
		return TS_REAL(shutdown)(fd, how);
	if (how != SHUT_RD)
		c = traced(fd);
	t = ts_clock_mono_ns();
	r = TS_REAL(shutdown)(fd, how);
	if (c) {
		if (r == 0 && ts_conn_lock_out(c)) {
			ts_http_outbound_eof(&c->http, t);
			ts_conn_unlock_out(c);
		}
		put_keep_errno(c);
	}
	ts_guard_leave();
	return r;
}

/* ---- exported names ---------------------------------------------------- */

TS_HOT
TS_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	return hook_read(fd, buf, n);
}

TS_HOT
TS_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t bl)
{
	return hook_read_chk(fd, buf, n, bl);
}

TS_HOT
TS_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	return hook_readv(fd, iov, cnt);
}

TS_HOT
TS_EXPORT ssize_t recv(int fd, void *buf, size_t n, int fl)
{
	return hook_recv(fd, buf, n, fl);
}

TS_HOT
TS_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t bl, int fl)
{
	return hook_recv_chk(fd, buf, n, bl, fl);
}

TS_HOT
TS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int fl,
			   __SOCKADDR_ARG a, socklen_t *al)
{
	return hook_recvfrom(fd, buf, n, fl, a.__sockaddr__, al);
}

TS_HOT
TS_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t bl,
				 int fl, __SOCKADDR_ARG a, socklen_t *al)
{
	return hook_recvfrom_chk(fd, buf, n, bl, fl, a.__sockaddr__, al);
}

TS_HOT
TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int fl)
{
	return hook_recvmsg(fd, m, fl);
}

TS_HOT
TS_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	return hook_write(fd, buf, n);
}

TS_HOT
TS_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	return hook_writev(fd, iov, cnt);
}

TS_HOT
TS_EXPORT ssize_t send(int fd, const void *buf, size_t n, int fl)
{
	return hook_send(fd, buf, n, fl);
}

TS_HOT
TS_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int fl,
			 __CONST_SOCKADDR_ARG a, socklen_t al)
{
	return hook_sendto(fd, buf, n, fl, a.__sockaddr__, al);
}

TS_HOT
TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int fl)
{
	return hook_sendmsg(fd, m, fl);
}

TS_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	return hook_sendfile(out, in, off, n);
}

TS_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t n)
{
	return hook_sendfile(out, in, off, n);
}

TS_EXPORT ssize_t splice(int in, loff_t *oin, int out, loff_t *oout,
			 size_t n, unsigned int fl)
{
	return hook_splice(in, oin, out, oout, n, fl);
}

TS_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl)
{
	return hook_sendmmsg(fd, v, n, fl);
}

TS_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl,
		       struct timespec *t)
{
	return hook_recvmmsg(fd, v, n, fl, t);
}

TS_EXPORT int accept(int fd, __SOCKADDR_ARG a, socklen_t *al)
{
	return hook_accept4(fd, a.__sockaddr__, al, 0, false);
}

TS_EXPORT int accept4(int fd, __SOCKADDR_ARG a, socklen_t *al, int fl)
{
	return hook_accept4(fd, a.__sockaddr__, al, fl, true);
}

TS_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG a, socklen_t al)
{
	return hook_connect(fd, a.__sockaddr__, al);
}

TS_EXPORT int shutdown(int fd, int how)
{
	return hook_shutdown(fd, how);
}

TS_EXPORT int close(int fd)
{
	return hook_close(fd);
}

TS_EXPORT int close_range(unsigned lo, unsigned hi, int fl)
{
	return hook_close_range(lo, hi, fl);
}

TS_EXPORT void closefrom(int lo)
{
	hook_closefrom(lo);
}

TS_EXPORT int fclose(FILE *f)
{
	return hook_fclose(f);
}

/*
 * Six arguments are read whatever the call takes (libc's syscall does the
 * same): the ones not passed are whatever their registers hold, unused.
 */
static __attribute__((used)) long ts_syscall_entry(long n, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return hook_syscall(n, a);
}

#define TS_STR_(x) #x
#define TS_STR(x) TS_STR_(x)

/*
 * The entry: a process made by a raw vfork, clone or clone3 must not
 * return through a frame of ours (a vfork-like child shares our stack),
 * so those jump to the real syscall, the thread marked as for vfork()
 * (hooks/process.c): the child, which glibc's fork handlers never saw,
 * passes everything through.  Everything else goes to the hook above.
 */
#if defined(__x86_64__)
TS_EXPORT __attribute__((naked)) long syscall(long n, ...)
{
	__asm__("cmp $" TS_STR(SYS_vfork) ", %rdi\n\t"
		"je 1f\n\t"
		"cmp $" TS_STR(SYS_clone) ", %rdi\n\t"
		"je 1f\n\t"
		"cmp $" TS_STR(SYS_clone3) ", %rdi\n\t"
		"je 1f\n\t"
		"jmp ts_syscall_entry\n"
		"1:\n\t"
		"push %rdi\n\t"
		"push %rsi\n\t"
		"push %rdx\n\t"
		"push %rcx\n\t"
		"push %r8\n\t"
		"push %r9\n\t"
		"sub $8, %rsp\n\t" /* the call on a 16-byte boundary */
		"call ts_syscall_fork_prepare\n\t"
		"add $8, %rsp\n\t"
		"pop %r9\n\t"
		"pop %r8\n\t"
		"pop %rcx\n\t"
		"pop %rdx\n\t"
		"pop %rsi\n\t"
		"pop %rdi\n\t"
		"jmp *%rax\n\t");
}
#elif defined(__aarch64__)
TS_EXPORT __attribute__((naked)) long syscall(long n, ...)
{
	__asm__("cmp x0, #" TS_STR(SYS_clone) "\n\t"
		"b.eq 1f\n\t"
		"cmp x0, #" TS_STR(SYS_clone3) "\n\t"
		"b.eq 1f\n\t"
		"b ts_syscall_entry\n"
		"1:\n\t"
		"stp x29, x30, [sp, #-80]!\n\t"
		"mov x29, sp\n\t"
		"stp x0, x1, [sp, #16]\n\t"
		"stp x2, x3, [sp, #32]\n\t"
		"stp x4, x5, [sp, #48]\n\t"
		"str x6, [sp, #64]\n\t"
		"bl ts_syscall_fork_prepare\n\t"
		"mov x16, x0\n\t"
		"ldp x0, x1, [sp, #16]\n\t"
		"ldp x2, x3, [sp, #32]\n\t"
		"ldp x4, x5, [sp, #48]\n\t"
		"ldr x6, [sp, #64]\n\t"
		"ldp x29, x30, [sp], #80\n\t"
		"br x16\n\t");
}
#else
#error "syscall entry: no stub for this architecture"
#endif

TS_EXPORT int dup(int fd)
{
	return hook_dup(fd);
}

TS_EXPORT int dup2(int fd, int to)
{
	return hook_dup3(fd, to, 0, false);
}

TS_EXPORT int dup3(int fd, int to, int fl)
{
	return hook_dup3(fd, to, fl, true);
}

/*
 * fcntl is variadic; its third argument, when there is one, is an int or
 * a pointer, both passed in a full register on the ABIs we support, so it
 * is read (and passed on) as a long.
 */
TS_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return hook_fcntl(fd, cmd, arg, false);
}

TS_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return hook_fcntl(fd, cmd, arg, true);
}
