/*
 * curl_xfer.c - handle table, transfer slots and the CLIENT spans of
 * libcurl transfers (see curl_xfer.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../preload/clock.h"
#include "../preload/config.h"
#include "../preload/ids.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "context.h"
#include "curl_attr.h"
#include "curl_xfer.h"
#include "http_attrs.h"
#include "propagate_to.h"
#include "propagate.h"

#define HANDLES 4096u  /* easy handles with remembered state at once */
#define XFERS 1024u    /* traced transfers in flight at once */
#define TOMB ((CURL *)1) /* a freed entry that a probe sequence passes */

static struct ts_curl_handle *handles; /* HANDLES entries, mapped lazily */
static struct ts_curl_xfer *xfers;     /* XFERS slots, mapped lazily */
static int table_lock;                 /* spin lock of handles[].key */
static int lost;                       /* an entry could not be made */
static uint32_t undriven;              /* multi transfers whose start
					  time is not known yet */

/* ---- tables --------------------------------------------------------------- */

static void lock(void)
{
	unsigned spins = 0;

	while (__atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE))
		if (++spins % 64 == 0)
			sched_yield();
}

static void unlock(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
}

/* A child forked while another thread held the lock must not hang. */
static void after_fork_child(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELAXED);
}

static void *map(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

/* Map both tables once; false when that failed (nothing is traced). */
static bool tables(void)
{
	static int state; /* 0 new, 1 mapping, 2 ready, 3 failed */
	int expect = 0;
	void *h, *x;

	if (ts_likely(__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2))
		return true;
	if (!__atomic_compare_exchange_n(&state, &expect, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another thread is mapping them: two mmaps, nothing that
		 * could wait for us, so waiting is safe (and a header list
		 * set meanwhile must not go unrecorded). */
		while ((expect = __atomic_load_n(&state, __ATOMIC_ACQUIRE)) == 1)
			sched_yield();
		return expect == 2;
	}
	h = map(HANDLES * sizeof(*handles));
	x = map(XFERS * sizeof(*xfers));
	if (!h || !x || pthread_atfork(NULL, NULL, after_fork_child)) {
		ts_warn("cannot map the libcurl handle table: %s; libcurl "
			"transfers are not traced", strerror(errno));
		__atomic_store_n(&state, 3, __ATOMIC_RELEASE);
		return false;
	}
	handles = h;
	xfers = x;
	__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
	return true;
}

static uint32_t slot_of(CURL *h)
{
	uint64_t k = (uint64_t)(uintptr_t)h >> 4;

	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 40) % HANDLES;
}

struct ts_curl_handle *ts_curl_handle_get(CURL *h, bool create)
{
	struct ts_curl_handle *e = NULL, *tomb = NULL;
	uint32_t i, n;

	if (!h || !tables())
		return NULL;
	lock();
	for (i = slot_of(h), n = 0; n < HANDLES; i = (i + 1) % HANDLES, n++) {
		CURL *k = handles[i].key;

		if (k == h) {
			e = &handles[i];
			goto out;
		}
		if (k == TOMB && !tomb)
			tomb = &handles[i];
		if (!k) {
			if (!tomb)
				tomb = &handles[i];
			break;
		}
	}
	if (!create)
		goto out;
	if (!tomb) {
		__atomic_store_n(&lost, 1, __ATOMIC_RELAXED);
		unlock();
		ts_warn_once("more than %u libcurl handles in use; some "
			     "transfers go untraced or without context",
			     HANDLES);
		return NULL;
	}
	e = tomb;
	memset(e, 0, sizeof(*e));
	e->key = h;
	e->headers_known = !__atomic_load_n(&lost, __ATOMIC_RELAXED);
out:
	unlock();
	return e;
}

void ts_curl_handle_drop(CURL *h)
{
	uint32_t i, n;

	if (!h || !tables())
		return;
	lock();
	for (i = slot_of(h), n = 0; n < HANDLES; i = (i + 1) % HANDLES, n++) {
		if (handles[i].key == h) {
			handles[i].key = TOMB;
			/* Trailing tombstones end no probe sequence: clear. */
			while (!handles[(i + 1) % HANDLES].key &&
			       handles[i].key == TOMB) {
				handles[i].key = NULL;
				i = (i + HANDLES - 1) % HANDLES;
			}
			break;
		}
		if (!handles[i].key)
			break;
	}
	unlock();
}

static struct ts_curl_xfer *xfer_alloc(void)
{
	uint32_t i, expect;

	for (i = 0; i < XFERS; i++) {
		expect = 0;
		if (!__atomic_load_n(&xfers[i].busy, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&xfers[i].busy, &expect, 1,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return &xfers[i];
	}
	ts_warn_once("more than %u libcurl transfers in flight; the others "
		     "are not traced",
		     XFERS);
	return NULL;
}

static void xfer_free(struct ts_curl_xfer *x)
{
	__atomic_store_n(&x->multi, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&x->busy, 0, __ATOMIC_RELEASE);
}

/* ---- header lists ------------------------------------------------------------ */

static const char *info_str(const struct ts_curl_api *api, CURL *h,
			    CURLINFO i);

/*
 * TRACESHIM_PROPAGATE_TO: may the current attempt's host get our context?
 * The URL's host, or the connected peer's address (`peer`, NULL when not
 * known yet) for an address pattern.  Through a proxy (one set on the
 * handle, or the environment's unless the handle says none) the peer is
 * the proxy, not where the request goes: only the URL's host counts.
 */
static bool may_propagate(const struct ts_curl_api *api,
			  const struct ts_curl_handle *e,
			  struct ts_curl_xfer *x, const char *peer)
{
	const char *url = info_str(api, x->easy, CURLINFO_EFFECTIVE_URL), *host;
	size_t hlen, plen;
	int port;

	if (e->proxy == TS_CURL_PROXY_SET ||
	    (e->proxy == TS_CURL_PROXY_DEFAULT && ts_cfg.env_proxy))
		peer = NULL;
	plen = peer ? strlen(peer) : 0;

	if (!ts_curl_url_server(url, &host, &hlen, &port))
		return ts_propagate_to_allowed_peer("", 0, peer, plen, 0);
	return ts_propagate_to_allowed_peer(host, hlen, peer, plen,
					    (uint16_t)port);
}

/* Drop our list: the application's own goes with this request. */
static void uninstall_list(const struct ts_curl_api *api,
			   const struct ts_curl_handle *e,
			   struct ts_curl_xfer *x)
{
	if (!x->installed)
		return;
	api->curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, e->app_headers);
	/* Freed a generation later, as below. */
	api->curl_slist_free_all(x->lists[1]);
	x->lists[1] = x->lists[0];
	x->lists[0] = NULL;
	x->installed = false;
}

/*
 * Put a fresh copy with the current attempt's context on the handle, or,
 * for a request that may not carry one (a redirect to a host that
 * TRACESHIM_PROPAGATE_TO leaves out, or off HTTP), the application's own
 * list: the previous attempt's context must not go with it.
 */
static void install_list(const struct ts_curl_api *api,
			 const struct ts_curl_handle *e, struct ts_curl_xfer *x,
			 const char *peer)
{
	struct ts_span_ctx self;
	struct curl_slist *l;

	if (!x->inject || x->app_took_headers)
		return;
	if (!x->http || !may_propagate(api, e, x, peer)) {
		uninstall_list(api, e, x);
		return;
	}
	ts_span_ctx_of(&x->span, &self);
	if (!ts_curl_prop_list(api, e->app_headers, &self, &x->prop, &l)) {
		ts_warn_once("out of memory building a libcurl header list; "
			     "a request goes without trace context");
		return;
	}
	api->curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, l);
	/*
	 * The previous attempt's list is kept until the one before it goes:
	 * libcurl reads the list while it builds a request, which is over by
	 * the next pre-request callback, but one more generation costs
	 * nothing and assumes less.
	 */
	api->curl_slist_free_all(x->lists[1]);
	x->lists[1] = x->lists[0];
	x->lists[0] = l;
	x->installed = true;
}

/* ---- spans ------------------------------------------------------------------------ */

static int raw_pid(void)
{
	return (int)ts_syscall(SYS_getpid);
}

/*
 * The attempts of one transfer are siblings under its parent.  Without a
 * parent the first attempt starts a trace, and the resends join it (as
 * further roots: the request they resend is not their parent).
 */
static void begin_attempt(struct ts_curl_xfer *x, uint64_t at_mono)
{
	uint8_t trace[16], flags = x->span.flags;
	uint64_t mono = at_mono ? at_mono : ts_clock_mono_ns();

	memcpy(trace, x->span.trace_id, 16);
	ts_span_start_at(&x->span, TS_KIND_CLIENT, "HTTP", 4,
			 x->has_parent ? &x->parent : NULL, mono,
			 ts_clock_unix_of(mono));
	if (!x->has_parent && x->attempt > 1) {
		memcpy(x->span.trace_id, trace, 16);
		x->span.flags = flags;
	}
	x->described = false;
	x->http = true;
	if (x->attempt > 1)
		ts_span_add_int(&x->span, "http.request.resend_count",
				x->attempt - 1);
}

static long info_long(const struct ts_curl_api *api, CURL *h, CURLINFO i)
{
	long v = 0;

	return api->curl_easy_getinfo(h, i, &v) == CURLE_OK ? v : 0;
}

static curl_off_t info_off(const struct ts_curl_api *api, CURL *h, CURLINFO i)
{
	curl_off_t v = 0;

	return api->curl_easy_getinfo(h, i, &v) == CURLE_OK ? v : 0;
}

static const char *info_str(const struct ts_curl_api *api, CURL *h,
			    CURLINFO i)
{
	char *v = NULL;

	return api->curl_easy_getinfo(h, i, &v) == CURLE_OK ? v : NULL;
}

/* The method of the request: libcurl's, else what the options ask for. */
static const char *method_of(const struct ts_curl_api *api,
			     const struct ts_curl_handle *e, CURL *h)
{
	const char *m = api->has_method
				? info_str(api, h, CURLINFO_EFFECTIVE_METHOD)
				: NULL;

	return m && *m ? m : e->method[0] ? e->method : "GET";
}

/*
 * user_agent.original: a User-Agent line of the application's header
 * list wins over CURLOPT_USERAGENT, as in libcurl ("User-Agent:" removes
 * it, "User-Agent;" sends it empty: none then).
 */
static void add_user_agent(const struct ts_curl_handle *e,
			   struct ts_curl_xfer *x)
{
	const struct curl_slist *it;
	const char *v = e->user_agent;
	size_t len;

	for (it = e->app_headers; it; it = it->next)
		if (ts_curl_header_is(it->data, "user-agent", &v))
			break;
	len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len)
		ts_span_add_str(&x->span, "user_agent.original", v,
				len < 256 ? len : 256);
}

