/*
 * curl.c - the interposed libcurl API: a CLIENT span per request of every
 * transfer, blocking (easy) or concurrent (multi), HTTPS included, with
 * the trace context injected into a copy of the application's header
 * list.  See README "libcurl" and curl_xfer.h.
 *
 * Each exported name is a one-line trampoline that passes its return
 * address on: the caller decides which libcurl is the real one
 * (curl_real.h), and a call from inside libcurl itself (libcurl calls its
 * own API through its PLT: curl_easy_perform adds the handle to a multi
 * handle of its own, curl_easy_cleanup removes it from one) is passed
 * straight through, as is every call while the thread holds the guard.
 *
 * The hooks never hold the reentrancy guard across a real libcurl call
 * that runs the application's callbacks: the application's own I/O in
 * its write callback (a server streaming a download to its client) must
 * still be traced.  Instead ts_curl_depth tells the socket layer that the
 * connections opened meanwhile are libcurl's (curl.h).
 *
 * Threads: any; a handle is used by one thread at a time (libcurl's rule).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "../preload/entry.h"
#include "../preload/guard.h"
#include "../preload/log.h"
#include "curl.h"
#include "curl_attr.h"
#include "curl_xfer.h"

TS_TLS unsigned ts_curl_depth;

#define CALLER() __builtin_return_address(0)

/* The libcurl for this call, or NULL (then only an error can be returned). */
static const struct ts_curl_api *api_of(const void *caller)
{
	const struct ts_curl_api *api = ts_curl_api_for(caller);

	if (!api)
		ts_warn_once("a libcurl function was called but no libcurl is "
			     "loaded that it could be forwarded to");
	return api;
}

/* True when this call is the application's and tracing is on. */
static bool ours(const struct ts_curl_api *api, const void *caller)
{
	return !ts_guard_is_held() && !ts_curl_api_is_internal(api, caller) &&
	       ts_is_active();
}

static void free_lists(const struct ts_curl_api *api, struct curl_slist *l[2])
{
	api->curl_slist_free_all(l[0]);
	api->curl_slist_free_all(l[1]);
}

/* ---- curl_easy_setopt ------------------------------------------------------- */

/* One variadic argument, kept in the type class its option has. */
union optarg {
	long l;                 /* CURLOPTTYPE_LONG (and VALUES) */
	void *p;                /* OBJECTPOINT, STRINGPOINT, SLISTPOINT,
				   CBPOINT, BLOB */
	void (*f)(void);        /* FUNCTIONPOINT */
	curl_off_t o;           /* OFF_T */
};

enum { ARG_LONG, ARG_PTR, ARG_FUNC, ARG_OFF };

static int arg_class(CURLoption opt)
{
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		return ARG_LONG;
	if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		return ARG_PTR;
	if (opt < CURLOPTTYPE_OFF_T)
		return ARG_FUNC;
	if (opt < CURLOPTTYPE_BLOB)
		return ARG_OFF;
	return ARG_PTR; /* BLOB: a struct curl_blob pointer */
}

static CURLcode real_setopt(const struct ts_curl_api *api, CURL *h,
			    CURLoption opt, int cls, union optarg a)
{
	switch (cls) {
	case ARG_LONG:
		return api->curl_easy_setopt(h, opt, a.l);
	case ARG_FUNC:
		return api->curl_easy_setopt(h, opt, a.f);
	case ARG_OFF:
		return api->curl_easy_setopt(h, opt, a.o);
	default:
		return api->curl_easy_setopt(h, opt, a.p);
	}
}

/* What the options say the method is (libcurl before 7.72 only). */
static void note_method(struct ts_curl_handle *e, CURLoption opt,
			union optarg a)
{
	const char *m = NULL;

