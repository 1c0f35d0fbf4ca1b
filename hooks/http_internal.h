/*
 * http_internal.h - what hooks/http.c (spans) and hooks/http_send.c (the
 * outbound send engine) share.  Not for other modules.
 *
 * Threads: as http.h; the caller holds the direction's lock.
 */
#ifndef TS_HOOKS_HTTP_INTERNAL_H
#define TS_HOOKS_HTTP_INTERNAL_H

#include "http.h"

/* What a planned edit decided for its request. */
struct ts_http_decision {
	struct ts_span_ctx self;  /* the client span's own context */
	uint8_t parent_id[8];     /* zero for a root span */
	bool parent_remote;
};

/* Peer and local addresses of the connection, looked up once. */
void ts_http_fill_addr(struct ts_http_conn *h, int fd);

/* The same before a send to `dst` (sendto/sendmsg address, may be NULL):
 * the peer of a TCP Fast Open connection not yet made. */
void ts_http_fill_addr_to(struct ts_http_conn *h, int fd,
			  const struct sockaddr *dst, socklen_t dstlen);

/* The first message decides who we are (enum ts_conn_kind). */
void ts_http_set_role(struct ts_http_conn *h, uint8_t role);

/*
 * A new request in flight, started at CLOCK_MONOTONIC `at_mono` (0: now);
 * NULL when too many are (it goes untraced).
 */
struct ts_http_req *ts_http_q_push(struct ts_http_conn *h, uint64_t at_mono,
				   bool *over);

/* The request most recently started, or NULL. */
struct ts_http_req *ts_http_q_back(struct ts_http_conn *h);

/* Outbound parser event on a server connection (responses). */
void ts_http_server_out(struct ts_http_conn *h, int ev);

/* A client's responses could not be followed (http.c): at the end of the
 * request being sent, every request left ends and sending passes
 * through from then on. */
void ts_http_send_lost(struct ts_http_conn *h);

/* The request head being sent is complete: its span's attributes. */
void ts_http_client_request_head(struct ts_http_conn *h, int fd);

/* The committed decision of the request being sent: its span starts. */
void ts_http_client_decide(struct ts_http_conn *h,
			   const struct ts_http_decision *d);

#endif /* TS_HOOKS_HTTP_INTERNAL_H */
