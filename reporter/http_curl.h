/*
 * http_curl.h - https:// and gRPC exports through libcurl, loaded on
 * demand.
 *
 * libcurl is dlopen'ed ("libcurl.so.4") by the reporter thread at the
 * first https:// or gRPC export, never linked and never loaded otherwise.
 * Its functions are looked up in its own handle, so hooks the shim places on
 * libcurl for the application never see these calls (and the reporter
 * holds the reentrancy guard anyway).  One easy handle is kept, so its
 * TLS connection is reused between batches.  Without libcurl there is one
 * clear warning and every https export fails with -ENOSYS.
 *
 * Threads: reporter thread only.
 */
#ifndef TS_HTTP_CURL_H
#define TS_HTTP_CURL_H

#include "http_client.h"

struct ts_tls_files {
	const char *ca_file;     /* trusted CA bundle, "" for the system's */
	const char *client_cert; /* client certificate (PEM), "" for none */
	const char *client_key;  /* its key (PEM), "" for none */
};

/*
 * POST like ts_http_post, to the full URL `url`.  `headers` are CRLF-
 * terminated lines.  0 with *r filled, -ENOSYS without libcurl,
 * -ETIMEDOUT, -ECONNREFUSED or -EIO (TLS and other failures) otherwise.
 * `grpc`: over HTTP/2 (with prior knowledge on http://), and the
 * grpc-status and grpc-message of the headers or trailers into *r;
 * -EPROTONOSUPPORT when this libcurl has no HTTP/2.
 */
int ts_curl_post(const char *url, const struct ts_tls_files *tls,
		 const char *headers, size_t hlen, const char *body,
		 size_t blen, struct ts_http_resp *r, uint64_t deadline,
		 bool grpc);

/* Fork child: forget the parent's handle (leaked, never touched). */
/* A transport will post through libcurl (https://, gRPC: its set-up);
 * whether one will. */
void ts_curl_want(void);
bool ts_curl_wanted(void);

/* On the reporter thread at its start: load libcurl now if one will be
 * needed, never for the first time while the process exits. */
void ts_curl_prepare(void);

void ts_curl_after_fork(void);

/* Release the easy handle (reporter shutdown). */
void ts_curl_free(void);

#endif /* TS_HTTP_CURL_H */