	switch (opt) {
	case CURLOPT_CUSTOMREQUEST:
		m = a.p ? a.p : "";
		break;
	case CURLOPT_NOBODY:
		m = a.l ? "HEAD" : "";
		break;
	case CURLOPT_POST:
		m = a.l ? "POST" : "";
		break;
	case CURLOPT_POSTFIELDS:
	case CURLOPT_COPYPOSTFIELDS:
	case CURLOPT_MIMEPOST:
	case CURLOPT_HTTPPOST:
		m = "POST";
		break;
	case CURLOPT_UPLOAD:
	case CURLOPT_PUT:
		m = a.l ? "PUT" : "";
		break;
	case CURLOPT_HTTPGET:
		m = "";
		break;
	default:
		return;
	}
	strncpy(e->method, m, sizeof(e->method) - 1);
	e->method[sizeof(e->method) - 1] = '\0';
}

/*
 * Options whose application value the shim must know: the header list
 * (copied and restored around each transfer), the pre-request callback
 * (ours is set during a transfer and chains to the application's), and
 * what decides whether a transfer is an HTTP request.
 */
static CURLcode hook_setopt(const struct ts_curl_api *api, CURL *h,
			    CURLoption opt, int cls, union optarg a)
{
	struct ts_curl_handle *e;
	CURLcode r;

	switch (opt) {
	case CURLOPT_HTTPHEADER:
	case CURLOPT_PREREQFUNCTION:
	case CURLOPT_PREREQDATA:
	case CURLOPT_CONNECT_ONLY:
	case CURLOPT_USERAGENT:
	case CURLOPT_PROXY:
	case CURLOPT_PRE_PROXY:
		break;
	case CURLOPT_URL:
		if (api->has_prereq)
			return real_setopt(api, h, opt, cls, a);
		break;
	default:
		if (api->has_method)
			return real_setopt(api, h, opt, cls, a);
		break;
	}
	e = ts_curl_handle_get(h, true);
	if (!e)
		return real_setopt(api, h, opt, cls, a);
	switch (opt) {
	case CURLOPT_HTTPHEADER:
		e->app_headers = a.p;
		e->headers_known = true;
		if (e->xfer) /* set mid-transfer: the app's list wins */
			e->xfer->app_took_headers = true;
		break;
	case CURLOPT_PREREQFUNCTION:
		e->app_prereq = (curl_prereq_callback)a.f;
		if (e->xfer && e->xfer->prereq)
			return CURLE_OK; /* ours stays; it calls this one */
		break;
	case CURLOPT_PREREQDATA:
		e->app_prereq_data = a.p;
		if (e->xfer && e->xfer->prereq)
			return CURLE_OK;
		break;
	case CURLOPT_CONNECT_ONLY:
		e->connect_only = a.l != 0;
		break;
	case CURLOPT_USERAGENT: /* libcurl copies it: so do we */
		e->user_agent[0] = '\0';
		if (a.p)
			strncat(e->user_agent, a.p, sizeof(e->user_agent) - 1);
		break;
	case CURLOPT_URL:
		e->scheme = (uint8_t)ts_curl_url_scheme(a.p);
		break;
	case CURLOPT_PROXY:
		/* NULL: back to the default; "": no proxy at all. */
		e->proxy = !a.p ? TS_CURL_PROXY_DEFAULT
			   : *(const char *)a.p ? TS_CURL_PROXY_SET
						: TS_CURL_PROXY_NONE;
		break;
	case CURLOPT_PRE_PROXY:
		if (a.p && *(const char *)a.p)
			e->proxy = TS_CURL_PROXY_SET;
		break;
	default:
		note_method(e, opt, a);
		break;
	}
	r = real_setopt(api, h, opt, cls, a);
	return r;
}

static CURLcode setopt_entry(const void *caller, CURL *h, CURLoption opt,
			     union optarg a, int cls)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLcode r;
	int saved;

	if (!api)
		return CURLE_FAILED_INIT;
	if (!ours(api, caller))
		return real_setopt(api, h, opt, cls, a);
	ts_guard_enter();
	saved = errno;
	r = hook_setopt(api, h, opt, cls, a);
	errno = saved;
	ts_guard_leave();
	return r;
}

