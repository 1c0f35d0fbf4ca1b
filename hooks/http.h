/*
 * http.h - HTTP/1.x tracing of one connection: spans and injection.
 *
 * The socket hooks hand every byte of a traced connection to this layer:
 * bytes the application read (ts_http_inbound) and bytes it asks to send
 * (ts_http_send, which performs the real send itself because it may have
 * to insert a header line).  The first HTTP message decides the role: a
 * request read means we are the server, a request written the client.
 *
 * Server: a SERVER span per request, from its first byte read to the last
 * byte of its response written; incoming trace context is extracted.
 * Client: a CLIENT span per request, from its first byte written to the
 * last byte of its response read; its context is injected as a header
 * line at the end of the request head, or written into a forwarded
 * traceparent of the same trace (a proxy).
 *
 * Threads: callers hold the connection's direction lock (conn.h) for the
 * direction they feed.  The request queue and the records in it belong to
 * both directions: each entry point here takes the connection's queue lock
 * (ts_http_q_lock) while it works on them, and a client's send holds it
 * through the real send that carries a request head, so that a response
 * read by another thread is handled only after the request it answers was
 * recorded.  Everything here is async-signal-safe.
 */
#ifndef TS_HOOKS_HTTP_H
#define TS_HOOKS_HTTP_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "../preload/span.h"
#include "http_parse.h"

#define TS_HTTP_PENDING 4     /* requests in flight on one connection */
#define TS_HTTP_EDIT_MAX 1536 /* longest header block we insert */
#define TS_HTTP_PLAN_MAX 8    /* edits planned within one send */
#define TS_HTTP_POOL 2048     /* bytes of all edits planned in one send */

/* A request on this connection whose response has not completed. */
struct ts_http_req {
	uint64_t start_unix_ns;   /* first byte of the request */
	uint64_t start_mono_ns;
	bool traced;              /* a span is being recorded */
	bool decided;             /* client: whether to trace it is settled
				     (its edit went out, or none is due) */
	bool head_done;           /* request head complete, span started */
	bool no_body;             /* HEAD: its response has no body */
	bool connect;             /* CONNECT: a tunnel may follow */
	uint32_t registered;      /* its registry slot + 1 (context.h), 0: none */
	uint16_t status;          /* response status, 0 until known */
	uint64_t req_body;        /* request body bytes */
	uint64_t resp_body;       /* response body bytes */
	struct ts_span span;      /* its span (valid when `traced`); last, as
				     most of its attribute and string room
				     is never touched */
};

/* Bytes the send path owes the stream before more application bytes
 * (the bytes themselves: ts_http_conn.edit_bytes). */
struct ts_http_edit {
	uint16_t len;             /* bytes in `bytes` still owed */
	bool replace;             /* each emitted byte replaces one app byte
				     (false: inserted, app bytes unaffected) */
};

/*
 * Laid out for memory: a connection object's pages become resident only
 * where something is written.  Everything set up at accept or connect and
 * written per request comes first (the fields, both parsers' fields), then
 * what a request touches the start of (the first request record, the
 * inbound parser's buffers), then what a server rarely or never touches
 * (the other records, the outbound parser's buffers, the edit bytes).  An
 * idle kept-alive server connection so holds one page (conn.h aligns the
 * object to one).
 */
