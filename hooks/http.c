/*
 * http.c - HTTP/1.x spans and context injection for one connection.
 *
 * Inbound bytes are simply walked through the inbound parser.  Outbound
 * bytes are harder: a header line may have to be inserted (or a forwarded
 * traceparent's parent id rewritten) at a point inside what the
 * application hands us, and the kernel may then take only part of it.  So
 * a send runs in three steps:
 *   1. plan: walk the application's bytes through a *copy* of the outbound
 *      parser and note every edit (offset, bytes) and the span ids it
 *      carries;
 *   2. send the application's bytes with the edits spliced in, in one real
 *      call;
 *   3. commit: map the byte count the kernel took back to application
 *      bytes, walk exactly those through the real parser, and keep the
 *      unsent rest of a cut edit for the next call.
 * The application is told only how many of *its* bytes went out, so its
 * retry loop, EAGAIN handling and byte accounting are untouched.
 *
 * Threads: the caller holds the connection's lock for the direction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "../preload/clock.h"
#include "../preload/config.h"
#include "../preload/ids.h"
#include "../preload/real.h"
#include "conn.h"
#include "context.h"
#include "http.h"
#include "propagate.h"

#define EV_TP_PARENT 100 /* pseudo-event: next byte is the parent id of a
			    forwarded traceparent */
#define OUT_IOV_MAX 1024 /* iovecs in one real send (IOV_MAX) */

enum { TP_IDLE, TP_WATCH, TP_DONE };

/* ---- the request queue -------------------------------------------------- */

static struct ts_http_req *q_at(struct ts_http_conn *h, unsigned i)
{
	return &h->q[(h->q_head + i) % TS_HTTP_PENDING];
}

static struct ts_http_req *q_front(struct ts_http_conn *h)
{
	return h->q_len ? q_at(h, 0) : NULL;
}

static struct ts_http_req *q_back(struct ts_http_conn *h)
{
	return h->q_len ? q_at(h, h->q_len - 1u) : NULL;
}

/* A new request in flight; NULL when too many are (it goes untraced). */
static struct ts_http_req *q_push(struct ts_http_conn *h)
{
	struct ts_http_req *r;

	if (h->q_len >= TS_HTTP_PENDING)
		return NULL;
	r = q_at(h, h->q_len++);
	r->traced = r->decided = false;
	r->head_done = r->no_body = r->connect = false;
	r->registered = 0;
	r->status = 0;
	r->req_body = r->resp_body = 0;
	r->start_unix_ns = ts_clock_realtime_ns();
	r->start_mono_ns = ts_clock_mono_ns();
	return r;
}

static void q_pop(struct ts_http_conn *h)
{
	if (!h->q_len)
		return;
	h->q_head = (uint8_t)((h->q_head + 1) % TS_HTTP_PENDING);
	h->q_len--;
}

/* ---- connection setup ---------------------------------------------------- */

static uint32_t header_cap(void)
{
	return ts_cfg.max_header_bytes ? ts_cfg.max_header_bytes : 8192;
}

void ts_http_conn_reset(struct ts_http_conn *h, bool server, bool client)
{
	h->role = server ? TS_CONN_SERVER : client ? TS_CONN_CLIENT
						   : TS_CONN_UNKNOWN;
	/* Unknown role: both directions look for a request; the first one
	 * found decides who we are. */
	ts_http_parser_init(&h->in, client ? TS_HTTP_RESPONSES
					   : TS_HTTP_REQUESTS, header_cap());
	ts_http_parser_init(&h->out, server ? TS_HTTP_RESPONSES
					    : TS_HTTP_REQUESTS, header_cap());
	h->in_lost = h->out_lost = h->addr_known = false;
	h->q_head = h->q_len = 0;
	h->edit.len = h->edit.off = 0;
	h->tp_state = TP_IDLE;
	h->tp_seen = 0;
	h->peer_addr[0] = '\0';
	h->peer_port = h->local_port = 0;
	h->family = 0;
}

static void set_role(struct ts_http_conn *h, uint8_t role)
{
	if (h->role != TS_CONN_UNKNOWN)
		return;
	h->role = role;
	if (role == TS_CONN_SERVER)
		ts_http_parser_init(&h->out, TS_HTTP_RESPONSES, header_cap());
	else
		ts_http_parser_init(&h->in, TS_HTTP_RESPONSES, header_cap());
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* Peer and local addresses, looked up once per connection, when needed. */
static void fill_addr(struct ts_http_conn *h, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (h->addr_known)
		return;
	h->addr_known = true;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		h->family = (uint8_t)ss.ss_family;
		h->peer_port = sa_port(&ss);
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
				  h->peer_addr, sizeof(h->peer_addr));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&ss)->sin6_addr,
				  h->peer_addr, sizeof(h->peer_addr));
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		h->local_port = sa_port(&ss);
}