static int prereq_cb(void *clientp, char *ip, char *local_ip, int port,
			     int local_port);

/* ---- the pre-request callback ---------------------------------------------- */

/*
 * libcurl calls this before each request of a transfer we trace (its
 * data is the easy handle).  A new attempt's span starts and its
 * traceparent goes on the handle; then the application's own callback,
 * if it set one, runs as it would have, and decides.
 */
static int prereq_cb(void *clientp, char *ip, char *local_ip, int port,
		      int local_port)
{
	const struct ts_curl_api *api = ts_curl_api_for(CALLER());
	struct ts_curl_handle *e;
	curl_prereq_callback app = NULL;
	void *data = NULL;
	int saved = errno;
	bool g;

	g = ts_guard_enter();
	e = ts_curl_handle_get(clientp, false);
	if (e) {
		app = e->app_prereq;
		data = e->app_prereq_data;
		if (g && api)
			ts_curl_xfer_attempt(api, e, ip, port);
	}
	errno = saved;
	if (g)
		ts_guard_leave();
	return app ? app(data, ip, local_ip, port, local_port)
		   : CURL_PREREQFUNC_OK;
}

/* ---- easy API --------------------------------------------------------------- */

static CURLcode hook_perform(const void *caller, CURL *h)
{
	const struct ts_curl_api *api = api_of(caller);
	struct curl_slist *lists[2];
	struct ts_curl_handle *e;
	struct ts_curl_xfer *x = NULL;
	CURLcode r;
	int saved;

	if (!api)
		return CURLE_FAILED_INIT;
	if (!ours(api, caller))
		return api->curl_easy_perform(h);
	ts_guard_enter();
	saved = errno;
	e = ts_curl_handle_get(h, true);
	if (e)
		x = ts_curl_xfer_start(api, e, NULL, prereq_cb);
	errno = saved;
	ts_guard_leave();
	ts_curl_depth++;
	r = api->curl_easy_perform(h);
	ts_curl_depth--;
	if (x) {
		ts_guard_enter();
		saved = errno;
		ts_curl_xfer_finish(api, e, true, r, true, lists);
		free_lists(api, lists);
		errno = saved;
		ts_guard_leave();
	}
	return r;
}

/* The handle goes away (cleanup) or loses every option (reset). */
static void hook_forget(const void *caller, CURL *h, bool cleanup)
{
	const struct ts_curl_api *api = api_of(caller);
	struct curl_slist *lists[2] = { NULL, NULL };
	struct ts_curl_handle *e;
	int saved;

	if (!api)
		return;
	if (!ours(api, caller)) {
		if (cleanup)
			api->curl_easy_cleanup(h);
		else
			api->curl_easy_reset(h);
		return;
	}
	ts_guard_enter();
	saved = errno;
	e = ts_curl_handle_get(h, false);
	if (e) /* a transfer still in a multi handle ends here */
		ts_curl_xfer_finish(api, e, false, CURLE_OK, false, lists);
	ts_curl_handle_drop(h);
	errno = saved;
	ts_guard_leave();
	if (cleanup)
		api->curl_easy_cleanup(h);
	else
		api->curl_easy_reset(h);
	ts_guard_enter();
	free_lists(api, lists); /* libcurl no longer refers to them */
	ts_guard_leave();
}

static CURL *hook_duphandle(const void *caller, CURL *h)
{
	const struct ts_curl_api *api = api_of(caller);
	struct ts_curl_handle *e, *d;
	CURL *dup;
	int saved;

	if (!api)
		return NULL;
	dup = api->curl_easy_duphandle(h);
	if (!dup || !ours(api, caller))
		return dup;
	ts_guard_enter();
	saved = errno;
	e = ts_curl_handle_get(h, false);
	if (e) {
		if (e->xfer) {
			/* Copied mid-transfer: it got our settings, not the
			 * application's. */
			api->curl_easy_setopt(dup, CURLOPT_HTTPHEADER,
					      e->app_headers);
			api->curl_easy_setopt(dup, CURLOPT_PREREQFUNCTION,
					      e->app_prereq);
			api->curl_easy_setopt(dup, CURLOPT_PREREQDATA,
					      e->app_prereq_data);
		}
		d = ts_curl_handle_get(dup, true);
		if (d) {
			struct ts_curl_handle copy = *e;

			copy.key = dup;
			copy.xfer = NULL;
			*d = copy;
		}
	}
	errno = saved;
	ts_guard_leave();
	return dup;
}

