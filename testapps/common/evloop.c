/*
 * evloop.c - the single-threaded epoll server architecture (see server.h).
 *
 * Every socket is non-blocking.  Readable connections are read until
 * EAGAIN; each complete request in the input buffer (pipelining) is
 * handled at once and its response queued in the connection's output
 * buffer, which is written as far as the socket takes it; the rest waits
 * for EPOLLOUT.  While output is pending the connection is not read, so
 * a client that never reads cannot make us buffer without limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "server.h"

struct conn {
	int fd;
	struct ta_out in;  /* bytes read, not yet a complete request */
	struct ta_out out; /* response bytes not yet written */
	size_t out_off;    /* of out, already written */
	bool closing;      /* close once out is written */
	bool continued;    /* 100 Continue sent for the request in `in` */
	time_t active;     /* last I/O, for the idle timeout */
	struct conn *next; /* all connections, for the idle sweep */
};

static struct conn *conns;

static void conn_free(int ep, struct conn *c)
{
	struct conn **pp;

	for (pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in.data);
	free(c->out.data);
	free(c);
}

static void watch(int ep, struct conn *c, int op)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = c->out_off < c->out.len ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
	epoll_ctl(ep, op, c->fd, &ev);
}

/* Write what is pending; false when the connection is finished (an
 * error, or all written and closing). */
static bool flush_out(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out.len) {
		n = write(c->fd, c->out.data + c->out_off,
			  c->out.len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	c->out.len = c->out_off = 0;
	return !c->closing;
}

/* Handle every complete request in the input buffer. */
static void handle_input(const struct ta_service *svc, struct conn *c)
{
	struct ta_msg m;
	bool keep;
	long r;

	while (c->in.len && !c->closing) {
		m.head_len = 0;
		r = ta_http_parse(c->in.data, c->in.len, TA_REQUEST, false, &m);
		if (r == 0) {
			if (m.head_len && !c->continued && ta_wants_continue(&m)) {
				c->continued = true;
				ta_out_put(&c->out, "HTTP/1.1 100 Continue\r\n\r\n",
					   25);
			}
			return;
		}
		if (r < 0) {
			ta_error_response(svc, (int)-r, &c->out);
			c->closing = true;
			return;
		}
		ta_dispatch(svc, &m, -1, &c->out, &keep);
		ta_msg_release(&m);
		memmove(c->in.data, c->in.data + r, c->in.len - (size_t)r);
		c->in.len -= (size_t)r;
		c->continued = false;
		c->closing = !keep;
	}
}

/* Readable: false when the connection is finished. */
static bool on_readable(const struct ta_service *svc, struct conn *c)
{
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			ta_out_put(&c->in, buf, (size_t)n);
			if (c->in.len > TA_MAX_HEAD + TA_MAX_BODY)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* EOF or error: answer what is complete, then close. */
		c->closing = true;
		break;
	}
	handle_input(svc, c);
	return flush_out(c);
}

static void accept_all(int ep, int lfd)
{
	struct conn *c;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->active = time(NULL);
		c->next = conns;
		conns = c;
		watch(ep, c, EPOLL_CTL_ADD);
	}
}

static void sweep_idle(int ep)
{
	time_t now = time(NULL);
	struct conn *c, *next;

	for (c = conns; c; c = next) {
		next = c->next;
		if (now - c->active > TA_IDLE_SECONDS)
			conn_free(ep, c);
	}
}

int ta_serve_epoll(int lfd, const struct ta_service *svc)
{
	struct epoll_event evs[64], lev = { .events = EPOLLIN };
	struct conn *c;
	int ep, n, i;
	bool alive;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		ta_die(1, "epoll_create1: %s", strerror(errno));
	lev.data.ptr = NULL; /* NULL marks the listening socket */
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	while (!ta_stopping) {
		n = epoll_wait(ep, evs, 64, 1000);
		if (n < 0 && errno != EINTR)
			ta_die(1, "epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (!(c = evs[i].data.ptr)) {
				accept_all(ep, lfd);
				continue;
			}
			c->active = time(NULL);
			if (evs[i].events & EPOLLOUT)
				alive = flush_out(c);
			else
				alive = on_readable(svc, c);
			if (alive)
				watch(ep, c, EPOLL_CTL_MOD);
			else
				conn_free(ep, c);
		}
		sweep_idle(ep);
	}
	while (conns)
		conn_free(ep, conns);
	close(ep);
	return 0;
}
