/*
 * curl_attr.h - what the libcurl hooks derive from libcurl's values:
 * CURLcode names, url.full with secrets redacted, server address and
 * port from a URL, method normalisation, header-list lines.
 *
 * Threads: pure functions of their arguments; they never allocate.
 */
#ifndef TS_HOOKS_CURL_ATTR_H
#define TS_HOOKS_CURL_ATTR_H

#include <stddef.h>

#include "../preload/common.h"

/* "CURLE_COULDNT_CONNECT" for 7, ...; NULL for a code we do not know. */
const char *ts_curl_code_name(int code);

enum ts_curl_scheme {
	TS_CURL_SCHEME_NONE = 0, /* no "scheme://" prefix (libcurl guesses) */
	TS_CURL_SCHEME_HTTP,     /* http, ws */
	TS_CURL_SCHEME_HTTPS,    /* https, wss */
	TS_CURL_SCHEME_OTHER,    /* ftp, smtp, file, ... */
};

/* The scheme class of `url` (case-insensitive), which may be NULL. */
enum ts_curl_scheme ts_curl_url_scheme(const char *url);

/*
 * `url` as url.full, into out (NUL-terminated, cut to size - 1): the
 * user name and password replaced with REDACTED, and the values of the
 * query parameters AWSAccessKeyId, Signature, sig and X-Goog-Signature
 * replaced with REDACTED (OpenTelemetry HTTP semantic conventions).
 * Returns the length written.
 */
size_t ts_curl_url_redact(const char *url, char *out, size_t size);

/*
 * The host of `url` (IPv6 literals without their brackets) through
 * host/hlen, and its port: the explicit one, or the scheme's default (80
 * for http/ws, 443 for https/wss, 0 when unknown).  False when the URL
 * has no authority.
 */
bool ts_curl_url_server(const char *url, const char **host, size_t *hlen,
			int *port);

/* `m` when it is a method the HTTP semantic conventions know, else NULL. */
const char *ts_curl_method_known(const char *m);

/*
 * True when the header-list line `line` is header `name` (compared
 * case-insensitively): "Name: value" (a header sent), "Name:" (one
 * libcurl removes) or "Name;" (one sent empty).  *value points at the
 * value with leading blanks skipped (empty for the last two forms).
 */
bool ts_curl_header_is(const char *line, const char *name,
		       const char **value);

#endif /* TS_HOOKS_CURL_ATTR_H */