/* ---- span attributes ------------------------------------------------------ */

static void add_cstr(struct ts_span *s, const char *key, const char *v)
{
	if (v && *v)
		ts_span_add_str(s, key, v, strlen(v));
}

/* Split the captured request-target into path and query. */
static void target_parts(const struct ts_http_parser *p, const char **path,
			 size_t *plen, const char **query, size_t *qlen)
{
	const char *t = p->target, *q;
	size_t len = p->target_s.len;

	/* Absolute form (proxies): skip "scheme://authority". */
	if (len > 7 && (q = memchr(t, ':', len)) && q + 2 < t + len &&
	    q[1] == '/' && q[2] == '/') {
		const char *slash = memchr(q + 3, '/', (size_t)(t + len - q - 3));

		if (slash) {
			len -= (size_t)(slash - t);
			t = slash;
		}
	}
	q = memchr(t, '?', len);
	*path = t;
	*plen = q ? (size_t)(q - t) : len;
	*query = q ? q + 1 : NULL;
	*qlen = q ? len - *plen - 1 : 0;
}

/* Host header as server.address and server.port. */
static void add_host(struct ts_span *s, const struct ts_http_parser *p,
		     uint16_t fallback_port)
{
	const char *h = p->host, *colon = NULL;
	size_t len = p->host_s.len, i;
	long port = 0;

	if (!len)
		goto out_port;
	if (h[0] == '[') { /* [v6]:port */
		const char *end = memchr(h, ']', len);

		if (end && end + 1 < h + len && end[1] == ':')
			colon = end + 1;
		ts_span_add_str(s, "server.address", h + 1,
				end ? (size_t)(end - h - 1) : len - 1);
	} else {
		colon = memchr(h, ':', len);
		ts_span_add_str(s, "server.address", h,
				colon ? (size_t)(colon - h) : len);
	}
	if (colon) {
		for (i = 1; colon + i < h + len && port < 65536; i++) {
			if (colon[i] < '0' || colon[i] > '9')
				break;
			port = port * 10 + (colon[i] - '0');
		}
		if (port > 0 && port < 65536) {
			ts_span_add_int(s, "server.port", port);
			return;
		}
	}
out_port:
	if (fallback_port)
		ts_span_add_int(s, "server.port", fallback_port);
}

/* Name and request attributes common to both sides. */
static void add_request(struct ts_span *s, const struct ts_http_parser *p)
{
	const char *path, *query;
	size_t plen, qlen;
	char name[TS_HTTP_METHOD_MAX + 1 + 256];
	size_t m = strlen(p->method), n;

	target_parts(p, &path, &plen, &query, &qlen);
	n = plen > 256 ? 256 : plen;
	memcpy(name, p->method, m);
	name[m] = ' ';
	memcpy(name + m + 1, path, n);
	ts_span_set_name(s, name, m + 1 + n);
	add_cstr(s, "http.request.method", p->method);
	ts_span_add_str(s, "url.path", path, plen);
	if (query)
		ts_span_add_str(s, "url.query", query, qlen);
	ts_span_add_str(s, "url.scheme", "http", 4);
	ts_span_add_str(s, "network.protocol.version",
			p->version_minor ? "1.1" : "1.0", 3);
	add_cstr(s, "user_agent.original", p->user_agent);
}

static void add_peer(struct ts_span *s, const struct ts_http_conn *h)
{
	add_cstr(s, "network.peer.address", h->peer_addr);
	if (h->peer_port)
		ts_span_add_int(s, "network.peer.port", h->peer_port);
}

/* Finish a request's span with its response (or its absence). */
static void finish(struct ts_http_req *r, bool server, bool closed)
{
	char code[8];
	int n;

	if (r->registered)
		ts_ctx_server_end(r->registered);
	r->registered = 0;
	if (!r->traced)
		return;
	r->traced = false;
	if (r->status) {
		ts_span_add_int(&r->span, "http.response.status_code",
				r->status);
		ts_span_add_int(&r->span, "http.response.body.size",
				(int64_t)r->resp_body);
	}
	if (r->req_body)
		ts_span_add_int(&r->span, "http.request.body.size",
				(int64_t)r->req_body);
	if (!r->status && closed) {
		ts_span_add_str(&r->span, "error.type", "connection_closed", 17);
		ts_span_set_status(&r->span, TS_STATUS_ERROR,
				   "connection closed before the response", 37);
	} else if (r->status >= 500 || (!server && r->status >= 400)) {
		n = snprintf(code, sizeof(code), "%u", r->status);
		ts_span_add_str(&r->span, "error.type", code, (size_t)n);
		ts_span_set_status(&r->span, TS_STATUS_ERROR, NULL, 0);
	}
	ts_span_end(&r->span);
}

