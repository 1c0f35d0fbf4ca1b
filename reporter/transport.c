/*
 * transport.c - POST with retries (see transport.h).
 *
 * What is logged, and at which level: an endpoint that is absent, slow or
 * overloaded (connection errors, timeouts, 429/5xx) is the normal state
 * of a machine without a collector, so it is reported at `info` (the
 * exit summary counts the lost spans); an endpoint that answers and
 * refuses our data (400, 401, 404, ..., or a gRPC status that is not
 * retried) or does not speak HTTP/1.1 at all (a gRPC port) is a
 * configuration problem and gets one warning.  Each kind
 * is logged once per process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../preload/clock.h"
#include "../preload/log.h"
#include "gzip.h"
#include "http_curl.h"
#include "reporter.h"
#include "transport.h"

#define BACKOFF_FIRST_MS 200u
#define BACKOFF_MAX_MS 5000u

enum {
	W_CONNECT = 1u << 0,  /* connection errors */
	W_TIMEOUT = 1u << 1,  /* deadline reached */
	W_RETRY = 1u << 2,    /* 429/502/503/504 */
	W_REJECT = 1u << 3,   /* other statuses */
	W_PROTO = 1u << 4,    /* not an HTTP reply */
	W_GZIP = 1u << 5,     /* compression failed */
};

/* --- header lists ------------------------------------------------------ */

/* Percent-decode p[0, n) into out; false on a bad escape or a byte that
 * cannot be in a header (CR, LF, NUL, other controls but tab). */
static bool decode(const char *p, size_t n, char *out, size_t cap,
		   size_t *olen)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n || ts_hexval(p[i + 1]) < 0 ||
			    ts_hexval(p[i + 2]) < 0)
				return false;
			c = (unsigned char)(ts_hexval(p[i + 1]) << 4 |
					    ts_hexval(p[i + 2]));
			i += 2;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f || o + 1 >= cap)
			return false;
		out[o++] = (char)c;
	}
	*olen = o;
	return true;
}

static bool is_token(const char *p, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
						 (c | 0x20) <= 'z') ||
		      (c && strchr(extra, c))))
			return false;
	}
	return true;
}

/* Headers the transport writes itself. */
static bool is_reserved(const char *k, size_t n)
{
	static const char *const names[] = {
		"host", "content-length", "content-type", "content-encoding",
		"transfer-encoding", "connection", "expect", "te", "upgrade",
	};

	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !strncasecmp(k, names[i], n))
			return true;
	return false;
}

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* One `k=v` entry appended to dst; false when it is skipped. */
static bool add_entry(const char *e, size_t n, char *dst, size_t *len,
		      size_t cap)
{
	const char *eq = memchr(e, '=', n), *v;
	char key[256], val[4096];
	size_t kn, vn, kl, vl;

	if (!eq)
		return false;
	kn = (size_t)(eq - e);
	v = eq + 1;
	vn = n - kn - 1;
	trim(&e, &kn);
	trim(&v, &vn);
	if (!decode(e, kn, key, sizeof(key), &kl) || !is_token(key, kl) ||
	    is_reserved(key, kl) || !decode(v, vn, val, sizeof(val), &vl))
		return false;
	if (*len + kl + vl + 4 > cap)
		return false;
	memcpy(dst + *len, key, kl);
	memcpy(dst + *len + kl, ": ", 2);
	memcpy(dst + *len + kl + 2, val, vl);
	memcpy(dst + *len + kl + 2 + vl, "\r\n", 2);
	*len += kl + vl + 4;
	return true;
}

