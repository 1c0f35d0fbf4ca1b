/*
 * http_curl.c - libcurl through dlopen (see http_curl.h).
 *
 * curl/curl.h gives the types and option numbers; the functions come
 * from dlsym on libcurl's own handle.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../preload/clock.h"
#include "../preload/log.h"
#include "http_curl.h"
#include "reporter.h"

static struct {
	int tried;   /* 0 not yet, 1 loaded, -1 unavailable */
	CURLcode (*global_init)(long);
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*reset)(CURL *);
	void (*cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free)(struct curl_slist *);
	const char *(*strerror)(CURLcode);
	CURL *easy;  /* kept between exports: connection reuse */
} cu;

static bool https_wanted; /* a transport has an https:// endpoint */

/* preload/entry.c; weak: the unit tests link the reporter without it. */
extern void ts_exit_flush(void) __attribute__((weak));

static void exit_flush(void)
{
	if (ts_exit_flush)
		ts_exit_flush();
}

/* `announced`: the reporter's start announced this set-up (reporter.c),
 * so an exit that began since waits for it, with the TLS library whole. */
static bool load(bool announced)
{
	void *h;

	if (cu.tried)
		return cu.tried > 0;
	/*
	 * Not while the process exits: libcurl and the TLS library it
	 * brings may already be torn down by their own finalizers (curl the
	 * program, at its exit, crashed in OpenSSL here).  Those spans are
	 * dropped; ts_curl_prepare() loads libcurl when the reporter starts.
	 */
	if (!announced && ts_reporter_exiting()) {
		ts_warn_once("https export: the process began to exit before "
			     "libcurl was set up; spans for https:// "
			     "endpoints are dropped");
		return false;
	}
	cu.tried = -1;
	h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ts_warn("https:// and gRPC endpoints need libcurl (libcurl.so.4), which "
			"cannot be loaded: %s; spans for them are dropped",
			dlerror());
		return false;
	}
#define SYM(field, name) (*(void **)&cu.field = dlsym(h, name))
	if (!SYM(global_init, "curl_global_init") ||
	    !SYM(init, "curl_easy_init") || !SYM(setopt, "curl_easy_setopt") ||
	    !SYM(perform, "curl_easy_perform") ||
	    !SYM(getinfo, "curl_easy_getinfo") ||
	    !SYM(reset, "curl_easy_reset") ||
	    !SYM(cleanup, "curl_easy_cleanup") ||
	    !SYM(slist_append, "curl_slist_append") ||
	    !SYM(slist_free, "curl_slist_free_all") ||
	    !SYM(strerror, "curl_easy_strerror")) {
		ts_warn("libcurl.so.4 lacks curl_easy functions; https spans "
			"are dropped");
		return false;
	}
#undef SYM
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ts_warn("curl_global_init failed; https spans are dropped");
		return false;
	}
	/*
	 * The TLS library registered its clean-up with atexit() just now (or
	 * earlier); handlers run in reverse order, so the flush registered
	 * after it runs before it, with libcurl whole.  The destructor's
	 * flush then finds the work done.
	 */
	atexit(exit_flush);
	cu.tried = 1;
	return true;
}

void ts_curl_want(void)
{
	https_wanted = true;
}

bool ts_curl_wanted(void)
{
	return https_wanted;
}

void ts_curl_prepare(void)
{
	if (https_wanted)
		(void)load(true);
}

/* The value of header line p[0, len) if it is `name` ("name:"), trimmed. */
static bool header_value(const char *p, size_t len, const char *name,
			 const char **v, size_t *vlen)
{
	size_t k = strlen(name);
	const char *end = p + len;

	if (len <= k || strncasecmp(p, name, k))
		return false;
	p += k;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*v = p;
	*vlen = (size_t)(end - p);
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* grpc-message is percent-encoded: decoded into dst, one printable line. */
static void grpc_message(char *dst, size_t cap, const char *v, size_t n)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n && o + 1 < cap; i++) {
		c = v[i];
		if (c == '%' && i + 2 < n && (hi = hex_digit(v[i + 1])) >= 0 &&
		    (lo = hex_digit(v[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		dst[o++] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	dst[o] = '\0';
}

/* Header callback (trailers too): Retry-After, grpc-status, grpc-message. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct ts_http_resp *r = arg;
	size_t len = size * n, vlen, i;
	const char *v;
	int code;

	if (header_value(p, len, "retry-after:", &v, &vlen)) {
		r->retry_after_ms = ts_http_parse_retry_after(v, vlen,
							      (int64_t)time(NULL));
	} else if (header_value(p, len, "grpc-status:", &v, &vlen)) {
		for (i = 0, code = 0; i < vlen && i < 4 && v[i] >= '0' &&
				      v[i] <= '9'; i++)
			code = code * 10 + (v[i] - '0');
		r->grpc_status = vlen && i == vlen ? code : 2; /* UNKNOWN */
	} else if (header_value(p, len, "grpc-message:", &v, &vlen)) {
		grpc_message(r->grpc_message, sizeof(r->grpc_message), v, vlen);
	} else if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* A new response (after 100 Continue, or a redirect's):
		 * nothing of the last one counts. */
		r->grpc_status = -1;
		r->grpc_message[0] = '\0';
	}
	return len;
}

/* Body callback: keep the first bytes for messages, discard the rest. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ts_http_resp *r = arg;
	size_t len = size * n, have = r->body_len;
	size_t room = sizeof(r->body) - 1 - have;

	memcpy(r->body + have, p, len < room ? len : room);
	r->body_len = have + (len < room ? len : room);
	r->body[r->body_len] = '\0';
	return len;
}

/* The CRLF-terminated lines of `headers` as a curl list. */
static struct curl_slist *header_list(const char *headers, size_t hlen)
{
	struct curl_slist *list = NULL, *next;
	char line[4096 + 64];
	const char *p = headers, *end = headers + hlen, *crlf;

	/* No "Expect: 100-continue" round trip before large bodies. */
	list = cu.slist_append(NULL, "Expect:");
	while (list && p < end) {
		crlf = memchr(p, '\r', (size_t)(end - p));
		if (!crlf)
			crlf = end;
		if ((size_t)(crlf - p) < sizeof(line)) {
			memcpy(line, p, (size_t)(crlf - p));
			line[crlf - p] = '\0';
			next = cu.slist_append(list, line);
			if (!next) {
				cu.slist_free(list);
				return NULL;
			}
			list = next;
		}
		p = crlf + 2;
	}
	return list;
}

static void set_tls(const struct ts_tls_files *tls)
{
	if (tls->ca_file[0])
		cu.setopt(cu.easy, CURLOPT_CAINFO, tls->ca_file);
	if (tls->client_cert[0])
		cu.setopt(cu.easy, CURLOPT_SSLCERT, tls->client_cert);
	if (tls->client_key[0])
		cu.setopt(cu.easy, CURLOPT_SSLKEY, tls->client_key);
}

static int map_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return -ECONNREFUSED; /* a connection error: retried */
	default:
		return -EIO;
	}
}

