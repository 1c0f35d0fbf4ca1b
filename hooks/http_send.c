/*
 * http_send.c - the outbound half of HTTP tracing: sending for the
 * application with trace-context header bytes spliced in.
 *
 * A header line may have to be inserted (or a forwarded traceparent's
 * parent id rewritten) at a point inside what the application hands us,
 * and the kernel may then take only part of it.  So a send runs in three
 * steps:
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
 * Threads: the caller holds the connection's outbound lock.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "../preload/clock.h"
#include "../preload/ids.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "conn.h"
#include "context.h"
#include "curl_attr.h"
#include "http_internal.h"
#include "propagate.h"
#include "propagate_to.h"

#define EV_TP_PARENT 100 /* pseudo-event: next byte is the parent id of a
			    forwarded traceparent */
#define OUT_IOV_MAX 1024 /* iovecs in one real send (IOV_MAX) */

enum { TP_IDLE, TP_WATCH, TP_DONE };

/* ---- outbound: the walk shared by planning and commit --------------------- */

/* Forwarded context headers whose span id may be rewritten at the end of
 * the head: where their values start in this send. */
enum { FV_B3, FV_B3_SPANID, FV_UBER, FV_COUNT };

struct walker {
	struct ts_http_parser *p; /* real parser, or the planning copy */
	uint8_t tp_state;         /* forwarded traceparent tracking */
	uint16_t tp_seen;
	uint8_t fv_known;         /* 1 << FV_*: value start seen in this send */
	int req;                  /* messages begun in this send */
	uint64_t fv_at[FV_COUNT]; /* application offset of each value */
	void (*event)(struct walker *w, int ev, uint64_t at);
};

static int fv_of(uint8_t header)
{
	switch (header) {
	case TS_HDR_B3:
		return FV_B3;
	case TS_HDR_B3_SPANID:
		return FV_B3_SPANID;
	case TS_HDR_UBER:
		return FV_UBER;
	default:
		return -1;
	}
}

/* Has the parser captured anything of that header in this head yet? */
static bool fv_captured(const struct ts_http_parser *p, int fv)
{
	const struct ts_http_str *s = fv == FV_B3	  ? &p->b3_s
				      : fv == FV_B3_SPANID ? &p->b3_spanid_s
							   : &p->uber_s;

	return s->len || s->cut;
}

/* A HEADER_VALUE event: follow the values whose ids we may rewrite. */
static void walk_value(struct walker *w, uint64_t at)
{
	int fv = fv_of(w->p->header);

	if (w->p->header == TS_HDR_TRACEPARENT && w->p->traceparent_count == 1) {
		w->tp_state = TP_WATCH;
		w->tp_seen = 0;
	} else if (w->tp_state == TP_WATCH) {
		w->tp_state = TP_DONE; /* value ended before its id */
	}
	/*
	 * Only the first line of each is captured, so only it counts: a line
	 * whose header already has a captured value (perhaps from an earlier
	 * send) is a later one.
	 */
	if (fv >= 0 && !(w->fv_known & (1u << fv)) && !fv_captured(w->p, fv)) {
		w->fv_known |= (uint8_t)(1u << fv);
		w->fv_at[fv] = at;
	}
}

/*
 * Walk `len` application bytes, which start at application offset `base`
 * of this send, reporting parser events and EV_TP_PARENT with the offset
 * of the byte they precede (or follow, for "after" events).
 */
