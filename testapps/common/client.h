/*
 * client.h - a blocking HTTP/1.1 client over plain sockets, the kind a
 * legacy C service writes for itself instead of linking libcurl.
 *
 * One struct ta_client is one keep-alive connection to one host:port,
 * opened at the first request and reused for the next ones; a reused
 * connection the server has meanwhile closed is reopened once, before any
 * byte of the response was read (the request is then sent again, as
 * browsers and libcurl do for idempotent requests).
 *
 * Threads: a client belongs to one thread at a time.
 */
#ifndef TA_CLIENT_H
#define TA_CLIENT_H

#include "http.h"

struct ta_client {
	char host[256];    /* to connect to, and for the Host header */
	int port;
	int fd;            /* the connection, -1 when closed */
	int timeout_ms;    /* connect, send and per-read timeout */
	const char *agent; /* User-Agent */
	char *buf;         /* response bytes */
	size_t len, cap;
	size_t used;       /* bytes of buf the last response occupied */
	struct ta_msg resp;
};

/* A client for host:port (nothing is connected yet). */
void ta_client_init(struct ta_client *c, const char *host, int port,
		    const char *agent);

/*
 * Send a request and read its response into c->resp (valid until the
 * next call).  body may be NULL.  Returns 0, or -errno (ECONNREFUSED,
 * ETIMEDOUT, EPROTO for a malformed response, ...).
 */
int ta_client_request(struct ta_client *c, const char *method,
		      const char *path, const char *ctype, const char *body,
		      size_t body_len);

/* Close the connection and free the buffer. */
void ta_client_close(struct ta_client *c);

#endif /* TA_CLIENT_H */