/* ---- server side --------------------------------------------------------- */

static void server_request_head(struct ts_http_conn *h, int fd)
{
	struct ts_http_req *r = q_back(h);
	struct ts_span_ctx parent;
	const char *tstate;
	size_t tslen;
	bool remote;

	if (!r || r->head_done)
		return;
	r->head_done = true;
	r->no_body = !strcmp(h->in.method, "HEAD");
	r->connect = !strcmp(h->in.method, "CONNECT");
	remote = ts_prop_extract(&h->in, &parent, &tstate, &tslen);
	fill_addr(h, fd);
	ts_span_start(&r->span, TS_KIND_SERVER, h->in.method,
		      strlen(h->in.method), remote ? &parent : NULL);
	r->span.start_unix_ns = r->start_unix_ns;
	r->span.start_mono_ns = r->start_mono_ns;
	if (tslen)
		ts_span_set_tracestate(&r->span, tstate, tslen);
	add_request(&r->span, &h->in);
	add_host(&r->span, &h->in, h->local_port);
	add_cstr(&r->span, "client.address", h->peer_addr);
	add_peer(&r->span, h);
	r->traced = true;
	r->registered = ts_ctx_server_begin(&r->span);
}

/* Inbound event on a server connection (requests). */
static void server_in(struct ts_http_conn *h, int fd, int ev)
{
	struct ts_http_req *r;

	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		set_role(h, TS_CONN_SERVER);
		if (!q_push(h))
			h->in_lost = true; /* too deep a pipeline: give up */
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		server_request_head(h, fd);
		break;
	case TS_HTTP_EV_MSG_END:
		r = q_back(h);
		if (r)
			r->req_body = h->in.body_bytes;
		break;
	}
}

/* Outbound event on a server connection (responses). */
static void server_out(struct ts_http_conn *h, int ev)
{
	struct ts_http_req *r = q_front(h);

	if (!r)
		return;
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		ts_http_parser_expect(&h->out,
				      (r->no_body ? TS_HTTP_EXPECT_NO_BODY : 0) |
				      (r->connect ? TS_HTTP_EXPECT_CONNECT : 0));
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		r->status = h->out.status;
		break;
	case TS_HTTP_EV_MSG_END:
	case TS_HTTP_EV_UPGRADE:
		if (h->out.status < 200 && h->out.status != 101)
			break; /* 100 Continue: the real response follows */
		r->status = h->out.status;
		r->resp_body = h->out.body_bytes;
		finish(r, true, false);
		q_pop(h);
		break;
	}
}

/* ---- client side --------------------------------------------------------- */

/* What a planned edit decided for its request. */
struct decision {
	struct ts_span_ctx self;  /* the client span's own context */
	uint8_t parent_id[8];     /* zero for a root span */
	bool parent_remote;
};

static void client_request_head(struct ts_http_conn *h, int fd)
{
	struct ts_http_req *r = q_back(h);

	if (!r || r->head_done)
		return;
	r->head_done = true;
	r->no_body = !strcmp(h->out.method, "HEAD");
	r->connect = !strcmp(h->out.method, "CONNECT");
	if (h->q_len == 1)
		ts_http_parser_expect(&h->in,
				      (r->no_body ? TS_HTTP_EXPECT_NO_BODY : 0) |
				      (r->connect ? TS_HTTP_EXPECT_CONNECT : 0));
	if (!r->traced)
		return;
	fill_addr(h, fd);
	add_request(&r->span, &h->out);
	add_host(&r->span, &h->out, h->peer_port);
	add_peer(&r->span, h);
}

/* The committed decision of the request being sent: its span starts. */
static void client_decide(struct ts_http_conn *h, const struct decision *d)
{
	struct ts_http_req *r = q_back(h);

	if (!r || r->decided || r->head_done)
		return;
	r->decided = true;
	ts_span_start(&r->span, TS_KIND_CLIENT, "HTTP", 4, NULL);
	memcpy(r->span.trace_id, d->self.trace_id, 16);
	memcpy(r->span.span_id, d->self.span_id, 8);
	memcpy(r->span.parent_id, d->parent_id, 8);
	r->span.flags = d->self.flags;
	r->span.parent_remote = d->parent_remote;
	r->span.start_unix_ns = r->start_unix_ns;
	r->span.start_mono_ns = r->start_mono_ns;
	r->traced = true;
}

