/*
 * http_client.h - the exporters' small HTTP/1.1 client for http:// URLs.
 *
 * One POST at a time over one keep-alive connection, on the real
 * (untraced) socket functions, every step bounded by a CLOCK_MONOTONIC
 * deadline: connect, send and each wait for response bytes poll with the
 * time left, so a collector that is absent, black-holed or trickling
 * costs at most the deadline.  The socket is non-blocking, close-on-exec,
 * kept above the descriptors applications use, and checked (fstat) before
 * every use: an application that closes or reuses every descriptor never
 * gets our bytes, and we never close a descriptor that is no longer ours.
 *
 * The endpoint's name is looked up at the first connection and again only
 * when every address it gave fails, or after a minute (name lookup has
 * no deadline of its own; /etc/hosts and literal addresses, the usual
 * collector set-ups, answer at once).
 *
 * The response is read whole (Content-Length, chunked or close-delimited;
 * the body is discarded after its first bytes) so the connection can be
 * reused.  A connection the server closed while idle is detected before
 * the request, or by the request failing before any response byte, and
 * the request is then sent once more on a fresh connection.
 *
 * Threads: one owner (the reporter thread); after_fork in a fork child.
 */
#ifndef TS_HTTP_CLIENT_H
#define TS_HTTP_CLIENT_H

#include <sys/socket.h>
#include <sys/types.h>

#include "../preload/common.h"

#define TS_HOST_MAX 256

struct ts_url {
	bool https;                 /* https:// (else http://) */
	char host[TS_HOST_MAX];     /* name or address, no brackets */
	char port[8];               /* decimal; 80/443 when absent */
	char authority[TS_HOST_MAX + 16]; /* Host header: host[:port] as given */
	char path[1024];            /* path and query, "/" when absent */
};

/* Parse an http:// or https:// URL.  0, or -EINVAL when malformed. */
int ts_url_parse(const char *s, struct ts_url *u);

struct ts_http_resp {
	int status;                 /* HTTP status code */
	int64_t retry_after_ms;     /* Retry-After in ms, -1 when absent */
	char body[200];             /* start of the body, NUL-terminated */
	size_t body_len;            /* bytes of body[] (it may hold NULs) */
	int grpc_status;            /* grpc-status (gRPC only), -1 absent */
	bool grpc_retry_info;       /* grpc-status-details-bin carried a
				       google.rpc.RetryInfo (its delay in
				       retry_after_ms) */
	char grpc_message[128];     /* grpc-message, decoded, one line */
};

#define TS_HTTP_ADDRS 4

struct ts_http_conn {
	int fd;                     /* our socket, -1 when not connected */
	struct sockaddr_storage addr[TS_HTTP_ADDRS]; /* resolved endpoint */
	socklen_t addr_len[TS_HTTP_ADDRS];
	unsigned naddr;             /* entries of addr[]; 0: resolve again */
	uint64_t resolved_ns;       /* when addr[] was looked up */
	dev_t dev;                  /* identity of the socket behind fd */
	ino_t ino;
	unsigned served;            /* responses read on this connection */
	size_t rpos, rlen;          /* unread bytes are rbuf[rpos, rlen) */
	char rbuf[16384];           /* receive buffer (heads must fit) */
};

/* A connection that is not connected yet. */
void ts_http_conn_init(struct ts_http_conn *c);

/*
 * POST `body` to u (http:// only).  `headers` are extra header lines,
 * each ending in CRLF (Content-Type, ...); Host and Content-Length are
 * added here.  Returns 0 when a response was read (whatever its status,
 * in *r), or -errno: a connection error (-ECONNREFUSED, -ECONNRESET,
 * -EHOSTUNREACH, ...), -ETIMEDOUT at the deadline, -EPROTO for a reply
 * that is not HTTP/1.x.
 */
int ts_http_post(struct ts_http_conn *c, const struct ts_url *u,
		 const char *headers, size_t hlen, const char *body,
		 size_t blen, struct ts_http_resp *r, uint64_t deadline);

/* Close the connection (if the descriptor still is ours). */
void ts_http_close(struct ts_http_conn *c);

/*
 * Fork child: the socket is shared with the parent, whose reporter may be
 * in the middle of a request on it; close our copy (async-signal-safe).
 */
void ts_http_after_fork(struct ts_http_conn *c);

/*
 * Retry-After value (delta-seconds or an IMF-fixdate) in ms from `now_unix`
 * (seconds), or -1 when it is neither.  Exposed for the unit tests.
 */
int64_t ts_http_parse_retry_after(const char *v, size_t len, int64_t now_unix);

#endif /* TS_HTTP_CLIENT_H */