/* URL, method, server of the current attempt, from libcurl, once. */
static void describe(const struct ts_curl_api *api,
		     const struct ts_curl_handle *e, struct ts_curl_xfer *x)
{
	const char *url = info_str(api, x->easy, CURLINFO_EFFECTIVE_URL);
	const char *m = method_of(api, e, x->easy), *known, *host;
	enum ts_curl_scheme sc = ts_curl_url_scheme(url);
	char full[TS_SPAN_VALUE_MAX + 1];
	size_t n, hlen;
	int port;

	if (x->described)
		return;
	x->described = true;
	/* libcurl sends a scheme-less URL as http:// unless told otherwise */
	x->http = sc == TS_CURL_SCHEME_HTTP || sc == TS_CURL_SCHEME_HTTPS;
	known = ts_curl_method_known(m);
	ts_span_set_name(&x->span, known ? known : "HTTP",
			 strlen(known ? known : "HTTP"));
	ts_span_add_str(&x->span, "http.request.method", known ? known : "_OTHER",
			strlen(known ? known : "_OTHER"));
	if (!known)
		ts_span_add_str(&x->span, "http.request.method_original", m,
				strlen(m));
	n = ts_curl_url_redact(url, full, sizeof(full));
	if (n)
		ts_span_add_str(&x->span, "url.full", full, n);
	if (ts_curl_url_server(url, &host, &hlen, &port)) {
		ts_span_add_str(&x->span, "server.address", host, hlen);
		if (port)
			ts_span_add_int(&x->span, "server.port", port);
	}
	add_user_agent(e, x);
}

