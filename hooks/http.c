/*
 * http.c - HTTP/1.x spans of one connection: the request queue, server
 * and client span lifecycles, inbound bytes, and the end of a connection.
 * The outbound send engine (edits spliced into what the application
 * sends) is in http_send.c.
 *
 * Threads: the caller holds the connection's lock for the direction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "../preload/clock.h"
#include "../preload/config.h"
#include "../preload/ids.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "conn.h"
#include "context.h"
#include "http_attrs.h"
#include "http_internal.h"
#include "propagate.h"
#include "propagate_to.h"

enum { TP_IDLE }; /* http_send.c's forwarded-traceparent state, reset here */

/* ---- the queue lock --------------------------------------------------------- */

/*
 * Held for microseconds: while one direction works on the queue, and
 * through a client's send that carries a request head (a loopback send
 * returns in microseconds, unless the scheduler takes the thread off the
 * processor meanwhile, as it often does on a busy machine).  A thread
 * that waits spins a little, then yields, then sleeps in short naps; one
 * that cannot have the lock in Q_WAIT_NS (a send blocked on a full socket
 * buffer) passes its bytes through untraced from then on.
 */
#define Q_SPINS 128
#define Q_YIELD_NS 200000ull
#define Q_WAIT_NS 50000000ull

static TS_TLS char q_me; /* its address names this thread */

static __attribute__((noinline)) bool q_lock_wait(struct ts_http_conn *h,
						  uintptr_t me)
{
	struct timespec nap = { 0, 50000 };
	uintptr_t cur = 0;
	uint64_t since = 0, now;
	unsigned spins = 0;
	int saved = errno; /* a nap cut short by a signal says EINTR */
	bool got = true;

	while (!__atomic_compare_exchange_n(&h->q_owner, &cur, me, false,
					    __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		if (cur == me) {
			got = false; /* ours: a signal handler's hook */
			break;
		}
		cur = 0;
		if (++spins < Q_SPINS) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		now = ts_clock_mono_ns();
		if (!since) {
			since = now;
		} else if (now - since > Q_WAIT_NS) {
			got = false;
			break;
		}
		if (now - since < Q_YIELD_NS)
			sched_yield();
		else /* not nanosleep(): a cancellation point, and the
		      * thread may hold bytes it has read for the program */
			ts_syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
				   &nap, NULL);
	}
	errno = saved;
	return got;
}

TS_HOT
bool ts_http_q_lock(struct ts_http_conn *h)
{
	uintptr_t me = (uintptr_t)&q_me, cur = 0;

	if (ts_likely(__atomic_compare_exchange_n(&h->q_owner, &cur, me, false,
						  __ATOMIC_ACQUIRE,
						  __ATOMIC_RELAXED)))
		return true;
	return q_lock_wait(h, me);
}

TS_HOT
void ts_http_q_unlock(struct ts_http_conn *h)
{
	__atomic_store_n(&h->q_owner, 0, __ATOMIC_RELEASE);
}

/* ---- the request queue -------------------------------------------------- */

static struct ts_http_req *q_at(struct ts_http_conn *h, unsigned i)
{
	unsigned k = (h->q_head + i) % TS_HTTP_PENDING;

	return k ? &h->q_more[k - 1] : &h->q0;
}

TS_HOT
static struct ts_http_req *q_front(struct ts_http_conn *h)
{
	return h->q_len ? q_at(h, 0) : NULL;
}

struct ts_http_req *ts_http_q_back(struct ts_http_conn *h)
{
	return h->q_len ? q_at(h, h->q_len - 1u) : NULL;
}

/*
 * A new request in flight; NULL when TS_HTTP_PENDING are already (or
 * untraced ones are, behind them): it is counted in q_over, untraced, and
 * so is every later one until the responses have caught up, so that each
 * response still pairs with its request.  `over` is the direction's flag:
 * set while its current request is such a one.
 */