/* Inbound event on a client connection (responses). */
static void client_in(struct ts_http_conn *h, int ev)
{
	struct ts_http_req *r = q_front(h), *next;

	if (!r)
		return;
	switch (ev) {
	case TS_HTTP_EV_HEADERS_DONE:
		r->status = h->in.status;
		break;
	case TS_HTTP_EV_MSG_END:
	case TS_HTTP_EV_UPGRADE:
		if (h->in.status < 200 && h->in.status != 101)
			break; /* interim response */
		r->status = h->in.status;
		r->resp_body = h->in.body_bytes;
		finish(r, false, false);
		q_pop(h);
		next = q_front(h);
		if (next && next->head_done)
			ts_http_parser_expect(
				&h->in,
				(next->no_body ? TS_HTTP_EXPECT_NO_BODY : 0) |
				(next->connect ? TS_HTTP_EXPECT_CONNECT : 0));
		break;
	}
}

/* ---- inbound ------------------------------------------------------------- */

static void in_event(struct ts_http_conn *h, int fd, int ev)
{
	if (ev == TS_HTTP_EV_NOT_HTTP) {
		if (h->role == TS_CONN_UNKNOWN)
			h->role = TS_CONN_OFF;
		return;
	}
	if (h->role == TS_CONN_CLIENT)
		client_in(h, ev);
	else if (h->role == TS_CONN_SERVER ||
		 (h->role == TS_CONN_UNKNOWN && ev == TS_HTTP_EV_MSG_BEGIN))
		server_in(h, fd, ev);
}

static void in_walk(struct ts_http_conn *h, int fd, const char *p, size_t len)
{
	enum ts_http_event ev;
	size_t n;

	do {
		n = ts_http_feed(&h->in, p, len, &ev);
		p += n;
		len -= n;
		if (ev != TS_HTTP_EV_NONE)
			in_event(h, fd, ev);
	} while (len || ev != TS_HTTP_EV_NONE);
}

void ts_http_inbound(struct ts_http_conn *h, int fd, const struct iovec *iov,
		     int cnt, size_t n)
{
	size_t take;
	int i;

	if (h->in_lost || h->role == TS_CONN_OFF || ts_http_is_dead(&h->in))
		return;
	if (n == 0) { /* the peer closed its side */
		if (ts_http_eof(&h->in))
			in_event(h, fd, TS_HTTP_EV_MSG_END);
		return;
	}
	for (i = 0; i < cnt && n; i++) {
		take = iov[i].iov_len < n ? iov[i].iov_len : n;
		if (take)
			in_walk(h, fd, iov[i].iov_base, take);
		n -= take;
	}
}

/* ---- outbound: the walk shared by planning and commit --------------------- */

struct walker {
	struct ts_http_parser *p; /* real parser, or the planning copy */
	uint8_t tp_state;         /* forwarded traceparent tracking */
	uint16_t tp_seen;
	void (*event)(struct walker *w, int ev, uint64_t at);
};

/*
 * Walk `len` application bytes, which start at application offset `base`
 * of this send, reporting parser events and EV_TP_PARENT with the offset
 * of the byte they precede (or follow, for "after" events).
 */
static void out_walk(struct walker *w, const char *p, size_t len, uint64_t base)
{
	enum ts_http_event ev;
	size_t off = 0, lim, n;

	do {
		lim = len - off;
		if (w->tp_state == TP_WATCH) {
			if (w->tp_seen >= 36) {
				w->tp_state = TP_DONE;
				w->event(w, EV_TP_PARENT, base + off);
				continue;
			}
			if (lim > 36u - w->tp_seen)
				lim = 36u - w->tp_seen;
		}
		n = ts_http_feed(w->p, p + off, lim, &ev);
		if (w->tp_state == TP_WATCH)
			w->tp_seen = (uint16_t)(w->tp_seen + n);
		off += n;
		if (ev == TS_HTTP_EV_NONE)
			continue;
		if (ev == TS_HTTP_EV_MSG_BEGIN) {
			w->tp_state = TP_IDLE;
		} else if (ev == TS_HTTP_EV_HEADER_VALUE &&
			   w->p->header == TS_HDR_TRACEPARENT &&
			   w->p->traceparent_count == 1) {
			w->tp_state = TP_WATCH;
			w->tp_seen = 0;
		} else if (w->tp_state == TP_WATCH) {
			w->tp_state = TP_DONE; /* value ended before its id */
		}
		w->event(w, ev, base + off);
	} while (off < len || ev != TS_HTTP_EV_NONE);
}