/* ---- multi API -------------------------------------------------------------- */

static CURLMcode hook_add(const void *caller, CURLM *m, CURL *h)
{
	const struct ts_curl_api *api = api_of(caller);
	struct ts_curl_handle *e = NULL;
	struct ts_curl_xfer *x = NULL;
	CURLMcode r;
	int saved;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	if (!ours(api, caller))
		return api->curl_multi_add_handle(m, h);
	ts_guard_enter();
	saved = errno;
	if (m)
		e = ts_curl_handle_get(h, true);
	if (e)
		x = ts_curl_xfer_start(api, e, m, prereq_cb);
	errno = saved;
	ts_guard_leave();
	r = api->curl_multi_add_handle(m, h);
	if (x && r != CURLM_OK) {
		ts_guard_enter();
		saved = errno;
		ts_curl_xfer_abort(api, e);
		errno = saved;
		ts_guard_leave();
	}
	return r;
}

/*
 * A transfer of `m` ended without us seeing how (removed, cleaned up).
 * False when `h` has no such transfer.
 */
static bool end_unseen(const struct ts_curl_api *api, CURLM *m, CURL *h)
{
	struct curl_slist *lists[2];
	struct ts_curl_handle *e = ts_curl_handle_get(h, false);

	if (!e || !e->xfer ||
	    __atomic_load_n(&e->xfer->multi, __ATOMIC_RELAXED) != m)
		return false;
	ts_curl_xfer_finish(api, e, false, CURLE_OK, true, lists);
	free_lists(api, lists);
	return true;
}

static CURLMcode hook_remove(const void *caller, CURLM *m, CURL *h)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;
	int saved;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	if (!ours(api, caller))
		return api->curl_multi_remove_handle(m, h);
	r = api->curl_multi_remove_handle(m, h);
	ts_guard_enter();
	saved = errno;
	if (r == CURLM_OK)
		end_unseen(api, m, h);
	errno = saved;
	ts_guard_leave();
	return r;
}

static CURLMsg *hook_info_read(const void *caller, CURLM *m, int *left)
{
	const struct ts_curl_api *api = api_of(caller);
	struct curl_slist *lists[2];
	struct ts_curl_handle *e;
	CURLMsg *msg;
	int saved;

	if (!api)
		return NULL;
	msg = api->curl_multi_info_read(m, left);
	if (!msg || msg->msg != CURLMSG_DONE || !ours(api, caller))
		return msg;
	ts_guard_enter();
	saved = errno;
	e = ts_curl_handle_get(msg->easy_handle, false);
	if (e && e->xfer &&
	    __atomic_load_n(&e->xfer->multi, __ATOMIC_RELAXED) == m) {
		ts_curl_xfer_finish(api, e, true, msg->data.result, true, lists);
		free_lists(api, lists);
	}
	errno = saved;
	ts_guard_leave();
	return msg;
}

static CURLMcode hook_multi_cleanup(const void *caller, CURLM *m)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;
	CURL *h;
	int saved;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	if (!ours(api, caller))
		return api->curl_multi_cleanup(m);
	r = api->curl_multi_cleanup(m);
	if (r != CURLM_OK)
		return r;
	ts_guard_enter();
	saved = errno;
	while ((h = ts_curl_xfer_next_in(m)) != NULL && end_unseen(api, m, h))
		;
	errno = saved;
	ts_guard_leave();
	return r;
}

