/*
 * client.c - blocking keep-alive HTTP/1.1 client over plain sockets (see
 * client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "net.h"

void ta_client_init(struct ta_client *c, const char *host, int port,
		    const char *agent)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	c->fd = -1;
	c->timeout_ms = 10000;
	c->agent = agent;
}

void ta_client_close(struct ta_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ta_msg_release(&c->resp);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->used = 0;
}

static void drop_conn(struct ta_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = c->used = 0;
}

static int send_request(struct ta_client *c, const char *method,
			const char *path, const char *ctype, const char *body,
			size_t body_len)
{
	char head[2048];
	int n;

	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: %s\r\n"
		     "Accept: */*\r\n%s%s%s",
		     method, path, c->host, c->port, c->agent,
		     ctype ? "Content-Type: " : "", ctype ? ctype : "",
		     ctype ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) - 64)
		return -ENAMETOOLONG;
	if (body || strcmp(method, "GET"))
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Content-Length: %zu\r\n", body_len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (!ta_write_all(c->fd, head, (size_t)n) ||
	    (body_len && !ta_write_all(c->fd, body, body_len)))
		return -errno;
	return 0;
}

/* Read until a whole response is in buf; 0, -errno, or 1 when the
 * connection closed before any byte (a stale keep-alive connection). */
static int read_response(struct ta_client *c, bool head_req)
{
	enum ta_http_kind kind = head_req ? TA_RESPONSE_HEAD : TA_RESPONSE;
	bool eof = false;
	ssize_t n;
	long r;

	for (;;) {
		if (c->len) {
			r = ta_http_parse(c->buf, c->len, kind, eof, &c->resp);
			if (r > 0 && c->resp.status >= 100 && c->resp.status < 200) {
				/* interim response: drop it, read on */
				memmove(c->buf, c->buf + r, c->len - (size_t)r);
				c->len -= (size_t)r;
				continue;
			}
			if (r > 0) {
				c->used = (size_t)r;
				return 0;
			}
			if (r < 0 || eof)
				return -EPROTO;
		} else if (eof) {
			return 1;
		}
		if (c->len + 16384 > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 32768;
			char *b;

			if (cap > 2 * (size_t)TA_MAX_BODY ||
			    !(b = realloc(c->buf, cap)))
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR && !ta_stopping)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			eof = true;
		c->len += (size_t)n;
	}
}

int ta_client_request(struct ta_client *c, const char *method,
		      const char *path, const char *ctype, const char *body,
		      size_t body_len)
{
	bool reused;
	int attempt, r = 0;

	ta_msg_release(&c->resp);
	/* Forget the previous response's bytes. */
	if (c->used) {
		memmove(c->buf, c->buf + c->used, c->len - c->used);
		c->len -= c->used;
		c->used = 0;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		reused = c->fd >= 0;
		if (!reused) {
			c->len = 0;
			if ((r = ta_connect(c->host, c->port, c->timeout_ms)) < 0)
				return r;
			c->fd = r;
		}
		r = send_request(c, method, path, ctype, body, body_len);
		if (!r)
			r = read_response(c, !strcmp(method, "HEAD"));
		if (r == 0) {
			if (!c->resp.keep_alive)
				c->fd = (close(c->fd), -1);
			return 0;
		}
		drop_conn(c);
		if (!reused || (r != 1 && r != -EPIPE && r != -ECONNRESET))
			break;
	}
	return r == 1 ? -ECONNRESET : r;
}