TS_HOT
static void out_walk(struct walker *w, const char *p, size_t len, uint64_t base)
{
	enum ts_http_event ev;
	size_t off = 0, lim, n;

	do {
		lim = len - off;
		if (w->tp_state == TP_WATCH) {
			if (w->tp_seen >= 36 && off < len) { /* its first byte is here */
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
			w->fv_known = 0;
			w->req++;
		} else if (ev == TS_HTTP_EV_HEADER_VALUE) {
			walk_value(w, base + off);
		} else if (w->tp_state == TP_WATCH) {
			w->tp_state = TP_DONE;
		}
		w->event(w, ev, base + off);
	} while (off < len || ev != TS_HTTP_EV_NONE);
}

/* ---- outbound: planning ---------------------------------------------------- */

/*
 * Every request that reaches a decision point (a forwarded traceparent's
 * parent id, or the end of its head) gets one decision, its group: traced
 * or not, with which ids.  All edits made for the request (a rewritten
 * forwarded id, the inserted header lines) belong to the group, and the
 * group's span starts once any of them went out.
 */
struct plan_group {
	uint64_t at;              /* application offset of its decision */
	int req;                  /* walker.req of its request */
	bool traced;              /* we make a client span */
	struct ts_ctx_ref ref;    /* where its parent was found */
	struct ts_http_decision d; /* the span's context and parent */
};

struct plan_edit {
	uint64_t at;              /* application offset of the edit */
	uint16_t len;             /* bytes to emit */
	bool replace;             /* they replace `len` application bytes */
	bool carried;             /* the unsent rest of an earlier edit */
	int8_t group;             /* its plan_group, -1 for a carried rest */
	const char *bytes;
};

struct plan {
	struct walker w;
	struct ts_http_conn *h;
	int fd;                   /* for diagnostics */
	const struct ts_http_sendop *op; /* the send planned */
	bool client;              /* this connection sends requests */
	bool decided;             /* current request already decided */
	bool earlier;             /* ... by an earlier send */
	bool over;                /* a request begun here found no room */
	unsigned begun;           /* requests begun in this send */
	int cur;                  /* its group when decided here, or -1 */
	int n, ng;                /* edits, groups planned */
	uint64_t stop;            /* send no application byte past this */
	uint64_t head_done;       /* end of the last head begun here, or 0 */
	uint64_t last_begin;      /* start of the last request begun here */
	size_t pool_used;         /* bytes of pool[] taken by edits */
	struct plan_edit e[TS_HTTP_PLAN_MAX + 1];
	struct plan_group g[TS_HTTP_PLAN_MAX + 1];
	char pool[TS_HTTP_POOL];  /* every edit's bytes */
};

/* A new client span context under `parent` (or a new trace). */
static void decide(struct ts_http_decision *d, const struct ts_span_ctx *parent)
{
	memset(d, 0, sizeof(*d));
	if (parent) {
		memcpy(d->self.trace_id, parent->trace_id, 16);
		memcpy(d->parent_id, parent->span_id, 8);
		d->self.xflags = parent->xflags & TS_CTX_DEBUG;
		d->parent_remote = parent->remote;
	} else {
		ts_ids_trace(d->self.trace_id);
	}
	/* The sampler decides; unsampled, the context still travels on with
	 * the flag off so that the services downstream agree. */
	d->self.flags = ts_span_decide_flags(parent, d->self.trace_id);
	ts_ids_span(d->self.span_id);
}

static struct plan_group *group_new(struct plan *pl, uint64_t at, bool traced)
{
	struct plan_group *g;

	if (pl->ng >= TS_HTTP_PLAN_MAX + 1)
		return NULL;
	g = &pl->g[pl->ng];
	memset(g, 0, sizeof(*g));
	g->at = at;
	g->req = pl->w.req;
	g->traced = traced;
	pl->cur = pl->ng++;
	return g;
}

/* Room for the bytes of a new edit: pool space, and a free slot. */
static char *edit_room(struct plan *pl, uint64_t at, size_t *cap)
{
	*cap = sizeof(pl->pool) - pl->pool_used;
	if (at > pl->stop)
		return NULL; /* past a point an earlier edit found no room */
	if (pl->n >= TS_HTTP_PLAN_MAX + 1 || *cap == 0) {
		if (at < pl->stop)
			pl->stop = at; /* too many: leave the rest for later */
		return NULL;
	}
	return pl->pool + pl->pool_used;
}

/*
 * Add the edit whose `len` bytes edit_room() gave, keeping the edits in
 * application order (an id rewritten at the end of a head lies before
 * edits already planned for that head).
 */
static void edit_push(struct plan *pl, uint64_t at, uint16_t len, bool replace,
		      int group)
{
	struct plan_edit e = { at, len, replace, false, (int8_t)group,
			       pl->pool + pl->pool_used };
	int i = pl->n;

	while (i > 0 && !pl->e[i - 1].carried && pl->e[i - 1].at > at) {
		pl->e[i] = pl->e[i - 1];
		i--;
	}
	pl->e[i] = e;
	pl->n++;
	pl->pool_used += len;
}

/* `n` application bytes of the send from offset `at`, if it holds them. */
static bool app_bytes(const struct ts_http_sendop *op, uint64_t at, char *dst,
		      size_t n)
{
	uint64_t pos = 0;
	size_t got = 0, k;
	int i;

	for (i = 0; i < op->iovcnt && got < n; i++) {
		uint64_t a = pos, b = pos + op->iov[i].iov_len;

		pos = b;
		if (b <= at + got)
			continue;
		k = (size_t)(b - (at + got));
		if (k > n - got)
			k = n - got;
		memcpy(dst + got,
		       (const char *)op->iov[i].iov_base + (at + got - a), k);
		got += k;
	}
	return got == n;
}

/* A forwarded traceparent reached its parent id: ours, or hands off? */
static void plan_forwarded(struct plan *pl, uint64_t at)
{
	const struct ts_http_parser *p = pl->w.p;
	struct ts_span_ctx fwd, parent, named;
	const uint8_t *caller = NULL;
	struct ts_ctx_ref ref;
	struct plan_group *g;
	char tp[56], *bytes;
	size_t cap;

	pl->decided = true;
	g = group_new(pl, at, false);
	if (!g || p->traceparent_s.len < 36)
		return;
	/* Complete the value with a dummy id to validate the prefix. */
	memcpy(tp, p->b->traceparent, 36);
	memcpy(tp + 36, "0000000000000001-01", 19);
	if (!ts_prop_parse_traceparent(tp, 55, &fwd))
		return;
	/* The caller's span it names, when this send holds it: it tells
	 * apart two requests of one trace served at once (a fan-out). */
	if (app_bytes(pl->op, at, tp + 36, 16) &&
	    ts_prop_parse_traceparent(tp, 55, &named))
		caller = named.span_id;
	if (!ts_ctx_find_trace(fwd.trace_id, caller, &parent, &ref)) {
		/* Not a trace we serve: the program propagates itself. */
		if (ts_log_enabled(TS_LOG_DEBUG))
			ts_debug("fd %d: forwarded traceparent %.36s... names "
				 "no request in flight here; left as is",
				 pl->fd, p->b->traceparent);
		return;
	}
	bytes = edit_room(pl, at, &cap);
	if (!bytes || cap < 16)
		return;
	decide(&g->d, &parent);
	/* Keep the forwarded flags: they are what the caller decided. */
	g->traced = true;
	g->ref = ref;
	ts_prop_hex(g->d.self.span_id, 8, bytes);
	edit_push(pl, at, 16, true, pl->cur);
}

/*
 * The span-id field of a forwarded B3 or Jaeger value, captured in p:
 * its offset in the value and its length; false if there is none.
 */
static bool fv_field(const struct ts_http_parser *p, int fv, size_t *pos,
		     size_t *len)
{
	const char *v, *a, *b;
	size_t n;

	switch (fv) {
	case FV_B3:
		v = p->b->b3, n = p->b3_s.len;
		if (p->b3_s.cut || !(a = memchr(v, '-', n)))
			return false;
		*pos = (size_t)(a - v) + 1;
		*len = n - *pos < 16 ? 0 : 16;
		return *len && (*pos + 16 == n || v[*pos + 16] == '-');
	case FV_B3_SPANID:
		*pos = 0;
		*len = 16;
		return !p->b3_spanid_s.cut && p->b3_spanid_s.len == 16;
	default: /* FV_UBER; a %3A-encoded value is left alone */
		v = p->b->uber, n = p->uber_s.len;
		if (p->uber_s.cut || !(a = memchr(v, ':', n)) ||
		    !(b = memchr(a + 1, ':', n - (size_t)(a + 1 - v))))
			return false;
		*pos = (size_t)(a - v) + 1;
		*len = (size_t)(b - a) - 1;
		return *len >= 1 && *len <= 16;
	}
}

/* Does the span id, written in `len` hex digits, fit exactly? */
static bool id_fits(const uint8_t id[8], size_t len)
{
	char hex[16];

	ts_prop_hex(id, 8, hex);
	return len == 16 || (strspn(hex, "0") == 16 - len && hex[16 - len] != '0');
}

/* Make the new span id fit a field of `len` hex digits (Jaeger ids
 * written without leading zeros), keeping it random and non-zero. */
static void id_fit(uint8_t id[8], size_t len)
{
	uint64_t v = 0;
	unsigned top;
	int i;

	if (len >= 16)
		return;
	for (i = 0; i < 8; i++)
		v = v << 8 | id[i];
	v &= (1ull << (4 * len)) - 1;
	top = (unsigned)(v >> (4 * (len - 1)));
	v &= (1ull << (4 * (len - 1))) - 1;
	v |= (uint64_t)(top % 15 + 1) << (4 * (len - 1));
	for (i = 7; i >= 0; i--, v >>= 8)
		id[i] = (uint8_t)v;
}

/* Write the group's span id into the forwarded B3 / Jaeger values whose
 * span-id fields lie in this send. */
static void plan_rewrite(struct plan *pl, const struct plan_group *g)
{
	const struct ts_http_parser *p = pl->w.p;
	size_t pos, len, cap;
	char hex[16], *bytes;
	int fv;

	ts_prop_hex(g->d.self.span_id, 8, hex);
	for (fv = 0; fv < FV_COUNT; fv++) {
		if (!(pl->w.fv_known & (1u << fv)) || !fv_field(p, fv, &pos, &len) ||
		    !id_fits(g->d.self.span_id, len))
			continue;
		bytes = edit_room(pl, pl->w.fv_at[fv] + pos, &cap);
		if (!bytes || cap < len)
			return;
		memcpy(bytes, hex + 16 - len, len);
		edit_push(pl, pl->w.fv_at[fv] + pos, (uint16_t)len, true,
			  (int)(g - pl->g));
	}
}

/*
 * TRACESHIM_PROPAGATE_TO: may this request (its Host, else the peer we
 * are connected to) carry our context?  A request in absolute form goes
 * to a forward proxy, which passes it on to the URL's host: that host
 * decides, never the proxy's address.
 */
static bool may_propagate(struct plan *pl)
{
	const struct ts_http_parser *p = pl->w.p;
	struct ts_http_conn *h = pl->h;
	const char *host = p->b->host, *colon = NULL, *uh;
	size_t hl = p->host_s.cut ? 0 : p->host_s.len, i, ul;
	unsigned port = 0;
	int up;

	if (pl->op->how == TS_SEND_SENDMSG && pl->op->msg)
		ts_http_fill_addr_to(h, pl->fd, pl->op->msg->msg_name,
				     pl->op->msg->msg_namelen);
	else
		ts_http_fill_addr_to(h, pl->fd, pl->op->addr, pl->op->addrlen);
	if (p->target_s.len && p->b->target[0] != '/' &&
	    memmem(p->b->target, p->target_s.len, "://", 3))
		return ts_curl_url_server(p->b->target, &uh, &ul, &up)
			       ? ts_propagate_to_allowed(uh, ul, (uint16_t)up)
			       : ts_propagate_to_allowed("", 0, 0);
	if (hl && host[0] == '[') { /* [v6]:port */
		const char *end = memchr(host, ']', hl);

		if (end && end + 1 < host + hl && end[1] == ':')
			colon = end + 1;
	} else if (hl) {
		colon = memchr(host, ':', hl);
	}
	if (colon) {
		for (i = 1; colon + i < host + hl && port < 65536; i++) {
			if (colon[i] < '0' || colon[i] > '9')
				break;
			port = port * 10 + (unsigned)(colon[i] - '0');
		}
		hl = (size_t)(colon - host);
	}
	if (!port || port > 65535)
		port = h->peer_port;
	if (!hl) {
		host = h->peer_addr;
		hl = strlen(host);
	}
	return ts_propagate_to_allowed_peer(host, hl, h->peer_addr,
					    strlen(h->peer_addr),
					    (uint16_t)port);
}

/* The context headers missing from the request, at the end of its head. */
static void plan_insert(struct plan *pl, uint64_t at, const struct plan_group *g,
			unsigned fwd)
{
	char ts[TS_CTX_TS_MAX], bg[TS_CTX_BG_MAX], *bytes;
	size_t tl, bl, cap, n;

	if (!may_propagate(pl)) {
		if (ts_log_enabled(TS_LOG_DEBUG))
			ts_debug("fd %d: host not in TRACESHIM_PROPAGATE_TO; "
				 "no context injected", pl->fd);
		return;
	}
	ts_ctx_extras(&g->ref, ts, &tl, bg, &bl);
	bytes = edit_room(pl, at, &cap);
	if (!bytes)
		return;
	n = ts_prop_inject(&g->d.self, &ts_cfg.prop, fwd, ts, tl, bg, bl, bytes,
			   cap < TS_HTTP_EDIT_MAX ? cap : TS_HTTP_EDIT_MAX);
	/* The head is complete here (we insert at its end); +2: its empty
	 * line. */
	if (n && ts_prop_would_cross_limits(pl->w.p->fields, pl->w.p->fields,
					    pl->w.p->header_bytes + 2, bytes,
					    n)) {
		if (ts_log_enabled(TS_LOG_DEBUG))
			ts_debug("fd %d: the context headers would take the "
				 "request past a size or field count servers "
				 "refuse; none injected",
				 pl->fd);
		return;
	}
	if (n)
		edit_push(pl, at, (uint16_t)n, false, (int)(g - pl->g));
	else if (cap < TS_HTTP_EDIT_MAX && at < pl->stop)
		pl->stop = at; /* the pool is short: the next send inserts */
}

/* The first valid B3 or Jaeger context forwarded in the head p. */
static bool forwarded_ctx(const struct ts_http_parser *p, struct ts_span_ctx *c)
{
	if (p->b3_s.len && !p->b3_s.cut && ts_prop_parse_b3(p->b->b3, p->b3_s.len, c))
		return true;
	if (ts_prop_parse_b3multi(p->b->b3_traceid, p->b3_traceid_s.len,
				  p->b->b3_spanid, p->b3_spanid_s.len,
				  p->b->b3_sampled, p->b3_sampled_s.len,
				  p->b->b3_flags, p->b3_flags_s.len, c))
		return true;
	return p->uber_s.len && !p->uber_s.cut &&
	       ts_prop_parse_uber(p->b->uber, p->uber_s.len, c);
}

/* The end of a request head: decide, if no forwarded traceparent did. */
static void plan_headers_end(struct plan *pl, uint64_t at)
{
	const struct ts_http_parser *p = pl->w.p;
	struct ts_http_req *back = ts_http_q_back(pl->h);
	unsigned fwd = ts_prop_forwarded(p);
	struct ts_span_ctx parent, fc;
	struct plan_group *g;
	size_t pos, len;

	if (pl->decided) {
		if (pl->cur >= 0 && pl->g[pl->cur].traced) {
			plan_rewrite(pl, &pl->g[pl->cur]);
			plan_insert(pl, at, &pl->g[pl->cur], fwd);
		} else if (pl->earlier && back && back->traced &&
			   (g = group_new(pl, at, true)) != NULL) {
			/* Settled by an earlier send: its ids are the span's. */
			ts_span_ctx_of(&back->span, &g->d.self);
			ts_ctx_find_trace(back->span.trace_id, NULL, &parent, &g->ref);
			plan_insert(pl, at, g, fwd);
		}
		return;
	}
	pl->decided = true;
	if (fwd & TS_PROP_HAS_TRACEPARENT) {
		group_new(pl, at, false); /* several lines: the program's own */
		return;
	}
	if (fwd & (TS_PROP_HAS_B3 | TS_PROP_HAS_B3MULTI | TS_PROP_HAS_UBER)) {
		g = group_new(pl, at, false);
		if (!g || !forwarded_ctx(p, &fc) ||
		    !ts_ctx_find_trace(fc.trace_id, fc.span_id, &parent, &g->ref))
			return; /* not a trace we serve: the program's own */
		decide(&g->d, &parent);
		g->d.self.flags = fc.flags; /* the caller's decision */
		g->d.self.xflags = fc.xflags & TS_CTX_DEBUG;
		/* A Jaeger id written short: make ours as short (B3 ones
		 * are always 16 digits, so they win when both are there). */
		if (!(pl->w.fv_known & ((1u << FV_B3) | (1u << FV_B3_SPANID))) &&
		    (pl->w.fv_known & (1u << FV_UBER)) &&
		    fv_field(p, FV_UBER, &pos, &len))
			id_fit(g->d.self.span_id, len);
		g->traced = true;
		plan_rewrite(pl, g);
		plan_insert(pl, at, g, fwd);
		return;
	}
	g = group_new(pl, at, true);
	if (!g)
		return;
	decide(&g->d, ts_ctx_parent_for_thread(&parent, &g->ref) ? &parent
								: NULL);
	plan_insert(pl, at, g, fwd);
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
		pl->decided = pl->earlier = false;
		pl->cur = -1;
		/* No room in the queue when the commit gets here (responses
		 * only make room): untraced, nothing inserted or rewritten. */
		if (pl->over || __atomic_load_n(&pl->h->q_over, __ATOMIC_ACQUIRE) ||
		    pl->h->q_len + pl->begun >= TS_HTTP_PENDING)
			pl->over = pl->decided = true;
		pl->begun++;
		pl->last_begin = at;
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		pl->head_done = at;
		break;
	case EV_TP_PARENT:
		if (!pl->decided)
			plan_forwarded(pl, at);
		break;
	case TS_HTTP_EV_HEADERS_END:
		plan_headers_end(pl, at);
		break;
	}
}