size_t ts_headers_parse(const char *list, char *dst, size_t len, size_t cap,
			char *bad, size_t bad_size)
{
	const char *p = list, *e;
	size_t n;

	if (bad_size)
		bad[0] = '\0';
	while (p && *p) {
		n = strcspn(p, ",");
		e = p;
		trim(&e, &n);
		if (n && !add_entry(e, n, dst, &len, cap) && bad_size &&
		    !bad[0]) {
			size_t k = n < bad_size - 1 ? n : bad_size - 1;

			memcpy(bad, e, k);
			bad[k] = '\0';
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return len;
}

/* --- set-up ------------------------------------------------------------ */

static size_t put_line(char *dst, size_t len, size_t cap, const char *a,
		       const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (len + la + lb + 2 > cap)
		return len;
	memcpy(dst + len, a, la);
	memcpy(dst + len + la, b, lb);
	memcpy(dst + len + la + lb, "\r\n", 2);
	return len + la + lb + 2;
}

void ts_transport_init(struct ts_transport *t, const char *what,
		       const char *url, unsigned timeout_ms,
		       const char *content_type, const char *user_headers,
		       const char *headers_var, bool gzip,
		       const struct ts_tls_files *tls)
{
	char bad[64];

	memset(t, 0, sizeof(*t));
	t->what = what;
	t->url_str = url;
	t->timeout_ms = timeout_ms;
	t->gzip = gzip;
	t->tls = *tls;
	ts_http_conn_init(&t->conn);
	t->rng = ts_clock_mono_ns() ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)(uintptr_t)t;
	t->usable = ts_url_parse(url, &t->url) == 0;
	if (t->usable && t->url.https)
		ts_curl_want();
	if (!t->usable)
		ts_warn("%s endpoint \"%s\" is not a valid http:// or "
			"https:// URL (host[:port] without credentials); "
			"spans for it are dropped",
			what, url);
	t->hlen = put_line(t->headers, 0, sizeof(t->headers),
			   "Content-Type: ", content_type);
	t->hlen = put_line(t->headers, t->hlen, sizeof(t->headers),
			   "User-Agent: ", "traceshim/" TS_VERSION);
	if (user_headers && user_headers[0]) {
		t->hlen = ts_headers_parse(user_headers, t->headers, t->hlen,
					   sizeof(t->headers) - 64, bad,
					   sizeof(bad));
		if (bad[0])
			ts_warn("%s: entry \"%s\" is not a valid `key=value` "
				"header (or names a header the exporter "
				"sets); skipped",
				headers_var, bad);
	}
}

void ts_transport_use_grpc(struct ts_transport *t, const char *path)
{
	const char *p = strstr(t->url_str, "://");
	size_t n = p ? (size_t)(p + 3 - t->url_str) : 0;

	n += strcspn(t->url_str + n, "/?#");
	t->grpc = true;
	if (n + strlen(path) < sizeof(t->grpc_url)) {
		memcpy(t->grpc_url, t->url_str, n);
		strcpy(t->grpc_url + n, path);
	} else {
		t->usable = false; /* ts_transport_init's URLs are shorter */
	}
	t->hlen = put_line(t->headers, t->hlen, sizeof(t->headers), "TE: ",
			   "trailers");
	if (t->usable)
		ts_curl_want();
}

/* --- sending ----------------------------------------------------------- */

static uint64_t next_rand(struct ts_transport *t)
{
	/* xorshift64*: jitter only, no quality needed. */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 2685821657736338717ull;
}

static bool status_is_retryable(int s)
{
	return s == 429 || s == 502 || s == 503 || s == 504;
}

static bool error_is_retryable(int err)
{
	return err != -ETIMEDOUT && err != -ENOSYS && err != -EINVAL &&
	       err != -ENOMEM && err != -EPROTO && err != -EIO &&
	       err != -EFBIG && err != -EPROTONOSUPPORT;
}

static void sleep_until(uint64_t when)
{
	struct timespec ts;
	uint64_t now;

	while ((now = ts_clock_mono_ns()) < when) {
		ts.tv_sec = (time_t)((when - now) / 1000000000u);
		ts.tv_nsec = (long)((when - now) % 1000000000u);
		nanosleep(&ts, NULL);
	}
}

/* The message, framed as gRPC frames it: compressed flag, length (BE). */
static bool grpc_frame(struct ts_transport *t, const char *body, size_t len,
		       bool gz)
{
	unsigned char pre[5];

	if (len > 0xffffffffu)
		return false;
	pre[0] = gz ? 1 : 0;
	pre[1] = (unsigned char)(len >> 24);
	pre[2] = (unsigned char)(len >> 16);
	pre[3] = (unsigned char)(len >> 8);
	pre[4] = (unsigned char)len;
	ts_buf_reset(&t->gbuf);
	ts_buf_put(&t->gbuf, pre, sizeof(pre));
	ts_buf_put(&t->gbuf, body, len);
	return !t->gbuf.failed;
}

static int attempt(struct ts_transport *t, const char *body, size_t len,
		   bool gz, struct ts_http_resp *r, uint64_t deadline)
{
	size_t hlen = t->hlen;

	if (gz) /* room kept by ts_transport_init */
		hlen = t->grpc ? put_line(t->headers, hlen, sizeof(t->headers),
					  "grpc-encoding: ", "gzip")
			       : put_line(t->headers, hlen, sizeof(t->headers),
					  "Content-Encoding: ", "gzip");
	t->attempts++;
	if (t->grpc) {
		uint64_t now = ts_clock_mono_ns(), ms;
		char v[24];

		/* The call's deadline, for the server to give up with us. */
		ms = deadline > now ? (deadline - now) / 1000000u : 0;
		snprintf(v, sizeof(v), "%llum",
			 (unsigned long long)(ms < 1 ? 1 : ms > 99999999u ? 99999999u : ms));
		hlen = put_line(t->headers, hlen, sizeof(t->headers),
				"grpc-timeout: ", v);
		if (!grpc_frame(t, body, len, gz))
			return -ENOMEM;
		return ts_curl_post(t->grpc_url, &t->tls, t->headers, hlen,
				    t->gbuf.data, t->gbuf.len, r, deadline,
				    true);
	}
	if (t->url.https)
		return ts_curl_post(t->url_str, &t->tls, t->headers, hlen,
				    body, len, r, deadline, false);
	return ts_http_post(&t->conn, &t->url, t->headers, hlen, body, len, r,
			    deadline);
}

/* --- gRPC status --------------------------------------------------------- */

static const char *const grpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
	"DATA_LOSS", "UNAUTHENTICATED",
};