TS_HOT
struct ts_http_req *ts_http_q_push(struct ts_http_conn *h, uint64_t at_mono,
				   bool *over)
{
	struct ts_http_req *r;
	uint64_t mono;

	if (h->q_len >= TS_HTTP_PENDING ||
	    __atomic_load_n(&h->q_over, __ATOMIC_ACQUIRE)) {
		*over = __atomic_add_fetch(&h->q_over, 1, __ATOMIC_ACQ_REL) <
			0xff; /* saturated: the caller gives up */
		return NULL;
	}
	*over = false;
	r = q_at(h, h->q_len++);
	r->traced = r->decided = false;
	r->head_done = r->no_body = r->connect = false;
	r->registered = 0;
	r->status = 0;
	r->req_body = r->resp_body = 0;
	/* Started when the I/O carrying its first byte began, not now. */
	mono = at_mono ? at_mono : ts_clock_mono_ns();
	r->start_mono_ns = mono;
	r->start_unix_ns = ts_clock_unix_of(mono);
	return r;
}

TS_HOT
static void q_pop(struct ts_http_conn *h)
{
	if (!h->q_len)
		return;
	h->q_head = (uint8_t)((h->q_head + 1) % TS_HTTP_PENDING);
	/* Empty: the next request takes the first slot again, whose cache
	 * lines the last one warmed, instead of the next cold one. */
	if (!--h->q_len)
		h->q_head = 0;
}

/* ---- connection setup ---------------------------------------------------- */

static uint32_t header_cap(void)
{
	return ts_cfg.max_header_bytes ? ts_cfg.max_header_bytes : 8192;
}

/*
 * Only the outbound request stream acts inside header values (a forwarded
 * traceparent is rewritten there); the other streams parse faster without
 * HEADER_VALUE events.
 */
static void parser_init(struct ts_http_parser *p, struct ts_http_pbuf *b,
			enum ts_http_kind kind, bool outbound)
{
	bool req = kind == TS_HTTP_REQUESTS;

	ts_http_parser_init(p, kind, header_cap(), b);
	ts_http_parser_edit_events(p, outbound && req);
	ts_http_parser_capture(
		p, &ts_cfg.capture[outbound ? (req ? TS_CAPTURE_CLIENT_REQ
						   : TS_CAPTURE_SERVER_RESP)
					    : (req ? TS_CAPTURE_SERVER_REQ
						   : TS_CAPTURE_CLIENT_RESP)]);
}

void ts_http_conn_reset(struct ts_http_conn *h, bool server, bool client)
{
	h->role = server ? TS_CONN_SERVER : client ? TS_CONN_CLIENT
						   : TS_CONN_UNKNOWN;
	/* Unknown role: both directions look for a request; the first one
	 * found decides who we are. */
	parser_init(&h->in, &h->in_buf,
		    client ? TS_HTTP_RESPONSES : TS_HTTP_REQUESTS, false);
	parser_init(&h->out, &h->out_buf,
		    server ? TS_HTTP_RESPONSES : TS_HTTP_REQUESTS, true);
	h->in_lost = h->out_lost = h->addr_known = h->in_failed = false;
	h->responses_lost = h->inherited = false;
	/* One we did not see made may have been classified long before its
	 * first request goes out. */
	h->recheck = !server && !client;
	h->q_head = h->q_len = h->q_over = 0;
	h->in_over = h->out_over = false;
	h->edit.len = 0;
	h->tp_state = TP_IDLE;
	h->tp_seen = 0;
	h->peer_addr[0] = '\0';
	h->peer_port = h->local_port = 0;
	h->family = 0;
	h->in_mono_ns = h->out_mono_ns = 0;
}

TS_HOT
void ts_http_set_role(struct ts_http_conn *h, uint8_t role)
{
	if (h->role != TS_CONN_UNKNOWN)
		return;
	h->role = role;
	if (role == TS_CONN_SERVER)
		parser_init(&h->out, &h->out_buf, TS_HTTP_RESPONSES, true);
	else
		parser_init(&h->in, &h->in_buf, TS_HTTP_RESPONSES, false);
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/*
 * A Unix socket's peer is named by its path (the server's, seen from a
 * client; a client's is usually unnamed).  Abstract names and paths too
 * long for peer_addr are left out rather than cut.
 */
static void unix_peer(struct ts_http_conn *h, const struct sockaddr_un *u,
		      socklen_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path), n;

	if (len <= off || u->sun_path[0] == '\0')
		return;
	n = strnlen(u->sun_path, len - off);
	if (n < sizeof(h->peer_addr)) {
		memcpy(h->peer_addr, u->sun_path, n);
		h->peer_addr[n] = '\0';
	}
}