static void add_peer(struct ts_curl_xfer *x, const char *ip, long port)
{
	if (ip && *ip)
		ts_span_add_str(&x->span, "network.peer.address", ip, strlen(ip));
	/* Over a Unix socket (CURLOPT_UNIX_SOCKET_PATH) libcurl reports the
	 * path and the URL's port, which no connection had. */
	if (port > 0 && !(ip && ip[0] == '/'))
		ts_span_add_int(&x->span, "network.peer.port", port);
}

static void add_version(const struct ts_curl_api *api, struct ts_curl_xfer *x)
{
	const char *v;

	switch (info_long(api, x->easy, CURLINFO_HTTP_VERSION)) {
	case CURL_HTTP_VERSION_1_0:
		v = "1.0";
		break;
	case CURL_HTTP_VERSION_1_1:
		v = "1.1";
		break;
	case CURL_HTTP_VERSION_2_0:
		v = "2";
		break;
	case CURL_HTTP_VERSION_3:
		v = "3";
		break;
	default:
		return;
	}
	ts_span_add_str(&x->span, "network.protocol.version", v, strlen(v));
}

/*
 * HTTP status of the attempt: 4xx and 5xx are errors for a client, unless
 * `failed` (the transfer failed: its CURLcode is the error.type).
 */
static void add_status(struct ts_curl_xfer *x, long status, bool failed)
{
	char code[16];
	int n;

	ts_span_add_int(&x->span, "http.response.status_code", status);
	if (status >= 400 && !failed) {
		n = snprintf(code, sizeof(code), "%ld", status);
		ts_span_add_str(&x->span, "error.type", code, (size_t)n);
		ts_span_set_status(&x->span, TS_STATUS_ERROR, NULL, 0);
	}
}