/* ---- outbound: planning ---------------------------------------------------- */

struct plan_edit {
	uint64_t at;              /* application offset of the edit */
	uint16_t len;             /* bytes to emit */
	bool replace;             /* they replace `len` application bytes */
	bool carried;             /* the unsent rest of an earlier edit */
	const char *bytes;
	struct decision d;        /* span decision it commits */
};

struct plan {
	struct walker w;
	struct ts_http_conn *h;
	bool client;              /* this connection sends requests */
	bool decided;             /* current request already decided */
	int n;                    /* edits planned */
	uint64_t stop;            /* send no application byte past this */
	struct plan_edit e[TS_HTTP_PLAN_MAX + 1];
	char store[TS_HTTP_PLAN_MAX][TS_HTTP_EDIT_MAX];
};

/* A new client span context under `parent` (or a new trace). */
static void decide(struct decision *d, const struct ts_span_ctx *parent)
{
	memset(d, 0, sizeof(*d));
	if (parent) {
		memcpy(d->self.trace_id, parent->trace_id, 16);
		memcpy(d->parent_id, parent->span_id, 8);
		d->self.flags = parent->flags;
		d->parent_remote = parent->remote;
	} else {
		ts_ids_trace(d->self.trace_id);
		d->self.flags = TS_TRACE_FLAG_SAMPLED;
	}
	ts_ids_span(d->self.span_id);
}

static struct plan_edit *plan_add(struct plan *pl, uint64_t at)
{
	struct plan_edit *e;

	if (pl->n >= TS_HTTP_PLAN_MAX + 1 ||
	    (pl->n && pl->e[0].carried && pl->n >= TS_HTTP_PLAN_MAX)) {
		if (at < pl->stop)
			pl->stop = at; /* too many: leave the rest for later */
		return NULL;
	}
	e = &pl->e[pl->n];
	memset(e, 0, sizeof(*e));
	e->at = at;
	e->bytes = pl->store[pl->n - (pl->n && pl->e[0].carried ? 1 : 0)];
	return e;
}

/* A forwarded traceparent reached its parent id: ours, or hands off? */
static void plan_forwarded(struct plan *pl, uint64_t at)
{
	const struct ts_http_parser *p = pl->w.p;
	struct ts_span_ctx fwd, parent;
	struct plan_edit *e;
	char tp[56];

	pl->decided = true;
	if (p->traceparent_s.len < 36)
		return;
	/* Complete the value with a dummy id to validate the prefix. */
	memcpy(tp, p->traceparent, 36);
	memcpy(tp + 36, "0000000000000001-01", 19);
	if (!ts_prop_parse_traceparent(tp, 55, &fwd) ||
	    !ts_ctx_find_trace(fwd.trace_id, &parent))
		return; /* not a trace we serve: the program propagates itself */
	e = plan_add(pl, at);
	if (!e)
		return;
	decide(&e->d, &parent);
	/* Keep the forwarded flags: they are what the caller decided. */
	e->replace = true;
	e->len = 16;
	ts_prop_hex(e->d.self.span_id, 8, (char *)e->bytes);
	pl->n++;
}

/* End of a request head with no forwarded traceparent: insert ours. */
static void plan_insert(struct plan *pl, uint64_t at)
{
	struct ts_span_ctx parent;
	struct plan_edit *e;
	bool has_parent;

	pl->decided = true;
	has_parent = ts_ctx_parent_for_thread(&parent);
	e = plan_add(pl, at);
	if (!e)
		return;
	decide(&e->d, has_parent ? &parent : NULL);
	e->len = (uint16_t)ts_prop_inject(&e->d.self, NULL, 0, (char *)e->bytes,
					  TS_HTTP_EDIT_MAX);
	if (e->len)
		pl->n++;
}

static void plan_event(struct walker *w, int ev, uint64_t at)
{
	struct plan *pl = (struct plan *)w;

	if (!pl->client && !(pl->h->role == TS_CONN_UNKNOWN &&
			     ev == TS_HTTP_EV_MSG_BEGIN &&
			     !ts_http_in_message(&pl->h->in)))
		return;
	pl->client = true;
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		pl->decided = false;
		break;
	case EV_TP_PARENT:
		if (!pl->decided)
			plan_forwarded(pl, at);
		break;
	case TS_HTTP_EV_HEADERS_END:
		if (!pl->decided)
			plan_insert(pl, at);
		break;
	}
}