static const char *grpc_name(int code)
{
	return code >= 0 && code < (int)(sizeof(grpc_names) / sizeof(*grpc_names))
		       ? grpc_names[code]
		       : "?";
}

/*
 * The call's status: grpc-status when the HTTP response is a 200, else
 * the code gRPC's own mapping gives the HTTP status; UNKNOWN when a 200
 * carries none.
 */
static int grpc_code(const struct ts_http_resp *r)
{
	switch (r->status) {
	case 200:
		return r->grpc_status >= 0 ? r->grpc_status : 2;
	case 400:
		return 13; /* INTERNAL */
	case 401:
		return 16; /* UNAUTHENTICATED */
	case 403:
		return 7;  /* PERMISSION_DENIED */
	case 404:
		return 12; /* UNIMPLEMENTED */
	case 429:
	case 502:
	case 503:
	case 504:
		return 14; /* UNAVAILABLE */
	default:
		return 2;  /* UNKNOWN */
	}
}

/* OTLP/gRPC: the codes that may succeed when retried; RESOURCE_EXHAUSTED
 * only when the server sent a RetryInfo (whose delay backoff() waits). */
static bool grpc_retryable(const struct ts_http_resp *r)
{
	int code = r->grpc_status;

	return code == 1 || code == 4 || code == 10 || code == 11 ||
	       code == 14 || code == 15 || (code == 8 && r->grpc_retry_info);
}

/* A successful call's reply: the message without its 5-byte prefix. */
static void grpc_unframe(struct ts_http_resp *r)
{
	if (r->body_len >= 5 && r->body[0] == 0) {
		memmove(r->body, r->body + 5, r->body_len - 5);
		r->body_len -= 5;
		r->body[r->body_len] = '\0';
	} else {
		r->body_len = 0; /* compressed, or cut: not read */
		r->body[0] = '\0';
	}
}

static void log_failure(struct ts_transport *t, unsigned kind, int err,
			const struct ts_http_resp *r)
{
	if (t->warned & kind)
		return;
	t->warned |= kind;
	if (kind == W_REJECT && t->grpc)
		ts_warn("%s export to %s was refused: gRPC status %d %s "
			"\"%s\"; the batch is dropped, not retried (further "
			"refusals are counted, not logged)",
			t->what, t->grpc_url, r->grpc_status,
			grpc_name(r->grpc_status), r->grpc_message);
	else if (kind == W_RETRY && t->grpc)
		ts_info("%s endpoint %s answered gRPC status %d %s; retrying "
			"within the export timeout, dropping what cannot wait",
			t->what, t->grpc_url, r->grpc_status,
			grpc_name(r->grpc_status));
	else if (kind == W_REJECT)
		ts_warn("%s export to %s was refused: HTTP %d \"%.120s\"; the "
			"batch is dropped, not retried (further refusals are "
			"counted, not logged)",
			t->what, t->url_str, r->status, r->body);
	else if (kind == W_PROTO)
		ts_warn("%s endpoint %s does not answer HTTP/1.1 (a gRPC port? "
			"OTLP over HTTP is usually port 4318, or set "
			"OTEL_EXPORTER_OTLP_PROTOCOL=grpc); spans are dropped",
			t->what, t->url_str);
	else if (kind == W_RETRY)
		ts_info("%s endpoint %s answered HTTP %d; retrying within the "
			"export timeout, dropping what cannot wait",
			t->what, t->url_str, r->status);
	else
		ts_info("%s export to %s failed: %s; spans are dropped while "
			"this lasts",
			t->what, t->url_str,
			kind == W_TIMEOUT ? "timed out" : strerror(-err));
}