/*
 * OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_{REQUEST,RESPONSE}_HEADERS on
 * a libcurl request: the request headers the application set
 * (CURLOPT_HTTPHEADER; libcurl's own, such as Accept, are not in it), and
 * the response headers of request `req` of the transfer (-1: the last),
 * each header name as one string array.
 */
static void add_captured(const struct ts_curl_api *api,
			 const struct ts_curl_handle *e, struct ts_curl_xfer *x,
			 int req)
{
	const struct ts_capture_list *l = &ts_cfg.capture[TS_CAPTURE_CLIENT_REQ];
	const struct curl_slist *it;
	struct curl_header *h;
	char vals[512];
	const char *v;
	size_t n, len;

	for (unsigned i = 0; i < l->n; i++) {
		n = 0;
		for (it = e->app_headers; it; it = it->next) {
			if (!ts_curl_header_is(it->data, l->name[i], &v))
				continue;
			if (!*v && it->data[l->len[i]] == ':')
				continue; /* "Name:" removes libcurl's header */
			len = strlen(v);
			while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
				len--;
			if (n + len + 1 > sizeof(vals))
				break;
			memcpy(vals + n, v, len);
			vals[n + len] = '\0';
			n += len + 1;
		}
		if (n)
			ts_http_header_attr(&x->span, true, l->name[i],
					    l->len[i], vals, n);
	}
	l = &ts_cfg.capture[TS_CAPTURE_CLIENT_RESP];
	for (unsigned i = 0; api->curl_easy_header && i < l->n; i++) {
		size_t amount = 1;

		n = 0;
		for (size_t j = 0; j < amount; j++) {
			if (api->curl_easy_header(x->easy, l->name[i], j,
						  CURLH_HEADER, req,
						  &h) != CURLHE_OK || !h->value)
				break;
			amount = h->amount;
			len = strlen(h->value);
			if (n + len + 1 > sizeof(vals))
				break;
			memcpy(vals + n, h->value, len + 1);
			n += len + 1;
		}
		if (n)
			ts_http_header_attr(&x->span, false, l->name[i],
					    l->len[i], vals, n);
	}
}

