/*
 * http_client.c - the built-in HTTP/1.1 client (see http_client.h).
 *
 * Every libc call that the shim interposes goes through TS_REAL, and the
 * reporter thread holds the reentrancy guard, so none of this traffic is
 * ever traced or has a traceparent injected.  Writes use MSG_NOSIGNAL: a
 * collector closing the connection must not raise SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../preload/clock.h"
#include "../preload/real.h"
#include "fd_high.h"
#include "http_client.h"

#define HIGH_FD 710           /* out of the way of applications' descriptors */
#define MAX_BODY (4u << 20)   /* response body bytes read before giving up */

/* --- URLs -------------------------------------------------------------- */

static int copy_part(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		return -EINVAL;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static bool valid_port(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int parse_authority(const char *a, size_t n, struct ts_url *u)
{
	const char *host = a, *colon = NULL, *end = a + n;
	size_t hlen;

	if (memchr(a, '@', n))
		return -EINVAL; /* credentials belong in the headers variable */
	if (n && *a == '[') {
		const char *rb = memchr(a, ']', n);

		if (!rb)
			return -EINVAL;
		host = a + 1;
		hlen = (size_t)(rb - host);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return -EINVAL;
			colon = rb + 1;
		}
	} else {
		colon = memchr(a, ':', n);
		hlen = colon ? (size_t)(colon - a) : n;
	}
	if (hlen == 0 || copy_part(u->host, sizeof(u->host), host, hlen))
		return -EINVAL;
	if (colon) {
		if (!valid_port(colon + 1, (size_t)(end - colon - 1)))
			return -EINVAL;
		copy_part(u->port, sizeof(u->port), colon + 1,
			  (size_t)(end - colon - 1));
	} else {
		strcpy(u->port, u->https ? "443" : "80");
	}
	return copy_part(u->authority, sizeof(u->authority), a, n);
}

int ts_url_parse(const char *s, struct ts_url *u)
{
	const char *a, *p;
	size_t alen, plen;

	memset(u, 0, sizeof(*u));
	if (!strncasecmp(s, "http://", 7)) {
		a = s + 7;
	} else if (!strncasecmp(s, "https://", 8)) {
		a = s + 8;
		u->https = true;
	} else {
		return -EINVAL;
	}
	alen = strcspn(a, "/?#");
	if (parse_authority(a, alen, u))
		return -EINVAL;
	p = a + alen;
	plen = strcspn(p, "#");
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return -EINVAL; /* would break the request line */
	if (plen == 0 || *p != '/') {
		u->path[0] = '/';
		return copy_part(u->path + 1, sizeof(u->path) - 1, p, plen);
	}
	return copy_part(u->path, sizeof(u->path), p, plen);
}

/* --- the socket -------------------------------------------------------- */

void ts_http_conn_init(struct ts_http_conn *c)
{
	c->fd = -1;
	c->naddr = 0;
	c->served = 0;
	c->rpos = c->rlen = 0;
}

static bool fd_is_ours(const struct ts_http_conn *c)
{
	struct stat sb;

	return c->fd >= 0 && fstat(c->fd, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	       sb.st_dev == c->dev && sb.st_ino == c->ino;
}

void ts_http_close(struct ts_http_conn *c)
{
	if (fd_is_ours(c))
		TS_REAL(close)(c->fd);
	c->fd = -1; /* the resolved addresses are kept */
	c->served = 0;
	c->rpos = c->rlen = 0;
}

void ts_http_after_fork(struct ts_http_conn *c)
{
	ts_http_close(c);
}

/* ms to wait for `deadline`, rounded up so we never spin at the end. */
static int ms_left(uint64_t deadline)
{
	uint64_t now = ts_clock_mono_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000 > 3600000
			     ? 3600000
			     : (deadline - now + 999999) / 1000000);
}

/* Wait until fd has `ev`: 0, or -ETIMEDOUT at the deadline. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int ms, r;

	for (;;) {
		ms = ms_left(deadline);
		if (ms == 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* A new non-blocking socket for `family`, above the app's descriptors. */
static int new_socket(int family)
{
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	fd = ts_fd_move_high(fd, HIGH_FD);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int connect_one(const struct sockaddr_storage *sa, socklen_t salen,
		       uint64_t deadline)
{
	int fd = new_socket(sa->ss_family), err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return fd;
	if (TS_REAL(connect)(fd, (const struct sockaddr *)sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		err = -errno;
		goto out_close;
	}
	err = wait_fd(fd, POLLOUT, deadline);
	if (err)
		goto out_close;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0)
		return fd;
	err = -err;
out_close:
	TS_REAL(close)(fd);
	return err;
}

/* Look the endpoint up into c->addr[].  0 or -EHOSTUNREACH (-errno). */
static int resolve(struct ts_http_conn *c, const struct ts_url *u)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int g;

	c->naddr = 0;
	g = getaddrinfo(u->host, u->port, &hints, &res);
	if (g != 0)
		return g == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	for (ai = res; ai && c->naddr < TS_HTTP_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(c->addr[0]))
			continue;
		memcpy(&c->addr[c->naddr], ai->ai_addr, ai->ai_addrlen);
		c->addr_len[c->naddr++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	c->resolved_ns = ts_clock_mono_ns();
	return c->naddr ? 0 : -EHOSTUNREACH;
}

static int http_connect(struct ts_http_conn *c, const struct ts_url *u,
			uint64_t deadline)
{
	struct stat sb;
	int fd = -ECONNREFUSED;
	unsigned i;

	if ((!c->naddr ||
	     ts_clock_mono_ns() - c->resolved_ns > 60000000000ull) &&
	    (fd = resolve(c, u)) != 0)
		return fd;
	for (i = 0; i < c->naddr; i++) {
		fd = connect_one(&c->addr[i], c->addr_len[i], deadline);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	if (fd < 0) {
		if (fd != -ETIMEDOUT)
			c->naddr = 0; /* every address failed: look up again */
		return fd;
	}
	if (fstat(fd, &sb) != 0) {
		TS_REAL(close)(fd);
		return -EBADF;
	}
	c->fd = fd;
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	c->served = 0;
	c->rpos = c->rlen = 0;
	return 0;
}

/* An idle kept-alive connection the server has closed (or talked on). */
static bool idle_conn_is_dead(const struct ts_http_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0 || c->rpos != c->rlen;
}

/* --- sending ----------------------------------------------------------- */

static int send_all(struct ts_http_conn *c, struct iovec *iov, int cnt,
		    uint64_t deadline)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
	ssize_t n;
	int err;

	while (m.msg_iovlen) {
		n = TS_REAL(sendmsg)(c->fd, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			err = wait_fd(c->fd, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		while (m.msg_iovlen && (size_t)n >= m.msg_iov->iov_len) {
			n -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
			m.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int send_request(struct ts_http_conn *c, const struct ts_url *u,
			const char *headers, size_t hlen, const char *body,
			size_t blen, uint64_t deadline)
{
	char head[TS_HOST_MAX + sizeof(u->path) + 128];
	struct iovec iov[3];
	int n;

	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n",
		     u->path, u->authority, blen);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;
	iov[0] = (struct iovec){ head, (size_t)n };
	iov[1] = (struct iovec){ (void *)headers, hlen };
	iov[2] = (struct iovec){ "\r\n", 2 };
	n = send_all(c, iov, 3, deadline);
	if (n)
		return n;
	iov[0] = (struct iovec){ (void *)body, blen };
	return send_all(c, iov, 1, deadline);
}

/* --- receiving --------------------------------------------------------- */

/* Read more bytes: >0 read, 0 at EOF, -errno (-ETIMEDOUT, -ENOBUFS full). */
static ssize_t fill(struct ts_http_conn *c, uint64_t deadline)
{
	ssize_t n;
	int err;

	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
	} else if (c->rpos && c->rlen == sizeof(c->rbuf)) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return -ENOBUFS;
	for (;;) {
		n = TS_REAL(recv)(c->fd, c->rbuf + c->rlen,
				  sizeof(c->rbuf) - c->rlen, 0);
		if (n > 0) {
			c->rlen += (size_t)n;
			return n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_fd(c->fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

/* One line (without CR LF) at *line; -EAGAIN-like 1 when incomplete. */
static int next_line(struct ts_http_conn *c, const char **line, size_t *len)
{
	char *start = c->rbuf + c->rpos;
	char *nl = memchr(start, '\n', c->rlen - c->rpos);

	if (!nl)
		return 1;
	*line = start;
	*len = (size_t)(nl - start);
	if (*len && start[*len - 1] == '\r')
		(*len)--;
	c->rpos += (size_t)(nl - start) + 1;
	return 0;
}

/* next_line, reading until a line is there. */
static int read_line(struct ts_http_conn *c, const char **line, size_t *len,
		     uint64_t deadline)
{
	ssize_t n;

	while (next_line(c, line, len)) {
		n = fill(c, deadline);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : (int)n;
	}
	return 0;
}

struct head {
	int status;
	bool chunked;         /* Transfer-Encoding: chunked */
	bool close;           /* the server closes after this response */
	int64_t length;       /* Content-Length, -1 when absent */
};

static bool header_is(const char *l, size_t n, const char *name,
		      const char **val, size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || l[k] != ':' || strncasecmp(l, name, k))
		return false;
	l += k + 1, n -= k + 1;
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	*val = l;
	*vlen = n;
	return true;
}

static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t k = strlen(tok);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, tok, k))
			return true;
	return false;
}

static int64_t parse_len(const char *v, size_t n)
{
	int64_t x = 0;

	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static void head_field(struct head *h, struct ts_http_resp *r, const char *l,
		       size_t n)
{
	const char *v;
	size_t vl;

	if (header_is(l, n, "content-length", &v, &vl))
		h->length = parse_len(v, vl);
	else if (header_is(l, n, "transfer-encoding", &v, &vl))
		h->chunked = has_token(v, vl, "chunked");
	else if (header_is(l, n, "connection", &v, &vl))
		h->close = has_token(v, vl, "close") ||
			   (h->close && !has_token(v, vl, "keep-alive"));
	else if (header_is(l, n, "retry-after", &v, &vl))
		r->retry_after_ms = ts_http_parse_retry_after(
			v, vl, (int64_t)time(NULL));
}

/*
 * Wait for the first bytes of a status line and check they are "HTTP/":
 * a server that speaks something else (an HTTP/2 or gRPC port sends a
 * binary SETTINGS frame and hangs up) is told apart from a dropped
 * connection at once.  -EPROTO when they are not.
 */
static int check_status_prefix(struct ts_http_conn *c, uint64_t deadline)
{
	size_t have;
	ssize_t got;

	while ((have = c->rlen - c->rpos) < 5) {
		got = fill(c, deadline);
		if (got <= 0) {
			if (have && memcmp(c->rbuf + c->rpos, "HTTP/", have))
				return -EPROTO;
			return got == 0 ? -ECONNRESET : (int)got;
		}
	}
	return memcmp(c->rbuf + c->rpos, "HTTP/", 5) ? -EPROTO : 0;
}

static int read_head(struct ts_http_conn *c, struct head *h,
		     struct ts_http_resp *r, uint64_t deadline)
{
	const char *l;
	size_t n;
	int err;

	do {
		err = check_status_prefix(c, deadline);
		if (err)
			return err;
		err = read_line(c, &l, &n, deadline);
		if (err)
			return err == -ENOBUFS ? -EPROTO : err;
		if (n < 12 || strncmp(l, "HTTP/1.", 7) || l[8] != ' ' ||
		    l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' ||
		    l[11] < '0' || l[11] > '9')
			return -EPROTO;
		h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + l[11] - '0';
		h->close = l[7] == '0'; /* HTTP/1.0: closes unless keep-alive */
		h->chunked = false;
		h->length = -1;
		for (;;) {
			err = read_line(c, &l, &n, deadline);
			if (err)
				return err == -ENOBUFS ? -EPROTO : err;
			if (n == 0)
				break;
			head_field(h, r, l, n);
		}
	} while (h->status < 200); /* 100 Continue, 103 Early Hints */
	r->status = h->status;
	return 0;
}

/* Consume up to `want` body bytes (all buffered or read), keeping the
 * first ones in r->body.  Returns bytes consumed, 0 at EOF, -errno. */
static ssize_t take_body(struct ts_http_conn *c, struct ts_http_resp *r,
			 size_t *kept, uint64_t want, uint64_t deadline)
{
	size_t avail, n, room;
	ssize_t got;

	if (c->rpos == c->rlen) {
		got = fill(c, deadline);
		if (got <= 0)
			return got;
	}
	avail = c->rlen - c->rpos;
	n = avail < want ? avail : (size_t)want;
	room = sizeof(r->body) - 1 - *kept;
	if (room) {
		memcpy(r->body + *kept, c->rbuf + c->rpos, n < room ? n : room);
		*kept += n < room ? n : room;
	}
	c->rpos += n;
	return (ssize_t)n;
}

static int read_chunked(struct ts_http_conn *c, struct ts_http_resp *r,
			size_t *kept, uint64_t deadline)
{
	const char *l;
	size_t n, total = 0;
	uint64_t size;
	ssize_t got;
	int err;

	for (;;) {
		err = read_line(c, &l, &n, deadline);
		if (err)
			return err;
		if (n == 0)
			return -EPROTO; /* a chunk size is required */
		size = 0;
		for (size_t i = 0; i < n && l[i] != ';'; i++) {
			int d = l[i] >= '0' && l[i] <= '9' ? l[i] - '0'
				: (l[i] | 0x20) >= 'a' && (l[i] | 0x20) <= 'f'
					? (l[i] | 0x20) - 'a' + 10
					: -1;
			if (d < 0 || size > MAX_BODY)
				return -EPROTO;
			size = size * 16 + (unsigned)d;
		}
		if (size == 0)
			break;
		if ((total += size) > MAX_BODY)
			return -EFBIG;
		while (size) {
			got = take_body(c, r, kept, size, deadline);
			if (got <= 0)
				return got ? (int)got : -ECONNRESET;
			size -= (uint64_t)got;
		}
		err = read_line(c, &l, &n, deadline); /* CRLF after data */
		if (err || n)
			return err ? err : -EPROTO;
	}
	do { /* trailers, up to the empty line */
		err = read_line(c, &l, &n, deadline);
		if (err)
			return err;
	} while (n);
	return 0;
}

/* Read the body as the head says; 0 when the connection stays usable. */
static int read_body(struct ts_http_conn *c, const struct head *h,
		     struct ts_http_resp *r, uint64_t deadline)
{
	size_t kept = 0;
	uint64_t left;
	ssize_t got;
	int err = 0;

	if (h->chunked) {
		err = read_chunked(c, r, &kept, deadline);
	} else if (h->length >= 0) {
		if ((uint64_t)h->length > MAX_BODY)
			err = -EFBIG;
		for (left = (uint64_t)h->length; !err && left; left -= (uint64_t)got) {
			got = take_body(c, r, &kept, left, deadline);
			if (got <= 0)
				err = got ? (int)got : -ECONNRESET;
		}
	} else if (h->status != 204 && h->status != 304) {
		/* Delimited by close: read to EOF (bounded). */
		for (left = MAX_BODY; left; left -= (uint64_t)got) {
			got = take_body(c, r, &kept, left, deadline);
			if (got <= 0) {
				err = (int)got;
				break;
			}
		}
		if (!left)
			err = -EFBIG;
		else if (!err)
			err = -ECONNRESET; /* EOF: fine, but not reusable */
	}
	r->body[kept] = '\0';
	r->body_len = kept;
	return err;
}

/* --- the request ------------------------------------------------------- */

static int post_once(struct ts_http_conn *c, const struct ts_url *u,
		     const char *headers, size_t hlen, const char *body,
		     size_t blen, struct ts_http_resp *r, uint64_t deadline)
{
	struct head h;
	int err;

	err = send_request(c, u, headers, hlen, body, blen, deadline);
	if (err)
		return err;
	err = read_head(c, &h, r, deadline);
	if (err)
		return err;
	/* The status is what counts; a body we cannot finish reading only
	 * costs the connection. */
	if (read_body(c, &h, r, deadline) || h.close)
		ts_http_close(c);
	else
		c->served++;
	return 0;
}

int ts_http_post(struct ts_http_conn *c, const struct ts_url *u,
		 const char *headers, size_t hlen, const char *body,
		 size_t blen, struct ts_http_resp *r, uint64_t deadline)
{
	bool reused;
	int err;

	r->status = 0;
	r->retry_after_ms = -1;
	r->grpc_status = -1;
	r->grpc_retry_info = false;
	r->grpc_message[0] = '\0';
	r->body[0] = '\0';
	r->body_len = 0;
	if (c->fd >= 0 && (!fd_is_ours(c) || idle_conn_is_dead(c))) {
		/* Closed by the server, or the number is no longer ours. */
		ts_http_close(c);
	}
	reused = c->fd >= 0;
	if (!reused) {
		err = http_connect(c, u, deadline);
		if (err)
			return err;
	}
	err = post_once(c, u, headers, hlen, body, blen, r, deadline);
	if (err && reused && r->status == 0 && err != -ETIMEDOUT) {
		/* The server dropped the kept-alive connection as we sent:
		 * nothing was answered, so send it again on a new one. */
		ts_http_close(c);
		err = http_connect(c, u, deadline);
		if (!err)
			err = post_once(c, u, headers, hlen, body, blen, r,
					deadline);
	}
	if (err)
		ts_http_close(c);
	return err;
}

/* --- Retry-After ------------------------------------------------------- */

int64_t ts_http_parse_retry_after(const char *v, size_t len, int64_t now_unix)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[64];
	struct tm tm;
	char mon[4];
	int64_t secs;
	int n = 0;

	secs = parse_len(v, len);
	if (secs >= 0)
		return secs > 86400 ? 86400000 : secs * 1000;
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(buf, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT%n", &tm.tm_mday, mon,
		   &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    (size_t)n != len)
		return -1;
	for (tm.tm_mon = 0; tm.tm_mon < 12; tm.tm_mon++)
		if (!strncmp(months + 3 * tm.tm_mon, mon, 3))
			break;
	if (tm.tm_mon == 12)
		return -1;
	tm.tm_year -= 1900;
	secs = (int64_t)timegm(&tm) - now_unix;
	if (secs < 0)
		return 0;
	return secs > 86400 ? 86400000 : secs * 1000;
}
