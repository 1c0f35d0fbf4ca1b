/*
 * transport.h - delivery of one encoded batch to an HTTP endpoint, with
 * the OTLP/HTTP retry rules; shared by the OTLP and Zipkin exporters.
 *
 * A batch is POSTed (gzip'ed when asked) through the built-in client for
 * http:// or libcurl for https:// and for gRPC.  Only connection errors and the
 * statuses 429, 502, 503 and 504 are retried, after an exponential
 * backoff with jitter or the server's Retry-After, and only while the
 * next attempt can start before the deadline: the deadline is the
 * earlier of the reporter's (OTEL_BSP_EXPORT_TIMEOUT, or the shutdown
 * bound) and the exporter's own timeout (OTEL_EXPORTER_*_TIMEOUT), as
 * the specification has them nest.  Any other status fails at once.
 * Failures are logged once per kind, then only counted.
 *
 * Threads: reporter thread only; after_fork in a fork child.
 */
#ifndef TS_TRANSPORT_H
#define TS_TRANSPORT_H

#include "buf.h"
#include "http_client.h"
#include "http_curl.h"

#define TS_HEADERS_MAX 8192

struct ts_transport {
	const char *what;           /* "OTLP", "Zipkin": for messages */
	const char *url_str;        /* the endpoint as configured */
	struct ts_url url;          /* parsed; valid only when `usable` */
	bool usable;                /* the URL parsed */
	bool gzip;                  /* compress bodies */
	unsigned timeout_ms;        /* exporter timeout per batch */
	struct ts_tls_files tls;    /* for https:// */
	char headers[TS_HEADERS_MAX]; /* CRLF lines sent with every POST */
	size_t hlen;                /* bytes of headers[] */
	struct ts_http_conn conn;   /* keep-alive connection (http://) */
	struct ts_buf zbuf;         /* compressed body */
	uint64_t rng;               /* jitter state */
	unsigned warned;            /* failure kinds already logged */
	uint64_t attempts;          /* POSTs made (tests, debug) */
	struct ts_http_resp resp;   /* the last response (for exporters) */
	bool grpc;                  /* OTLP/gRPC (ts_transport_use_grpc) */
	char grpc_url[1024 + 64];   /* the endpoint's origin + the method */
	struct ts_buf gbuf;         /* the gRPC-framed message */
};

/*
 * Set t up for `url`.  `content_type` is the body's media type;
 * `user_headers` the raw OTEL_EXPORTER_OTLP_HEADERS-style list (may be
 * NULL), named `headers_var` in warnings.  Warns once about a bad URL
 * (exports then fail) and about bad header entries (skipped).  No I/O.
 */
void ts_transport_init(struct ts_transport *t, const char *what,
		       const char *url, unsigned timeout_ms,
		       const char *content_type, const char *user_headers,
		       const char *headers_var, bool gzip,
		       const struct ts_tls_files *tls);

/*
 * After init: deliver as the gRPC method `path` (OTLP/gRPC's Export) on
 * the endpoint's origin (its path, if any, is not used), over HTTP/2
 * through libcurl: each body one length-prefixed message, compressed as
 * grpc-encoding gzip when asked, and success or failure told by the
 * grpc-status, retried for the codes the OTLP specification has retried.
 * `content_type` given to init should be "application/grpc".
 */
void ts_transport_use_grpc(struct ts_transport *t, const char *path);

/* Deliver body[0, len): 0 when the endpoint accepted it (2xx; gRPC:
 * status OK, the reply's message then in resp.body), -errno. */
int ts_transport_send(struct ts_transport *t, const char *body, size_t len,
		      uint64_t deadline);

void ts_transport_close(struct ts_transport *t);
void ts_transport_after_fork(struct ts_transport *t);

/*
 * Append the header lines of a `k=v,...` list (keys and values percent-
 * decoded, blanks around entries ignored) to dst as "k: v\r\n".  Entries
 * that are malformed, would break the request (CR, LF, NUL, a key that is
 * not an HTTP token) or name a header the transport sets itself are
 * skipped; the first one is copied to bad (NUL-terminated).  Returns the
 * new length of dst, at most cap.
 */
size_t ts_headers_parse(const char *list, char *dst, size_t len, size_t cap,
			char *bad, size_t bad_size);

#endif /* TS_TRANSPORT_H */