/* End the current attempt's span at `end` (a forked child's: dropped). */
static void end_attempt(struct ts_curl_xfer *x, uint64_t end)
{
	if (!x->http || x->pid != raw_pid())
		return;
	if (end < x->span.start_mono_ns)
		end = x->span.start_mono_ns;
	ts_span_end_at(&x->span, end);
}

/* ---- transfer lifecycle ----------------------------------------------------- */

/*
 * Who the transfer's spans belong to, and what our copies add; false: not
 * traced at all.  As in the socket layer: a list that carries a context
 * (traceparent, b3, X-B3-*, uber-trace-id) is the program's own, unless
 * it names a trace this process is serving (a proxy forwarding its
 * caller's headers): then our span is the child of that server span and
 * its ids replace the forwarded ones, in the formats forwarded and those
 * configured.  Tracestate and baggage the app's list has are kept, and
 * ours left out.
 */
static bool choose_parent(const struct ts_curl_handle *e,
			  struct ts_curl_xfer *x)
{
	struct ts_curl_prop *w = &x->prop;
	struct ts_ctx_ref ref = { 0, 0 };
	struct ts_span_ctx fwd;
	bool valid = false;
	unsigned has;

	has = e->headers_known ? ts_curl_prop_scan(e->app_headers, &fwd, &valid)
			       : 0;
	memset(w, 0, sizeof(*w));
	w->pc = ts_cfg.prop;
	w->skip = has;
	if (has & TS_CURL_PROP_CTX) {
		if (!valid || !ts_ctx_find_trace(fwd.trace_id, fwd.span_id, &x->parent, &ref))
			return false;
		x->has_parent = true;
		x->parent.flags = fwd.flags; /* the caller's decision */
		x->parent.xflags = fwd.xflags & TS_CTX_DEBUG;
		w->drop_ctx = true;
		w->skip = has & ~TS_CURL_PROP_CTX;
		ts_curl_prop_with_forwarded(&w->pc, has);
	} else {
		x->has_parent = ts_ctx_parent_for_thread(&x->parent, &ref);
	}
	if (x->has_parent &&
	    ts_ctx_extras(&ref, x->ts, &w->ts_len, x->bg, &w->bg_len)) {
		w->ts = x->ts;
		w->bg = x->bg;
	}
	return true;
}

struct ts_curl_xfer *ts_curl_xfer_start(const struct ts_curl_api *api,
					struct ts_curl_handle *e, CURLM *multi,
					curl_prereq_callback cb)
{
	struct ts_curl_xfer *x;

	if (e->xfer || e->connect_only ||
	    (!api->has_prereq && e->scheme == TS_CURL_SCHEME_OTHER))
		return NULL;
	x = xfer_alloc();
	if (!x)
		return NULL;
	if (!choose_parent(e, x)) {
		xfer_free(x);
		return NULL;
	}
	x->pid = raw_pid();
	x->easy = e->key;
	x->base_mono = multi ? 0 : ts_clock_mono_ns();
	x->inject = e->headers_known;
	x->app_took_headers = x->prereq = x->installed = false;
	x->attempt = 0;
	x->hdr_size = x->redirects = 0;
	x->lists[0] = x->lists[1] = NULL;
	begin_attempt(x, 0);
	if (multi) {
		__atomic_store_n(&x->multi, multi, __ATOMIC_RELAXED);
		__atomic_add_fetch(&undriven, 1, __ATOMIC_RELAXED);
	}
	e->xfer = x;
	if (api->has_prereq &&
	    api->curl_easy_setopt(x->easy, CURLOPT_PREREQFUNCTION,
				  cb) == CURLE_OK &&
	    api->curl_easy_setopt(x->easy, CURLOPT_PREREQDATA, x->easy) ==
		    CURLE_OK) {
		x->prereq = true;
		return x; /* the list goes on in the first pre-request call */
	}
	/* No pre-request callback: one span for the whole transfer. */
	x->http = e->scheme == TS_CURL_SCHEME_HTTP ||
		  e->scheme == TS_CURL_SCHEME_HTTPS;
	install_list(api, e, x, NULL);
	return x;
}