int ts_curl_post(const char *url, const struct ts_tls_files *tls,
		 const char *headers, size_t hlen, const char *body,
		 size_t blen, struct ts_http_resp *r, uint64_t deadline,
		 bool grpc)
{
	struct curl_slist *list;
	uint64_t now = ts_clock_mono_ns();
	long code = 0, ms;
	CURLcode rc;

	r->status = 0;
	r->retry_after_ms = -1;
	r->body[0] = '\0';
	r->body_len = 0;
	r->grpc_status = -1;
	r->grpc_message[0] = '\0';
	if (!load(false))
		return -ENOSYS;
	if (now >= deadline)
		return -ETIMEDOUT;
	ms = (long)((deadline - now + 999999) / 1000000);
	if (!cu.easy && !(cu.easy = cu.init()))
		return -ENOMEM;
	cu.reset(cu.easy); /* options reset; connections stay cached */
	list = header_list(headers, hlen);
	if (list && grpc) { /* not curl's "Accept: * / *" */
		struct curl_slist *next = cu.slist_append(list, "Accept:");

		if (!next)
			cu.slist_free(list);
		list = next;
	}
	if (!list)
		return -ENOMEM;
	cu.setopt(cu.easy, CURLOPT_URL, url);
	cu.setopt(cu.easy, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM in our thread */
	cu.setopt(cu.easy, CURLOPT_TIMEOUT_MS, ms);
	cu.setopt(cu.easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
	cu.setopt(cu.easy, CURLOPT_POST, 1L);
	cu.setopt(cu.easy, CURLOPT_POSTFIELDS, body);
	cu.setopt(cu.easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	cu.setopt(cu.easy, CURLOPT_HTTPHEADER, list);
	cu.setopt(cu.easy, CURLOPT_HEADERFUNCTION, on_header);
	cu.setopt(cu.easy, CURLOPT_HEADERDATA, r);
	cu.setopt(cu.easy, CURLOPT_WRITEFUNCTION, on_body);
	cu.setopt(cu.easy, CURLOPT_WRITEDATA, r);
	cu.setopt(cu.easy, CURLOPT_PROTOCOLS_STR, "http,https");
	set_tls(tls);
	if (grpc && cu.setopt(cu.easy, CURLOPT_HTTP_VERSION,
			      (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) !=
			    CURLE_OK) {
		ts_warn_once("OTLP/gRPC needs HTTP/2, which this libcurl "
			     "cannot do; spans are dropped (set "
			     "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf and "
			     "the collector's port 4318)");
		cu.slist_free(list);
		return -EPROTONOSUPPORT;
	}
	/*
	 * A call of its own connection: Debian 12's libcurl (7.88.1) fails
	 * every POST after the first on a reused prior-knowledge HTTP/2
	 * connection ("Error in the HTTP2 framing layer", to grpcio's
	 * server and to nginx's alike; curl's own command line does the
	 * same with --next), which would lose all batches but the first.
	 */
	if (grpc)
		cu.setopt(cu.easy, CURLOPT_FORBID_REUSE, 1L);
	rc = cu.perform(cu.easy);
	cu.slist_free(list);
	if (rc != CURLE_OK) {
		if (rc != CURLE_OPERATION_TIMEDOUT)
			ts_warn_once("%s export to %s failed: %s (further "
				     "failures are counted, not logged)",
				     grpc ? "gRPC" : "https", url,
				     cu.strerror(rc));
		return map_error(rc);
	}
	cu.getinfo(cu.easy, CURLINFO_RESPONSE_CODE, &code);
	r->status = (int)code;
	return 0;
}

void ts_curl_after_fork(void)
{
	cu.easy = NULL; /* the parent's handle: never touched, leaked */
}

void ts_curl_free(void)
{
	if (cu.easy)
		cu.cleanup(cu.easy);
	cu.easy = NULL;
}
