/*
 * server.h - the request/response interface of the test applications and
 * the server architectures they are built on.
 *
 * A service is a handler: it gets a parsed request and fills a response
 * (status, content type, body).  The same handler can run under several
 * architectures, as real services do:
 *
 *   ta_serve_threads  one thread per connection (blocking I/O)
 *   ta_serve_pool     a fixed pool of threads that each accept() and serve
 *   ta_serve_fork     one child process per connection, which leaves by
 *                     _exit() like a classic inetd-style server
 *   ta_serve_prefork  a fixed set of worker processes that each accept()
 *                     (Apache prefork, PHP-FPM), respawned if they die
 *   ta_serve_epoll    one thread, non-blocking sockets, an epoll event loop
 *
 * Every model speaks HTTP/1.1: keep-alive unless the client or the
 * handler asks to close, pipelining, HEAD, Expect: 100-continue, chunked
 * request bodies, idle connections closed after TA_IDLE_SECONDS (prefork:
 * TA_PREFORK_IDLE_SECONDS), and an
 * error status (400, 413, 431, 501, 505) for messages it cannot accept.
 * Each returns when ta_stopping is set (SIGTERM/SIGINT), having stopped
 * the threads or processes it started.
 *
 * Threads: handlers run on the model's threads or processes; a handler
 * must be thread-safe under ta_serve_threads and ta_serve_pool.
 */
#ifndef TA_SERVER_H
#define TA_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define TA_IDLE_SECONDS 30
#define TA_PREFORK_IDLE_SECONDS 5 /* a prefork worker serves nobody else */

struct ta_request {
	const struct ta_msg *msg; /* the parsed message (headers, body) */
	const char *method;       /* msg->method */
	char path[1024];          /* the target's path, percent-decoded */
	char query[1024];         /* the target's query, as sent ("" if none) */
	int fd;                   /* the connection, for streaming; -1 when
				     the model cannot stream (event loop) */
	const char *server;       /* the service's name (Server header) */
};

struct ta_response {
	int status;       /* default 200 */
	char ctype[64];   /* Content-Type; "" for none */
	char *body;       /* malloc'd body (ta_resp_*) */
	size_t len;       /* body bytes */
	size_t cap;       /* allocated */
	bool close;       /* close the connection after this response */
	/* Set by ta_resp_stream_begin(): the handler wrote the head and is
	 * writing the body itself. */
	bool streaming;
	bool chunked;     /* streaming with chunked coding (HTTP/1.1) */
	bool head_only;   /* the request was HEAD: no body bytes */
	bool failed;      /* a write of the stream failed */
	int fd;           /* where a stream goes */
};

struct ta_service {
	const char *name;                                     /* Server header */
	void (*handler)(struct ta_request *, struct ta_response *);
};

/* Set status, content type and the body (printf format). */
void ta_resp_printf(struct ta_response *r, int status, const char *ctype,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append bytes to the body. */
void ta_resp_append(struct ta_response *r, const void *data, size_t len);

/* Append formatted text to the body. */
void ta_resp_appendf(struct ta_response *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append s[0..len) as a JSON string (quoted, escaped). */
void ta_resp_json_str(struct ta_response *r, const char *s, size_t len);

/*
 * Send the head now and the body in pieces (chunked under HTTP/1.1,
 * close-delimited under HTTP/1.0).  False when the model cannot stream
 * (the handler then fills the body as usual).
 */
bool ta_resp_stream_begin(struct ta_request *req, struct ta_response *r,
			  int status, const char *ctype);

/* One piece of a streamed body; false once the client is gone. */
bool ta_resp_stream_write(struct ta_response *r, const void *data, size_t len);

int ta_serve_threads(int lfd, const struct ta_service *svc);
int ta_serve_pool(int lfd, const struct ta_service *svc, int nthreads);
int ta_serve_fork(int lfd, const struct ta_service *svc);
int ta_serve_prefork(int lfd, const struct ta_service *svc, int nprocs);
int ta_serve_epoll(int lfd, const struct ta_service *svc);

/* ---- shared by the models (server.c, evloop.c) ---- */

/* Run the handler for one complete request; the response head and body
 * (unless streamed) are appended to *out (a growable buffer). */
struct ta_out {
	char *data;
	size_t len, cap;
};
void ta_out_put(struct ta_out *o, const void *p, size_t n);
void ta_dispatch(const struct ta_service *svc, const struct ta_msg *m, int fd,
		 struct ta_out *out, bool *keep_alive);

/* The response to a message the parser rejected (status = -r). */
void ta_error_response(const struct ta_service *svc, int status,
		       struct ta_out *out);

/* True when the request head asks for 100 Continue. */
bool ta_wants_continue(const struct ta_msg *m);

#endif /* TA_SERVER_H */
