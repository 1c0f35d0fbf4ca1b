/*
 * curl_attr.c - attribute helpers of the libcurl hooks (see curl_attr.h).
 */
#include <string.h>
#include <strings.h>

#include "curl_real.h"
#include "curl_attr.h"
#include "http_attrs.h"
#include "redact.h"

/*
 * Every CURLcode of the curl.h we build with, by its enumerator (so the
 * compiler checks each name), plus the codes later libcurl versions
 * added, which a newer libcurl loaded at run time may return.
 * tests/unit/test_curl_attr.c checks the table against curl.h.
 */
#define N(code) [code] = #code
static const char *const code_names[] = {
	N(CURLE_OK),
	N(CURLE_UNSUPPORTED_PROTOCOL),
	N(CURLE_FAILED_INIT),
	N(CURLE_URL_MALFORMAT),
	N(CURLE_NOT_BUILT_IN),
	N(CURLE_COULDNT_RESOLVE_PROXY),
	N(CURLE_COULDNT_RESOLVE_HOST),
	N(CURLE_COULDNT_CONNECT),
	N(CURLE_WEIRD_SERVER_REPLY),
	N(CURLE_REMOTE_ACCESS_DENIED),
	N(CURLE_FTP_ACCEPT_FAILED),
	N(CURLE_FTP_WEIRD_PASS_REPLY),
	N(CURLE_FTP_ACCEPT_TIMEOUT),
	N(CURLE_FTP_WEIRD_PASV_REPLY),
	N(CURLE_FTP_WEIRD_227_FORMAT),
	N(CURLE_FTP_CANT_GET_HOST),
	N(CURLE_HTTP2),
	N(CURLE_FTP_COULDNT_SET_TYPE),
	N(CURLE_PARTIAL_FILE),
	N(CURLE_FTP_COULDNT_RETR_FILE),
	N(CURLE_OBSOLETE20),
	N(CURLE_QUOTE_ERROR),
	N(CURLE_HTTP_RETURNED_ERROR),
	N(CURLE_WRITE_ERROR),
	N(CURLE_OBSOLETE24),
	N(CURLE_UPLOAD_FAILED),
	N(CURLE_READ_ERROR),
	N(CURLE_OUT_OF_MEMORY),
	N(CURLE_OPERATION_TIMEDOUT),
	N(CURLE_OBSOLETE29),
	N(CURLE_FTP_PORT_FAILED),
	N(CURLE_FTP_COULDNT_USE_REST),
	N(CURLE_OBSOLETE32),
	N(CURLE_RANGE_ERROR),
	N(CURLE_HTTP_POST_ERROR),
	N(CURLE_SSL_CONNECT_ERROR),
	N(CURLE_BAD_DOWNLOAD_RESUME),
	N(CURLE_FILE_COULDNT_READ_FILE),
	N(CURLE_LDAP_CANNOT_BIND),
	N(CURLE_LDAP_SEARCH_FAILED),
	N(CURLE_OBSOLETE40),
	N(CURLE_FUNCTION_NOT_FOUND),
	N(CURLE_ABORTED_BY_CALLBACK),
	N(CURLE_BAD_FUNCTION_ARGUMENT),
	N(CURLE_OBSOLETE44),
	N(CURLE_INTERFACE_FAILED),
	N(CURLE_OBSOLETE46),
	N(CURLE_TOO_MANY_REDIRECTS),
	N(CURLE_UNKNOWN_OPTION),
	N(CURLE_SETOPT_OPTION_SYNTAX),
	N(CURLE_OBSOLETE50),
	N(CURLE_OBSOLETE51),
	N(CURLE_GOT_NOTHING),
	N(CURLE_SSL_ENGINE_NOTFOUND),
	N(CURLE_SSL_ENGINE_SETFAILED),
	N(CURLE_SEND_ERROR),
	N(CURLE_RECV_ERROR),
	N(CURLE_OBSOLETE57),
	N(CURLE_SSL_CERTPROBLEM),
	N(CURLE_SSL_CIPHER),
	N(CURLE_PEER_FAILED_VERIFICATION),
	N(CURLE_BAD_CONTENT_ENCODING),
	N(CURLE_OBSOLETE62),
	N(CURLE_FILESIZE_EXCEEDED),
	N(CURLE_USE_SSL_FAILED),
	N(CURLE_SEND_FAIL_REWIND),
	N(CURLE_SSL_ENGINE_INITFAILED),
	N(CURLE_LOGIN_DENIED),
	N(CURLE_TFTP_NOTFOUND),
	N(CURLE_TFTP_PERM),
	N(CURLE_REMOTE_DISK_FULL),
	N(CURLE_TFTP_ILLEGAL),
	N(CURLE_TFTP_UNKNOWNID),
	N(CURLE_REMOTE_FILE_EXISTS),
	N(CURLE_TFTP_NOSUCHUSER),
	N(CURLE_OBSOLETE75),
	N(CURLE_OBSOLETE76),
	N(CURLE_SSL_CACERT_BADFILE),
	N(CURLE_REMOTE_FILE_NOT_FOUND),
	N(CURLE_SSH),
	N(CURLE_SSL_SHUTDOWN_FAILED),
	N(CURLE_AGAIN),
	N(CURLE_SSL_CRL_BADFILE),
	N(CURLE_SSL_ISSUER_ERROR),
	N(CURLE_FTP_PRET_FAILED),
	N(CURLE_RTSP_CSEQ_ERROR),
	N(CURLE_RTSP_SESSION_ERROR),
	N(CURLE_FTP_BAD_FILE_LIST),
	N(CURLE_CHUNK_FAILED),
	N(CURLE_NO_CONNECTION_AVAILABLE),
	N(CURLE_SSL_PINNEDPUBKEYNOTMATCH),
	N(CURLE_SSL_INVALIDCERTSTATUS),
	N(CURLE_HTTP2_STREAM),
	N(CURLE_RECURSIVE_API_CALL),
	N(CURLE_AUTH_ERROR),
	N(CURLE_HTTP3),
	N(CURLE_QUIC_CONNECT_ERROR),
	N(CURLE_PROXY),
	N(CURLE_SSL_CLIENTCERT),
	N(CURLE_UNRECOVERABLE_POLL),
	[100] = "CURLE_TOO_LARGE",    /* 8.6.0 */
	[101] = "CURLE_ECH_REQUIRED", /* 8.8.0 */
};
#undef N

