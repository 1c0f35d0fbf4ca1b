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
#include <string.h>

#include "../preload/clock.h"
#include "../preload/ids.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "conn.h"
#include "context.h"
#include "http_internal.h"
#include "propagate.h"

#define EV_TP_PARENT 100 /* pseudo-event: next byte is the parent id of a
			    forwarded traceparent */
#define OUT_IOV_MAX 1024 /* iovecs in one real send (IOV_MAX) */

enum { TP_IDLE, TP_WATCH, TP_DONE };

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
	struct ts_http_decision d;        /* span decision it commits */
};

struct plan {
	struct walker w;
	struct ts_http_conn *h;
	int fd;                   /* for diagnostics */
	bool client;              /* this connection sends requests */
	bool decided;             /* current request already decided */
	int n;                    /* edits planned */
	uint64_t stop;            /* send no application byte past this */
	struct plan_edit e[TS_HTTP_PLAN_MAX + 1];
	char store[TS_HTTP_PLAN_MAX][TS_HTTP_EDIT_MAX];
};

/* A new client span context under `parent` (or a new trace). */
static void decide(struct ts_http_decision *d, const struct ts_span_ctx *parent)
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
	if (!ts_prop_parse_traceparent(tp, 55, &fwd))
		return;
	if (!ts_ctx_find_trace(fwd.trace_id, &parent)) {
		/* Not a trace we serve: the program propagates itself. */
		if (ts_log_enabled(TS_LOG_DEBUG))
			ts_debug("fd %d: forwarded traceparent %.36s... names "
				 "no request in flight here; left as is",
				 pl->fd, p->traceparent);
		return;
	}
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
	struct ts_http_req *r = ts_http_q_back(c->h);
	int k;

	if (!c->pl || !r || r->decided)
		return;
	k = edit_at(c, at);
	if (k < 0)
		r->decided = true;
	else if (c->emitted[k])
		ts_http_client_decide(c->h, &c->pl->e[k].d);
}

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
		if (!ts_http_q_push(h, h->out_mono_ns))
			h->out_lost = true;
		break;
	case EV_TP_PARENT:
	case TS_HTTP_EV_HEADERS_END:
		commit_decision(c, at);
		break;
	case TS_HTTP_EV_HEADERS_DONE:
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

	h->edit.len = 0;
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
	struct ts_http_req *back = ts_http_q_back(h);
	struct plan pl;
	struct commit cm;
	struct ts_http_parser copy;
	ssize_t r;
	int n, k, err;

	memset(&pl, 0, offsetof(struct plan, store));
	pl.h = h;
	pl.fd = op->fd;
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
	/* A request starting in this send started when the call began (the
	 * peer may read it before the call returns). */
	h->out_mono_ns = ts_clock_mono_ns();
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
			ts_http_client_decide(h, &pl.e[k].d);
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
	/* Deliver what the skip made due (the end of the message); the hook
	 * stamped out_mono_ns before the real sendfile. */
	memset(&cm, 0, sizeof(cm));
	cm.h = h;
	cm.fd = -1;
	cm.w.p = &h->out;
	cm.w.event = commit_event;
	out_walk(&cm.w, "", 0, 0);
}