/* ---- outbound: commit ------------------------------------------------------- */

struct commit {
	struct walker w;
	struct ts_http_conn *h;
	int fd;
	const struct plan *pl;
	int first;                /* next plan edit to match */
	uint64_t emitted[TS_HTTP_PLAN_MAX + 1]; /* edit bytes that went out */
};

/* The planned edit at application offset `at`, if any (in order). */
static int edit_at(struct commit *c, uint64_t at)
{
	while (c->first < c->pl->n && (c->pl->e[c->first].carried ||
				       c->pl->e[c->first].at < at))
		c->first++;
	if (c->first < c->pl->n && c->pl->e[c->first].at == at)
		return c->first++;
	return -1;
}

/*
 * The walk reached a decision point of the request being sent.  An edit
 * planned here that went out (even partly) commits its span; one that did
 * not will be planned again by the next send; no edit planned here means
 * the plan chose not to trace (a traceparent of a trace we do not serve).
 */
static void commit_decision(struct commit *c, uint64_t at)
{
	struct ts_http_req *r = q_back(c->h);
	int k;

	if (!c->pl || !r || r->decided)
		return;
	k = edit_at(c, at);
	if (k < 0)
		r->decided = true;
	else if (c->emitted[k])
		client_decide(c->h, &c->pl->e[k].d);
}

static void commit_event(struct walker *w, int ev, uint64_t at)
{
	struct commit *c = (struct commit *)w;
	struct ts_http_conn *h = c->h;

	if (h->role == TS_CONN_SERVER) {
		server_out(h, ev);
		return;
	}
	if (ev == TS_HTTP_EV_MSG_BEGIN && h->role == TS_CONN_UNKNOWN &&
	    !ts_http_in_message(&h->in))
		set_role(h, TS_CONN_CLIENT);
	if (h->role != TS_CONN_CLIENT)
		return;
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		if (!q_push(h))
			h->out_lost = true;
		break;
	case EV_TP_PARENT:
	case TS_HTTP_EV_HEADERS_END:
		commit_decision(c, at);
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		client_request_head(h, c->fd);
		break;
	case TS_HTTP_EV_MSG_END: {
		struct ts_http_req *r = q_back(h);

		if (r)
			r->req_body = h->out.body_bytes;
		break;
	}
	}
}

/* ---- outbound: the send itself ----------------------------------------------- */

ssize_t ts_http_send_raw(const struct ts_http_sendop *op,
			 const struct iovec *iov, int cnt)
{
	struct msghdr m;

	switch (op->how) {
	case TS_SEND_WRITE:
		if (cnt == 1)
			return TS_REAL(write)(op->fd, iov[0].iov_base,
					      iov[0].iov_len);
		return TS_REAL(writev)(op->fd, iov, cnt);
	case TS_SEND_WRITEV:
		return TS_REAL(writev)(op->fd, iov, cnt);
	case TS_SEND_SEND:
		if (cnt == 1)
			return TS_REAL(send)(op->fd, iov[0].iov_base,
					     iov[0].iov_len, op->flags);
		memset(&m, 0, sizeof(m));
		break;
	case TS_SEND_SENDTO:
		if (cnt == 1)
			return TS_REAL(sendto)(op->fd, iov[0].iov_base,
					       iov[0].iov_len, op->flags,
					       op->addr, op->addrlen);
		memset(&m, 0, sizeof(m));
		m.msg_name = (void *)op->addr;
		m.msg_namelen = op->addrlen;
		break;
	default:
		m = *op->msg;
		break;
	}
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = (size_t)cnt;
	return TS_REAL(sendmsg)(op->fd, &m, op->flags);
}

/* Total application bytes, capped so the sum cannot overflow ssize_t. */
static size_t app_total(const struct ts_http_sendop *op)
{
	size_t t = 0;
	int i;

	for (i = 0; i < op->iovcnt; i++) {
		if (op->iov[i].iov_len > (size_t)SSIZE_MAX - t)
			return (size_t)SSIZE_MAX;
		t += op->iov[i].iov_len;
	}
	return t;
}