/* The peer's fields from its address; unknown families leave them empty. */
static void set_peer(struct ts_http_conn *h, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	h->family = (uint8_t)ss->ss_family;
	h->peer_port = sa_port(ss);
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  h->peer_addr, sizeof(h->peer_addr));
	else if (ss->ss_family == AF_INET6 &&
		 IN6_IS_ADDR_V4MAPPED(
			 &((const struct sockaddr_in6 *)ss)->sin6_addr))
		/* An IPv4 peer of a dual-stack socket: as IPv4, the
		 * address it has (::ffff:10.0.0.1 is 10.0.0.1). */
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[12],
			  h->peer_addr, sizeof(h->peer_addr));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
			  h->peer_addr, sizeof(h->peer_addr));
	else if (ss->ss_family == AF_UNIX)
		unix_peer(h, (const struct sockaddr_un *)ss, len);
}

/*
 * Peer and local addresses, looked up once per connection, when needed.
 * `dst` (may be NULL) is where the send about to be made goes: a TCP Fast
 * Open client connects by sendto(MSG_FASTOPEN) to it, so the socket has
 * no peer yet (ENOTCONN) and that address is the peer.  errno is kept.
 */
TS_HOT
void ts_http_fill_addr_to(struct ts_http_conn *h, int fd,
			  const struct sockaddr *dst, socklen_t dstlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int saved;

	if (h->addr_known)
		return;
	h->addr_known = true;
	saved = errno;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		set_peer(h, &ss, len);
	} else if (errno == ENOTCONN && dst && dstlen <= sizeof(ss) &&
		   dstlen >= sizeof(sa_family_t) &&
		   (dst->sa_family == AF_INET || dst->sa_family == AF_INET6) &&
		   dstlen >= (dst->sa_family == AF_INET
				      ? sizeof(struct sockaddr_in)
				      : sizeof(struct sockaddr_in6))) {
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, dst, dstlen);
		set_peer(h, &ss, dstlen);
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		h->local_port = sa_port(&ss);
	errno = saved;
}

TS_HOT
void ts_http_fill_addr(struct ts_http_conn *h, int fd)
{
	ts_http_fill_addr_to(h, fd, NULL, 0);
}

/*
 * Finish a request's span with its response (or its absence), ending at
 * CLOCK_MONOTONIC end_mono_ns (0: now).
 */
TS_HOT
static void finish(struct ts_http_req *r, bool server, bool closed,
		   uint64_t end_mono_ns)
{
	if (r->registered)
		ts_ctx_server_end(r->registered);
	r->registered = 0;
	if (!r->traced)
		return;
	r->traced = false;
	if (r->span.flags & TS_TRACE_FLAG_SAMPLED)
		ts_http_raw_outcome(&r->span, server, r->status, r->req_body,
				    r->resp_body, closed);
	ts_span_end_at(&r->span, end_mono_ns ? end_mono_ns : ts_clock_mono_ns());
}

/*
 * The request's method is `m`: compared with its NUL (the method buffer
 * holds TS_HTTP_METHOD_MAX + 1 bytes, always terminated), so the
 * compiler makes it two loads instead of a strcmp call.
 */
#define method_is(p, m)                                                        \
	(sizeof(m) <= sizeof((p)->b->method) &&                                \
	 !memcmp((p)->b->method, m, sizeof(m)))

/*
 * A response with no queued request: one of the untraced requests behind
 * the queue (q_over) is answered when it ends.
 */