const char *ts_curl_code_name(int code)
{
	if (code < 0 || (size_t)code >= TS_ARRAY_SIZE(code_names))
		return NULL;
	return code_names[code];
}

/* ---- URLs --------------------------------------------------------------- */

static bool prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

enum ts_curl_scheme ts_curl_url_scheme(const char *url)
{
	const char *sep;

	if (!url || !(sep = strstr(url, "://")))
		return TS_CURL_SCHEME_NONE;
	if ((sep - url == 4 && prefix_ci(url, "http")) ||
	    (sep - url == 2 && prefix_ci(url, "ws")))
		return TS_CURL_SCHEME_HTTP;
	if ((sep - url == 5 && prefix_ci(url, "https")) ||
	    (sep - url == 3 && prefix_ci(url, "wss")))
		return TS_CURL_SCHEME_HTTPS;
	return TS_CURL_SCHEME_OTHER;
}

/* The authority of `url`: [*a, *end), false when it has none. */
static bool authority(const char *url, const char **a, const char **end)
{
	const char *sep = url ? strstr(url, "://") : NULL;
	size_t i;

	if (!sep || sep == url)
		return false;
	for (i = 0; url + i < sep; i++) /* a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789+-.", url[i]))
			return false;
	*a = sep + 3;
	*end = *a + strcspn(*a, "/?#");
	return true;
}

/* The last '@' of the authority [a, end), or NULL. */
static const char *userinfo_end(const char *a, const char *end)
{
	const char *at = NULL, *p;

	for (p = a; p < end; p++)
		if (*p == '@')
			at = p;
	return at;
}

/*
 * url.full as the semantic conventions want it: one redaction for the
 * whole shim (hooks/redact.c), the same as the socket layer's.
 */
size_t ts_curl_url_redact(const char *url, char *buf, size_t size)
{
	if (!size)
		return 0;
	if (!url) {
		buf[0] = '\0';
		return 0;
	}
	return ts_redact_url(url, strlen(url), buf, size);
}

bool ts_curl_url_server(const char *url, const char **host, size_t *hlen,
			int *port)
{
	const char *a, *end, *at, *colon = NULL, *p;
	enum ts_curl_scheme s = ts_curl_url_scheme(url);
	long n = 0;

	if (!authority(url, &a, &end))
		return false;
	at = userinfo_end(a, end);
	if (at)
		a = at + 1;
	if (*a == '[') {
		const char *rb = memchr(a, ']', (size_t)(end - a));

		if (!rb)
			return false;
		*host = a + 1;
		*hlen = (size_t)(rb - a - 1);
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		*host = a;
		*hlen = (size_t)((colon ? colon : end) - a);
	}
	*port = s == TS_CURL_SCHEME_HTTP ? 80 : s == TS_CURL_SCHEME_HTTPS ? 443 : 0;
	if (colon && colon + 1 < end) {
		for (p = colon + 1; p < end && *p >= '0' && *p <= '9' && n < 65536; p++)
			n = n * 10 + (*p - '0');
		if (p == end && n > 0 && n < 65536)
			*port = (int)n;
	}
	return *hlen > 0;
}

/* ---- methods and headers ------------------------------------------------ */

const char *ts_curl_method_known(const char *m)
{
	return m ? ts_http_method_known(m, strlen(m)) : NULL;
}

bool ts_curl_header_is(const char *line, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (!line || strncasecmp(line, name, n) != 0)
		return false;
	line += n;
	if (*line != ':' && *line != ';')
		return false;
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	*value = line;
	return true;
}