/* After a call that runs transfers of `m` returned. */
static void driven(const struct ts_curl_api *api, const void *caller,
		   CURLM *m)
{
	int saved = errno;

	if (ours(api, caller)) {
		ts_guard_enter();
		ts_curl_xfer_driven(m);
		ts_guard_leave();
	}
	errno = saved;
}

static CURLMcode hook_perform_multi(const void *caller, CURLM *m, int *run)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	ts_curl_depth++;
	r = api->curl_multi_perform(m, run);
	ts_curl_depth--;
	driven(api, caller, m);
	return r;
}

static CURLMcode hook_socket_action(const void *caller, CURLM *m,
				    curl_socket_t s, int ev, int *run)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	ts_curl_depth++;
	r = api->curl_multi_socket_action(m, s, ev, run);
	ts_curl_depth--;
	driven(api, caller, m);
	return r;
}

static CURLMcode hook_socket(const void *caller, CURLM *m, curl_socket_t s,
			     int *run)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;

	if (!api)
		return CURLM_INTERNAL_ERROR;
	ts_curl_depth++;
	r = api->curl_multi_socket ? api->curl_multi_socket(m, s, run)
				   : api->curl_multi_socket_action(m, s, 0, run);
	ts_curl_depth--;
	driven(api, caller, m);
	return r;
}

static CURLMcode hook_socket_all(const void *caller, CURLM *m, int *run)
{
	const struct ts_curl_api *api = api_of(caller);
	CURLMcode r;

	if (!api || !api->curl_multi_socket_all)
		return CURLM_INTERNAL_ERROR;
	ts_curl_depth++;
	r = api->curl_multi_socket_all(m, run);
	ts_curl_depth--;
	driven(api, caller, m);
	return r;
}

/* ---- exported names ----------------------------------------------------------- */

/*
 * curl_easy_setopt is variadic: its one argument is read in the type
 * class the option number encodes (curl.h: CURLOPTTYPE_*) and passed on
 * in the same class.
 */
TS_EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	int cls = arg_class(opt);
	union optarg a;
	va_list ap;

	va_start(ap, opt);
	if (cls == ARG_LONG)
		a.l = va_arg(ap, long);
	else if (cls == ARG_FUNC)
		a.f = va_arg(ap, void (*)(void));
	else if (cls == ARG_OFF)
		a.o = va_arg(ap, curl_off_t);
	else
		a.p = va_arg(ap, void *);
	va_end(ap);
	return setopt_entry(CALLER(), h, opt, a, cls);
}

TS_EXPORT CURLcode curl_easy_perform(CURL *h)
{
	return hook_perform(CALLER(), h);
}

TS_EXPORT void curl_easy_reset(CURL *h)
{
	hook_forget(CALLER(), h, false);
}

TS_EXPORT void curl_easy_cleanup(CURL *h)
{
	hook_forget(CALLER(), h, true);
}

TS_EXPORT CURL *curl_easy_duphandle(CURL *h)
{
	return hook_duphandle(CALLER(), h);
}

TS_EXPORT CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	return hook_add(CALLER(), m, h);
}

TS_EXPORT CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return hook_remove(CALLER(), m, h);
}

TS_EXPORT CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	return hook_info_read(CALLER(), m, left);
}

TS_EXPORT CURLMcode curl_multi_perform(CURLM *m, int *run)
{
	return hook_perform_multi(CALLER(), m, run);
}

TS_EXPORT CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s,
					     int ev, int *run)
{
	return hook_socket_action(CALLER(), m, s, ev, run);
}

TS_EXPORT CURLMcode curl_multi_socket(CURLM *m, curl_socket_t s, int *run)
{
	return hook_socket(CALLER(), m, s, run);
}

TS_EXPORT CURLMcode curl_multi_socket_all(CURLM *m, int *run)
{
	return hook_socket_all(CALLER(), m, run);
}

TS_EXPORT CURLMcode curl_multi_cleanup(CURLM *m)
{
	return hook_multi_cleanup(CALLER(), m);
}