/* ---- outbound: commit ------------------------------------------------------- */

struct commit {
	struct walker w;
	struct ts_http_conn *h;
	int fd;
	const struct plan *pl;
	int gnext;                /* next plan group to match */
	uint64_t emitted[TS_HTTP_PLAN_MAX + 1]; /* edit bytes that went out */
};

/* The plan group decided at application offset `at`, if any (in order). */
static int group_at(struct commit *c, uint64_t at)
{
	while (c->gnext < c->pl->ng && c->pl->g[c->gnext].at < at)
		c->gnext++;
	if (c->gnext < c->pl->ng && c->pl->g[c->gnext].at == at)
		return c->gnext++;
	return -1;
}

/* Did some of group k's edits go out?  Does it have any? */
static bool group_emitted(const struct commit *c, int k, bool *has)
{
	bool out = false;
	int i;

	*has = false;
	for (i = 0; i < c->pl->n; i++) {
		if (c->pl->e[i].group != k)
			continue;
		*has = true;
		if (c->emitted[i])
			out = true;
	}
	return out;
}

/*
 * The walk reached a decision point of the request being sent.  A traced
 * group starts its span once any of its edits went out (or at once when
 * it has none); if none went out, the next send plans it again.  An
 * untraced group settles the request as the program's own.
 */