static void over_answered(struct ts_http_conn *h, const struct ts_http_parser *p,
			  int ev)
{
	uint8_t n = __atomic_load_n(&h->q_over, __ATOMIC_ACQUIRE);

	if ((ev != TS_HTTP_EV_MSG_END && ev != TS_HTTP_EV_UPGRADE) ||
	    (p->status < 200 && p->status != 101))
		return; /* an interim response: the final one follows */
	while (n && !__atomic_compare_exchange_n(&h->q_over, &n, n - 1, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
		;
}

/*
 * The responses can no longer be followed: their parser refused what came
 * (a head over TRACESHIM_MAX_HEADER_BYTES, bytes that are not HTTP/1.x).
 * Every request in flight ends now, the one answered with the status its
 * response's status line gave (if it got that far), and none failed: the
 * program's exchange goes on, only we lost it.  The connection passes
 * through both ways from now on.  A client's request still being sent is
 * left to the send side, which may owe it an edit: it ends that request
 * and stops at its end (ts_http_send_lost()).
 */
static void responses_lost(struct ts_http_conn *h, bool server, uint64_t at)
{
	const struct ts_http_parser *p = server ? &h->out : &h->in;
	struct ts_http_req *r;
	bool first = true;

	while ((r = q_front(h)) != NULL) {
		if (!server && h->q_len == 1 && ts_http_in_message(&h->out))
			break; /* being sent */
		if (first && p->status >= 200)
			r->status = p->status;
		first = false;
		finish(r, server, false, at);
		q_pop(h);
	}
	__atomic_store_n(&h->responses_lost, true, __ATOMIC_RELEASE);
	if (server) { /* we hold the outbound side */
		h->out_lost = true;
		__atomic_store_n(&h->in_lost, true, __ATOMIC_RELAXED);
	} else {
		h->in_lost = true;
	}
	ts_debug("responses no longer followed: the connection passes "
		 "through");
}


/* ---- tunnels a proxy opens ------------------------------------------------ */

/*
 * A proxy serving CONNECT connects to the target and relays the client's
 * bytes there: plain HTTP through such a tunnel must not be taken for the
 * proxy's own requests (no span, never a traceparent).  That connection
 * is new, unrelated to the client's, so the targets of the CONNECTs read
 * here are kept a while, and a connect() to one passes through from the
 * start (ts_http_tunnel_to()).  Names are never resolved: a target given
 * by name matches any address on its port.  A false match costs only a
 * connection's spans; a missed one is what the old build did always.
 */
#define TUNNELS 16
#define TUNNEL_NS (30ull * 1000000000ull) /* connect within 30 s */

struct tunnel {
	uint64_t at;              /* CLOCK_MONOTONIC when asked; 0: free */
	uint32_t key;             /* port << 8 | address length (4, 16, or
				     0: a name, any address) */
	uint64_t addr[2];         /* the address, if one */
};

static struct tunnel tunnels[TUNNELS];
static unsigned tunnel_next;
static bool tunnels_seen;

static void tunnel_asked(const char *t, size_t len)
{
	const char *colon = NULL, *h = t;
	size_t hl, i;
	uint16_t port;
	struct tunnel *e;
	uint64_t addr[2] = { 0, 0 };
	int alen;

	for (i = len; i > 0; i--)
		if (t[i - 1] == ':') {
			colon = t + i - 1;
			break;
		}
	if (!colon ||
	    !(port = ts_propagate_to_parse_port(colon + 1,
						(size_t)(t + len - colon - 1))))
		return;
	hl = (size_t)(colon - t);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	alen = ts_propagate_to_parse_ip(h, hl, (uint8_t *)addr);
	e = &tunnels[__atomic_fetch_add(&tunnel_next, 1, __ATOMIC_RELAXED) %
		     TUNNELS];
	/* Free while rewritten: a reader that sees a new field also sees
	 * at == 0 (release orders it first) and cannot claim the entry. */
	__atomic_store_n(&e->at, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->key, (uint32_t)port << 8 | (uint32_t)alen,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&e->addr[0], addr[0], __ATOMIC_RELEASE);
	__atomic_store_n(&e->addr[1], addr[1], __ATOMIC_RELEASE);
	__atomic_store_n(&e->at, ts_clock_mono_ns(), __ATOMIC_RELEASE);
	__atomic_store_n(&tunnels_seen, true, __ATOMIC_RELEASE);
}

bool ts_http_tunnel_to(const struct sockaddr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };
	const uint8_t *ip;
	uint64_t now, at;
	uint16_t port;
	size_t ipl;
	unsigned i;

	if (!__atomic_load_n(&tunnels_seen, __ATOMIC_ACQUIRE) || !a)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;

		port = ntohs(v4->sin_port);
		ip = (const uint8_t *)&v4->sin_addr;
		ipl = 4;
	} else if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;

		port = ntohs(v6->sin6_port);
		ip = (const uint8_t *)&v6->sin6_addr;
		ipl = 16;
	} else {
		return false;
	}
	now = ts_clock_mono_ns();
	for (i = 0; i < TUNNELS; i++) {
		struct tunnel *e = &tunnels[i];
		uint64_t w[2];
		uint32_t key;
		size_t alen;
		bool hit;

		at = __atomic_load_n(&e->at, __ATOMIC_ACQUIRE);
		if (!at || now - at > TUNNEL_NS)
			continue;
		key = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (key >> 8 != port)
			continue;
		alen = key & 0xff;
		w[0] = __atomic_load_n(&e->addr[0], __ATOMIC_ACQUIRE);
		w[1] = __atomic_load_n(&e->addr[1], __ATOMIC_ACQUIRE);
		if (!alen)
			hit = true;
		else if (alen == ipl)
			hit = !memcmp(w, ip, ipl);
		else if (alen == 4 && ipl == 16) /* ::ffff:a.b.c.d */
			hit = !memcmp(ip, mapped, 12) && !memcmp(ip + 12, w, 4);
		else
			hit = false;
		/* Each CONNECT opens one connection: the first to claim it. */
		if (hit && __atomic_compare_exchange_n(&e->at, &at, 0, false,
						       __ATOMIC_ACQ_REL,
						       __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* ---- server side --------------------------------------------------------- */

static void server_request_head(struct ts_http_conn *h, int fd)
{
	struct ts_http_req *r = ts_http_q_back(h);
	struct ts_prop_in in;
	bool remote;

	if (!r || r->head_done)
		return;
	r->head_done = true;
	r->no_body = method_is(&h->in, "HEAD");
	r->connect = method_is(&h->in, "CONNECT");
	if (r->connect)
		tunnel_asked(h->in.b->target, h->in.target_s.len);
	remote = ts_prop_extract(&h->in, &ts_cfg.prop, &in);
	ts_http_fill_addr(h, fd);
	/* Named by the reporter, from what ts_http_raw_request() records. */
	ts_span_start_at(&r->span, TS_KIND_SERVER, NULL, 0,
			 remote ? &in.ctx : NULL, r->start_mono_ns,
			 r->start_unix_ns);
	if (in.ts_len)
		ts_span_set_tracestate(&r->span, in.ts, in.ts_len);
	/* Not sampled: nothing is recorded, the context is still served. */
	if (r->span.flags & TS_TRACE_FLAG_SAMPLED)
		ts_http_raw_request(&r->span, &h->in, h, true);
	r->traced = true;
	/* What came with the request travels on with the calls it makes. */
	r->registered = ts_ctx_server_begin(&r->span, in.ts, in.ts_len, in.bg,
					    in.bg_len);
	if (ts_log_enabled(TS_LOG_DEBUG)) {
		char hex[33];

		ts_prop_hex(r->span.trace_id, 16, hex);
		ts_debug("fd %d: request of trace %.32s in flight", fd, hex);
	}
}

/* Inbound event on a server connection (requests). */
static void server_in(struct ts_http_conn *h, int fd, int ev)
{
	struct ts_http_req *r;

	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		ts_http_set_role(h, TS_CONN_SERVER);
		if (!ts_http_q_push(h, h->in_mono_ns, &h->in_over) &&
		    !h->in_over)
			h->in_lost = true; /* too deep a pipeline: give up */
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		if (!h->in_over)
			server_request_head(h, fd);
		break;
	case TS_HTTP_EV_MSG_END:
		r = h->in_over ? NULL : ts_http_q_back(h);
		if (r)
			r->req_body = h->in.body_bytes;
		break;
	}
}

/* Outbound event on a server connection (responses). */
TS_HOT
void ts_http_server_out(struct ts_http_conn *h, int ev)
{
	struct ts_http_req *r = q_front(h);

	/* After the response that ended it (MSG_END came first): a tunnel
	 * or another protocol from now on, both ways, so what the client
	 * sends next is not a request.  The inbound lock is not ours: the
	 * flag is atomic. */
	if (ev == TS_HTTP_EV_UPGRADE)
		__atomic_store_n(&h->in_lost, true, __ATOMIC_RELAXED);
	if (ev == TS_HTTP_EV_NOT_HTTP) {
		responses_lost(h, true, h->out_mono_ns);
		return;
	}
	if (!r) {
		over_answered(h, &h->out, ev);
		return;
	}
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		ts_http_parser_expect(&h->out,
				      (r->no_body ? TS_HTTP_EXPECT_NO_BODY : 0) |
				      (r->connect ? TS_HTTP_EXPECT_CONNECT : 0));
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		r->status = h->out.status;
		if (r->traced && (h->out.status >= 200 || h->out.status == 101))
			ts_http_raw_response(&r->span, &h->out);
		break;
	case TS_HTTP_EV_MSG_END:
	case TS_HTTP_EV_UPGRADE:
		if (h->out.status < 200 && h->out.status != 101)
			break; /* 100 Continue: the real response follows */
		r->status = h->out.status;
		r->resp_body = h->out.body_bytes;
		finish(r, true, false, h->out_mono_ns);
		q_pop(h);
		/* Answered without a switch: a request holding its parser
		 * (ts_http_parser_release()) was the last one read. */
		if (ev == TS_HTTP_EV_MSG_END && !h->q_len)
			ts_http_parser_release(&h->in);
		break;
	}
}

/* ---- client side --------------------------------------------------------- */

void ts_http_client_request_head(struct ts_http_conn *h, int fd)
{
	struct ts_http_req *r = ts_http_q_back(h);

	if (!r || r->head_done)
		return;
	r->head_done = true;
	r->no_body = method_is(&h->out, "HEAD");
	r->connect = method_is(&h->out, "CONNECT");
	if (h->q_len == 1)
		ts_http_parser_expect(&h->in,
				      (r->no_body ? TS_HTTP_EXPECT_NO_BODY : 0) |
				      (r->connect ? TS_HTTP_EXPECT_CONNECT : 0));
	if (!r->traced)
		return;
	ts_http_fill_addr(h, fd);
	ts_http_raw_request(&r->span, &h->out, h, false);
}

/* The committed decision of the request being sent: its span starts. */
void ts_http_client_decide(struct ts_http_conn *h, const struct ts_http_decision *d)
{
	struct ts_http_req *r = ts_http_q_back(h);

	if (!r || r->decided || r->head_done)
		return;
	r->decided = true;
	ts_span_begin(&r->span, TS_KIND_CLIENT, "HTTP", 4, r->start_mono_ns,
		      r->start_unix_ns);
	memcpy(r->span.trace_id, d->self.trace_id, 16);
	memcpy(r->span.span_id, d->self.span_id, 8);
	memcpy(r->span.parent_id, d->parent_id, 8);
	r->span.flags = d->self.flags;
	r->span.parent_remote = d->parent_remote;
	r->traced = true;
}

/* Inbound event on a client connection (responses). */
static void client_in(struct ts_http_conn *h, int ev)
{
	struct ts_http_req *r = q_front(h), *next;

	/* After the response that ended it: what we send next goes through
	 * the tunnel (or is the new protocol), never parsed, never edited. */
	if (ev == TS_HTTP_EV_UPGRADE)
		__atomic_store_n(&h->out_lost, true, __ATOMIC_RELAXED);
	if (!r) {
		over_answered(h, &h->in, ev);
		return;
	}
	switch (ev) {
	case TS_HTTP_EV_HEADERS_DONE:
		r->status = h->in.status;
		if (r->traced && (h->in.status >= 200 || h->in.status == 101))
			ts_http_raw_response(&r->span, &h->in);
		break;
	case TS_HTTP_EV_MSG_END:
	case TS_HTTP_EV_UPGRADE:
		if (h->in.status < 200 && h->in.status != 101)
			break; /* interim response */
		r->status = h->in.status;
		r->resp_body = h->in.body_bytes;
		/* Its request is still being sent (a server that answered
		 * before reading the body, or a reader thread ahead of the
		 * writer's commit): the size the request declared, else
		 * what went so far. */
		if (h->q_len == 1 && ts_http_in_message(&h->out) && !r->req_body)
			r->req_body = h->out.content_length >= 0
					      ? (uint64_t)h->out.content_length
					      : h->out.body_bytes;
		finish(r, false, false, h->in_mono_ns);
		q_pop(h);
		if (ev == TS_HTTP_EV_MSG_END && !h->q_len)
			ts_http_parser_release(&h->out);
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

/* Every request in flight ends at `end_mono` (0: now), `closed`: its
 * connection closed under it; `by_app`: the program closed it. */
static void end_all(struct ts_http_conn *h, bool server, uint64_t end_mono,
		    bool closed, bool by_app)
{
	struct ts_http_req *r;

	const struct ts_http_parser *p = server ? &h->out : &h->in;
	bool first = true, cut;

	while ((r = q_front(h)) != NULL) {
		/*
		 * A client that closes while its response's body comes, the
		 * head read, chose to stop reading (wget after a 404 with
		 * "Connection: close", a streaming reader done early): the
		 * response is what it got, not a failure.  A peer's close
		 * there is one, and so is a read that failed (a reset).
		 */
		cut = closed && !(first && by_app && !server && r->status >= 200 &&
				  !__atomic_load_n(&h->in_failed, __ATOMIC_RELAXED));
		/* The first one's response may be under way, cut short: its
		 * status (once its status line went by) and the body bytes
		 * that came.  Those behind it had no response. */
		if (first && p->status >= 200 && ts_http_in_message(p)) {
			r->status = p->status;
			r->resp_body = p->body_bytes;
		}
		/* One it chose to stop reading ended with the last read the
		 * program made of it, not when it got round to close() (a
		 * Java HttpURLConnection leaves an error body unread until
		 * the collector closes the socket). */
		finish(r, server, cut,
		       closed && !cut && first && !end_mono && h->in_mono_ns
			       ? h->in_mono_ns
			       : end_mono);
		first = false;
		q_pop(h);
	}
}

/* The client's responses were lost (responses_lost()), and the request
 * it was sending has gone out: the rest end now, none failed. */
void ts_http_send_lost(struct ts_http_conn *h)
{
	end_all(h, false, 0, false, false); /* the response parser is dead */
	h->out_lost = true;
}

TS_HOT
static void in_event(struct ts_http_conn *h, int fd, int ev)
{
	if (ev == TS_HTTP_EV_NOT_HTTP) {
		if (h->role == TS_CONN_SERVER) /* a request we cannot follow */
			ts_ctx_unseen_request(h->in_mono_ns);
		if (h->role == TS_CONN_UNKNOWN)
			h->role = TS_CONN_OFF;
		else if (h->role == TS_CONN_CLIENT)
			responses_lost(h, false, h->in_mono_ns);
		return;
	}
	if (h->role == TS_CONN_CLIENT)
		client_in(h, ev);
	else if (h->role == TS_CONN_SERVER ||
		 (h->role == TS_CONN_UNKNOWN && ev == TS_HTTP_EV_MSG_BEGIN))
		server_in(h, fd, ev);
}

/*
 * The queue lock could not be had for bytes read: the stream is no longer
 * followed.  A client's send side ends its requests at its next one, none
 * failed (as when responses_lost() could run).
 */
static void in_lock_lost(struct ts_http_conn *h)
{
	if (__atomic_load_n(&h->role, __ATOMIC_RELAXED) == TS_CONN_CLIENT)
		__atomic_store_n(&h->responses_lost, true, __ATOMIC_RELEASE);
	__atomic_store_n(&h->in_lost, true, __ATOMIC_RELAXED);
	ts_debug("a read could not wait for the connection's other direction: "
		 "the connection is no longer followed");
}

TS_HOT
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

TS_HOT
void ts_http_inbound(struct ts_http_conn *h, int fd, const struct iovec *iov,
		     int cnt, size_t n)
{
	size_t take;
	int i;

	ts_http_claim(h);
	if (h->in_lost || h->role == TS_CONN_OFF || ts_http_is_dead(&h->in)) {
		if (h->role == TS_CONN_SERVER && n)
			ts_ctx_unseen_request(ts_clock_mono_ns());
		return;
	}
	h->in_mono_ns = ts_clock_mono_ns(); /* the read returned just now */
	if (!ts_http_q_lock(h)) {
		in_lock_lost(h);
		return;
	}
	if (n == 0) { /* the peer closed its side */
		if (ts_http_eof(&h->in))
			in_event(h, fd, TS_HTTP_EV_MSG_END);
		/* No response can come any more: a client's requests end
		 * now, failed, not when the program gets round to close(). */
		if (h->role == TS_CONN_CLIENT)
			end_all(h, false, h->in_mono_ns, true, false);
	}
	for (i = 0; i < cnt && n; i++) {
		take = iov[i].iov_len < n ? iov[i].iov_len : n;
		if (take)
			in_walk(h, fd, iov[i].iov_base, take);
		n -= take;
	}
	ts_http_q_unlock(h);
}

void ts_http_inbound_unseen(struct ts_http_conn *h, int fd, size_t n)
{
	ts_http_claim(h);
	if (h->in_lost || h->role == TS_CONN_OFF || ts_http_is_dead(&h->in))
		return;
	h->in_mono_ns = ts_clock_mono_ns();
	if (!ts_http_q_lock(h)) {
		in_lock_lost(h);
		return;
	}
	if (!ts_http_in_message(&h->in) || !ts_http_skip_body(&h->in, n))
		h->in_lost = true;
	else /* what the skip made due: the message's end */
		in_walk(h, fd, "", 0);
	ts_http_q_unlock(h);
}

void ts_http_outbound_eof(struct ts_http_conn *h, uint64_t t)
{
	ts_http_claim(h);
	if (h->role != TS_CONN_SERVER || !ts_http_q_lock(h))
		return;
	if (ts_http_eof(&h->out)) {
		h->out_mono_ns = t;
		ts_http_server_out(h, TS_HTTP_EV_MSG_END);
	}
	ts_http_q_unlock(h);
}

/*
 * A fork child closes a connection it inherited and never used (a daemon
 * or a subprocess closing what it does not need, a forking server's child
 * closing the parent's other connections): the requests in flight are
 * the parent's, which ends them.  Ending them here too would send copies
 * with the same span ids, failed as connection_closed.  Their context
 * stays this thread's current one (a child carries on its parent's work).
 */
static void drop_all(struct ts_http_conn *h)
{
	struct ts_http_req *r;

	while ((r = q_front(h)) != NULL) {
		r->registered = 0;
		r->traced = false;
		q_pop(h);
	}
}

void ts_http_conn_release(struct ts_http_conn *h)
{
	bool server = h->role == TS_CONN_SERVER;

	if (h->role != TS_CONN_SERVER && h->role != TS_CONN_CLIENT)
		return;
	if (__atomic_load_n(&h->inherited, __ATOMIC_RELAXED)) {
		drop_all(h);
		return;
	}
	/* A close-delimited response ends with the connection: a server's
	 * when its last byte went out. */
	if (!server && ts_http_in_message(&h->in) && ts_http_eof(&h->in))
		client_in(h, TS_HTTP_EV_MSG_END);
	if (server && ts_http_in_message(&h->out) && ts_http_eof(&h->out))
		ts_http_server_out(h, TS_HTTP_EV_MSG_END);
	end_all(h, server, 0, true, true);
}