void ts_curl_xfer_attempt(const struct ts_curl_api *api,
			  struct ts_curl_handle *e, const char *peer_ip,
			  int peer_port)
{
	struct ts_curl_xfer *x = e->xfer;
	uint64_t now = ts_clock_mono_ns(), end = now, base;
	long hs, rd;

	if (!x)
		return;
	hs = info_long(api, x->easy, CURLINFO_HEADER_SIZE);
	rd = info_long(api, x->easy, CURLINFO_REDIRECT_COUNT);
	if (x->attempt++ > 0) {
		/* The previous request is over: a response came (headers
		 * were counted) or the connection died before one. */
		if (hs > x->hdr_size) {
			add_version(api, x);
			add_status(x, info_long(api, x->easy,
						CURLINFO_RESPONSE_CODE), false);
			/* libcurl numbers a transfer's requests from 0. */
			add_captured(api, e, x, (int)x->attempt - 2);
		} else {
			ts_span_add_str(&x->span, "error.type",
					"connection_closed", 17);
			ts_span_set_status(&x->span, TS_STATUS_ERROR,
					   "no response; libcurl resent the "
					   "request", 39);
		}
		base = __atomic_load_n(&x->base_mono, __ATOMIC_RELAXED);
		if (rd > x->redirects && base) {
			/* Redirect steps so far, timed by libcurl. */
			end = base + (uint64_t)info_off(api, x->easy,
							CURLINFO_REDIRECT_TIME_T) *
					     1000u;
			if (end > now)
				end = now;
		}
		end_attempt(x, end);
		begin_attempt(x, end > x->span.start_mono_ns ? end : now);
	}
	x->hdr_size = hs;
	x->redirects = rd;
	describe(api, e, x);
	add_peer(x, peer_ip, peer_port);
	install_list(api, e, x, peer_ip);
}

/* When the transfer ended, at the latest: libcurl's total time counted
 * from when it began it (multi transfers are seen done late). */
static uint64_t end_time(const struct ts_curl_api *api, struct ts_curl_xfer *x)
{
	uint64_t now = ts_clock_mono_ns(), end;
	uint64_t base = __atomic_load_n(&x->base_mono, __ATOMIC_RELAXED);
	curl_off_t total;

	if (!x->multi || !base)
		return now;
	total = info_off(api, x->easy, CURLINFO_TOTAL_TIME_T);
	if (total <= 0)
		return now;
	end = base + (uint64_t)total * 1000u;
	return end < now ? end : now;
}

/*
 * The request body's size as the socket layer reports it, the payload,
 * when there is one.  libcurl counts the bytes it uploaded, and a chunked
 * HTTP/1.x upload's count includes the chunks' framing: then the size the
 * application announced, when it did (never more than was sent), else no
 * figure rather than a wrong one.
 */
static void add_upload_size(const struct ts_curl_api *api,
			    struct ts_curl_xfer *x)
{
	curl_off_t sent = info_off(api, x->easy, CURLINFO_SIZE_UPLOAD_T);
	curl_off_t announced = -1;
	long v;

	if (sent <= 0)
		return;
	if (api->curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_UPLOAD_T,
				   &announced) != CURLE_OK)
		announced = -1;
	if (announced >= 0) {
		if (sent > announced)
			sent = announced;
	} else {
		v = info_long(api, x->easy, CURLINFO_HTTP_VERSION);
		if (v == CURL_HTTP_VERSION_1_0 || v == CURL_HTTP_VERSION_1_1)
			return; /* sent chunked: payload unknown */
	}
	ts_span_add_int(&x->span, "http.request.body.size", sent);
}