static void commit_decision(struct commit *c, uint64_t at)
{
	struct ts_http_req *r = ts_http_q_back(c->h);
	const struct plan_group *g;
	bool has;
	int k;

	if (!c->pl || !r || r->decided)
		return;
	k = group_at(c, at);
	if (k < 0) {
		r->decided = true;
		return;
	}
	g = &c->pl->g[k];
	if (!g->traced)
		r->decided = true;
	else if (group_emitted(c, k, &has) || !has)
		ts_http_client_decide(c->h, &g->d);
}

TS_HOT
static void commit_event(struct walker *w, int ev, uint64_t at)
{
	struct commit *c = (struct commit *)w;
	struct ts_http_conn *h = c->h;

	if (h->role == TS_CONN_SERVER) {
		ts_http_server_out(h, ev);
		return;
	}
	if (ev == TS_HTTP_EV_MSG_BEGIN && h->role == TS_CONN_UNKNOWN &&
	    !ts_http_in_message(&h->in))
		ts_http_set_role(h, TS_CONN_CLIENT);
	if (h->role != TS_CONN_CLIENT)
		return;
	switch (ev) {
	case TS_HTTP_EV_MSG_BEGIN:
		if (!ts_http_q_push(h, h->out_mono_ns, &h->out_over) &&
		    !h->out_over)
			h->out_lost = true;
		break;
	}
	if (h->out_over)
		return; /* behind a full queue: untraced, planned so */
	switch (ev) {
	case EV_TP_PARENT:
	case TS_HTTP_EV_HEADERS_END:
		commit_decision(c, at);
		break;
	case TS_HTTP_EV_HEADERS_DONE:
		ts_http_client_request_head(h, c->fd);
		break;
	case TS_HTTP_EV_NOT_HTTP:
		/*
		 * A head refused part way (it went over the limit after a
		 * forwarded traceparent was rewritten: the peer has our span
		 * id, so the span goes out): what the head said before that
		 * point is its record, and its method tells the response's
		 * framing (HEAD, CONNECT) all the same.
		 */
		ts_http_client_request_head(h, c->fd);
		break;
	case TS_HTTP_EV_MSG_END: {
		struct ts_http_req *r = ts_http_q_back(h);

		if (r)
			r->req_body = h->out.body_bytes;
		break;
	}
	}
}