/* Walk application bytes [from, to) of op through walker w. */
static void walk_app(struct walker *w, const struct ts_http_sendop *op,
		     uint64_t from, uint64_t to)
{
	uint64_t pos = 0, a, b;
	int i;

	for (i = 0; i < op->iovcnt && pos < to; i++) {
		a = pos;
		b = pos + op->iov[i].iov_len;
		pos = b;
		if (b <= from || a >= to)
			continue;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		out_walk(w, (const char *)op->iov[i].iov_base +
				    (a - (pos - op->iov[i].iov_len)),
			 (size_t)(b - a), a);
	}
	if (from == to) /* zero bytes: still deliver end-of-input events */
		out_walk(w, "", 0, from);
}

/* Append application bytes [from, to) of op to out[]. */
static int iov_app(struct iovec *out, int n, const struct ts_http_sendop *op,
		   uint64_t from, uint64_t to)
{
	uint64_t pos = 0, a, b;
	int i;

	for (i = 0; i < op->iovcnt && pos < to && n < OUT_IOV_MAX; i++) {
		a = pos;
		b = pos + op->iov[i].iov_len;
		pos = b;
		if (b <= from || a >= to || b == a)
			continue;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		out[n].iov_base = (char *)op->iov[i].iov_base +
				  (a - (pos - op->iov[i].iov_len));
		out[n].iov_len = (size_t)(b - a);
		n++;
	}
	return n;
}

/*
 * Build the output vector: application bytes with the planned edits
 * spliced in.  *sent_app is the application bytes it covers.
 */
static int build_out(struct iovec *out, const struct ts_http_sendop *op,
		     const struct plan *pl, uint64_t total)
{
	uint64_t cur = 0, end = total < pl->stop ? total : pl->stop;
	int n = 0, k;

	for (k = 0; k < pl->n && n < OUT_IOV_MAX - 2; k++) {
		const struct plan_edit *e = &pl->e[k];

		n = iov_app(out, n, op, cur, e->at);
		out[n].iov_base = (void *)e->bytes;
		out[n].iov_len = e->len;
		n++;
		cur = e->replace ? e->at + e->len : e->at;
	}
	return iov_app(out, n, op, cur, end);
}

/*
 * Map r bytes sent back to application bytes and per-edit emitted bytes.
 * Returns the application bytes the kernel took.
 */
static uint64_t map_sent(const struct plan *pl, struct commit *c, size_t r,
			 uint64_t total)
{
	uint64_t cur = 0, take, left = r, end = total < pl->stop ? total
								  : pl->stop;
	int k;

	for (k = 0; k < pl->n && left; k++) {
		const struct plan_edit *e = &pl->e[k];

		take = e->at - cur < left ? e->at - cur : left;
		cur += take;
		left -= take;
		take = e->len < left ? e->len : left;
		c->emitted[k] = take;
		left -= take;
		if (e->replace)
			cur += take;
	}
	take = end - cur < left ? end - cur : left;
	return cur + take;
}

/* Keep the unsent rest of a cut edit for the next send. */
static void keep_rest(struct ts_http_conn *h, const struct plan *pl,
		      const struct commit *c)
{
	int k;

	h->edit.len = h->edit.off = 0;
	for (k = 0; k < pl->n; k++) {
		const struct plan_edit *e = &pl->e[k];

		if (c->emitted[k] && c->emitted[k] < e->len) {
			h->edit.len = (uint16_t)(e->len - c->emitted[k]);
			memmove(h->edit.bytes, e->bytes + c->emitted[k],
				h->edit.len);
			h->edit.replace = e->replace;
			return;
		}
	}
}