/*
 * Wait before the next attempt; false when it could not start in time,
 * or when the program exits meanwhile and the failure was a connection
 * error (the exit bound is better spent on nothing than on a collector
 * that is not there; a server that asked us to wait gets its retry).
 */
static bool backoff(struct ts_transport *t, unsigned n, int err,
		    const struct ts_http_resp *r, uint64_t deadline)
{
	uint64_t ms, when;

	if (r->retry_after_ms >= 0) {
		ms = (uint64_t)r->retry_after_ms;
	} else {
		ms = BACKOFF_FIRST_MS << (n < 8 ? n : 8);
		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		ms = ms / 2 + next_rand(t) % (ms / 2 + 1); /* [ms/2, ms] */
	}
	when = ts_clock_mono_ns() + ms * 1000000u;
	if (when >= deadline)
		return false;
	if (!ts_reporter_sleep_until(when)) {
		if (err)
			return false;
		sleep_until(when);
	}
	return true;
}

int ts_transport_send(struct ts_transport *t, const char *body, size_t len,
		      uint64_t deadline)
{
	uint64_t own = ts_clock_mono_ns() + (uint64_t)t->timeout_ms * 1000000u;
	struct ts_http_resp *rp = &t->resp;
	bool gz = false;
	unsigned n;
	int err;

	if (!t->usable)
		return -EINVAL;
	if (own < deadline)
		deadline = own;
	if (t->gzip) {
		err = ts_gzip(&t->zbuf, body, len);
		if (err == 0) {
			body = t->zbuf.data;
			len = t->zbuf.len;
			gz = true;
		} else if (err != -ENOSYS && !(t->warned & W_GZIP)) {
			t->warned |= W_GZIP;
			ts_warn("gzip failed: %s; sending uncompressed",
				strerror(-err));
		}
	}
	for (n = 0;; n++) {
		err = attempt(t, body, len, gz, rp, deadline);
		if (err == 0 && t->grpc) {
			rp->grpc_status = grpc_code(rp);
			if (rp->grpc_status == 0) {
				grpc_unframe(rp);
				return 0;
			}
			if (!grpc_retryable(rp)) {
				log_failure(t, W_REJECT, 0, rp);
				return -EREMOTEIO;
			}
		} else if (err == 0 && rp->status >= 200 && rp->status < 300) {
			return 0;
		}
		if (err == 0 && !t->grpc && !status_is_retryable(rp->status)) {
			log_failure(t, W_REJECT, 0, rp);
			return -EREMOTEIO;
		}
		if (err && !error_is_retryable(err)) {
			if (err != -ENOSYS && err != -EPROTONOSUPPORT)
				log_failure(t, err == -ETIMEDOUT ? W_TIMEOUT
					       : err == -EPROTO  ? W_PROTO
								 : W_CONNECT,
					    err, rp);
			return err;
		}
		log_failure(t, err ? W_CONNECT : W_RETRY, err, rp);
		/* At exit nobody listening will not change within the bound:
		 * the program's exit is not delayed for it. */
		if (err == -ECONNREFUSED && ts_reporter_is_stopping())
			return err;
		if (!backoff(t, n, err, rp, deadline))
			return err ? err : -EAGAIN;
	}
}

void ts_transport_close(struct ts_transport *t)
{
	ts_http_close(&t->conn);
	ts_buf_free(&t->zbuf);
	ts_buf_free(&t->gbuf);
	ts_gzip_free();
	ts_curl_free();
}

void ts_transport_after_fork(struct ts_transport *t)
{
	ts_http_after_fork(&t->conn);
	memset(&t->zbuf, 0, sizeof(t->zbuf));
	memset(&t->gbuf, 0, sizeof(t->gbuf));
	ts_gzip_after_fork();
	ts_curl_after_fork();
	t->rng ^= (uint64_t)getpid() << 17; /* children must not jitter alike */
}