/* ---- outbound: the send itself ----------------------------------------------- */

TS_HOT
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
TS_HOT
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
 * The bytes of edit e that go out in a send of application bytes [0, end):
 * an edit past the end waits for a later send, and one that replaces
 * application bytes replaces only those this send holds (a forwarded id
 * split across two sends: the rest of ours is carried to the next, which
 * holds the rest of the old one).
 */
static size_t edit_len(const struct plan_edit *e, uint64_t end)
{
	if (e->at > end || (e->replace && e->at == end))
		return 0;
	if (e->replace && end - e->at < e->len)
		return (size_t)(end - e->at);
	return e->len;
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
		size_t len = edit_len(e, end);

		if (!len)
			break;
		n = iov_app(out, n, op, cur, e->at);
		out[n].iov_base = (void *)e->bytes;
		out[n].iov_len = len;
		n++;
		cur = e->replace ? e->at + len : e->at;
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

		size_t len = edit_len(e, end);

		if (!len)
			break;
		take = e->at - cur < left ? e->at - cur : left;
		cur += take;
		left -= take;
		take = len < left ? len : left;
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

	h->edit.len = 0;
	for (k = 0; k < pl->n; k++) {
		const struct plan_edit *e = &pl->e[k];

		if (c->emitted[k] && c->emitted[k] < e->len) {
			h->edit.len = (uint16_t)(e->len - c->emitted[k]);
			memmove(h->edit_bytes, e->bytes + c->emitted[k],
				h->edit.len);
			h->edit.replace = e->replace;
			return;
		}
	}
}

