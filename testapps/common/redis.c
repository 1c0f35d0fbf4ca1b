/*
 * redis.c - minimal blocking RESP2 client (see redis.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "redis.h"

#define MAX_BULK (16 * 1024 * 1024)

void ta_redis_init(struct ta_redis *r, const char *host, int port)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = port;
	r->fd = -1;
}

void ta_redis_close(struct ta_redis *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

int ta_redis_connect(struct ta_redis *r, int timeout_ms)
{
	int fd;

	if (r->fd >= 0)
		return 0;
	if ((fd = ta_connect(r->host, r->port, timeout_ms)) < 0)
		return fd;
	r->fd = fd;
	r->len = 0;
	return 0;
}

int ta_redis_send(struct ta_redis *r, int argc, const char *const *argv)
{
	char head[32], *cmd;
	size_t len = 0, cap = 32;
	int i, n;

	for (i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 32;
	if (!(cmd = malloc(cap)))
		return -ENOMEM;
	n = snprintf(head, sizeof(head), "*%d\r\n", argc);
	memcpy(cmd, head, (size_t)n);
	len = (size_t)n;
	for (i = 0; i < argc; i++)
		len += (size_t)snprintf(cmd + len, cap - len, "$%zu\r\n%s\r\n",
					strlen(argv[i]), argv[i]);
	n = ta_write_all(r->fd, cmd, len) ? 0 : -errno;
	free(cmd);
	return n;
}

/* Make sure `need` bytes are buffered; 0 or -errno (-ECONNRESET at EOF). */
static int need_bytes(struct ta_redis *r, size_t need)
{
	ssize_t n;

	while (r->len < need) {
		if (r->cap - r->len < 4096) {
			size_t cap = r->cap ? r->cap * 2 : 16384;
			char *b = realloc(r->buf, cap);

			if (!b)
				return -ENOMEM;
			r->buf = b;
			r->cap = cap;
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR && !ta_stopping)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		r->len += (size_t)n;
	}
	return 0;
}

/* One CRLF-terminated line at offset *off; its length (without CRLF). */
static int line_at(struct ta_redis *r, size_t *off, size_t *len)
{
	char *cr;
	int e;

	for (;;) {
		cr = r->len > *off ? memchr(r->buf + *off, '\n', r->len - *off)
				   : NULL;
		if (cr) {
			if (cr == r->buf + *off || cr[-1] != '\r')
				return -EPROTO;
			*len = (size_t)(cr - 1 - (r->buf + *off));
			return 0;
		}
		if (r->len - *off > 65536)
			return -EPROTO;
		if ((e = need_bytes(r, r->len + 1)))
			return e;
	}
}

/* Parse one reply at *off (depth 0 or 1); advances *off. */
static int parse_at(struct ta_redis *r, size_t *off, struct ta_redis_reply *out,
		    int depth)
{
	size_t ll, i;
	long long v;
	char *end;
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = line_at(r, off, &ll)))
		return e;
	out->type = r->buf[*off];
	r->buf[*off + ll] = '\0';
	v = strtoll(r->buf + *off + 1, &end, 10);
	switch (out->type) {
	case '+':
	case '-':
		out->str = strdup(r->buf + *off + 1);
		out->len = ll - 1;
		*off += ll + 2;
		return out->str ? 0 : -ENOMEM;
	case ':':
		out->integer = v;
		*off += ll + 2;
		return *end ? -EPROTO : 0;
	case '$':
		*off += ll + 2;
		if (*end || v < -1 || v > MAX_BULK)
			return -EPROTO;
		if (v < 0)
			return 0; /* nil */
		if ((e = need_bytes(r, *off + (size_t)v + 2)))
			return e;
		if (!(out->str = malloc((size_t)v + 1)))
			return -ENOMEM;
		memcpy(out->str, r->buf + *off, (size_t)v);
		out->str[v] = '\0';
		out->len = (size_t)v;
		*off += (size_t)v + 2;
		return 0;
	case '*':
		*off += ll + 2;
		if (*end || v < -1 || v > TA_REDIS_MAX_ITEMS || depth > 0)
			return -EPROTO;
		if (v <= 0)
			return 0;
		if (!(out->items = calloc((size_t)v, sizeof(*out->items))))
			return -ENOMEM;
		out->n = (size_t)v;
		for (i = 0; i < out->n; i++)
			if ((e = parse_at(r, off, &out->items[i], depth + 1)))
				return e;
		return 0;
	}
	return -EPROTO;
}

int ta_redis_read(struct ta_redis *r, struct ta_redis_reply *out)
{
	size_t off = 0;
	int e = parse_at(r, &off, out, 0);

	if (e) {
		ta_redis_reply_free(out);
		return e;
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
	return 0;
}

void ta_redis_reply_free(struct ta_redis_reply *rep)
{
	size_t i;

	free(rep->str);
	for (i = 0; i < rep->n; i++)
		ta_redis_reply_free(&rep->items[i]);
	free(rep->items);
	memset(rep, 0, sizeof(*rep));
}