struct ts_http_conn {
	uintptr_t q_owner;             /* queue lock: the holding thread, 0
					  when free (ts_http_q_lock) */
	uint8_t role;                  /* enum ts_conn_kind (conn.h) */
	bool in_lost;                  /* inbound bytes missed: give up */
	bool in_failed;                /* a read failed (reset, timeout) */
	bool out_lost;                 /* outbound state unusable: give up */
	bool addr_known;               /* peer/local fields filled */
	bool responses_lost;           /* the responses could not be
					  followed: a client's send side
					  stops at its next request (atomic) */
	bool inherited;                /* copied by fork() and not used by
					  this process since: its requests
					  are the other process's (atomic) */
	bool recheck;                  /* the next request sent checks that
					  fd is still a socket (a request
					  went out before, or we did not see
					  the connection made) */
	uint8_t q_head, q_len;         /* FIFO of requests in flight */
	uint8_t q_over;                /* more in flight behind them, not
					  queued: untraced (atomic) */
	bool in_over, out_over;        /* the request being read / sent is
					  one of those */
	uint8_t tp_state;              /* forwarded-traceparent rewrite */
	uint16_t tp_seen;              /* value bytes of it seen so far */
	uint16_t peer_port;            /* peer port (0 for Unix) */
	uint16_t local_port;           /* our port (0 for Unix) */
	uint8_t family;                /* AF_INET, AF_INET6, AF_UNIX */
	struct ts_http_edit edit;      /* partially emitted edit, if len */
	uint64_t in_mono_ns;           /* when the read being walked returned */
	uint64_t out_mono_ns;          /* when the send being walked returned:
					  spans end then, not when we get to
					  them */
	char peer_addr[48];            /* numeric peer address */
	struct ts_http_parser in;      /* what the application reads */
	struct ts_http_parser out;     /* what the application sends */
	struct ts_http_req q0;         /* the FIFO's slots: the first, the */
	struct ts_http_pbuf in_buf;    /* in's results */
	struct ts_http_req q_more[TS_HTTP_PENDING - 1]; /* others (pipelining) */
	struct ts_http_pbuf out_buf;   /* out's results */
	char edit_bytes[TS_HTTP_EDIT_MAX]; /* of `edit` */
};

/*
 * This process does I/O on the connection: a copy fork() made becomes its
 * own (ts_http_conn_release() below ends its requests, not drops them).
 */
static inline void ts_http_claim(struct ts_http_conn *h)
{
	if (__builtin_expect(__atomic_load_n(&h->inherited, __ATOMIC_RELAXED), 0))
		__atomic_store_n(&h->inherited, false, __ATOMIC_RELAXED);
}

/* How the application asked to send: the real call to make. */
struct ts_http_sendop {
	int fd;
	int how;                       /* TS_SEND_* below */
	int flags;                     /* send/sendto/sendmsg flags */
	const struct msghdr *msg;      /* sendmsg: name and control data */
	const struct sockaddr *addr;   /* sendto destination */
	socklen_t addrlen;
	const struct iovec *iov;       /* the application's bytes */
	int iovcnt;
};

enum { TS_SEND_WRITE, TS_SEND_WRITEV, TS_SEND_SEND, TS_SEND_SENDTO,
       TS_SEND_SENDMSG };

/*
 * The queue lock, taken by the entry points below.  Waits at most about
 * 50 ms for another thread; false when it could not be had then, or when
 * this thread already holds it.
 */
bool ts_http_q_lock(struct ts_http_conn *h);
void ts_http_q_unlock(struct ts_http_conn *h);

/* A new connection (or an object being reused). */
void ts_http_conn_reset(struct ts_http_conn *h, bool server, bool client);

/* The connection is gone (last reference): end what is open. */
void ts_http_conn_release(struct ts_http_conn *h);

/* The application read `n` bytes into `iov` (n > 0), or EOF (n == 0). */
void ts_http_inbound(struct ts_http_conn *h, int fd, const struct iovec *iov,
		     int cnt, size_t n);

/* The application took `n` bytes (n > 0) off the connection where the
 * shim cannot see them (splice into a pipe): body bytes are counted, and
 * anything else means the stream can no longer be followed. */
void ts_http_inbound_unseen(struct ts_http_conn *h, int fd, size_t n);

/*
 * Send for the application, inserting or rewriting trace-context header
 * bytes where due.  Returns what the real call returns, counted in the
 * application's bytes only (never more than it asked to send), with errno
 * as the real call set it.
 */
ssize_t ts_http_send(struct ts_http_conn *h, const struct ts_http_sendop *op);

/* shutdown(SHUT_WR) started at mono time t: a response delimited by
 * close has ended. */
void ts_http_outbound_eof(struct ts_http_conn *h, uint64_t t);

/* sendfile() or splice() moved `n` body bytes the shim cannot see. */
void ts_http_sendfile(struct ts_http_conn *h, size_t n);

/* connect() to `a`: the target of a CONNECT this process was asked for
 * lately (a proxy's tunnel, which passes through)?  Claims it. */
bool ts_http_tunnel_to(const struct sockaddr *a);

/* Perform `op` with `iov` instead of the application's bytes. */
ssize_t ts_http_send_raw(const struct ts_http_sendop *op,
			 const struct iovec *iov, int cnt);

#endif /* TS_HOOKS_HTTP_H */