/*
 * A request head followed by at least this much of its body in one send
 * goes out in two real sends of the same kind: the head (with the lock
 * held) and then the body without the lock, so that a response sent
 * before the body is read (an early 413 or 401) is read at once by a
 * reader on another thread, not after a send that may block for as long
 * as the peer does not read.
 */
#define SPLIT_BODY_MIN 16384

static bool send_family(const struct ts_http_sendop *op)
{
	return op->how != TS_SEND_WRITE && op->how != TS_SEND_WRITEV;
}

/*
 * Send op's head apart from its body?  Only when the queue lock is held
 * (the body's send follows at once), and with the packets the same: a
 * send() corks the head with MSG_MORE (*add); a write() cannot, so its
 * head goes alone only where no Nagle delay can hold the body back (a
 * Unix socket, TCP_NODELAY).  Never for urgent data, a fast open (its
 * first send connects), zero-copy (one completion per call) or ancillary
 * data (it would go twice).
 */
static bool split_body(const struct plan *pl, const struct ts_http_conn *h,
		       const struct ts_http_sendop *op, uint64_t total,
		       bool locked, int *add)
{
	int one = 0, saved;
	socklen_t len = sizeof(one);

	if (!locked || pl->head_done <= pl->last_begin || pl->stop != total ||
	    total - pl->head_done < SPLIT_BODY_MIN ||
	    (op->flags & (MSG_OOB | MSG_FASTOPEN | MSG_ZEROCOPY)) ||
	    (op->how == TS_SEND_SENDMSG && op->msg && op->msg->msg_controllen))
		return false;
	if (send_family(op)) {
		*add |= MSG_MORE;
		return true;
	}
	if (h->family == AF_UNIX)
		return true;
	saved = errno;
	if (getsockopt(op->fd, IPPROTO_TCP, TCP_NODELAY, &one, &len) != 0)
		one = 0;
	errno = saved;
	return one != 0;
}

/* A real send of op with out[] instead of its bytes, with `add` flags
 * (send(), sendto() and sendmsg() only). */
static ssize_t send_as(const struct ts_http_sendop *op, const struct iovec *out,
		       int n, int add)
{
	struct ts_http_sendop o;

	if (!add || !send_family(op))
		return ts_http_send_raw(op, out, n);
	o = *op;
	o.flags |= add;
	return ts_http_send_raw(&o, out, n);
}

/*
 * One real send of the application's bytes, with the edits spliced in.
 * *locked: the queue lock is held, on entry and on return (a send of body
 * bytes alone goes out without it, and taking it back may fail).
 * *split: the application bytes the send stopped at to leave a body for a
 * send of its own (split_body), else 0.  `add`: flags added to the send.
 */