static void finish_span(const struct ts_curl_api *api,
			const struct ts_curl_handle *e, struct ts_curl_xfer *x,
			bool known, CURLcode res)
{
	const char *name;
	long hs;

	describe(api, e, x);
	if (!x->prereq) {
		long rd = info_long(api, x->easy, CURLINFO_REDIRECT_COUNT);

		if (rd > 0)
			ts_span_add_int(&x->span, "http.request.resend_count", rd);
		add_peer(x, info_str(api, x->easy, CURLINFO_PRIMARY_IP),
			 info_long(api, x->easy, CURLINFO_PRIMARY_PORT));
	}
	hs = info_long(api, x->easy, CURLINFO_HEADER_SIZE);
	if (hs > x->hdr_size) {
		add_version(api, x);
		add_status(x, info_long(api, x->easy, CURLINFO_RESPONSE_CODE),
			   known && res != CURLE_OK);
		ts_span_add_int(&x->span, "http.response.body.size",
				info_off(api, x->easy, CURLINFO_SIZE_DOWNLOAD_T));
		add_captured(api, e, x, -1);
	}
	add_upload_size(api, x);
	if (known && res != CURLE_OK) {
		const char *msg = api->curl_easy_strerror(res);

		name = ts_curl_code_name(res);
		ts_span_add_str(&x->span, "error.type", name ? name : "_OTHER",
				strlen(name ? name : "_OTHER"));
		ts_span_set_status(&x->span, TS_STATUS_ERROR, msg,
				   msg ? strlen(msg) : 0);
	} else if (!known && hs <= x->hdr_size) {
		ts_span_add_str(&x->span, "error.type", "cancelled", 9);
		ts_span_set_status(&x->span, TS_STATUS_ERROR,
				   "transfer removed before it completed", 36);
	}
	end_attempt(x, end_time(api, x));
}

/* Put the application's own settings back on the handle. */
static void restore(const struct ts_curl_api *api,
		    const struct ts_curl_handle *e, struct ts_curl_xfer *x)
{
	if (x->installed && !x->app_took_headers)
		api->curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER,
				      e->app_headers);
	if (x->prereq) {
		api->curl_easy_setopt(x->easy, CURLOPT_PREREQFUNCTION,
				      e->app_prereq);
		api->curl_easy_setopt(x->easy, CURLOPT_PREREQDATA,
				      e->app_prereq_data);
	}
}

static void release(struct ts_curl_handle *e, struct ts_curl_xfer *x,
		    struct curl_slist *lists[2])
{
	lists[0] = x->lists[0];
	lists[1] = x->lists[1];
	if (__atomic_load_n(&x->multi, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&x->base_mono, __ATOMIC_RELAXED))
		__atomic_sub_fetch(&undriven, 1, __ATOMIC_RELAXED);
	e->xfer = NULL;
	xfer_free(x);
}

void ts_curl_xfer_finish(const struct ts_curl_api *api,
			 struct ts_curl_handle *e, bool known, CURLcode res,
			 bool do_restore, struct curl_slist *lists[2])
{
	struct ts_curl_xfer *x = e->xfer;

	lists[0] = lists[1] = NULL;
	if (!x)
		return;
	finish_span(api, e, x, known, res);
	if (do_restore)
		restore(api, e, x);
	release(e, x, lists);
}

void ts_curl_xfer_abort(const struct ts_curl_api *api, struct ts_curl_handle *e)
{
	struct ts_curl_xfer *x = e->xfer;
	struct curl_slist *lists[2];

	if (!x)
		return;
	restore(api, e, x);
	release(e, x, lists);
	api->curl_slist_free_all(lists[0]);
	api->curl_slist_free_all(lists[1]);
}

void ts_curl_xfer_driven(CURLM *multi)
{
	uint64_t now;
	uint32_t i;

	if (!__atomic_load_n(&undriven, __ATOMIC_RELAXED) || !tables())
		return;
	now = ts_clock_mono_ns();
	for (i = 0; i < XFERS; i++) {
		struct ts_curl_xfer *x = &xfers[i];

		if (__atomic_load_n(&x->busy, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&x->multi, __ATOMIC_RELAXED) == multi &&
		    !__atomic_load_n(&x->base_mono, __ATOMIC_RELAXED)) {
			__atomic_store_n(&x->base_mono, now, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&undriven, 1, __ATOMIC_RELAXED);
		}
	}
}

CURL *ts_curl_xfer_next_in(CURLM *multi)
{
	uint32_t i;

	if (!tables())
		return NULL;
	for (i = 0; i < XFERS; i++)
		if (__atomic_load_n(&xfers[i].busy, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&xfers[i].multi, __ATOMIC_RELAXED) == multi)
			return xfers[i].easy;
	return NULL;
}