/* One real send of the application's bytes, with the edits spliced in. */
static ssize_t send_once(struct ts_http_conn *h,
			 const struct ts_http_sendop *op, uint64_t total,
			 uint64_t *app_sent)
{
	struct iovec out[op->iovcnt + 2 * TS_HTTP_PLAN_MAX + 2];
	struct ts_http_req *back = q_back(h);
	struct plan pl;
	struct commit cm;
	struct ts_http_parser copy;
	ssize_t r;
	int n, k, err;

	memset(&pl, 0, offsetof(struct plan, store));
	pl.h = h;
	pl.client = h->role == TS_CONN_CLIENT;
	/* A request whose head is under way may have been settled by an
	 * earlier send. */
	pl.decided = ts_http_in_message(&h->out) && back && back->decided;
	pl.stop = total;
	if (h->edit.len) { /* the rest of an edit cut by the last send */
		pl.e[0].len = h->edit.len;
		pl.e[0].replace = h->edit.replace;
		pl.e[0].carried = true;
		pl.e[0].bytes = h->edit.bytes;
		pl.n = 1;
	}
	copy = h->out;
	pl.w.p = &copy;
	pl.w.tp_state = h->tp_state;
	pl.w.tp_seen = h->tp_seen;
	pl.w.event = plan_event;
	walk_app(&pl.w, op, 0, total);
	n = build_out(out, op, &pl, total);
	r = ts_http_send_raw(op, out, n);
	if (r < 0)
		return r;
	err = errno;
	memset(&cm, 0, sizeof(cm));
	cm.h = h;
	cm.fd = op->fd;
	cm.pl = &pl;
	cm.w.p = &h->out;
	cm.w.tp_state = h->tp_state;
	cm.w.tp_seen = h->tp_seen;
	cm.w.event = commit_event;
	*app_sent = map_sent(&pl, &cm, (size_t)r, total);
	walk_app(&cm.w, op, 0, *app_sent);
	/* An edit that went out right where the sent bytes end: the walk
	 * stopped before its event, but its span is committed all the same. */
	for (k = cm.first; k < pl.n; k++)
		if (!pl.e[k].carried && pl.e[k].at == *app_sent &&
		    cm.emitted[k])
			client_decide(h, &pl.e[k].d);
	h->tp_state = cm.w.tp_state;
	h->tp_seen = cm.w.tp_seen;
	keep_rest(h, &pl, &cm);
	errno = err;
	return r;
}

/* Server connections never edit: send, then walk what went out. */
static ssize_t send_plain(struct ts_http_conn *h,
			  const struct ts_http_sendop *op)
{
	struct commit cm;
	ssize_t r = ts_http_send_raw(op, op->iov, op->iovcnt);
	int saved = errno;

	if (r > 0) {
		memset(&cm, 0, sizeof(cm));
		cm.h = h;
		cm.fd = op->fd;
		cm.w.p = &h->out;
		cm.w.event = commit_event;
		walk_app(&cm.w, op, 0, (uint64_t)r);
	}
	errno = saved;
	return r;
}

ssize_t ts_http_send(struct ts_http_conn *h, const struct ts_http_sendop *op)
{
	uint64_t total, app = 0;
	ssize_t r = 0;
	int tries;

	if (h->out_lost || h->role == TS_CONN_OFF || ts_http_is_dead(&h->out))
		return ts_http_send_raw(op, op->iov, op->iovcnt);
	if (h->role == TS_CONN_SERVER)
		return send_plain(h, op);
	if (op->iovcnt < 0 || op->iovcnt > OUT_IOV_MAX - 2 * TS_HTTP_PLAN_MAX - 2) {
		h->out_lost = true; /* not worth splicing: stop tracing */
		return ts_http_send_raw(op, op->iov, op->iovcnt);
	}
	total = app_total(op);
	/*
	 * Only our bytes went out (the kernel took part of an edit): send
	 * again, so the application sees progress on its own bytes or the
	 * real error (EAGAIN) of a call that sent none of them.  Each round
	 * empties some of the at most TS_HTTP_EDIT_MAX pending bytes.
	 */
	for (tries = 0; tries <= TS_HTTP_EDIT_MAX; tries++) {
		r = send_once(h, op, total, &app);
		if (r < 0)
			return r;
		if (app > 0 || total == 0 || r == 0)
			break;
	}
	return (ssize_t)app;
}

void ts_http_sendfile(struct ts_http_conn *h, size_t n)
{
	struct commit cm;

	/* Bytes the parser cannot see: only safe inside a body. */
	if (!ts_http_in_message(&h->out) || !ts_http_skip_body(&h->out, n)) {
		h->out_lost = true;
		return;
	}
	/* Deliver what the skip made due (the end of the message). */
	memset(&cm, 0, sizeof(cm));
	cm.h = h;
	cm.fd = -1;
	cm.w.p = &h->out;
	cm.w.event = commit_event;
	out_walk(&cm.w, "", 0, 0);
}

void ts_http_conn_release(struct ts_http_conn *h)
{
	struct ts_http_req *r;
	bool server = h->role == TS_CONN_SERVER;

	if (h->role != TS_CONN_SERVER && h->role != TS_CONN_CLIENT)
		return;
	/* A close-delimited response ends with the connection. */
	if (!server && ts_http_in_message(&h->in) && ts_http_eof(&h->in))
		client_in(h, TS_HTTP_EV_MSG_END);
	while ((r = q_front(h)) != NULL) {
		if (server && h->out.status >= 200 && !r->status &&
		    ts_http_in_message(&h->out))
			r->status = h->out.status;
		if (!server && !r->status && h->in.status >= 200)
			r->status = h->in.status;
		finish(r, server, true);
		q_pop(h);
	}
}