static ssize_t send_once(struct ts_http_conn *h,
			 const struct ts_http_sendop *op, uint64_t total,
			 uint64_t *app_sent, bool *locked, uint64_t *split,
			 int add)
{
	struct iovec out[op->iovcnt + 2 * TS_HTTP_PLAN_MAX + 2];
	struct ts_http_req *back = ts_http_q_back(h);
	struct plan pl;
	struct commit cm;
	struct ts_http_parser copy;
	struct ts_http_pbuf copy_buf;
	ssize_t r;
	int n, k, err;
	bool hold;

	memset(&pl, 0, offsetof(struct plan, pool));
	pl.h = h;
	pl.fd = op->fd;
	pl.op = op;
	pl.client = h->role == TS_CONN_CLIENT;
	pl.cur = -1;
	/* A request whose head is under way may have been settled by an
	 * earlier send. */
	pl.decided = pl.earlier = ts_http_in_message(&h->out) && back &&
				  back->decided && !h->out_over;
	if (ts_http_in_message(&h->out) && h->out_over)
		pl.over = pl.decided = true; /* untraced, behind a full queue */
	pl.stop = total;
	if (h->edit.len) { /* the rest of an edit cut by the last send */
		pl.e[0].len = h->edit.len;
		pl.e[0].replace = h->edit.replace;
		pl.e[0].carried = true;
		pl.e[0].group = -1;
		pl.e[0].bytes = h->edit_bytes;
		pl.n = 1;
	}
	/* The plan parses ahead on a copy: what it captures must not
	 * overwrite a message whose events the commit has yet to deliver. */
	ts_http_parser_copy(&copy, &copy_buf, &h->out);
	pl.w.p = &copy;
	pl.w.tp_state = h->tp_state;
	pl.w.tp_seen = h->tp_seen;
	pl.w.event = plan_event;
	walk_app(&pl.w, op, 0, total);
	*split = 0;
	if (split_body(&pl, h, op, total, *locked, &add))
		pl.stop = *split = pl.head_done;
	n = build_out(out, op, &pl, total);
	/* A request starting in this send started when the call began (the
	 * peer may read it before the call returns). */
	h->out_mono_ns = ts_clock_mono_ns();
	/*
	 * A response can come back as soon as the bytes of a request head
	 * are out: the lock stays held through the send that carries them
	 * (a reader on another thread waits until the request is recorded).
	 * Body bytes alone go out without it, as they may take long.
	 */
	hold = pl.begun || pl.n || !ts_http_in_body(&h->out) || !*locked;
	if (!hold)
		ts_http_q_unlock(h);
	r = send_as(op, out, n, add);
	err = errno;
	if (!hold && !ts_http_q_lock(h)) {
		*locked = false;
		h->out_lost = true; /* what went out is not followed */
		if (r > 0) {
			memset(&cm, 0, sizeof(cm));
			*app_sent = map_sent(&pl, &cm, (size_t)r, total);
		}
		errno = err;
		return r;
	}
	if (r < 0) {
		errno = err;
		return r;
	}
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
	/*
	 * Edits of the request being sent went out but the walk stopped
	 * before its decision point (the bytes sent end right there, or a
	 * rewritten id lies before it): its span starts all the same, with
	 * the ids that went out.  Only the last group can be in that state.
	 */
	k = pl.ng - 1;
	if (k >= 0 && pl.g[k].traced && pl.g[k].req == cm.w.req) {
		bool has;

		if (group_emitted(&cm, k, &has))
			ts_http_client_decide(h, &pl.g[k].d);
	}
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
	ssize_t r;
	int saved;

	/*
	 * A response ending in this send ends when its last bytes were handed
	 * to the kernel: at the latest, while this call runs.  The call's start
	 * is the bound that keeps the server span inside the client's (whose
	 * read returns only after this call began).
	 */
	h->out_mono_ns = ts_clock_mono_ns();
	r = ts_http_send_raw(op, op->iov, op->iovcnt);
	saved = errno;
	if (r > 0 && ts_http_q_lock(h)) {
		memset(&cm, 0, sizeof(cm));
		cm.h = h;
		cm.fd = op->fd;
		cm.w.p = &h->out;
		cm.w.event = commit_event;
		walk_app(&cm.w, op, 0, (uint64_t)r);
		ts_http_q_unlock(h);
	} else if (r > 0) {
		h->out_lost = true; /* what went out is not followed */
	}
	errno = saved;
	return r;
}

/*
 * Whether a client's send (or one on a connection whose role is not known
 * yet) is followed; false when it goes out as it is, the state updated for
 * that.  The queue lock held.
 */
static bool send_followed(struct ts_http_conn *h,
			  const struct ts_http_sendop *op)
{
	/*
	 * A descriptor closed where no hook saw it (a raw close system call,
	 * io_uring) and reused for a file, a pipe or a socketpair still names
	 * this state: a request written there must not get a traceparent.  So
	 * each request but the first on a connection we saw made starts by
	 * making sure the descriptor is still a traced kind of socket: two
	 * system calls.
	 */
	if (!ts_http_in_message(&h->out)) {
		/* Between requests (no edit owed): the responses are lost. */
		if (__atomic_load_n(&h->responses_lost, __ATOMIC_ACQUIRE) &&
		    !h->edit.len) {
			ts_http_send_lost(h);
			return false;
		}
		if (h->recheck && !ts_conn_fd_traceable(op->fd)) {
			h->out_lost = true;
			__atomic_store_n(&h->in_lost, true, __ATOMIC_RELAXED);
			return false;
		}
		h->recheck = true;
	}
	/* Zero-copy: the kernel may read what we splice in after the call
	 * returned, and counts completions per call.  As it is, then. */
	if (op->flags & MSG_ZEROCOPY) {
		h->out_lost = true;
		return false;
	}
	if (op->iovcnt < 0 || op->iovcnt > OUT_IOV_MAX - 2 * TS_HTTP_PLAN_MAX - 2) {
		h->out_lost = true; /* not worth splicing: stop tracing */
		return false;
	}
	return true;
}

