/*
 * curl_xfer.h - state of libcurl handles and of their transfers, and the
 * CLIENT spans of those transfers.  Used by hooks/curl.c only.
 *
 * Per easy handle the shim remembers what the application set that it
 * must put back or chain to (its header list, its pre-request callback):
 * a bounded table keyed by the CURL pointer.  Per transfer in flight it
 * keeps the span of the current attempt and the header lists it made: a
 * bounded pool of slots.  Both are mapped on first use, so a process that
 * never uses libcurl never pays for them.
 *
 * One transfer can be several requests (redirects followed, authentication
 * rounds, a retry on a fresh connection): with libcurl 7.80 or later each
 * request is an attempt with its own span and its own traceparent, as the
 * HTTP semantic conventions ask for resends (see README).
 *
 * Threads: libcurl requires that one handle be used by one thread at a
 * time, and so are its entry and transfer here.  The table's structure
 * (which handle has which entry) is protected by a spin lock held only for
 * a look-up or an insertion, never across a call into libcurl or the
 * application.  Not async-signal-safe (neither is libcurl).
 */
#ifndef TS_HOOKS_CURL_XFER_H
#define TS_HOOKS_CURL_XFER_H

#include "../preload/span.h"
#include "context.h"
#include "curl_prop.h"
#include "curl_real.h"

struct ts_curl_xfer;

/* What the shim remembers of one easy handle. */
struct ts_curl_handle {
	CURL *key;                       /* the handle; NULL or TOMB: free */
	struct curl_slist *app_headers;  /* CURLOPT_HTTPHEADER as the app set it */
	curl_prereq_callback app_prereq; /* the app's CURLOPT_PREREQFUNCTION */
	void *app_prereq_data;           /* the app's CURLOPT_PREREQDATA */
	struct ts_curl_xfer *xfer;       /* its transfer in flight, or NULL */
	bool headers_known;              /* app_headers is what the app set
					    (false: it may have set a list
					    while the table was full) */
	bool connect_only;               /* CURLOPT_CONNECT_ONLY: no request */
	uint8_t scheme;                  /* CURLOPT_URL's enum ts_curl_scheme
					    (libcurl without PREREQFUNCTION) */
	char method[16];                 /* method the options ask for, ""
					    for GET (libcurl before 7.72) */
	char user_agent[257];            /* CURLOPT_USERAGENT, cut; "" none */
	uint8_t proxy;                   /* CURLOPT_PROXY / CURLOPT_PRE_PROXY:
					    TS_CURL_PROXY_* */
};

/* ts_curl_handle.proxy: what the options say about a proxy. */
enum {
	TS_CURL_PROXY_DEFAULT, /* not set: the environment's, if any */
	TS_CURL_PROXY_SET,     /* a proxy named */
	TS_CURL_PROXY_NONE,    /* "": none, whatever the environment says */
};

/* A transfer in flight. */
struct ts_curl_xfer {
	uint32_t busy;                   /* slot claimed (CAS) */
	int pid;                         /* process that started it */
	CURL *easy;                      /* its handle */
	CURLM *multi;                    /* its multi handle; NULL for
					    curl_easy_perform (atomic) */
	uint64_t base_mono;              /* when libcurl began it, at the
					    latest; 0 until known (atomic) */
	struct ts_span span;             /* the current attempt's span */
	struct ts_span_ctx parent;       /* every attempt's parent */
	bool has_parent;                 /* parent is valid (else a root) */
	bool inject;                     /* put our header list on it */
	struct ts_curl_prop prop;        /* what our copies add (formats,
					    what the app's list keeps,
					    tracestate and baggage below) */
	char ts[TS_CTX_TS_MAX];          /* tracestate of the parent */
	char bg[TS_CTX_BG_MAX];          /* baggage of the parent */
	bool app_took_headers;           /* the app set a list mid-transfer */
	bool prereq;                     /* our pre-request callback is set */
	bool installed;                  /* one of our lists is set */
	bool http;                       /* current attempt is HTTP(S) */
	bool described;                  /* its URL attributes are set */
	uint32_t attempt;                /* requests started (pre-request
					    callbacks seen) */
	long hdr_size;                   /* CURLINFO_HEADER_SIZE then */
	long redirects;                  /* CURLINFO_REDIRECT_COUNT then */
	struct curl_slist *lists[2];     /* our lists: current, previous */
};

/* The entry of `h`, or NULL.  With `create`, one is made if there is
 * room (its headers_known is false if some entry could not be made
 * before: the application may have set a list we did not see). */
struct ts_curl_handle *ts_curl_handle_get(CURL *h, bool create);

/* Forget `h` (cleanup, reset). */
void ts_curl_handle_drop(CURL *h);

/*
 * Start tracing a transfer of handle entry `e` (curl_easy_perform, or
 * curl_multi_add_handle with `multi`): decide the parent, start the first
 * attempt's span, set `cb` as the pre-request callback, with the handle as
 * its data (without PREREQFUNCTION: put our header list on now).  NULL when the transfer is not traced.
 */
struct ts_curl_xfer *ts_curl_xfer_start(const struct ts_curl_api *api,
					struct ts_curl_handle *e, CURLM *multi,
					curl_prereq_callback cb);

/*
 * A request of the transfer is about to be sent (pre-request callback):
 * end the previous attempt's span, if any, start this one's, put its
 * traceparent on the handle.
 */
void ts_curl_xfer_attempt(const struct ts_curl_api *api,
			  struct ts_curl_handle *e, const char *peer_ip,
			  int peer_port);

/*
 * The transfer is over: `res` is its result when `known` (perform
 * returned, a CURLMSG_DONE was read), else it was removed or cleaned up
 * before its completion was seen.  Ends the span at mono time `end` at
 * the latest, puts the application's settings back unless `restore` is
 * false (the handle is going away), and hands our header lists to
 * *lists for the caller to free after any real call still to come.
 */
void ts_curl_xfer_finish(const struct ts_curl_api *api,
			 struct ts_curl_handle *e, bool known, CURLcode res,
			 bool restore, struct curl_slist *lists[2]);

/* The transfer did not start after all (curl_multi_add_handle failed). */
void ts_curl_xfer_abort(const struct ts_curl_api *api,
			struct ts_curl_handle *e);

/* A driving call on `multi` returned: transfers added to it since have
 * begun by now. */
void ts_curl_xfer_driven(CURLM *multi);

/* Every transfer still in `multi` (curl_multi_cleanup), one at a time:
 * the handle of one, or NULL. */
CURL *ts_curl_xfer_next_in(CURLM *multi);

#endif /* TS_HOOKS_CURL_XFER_H */
