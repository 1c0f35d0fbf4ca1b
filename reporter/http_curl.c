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
#include "buf.h"
#include "http_curl.h"
#include "pb_read.h"
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

/* grpc-message is percent-encoded: decoded into dst, one printable line. */
static void grpc_message(char *dst, size_t cap, const char *v, size_t n)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n && o + 1 < cap; i++) {
		c = v[i];
		if (c == '%' && i + 2 < n && (hi = ts_hexval(v[i + 1])) >= 0 &&
		    (lo = ts_hexval(v[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		/* UTF-8 passes; control characters do not */
		dst[o++] = (unsigned char)c >= 0x20 && c != 0x7f ? c : '?';
	}
	dst[o] = '\0';
}

/* Standard or URL-safe base64, padded or not (gRPC's -bin values are
 * sent unpadded): the bytes decoded into dst, -1 on a bad character. */
static ssize_t b64_decode(const char *v, size_t n, uint8_t *dst, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, d;
	char c;

	for (i = 0; i < n; i++) {
		c = v[i];
		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '+' || c == '-')
			d = 62;
		else if (c == '/' || c == '_')
			d = 63;
		else if (c == '=')
			break;
		else
			return -1;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			dst[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (ssize_t)o;
}

/* One protobuf field of p[0, end): its number, wire type, and a varint
 * value or a length-delimited span.  False at the end or on bad bytes. */
static bool pb_field(const uint8_t **p, const uint8_t *end, unsigned *num,
		     unsigned *type, uint64_t *v, const uint8_t **sub)
{
	uint64_t key;

	if (!ts_pb_varint(p, end, &key) || !key)
		return false;
	*num = (unsigned)(key >> 3);
	*type = (unsigned)(key & 7);
	if ((*type != 0 && *type != 2) || !ts_pb_varint(p, end, v))
		return false; /* fixed-width fields: none in what we read */
	if (*type == 2) {
		if (*v > (uint64_t)(end - *p))
			return false;
		*sub = *p;
		*p += *v;
	}
	return true;
}

/*
 * grpc-status-details-bin: a google.rpc.Status whose details (field 3,
 * Any { type_url = 1; value = 2; }) may hold a google.rpc.RetryInfo
 * { Duration retry_delay = 1 { seconds = 1; nanos = 2; } }: then the call
 * may be retried, after that delay (the OTLP specification).
 */
static void retry_info(struct ts_http_resp *r, const char *v, size_t n)
{
	static const char ri[] = "google.rpc.RetryInfo";
	uint8_t buf[1024];
	const uint8_t *p = buf, *end, *a, *aend, *sub, *val = NULL, *d, *dend;
	unsigned num, type;
	uint64_t x, vlen = 0, secs = 0, nanos = 0;
	ssize_t len = b64_decode(v, n, buf, sizeof(buf));
	bool is_ri;

	if (len <= 0)
		return;
	end = buf + len;
	while (pb_field(&p, end, &num, &type, &x, &sub)) {
		if (num != 3 || type != 2)
			continue;
		a = sub;
		aend = sub + x;
		is_ri = false;
		val = NULL;
		while (pb_field(&a, aend, &num, &type, &x, &sub)) {
			if (num == 1 && type == 2)
				is_ri = x >= sizeof(ri) - 1 &&
					!memcmp(sub + x - (sizeof(ri) - 1), ri,
						sizeof(ri) - 1);
			else if (num == 2 && type == 2)
				val = sub, vlen = x;
		}
		if (!is_ri)
			continue;
		r->grpc_retry_info = true;
		if (!val)
			return;
		d = val;
		dend = val + vlen;
		while (pb_field(&d, dend, &num, &type, &x, &sub)) {
			const uint8_t *send = sub + x; /* the Duration */

			if (num != 1 || type != 2)
				continue;
			while (pb_field(&sub, send, &num, &type, &x, &a)) {
				if (num == 1 && type == 0)
					secs = x;
				else if (num == 2 && type == 0)
					nanos = x;
			}
			break;
		}
		if (secs < 86400 && nanos < 1000000000u)
			r->retry_after_ms = (int64_t)(secs * 1000 + nanos / 1000000);
		return;
	}
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
	} else if (header_value(p, len, "grpc-status-details-bin:", &v,
				&vlen)) {
		retry_info(r, v, vlen);
	} else if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* A new response (after 100 Continue, or a redirect's):
		 * nothing of the last one counts. */
		r->grpc_status = -1;
		r->grpc_retry_info = false;
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
		return -ECONNREFUSED; /* a connection error: retried */
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2_STREAM:
		/* closed or reset in the middle of the reply (a collector
		 * restarting): as gRPC has it, UNAVAILABLE, retried */
		return -ECONNRESET;
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
	r->grpc_retry_info = false;
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
		int err = map_error(rc);

		/* Connection errors and timeouts are the transport's to log
		 * (at info: no collector is a normal state); the rest (TLS,
		 * not HTTP/2, ...) is a configuration problem. */
		if (err == -EIO)
			ts_warn_once("%s export to %s failed: %s (further "
				     "failures are counted, not logged)",
				     grpc ? "gRPC" : "https", url,
				     cu.strerror(rc));
		else if (grpc && (rc == CURLE_GOT_NOTHING ||
				  rc == CURLE_RECV_ERROR ||
				  rc == CURLE_SEND_ERROR))
			/* Also what an HTTP/1.1 server's answer to HTTP/2's
			 * preface looks like through libcurl (nothing read,
			 * or the connection reset under the rest of the
			 * call): retried, and said once. */
			ts_warn_once("gRPC export to %s: the server answered "
				     "nothing HTTP/2 can read, or closed the "
				     "connection (an OTLP/HTTP port? OTLP/gRPC "
				     "is usually port 4317); retrying, spans "
				     "are dropped while this lasts",
				     url);
		return err;
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