/*
 * The body split_body() left after the head (application bytes [from,
 * total) of op): its send of its own, in one real call, as the one the
 * application made (a blocking socket takes it all).  The application
 * bytes it sent.  When it sent none because the socket is full or a
 * signal came (EAGAIN, EINTR), the call's result is the head's short
 * count, as the kernel's would be had it stopped there (errno left as it
 * was, *err); any other error is the call's (-1, *err), as the kernel
 * reports one only once (a reset), and a send() of the body raises no
 * SIGPIPE for it (the head's would have).
 */
static ssize_t send_body(struct ts_http_conn *h,
			 const struct ts_http_sendop *op, uint64_t from,
			 uint64_t total, bool *locked, int entry, int *err)
{
	struct ts_http_sendop o = *op;
	uint64_t pos = 0, app = 0, split;
	ssize_t r;
	int i = 0, n = 0;

	for (; i < op->iovcnt && pos + op->iov[i].iov_len <= from; i++)
		pos += op->iov[i].iov_len;
	{
		struct iovec rest[op->iovcnt - i > 0 ? op->iovcnt - i : 1];

		for (; i < op->iovcnt; i++, n++) {
			rest[n] = op->iov[i];
			if (pos < from) {
				rest[n].iov_base = (char *)rest[n].iov_base +
						   (from - pos);
				rest[n].iov_len -= (size_t)(from - pos);
			}
			pos += op->iov[i].iov_len;
		}
		o.iov = rest;
		o.iovcnt = n;
		r = send_once(h, &o, total - from, &app, locked, &split,
			      send_family(op) ? MSG_NOSIGNAL : 0);
	}
	*err = errno;
	if (r > 0)
		return (ssize_t)app;
	if (r < 0 && *err != EAGAIN && *err != EWOULDBLOCK && *err != EINTR) {
		h->out_lost = true; /* the program sees none of this send */
		return -1;
	}
	*err = entry;
	return 0;
}

TS_HOT
ssize_t ts_http_send(struct ts_http_conn *h, const struct ts_http_sendop *op)
{
	uint64_t total, app = 0, split = 0;
	ssize_t r = 0;
	int tries, err, entry = errno;
	bool locked = true, began_locked;

	ts_http_claim(h);
	if (h->out_lost || h->role == TS_CONN_OFF || ts_http_is_dead(&h->out))
		return ts_http_send_raw(op, op->iov, op->iovcnt);
	if (h->role == TS_CONN_SERVER)
		return send_plain(h, op);
	if (!ts_http_q_lock(h)) {
		/* The rest of an edit the last send cut is owed to the stream
		 * all the same: it goes out first, the state followed without
		 * the lock this once. */
		if (!h->edit.len) {
			h->out_lost = true;
			return ts_http_send_raw(op, op->iov, op->iovcnt);
		}
		locked = false;
	}
	began_locked = locked;
	if (!send_followed(h, op)) {
		if (locked)
			ts_http_q_unlock(h);
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
		r = send_once(h, op, total, &app, &locked, &split, 0);
		/* A lock let go for body bytes and not had back: stop (no
		 * edit was due in that send, so it sent application bytes). */
		if (r < 0 || app > 0 || total == 0 || r == 0 ||
		    (began_locked && !locked))
			break;
	}
	err = errno;
	if (r > 0 && split && app == split && locked) {
		ssize_t b = send_body(h, op, app, total, &locked, entry, &err);

		if (b < 0)
			r = -1;
		else
			app += (uint64_t)b;
	}
	if (locked)
		ts_http_q_unlock(h);
	else if (!h->edit.len)
		h->out_lost = true; /* nothing owed: from now on, as it is */
	errno = err;
	return r < 0 ? r : (ssize_t)app;
}

void ts_http_sendfile(struct ts_http_conn *h, size_t n)
{
	struct commit cm;

	ts_http_claim(h);
	if (!ts_http_q_lock(h)) {
		h->out_lost = true;
		return;
	}
	/* Bytes the parser cannot see: only safe inside a body. */
	if (!ts_http_in_message(&h->out) || !ts_http_skip_body(&h->out, n)) {
		h->out_lost = true;
		ts_http_q_unlock(h);
		return;
	}
	/* Deliver what the skip made due (the end of the message); the hook
	 * stamped out_mono_ns before the real sendfile. */
	memset(&cm, 0, sizeof(cm));
	cm.h = h;
	cm.fd = -1;
	cm.w.p = &h->out;
	cm.w.event = commit_event;
	out_walk(&cm.w, "", 0, 0);
	ts_http_q_unlock(h);
}

