/*
 * redact.h - privacy by default: what never leaves the process.
 *
 * url.full and url.query follow the OpenTelemetry semantic conventions
 * (model/url/registry.yaml):
 *   - credentials in a URL ("https://user:pass@host/") become
 *     "REDACTED:REDACTED" (user name alone too: whether a password was
 *     there is not told either);
 *   - the values of signed-URL and credential query parameters become
 *     "REDACTED", their names kept ("color=blue&sig=REDACTED").
 * The built-in parameter names are the conventions' list, X-Amz-Signature,
 * X-Amz-Credential, X-Amz-Security-Token, AWSAccessKeyId, Signature, sig
 * and X-Goog-Signature, plus the OAuth 2.0 / OpenID Connect parameters
 * that carry credentials and are sent in URLs: access_token (RFC 6750
 * section 2.3 puts bearer tokens in the query, and its section 5.3 warns
 * that such URLs get logged), refresh_token, id_token and client_secret.
 * TRACESHIM_REDACT_QUERY_PARAMS adds names (comma list; it cannot remove
 * the built-in ones: privacy by default).  As the conventions ask, names
 * match case-sensitively; they are compared percent-decoded ("%73ig" is
 * sig to the server, so it is to us).  '&', ';' and '?' all separate
 * parameters (some servers split on ';', hash-routed pages put a query in
 * the fragment, "#/cb?access_token=...", and a secret must not hide behind
 * a separator we did not split on; splitting too often only ever redacts
 * more), and the same rule is applied to a fragment, which may carry
 * "#access_token=..." (OAuth implicit flow).
 *
 * Some request headers are never recorded, even when header capture asks
 * for them: see ts_redact_header_forbidden().
 *
 * Output contract of the ts_redact_* string functions: they read exactly
 * `len` bytes of the input (no NUL needed), write at most size - 1 bytes
 * and a NUL into `out` (nothing when size is 0), and return the length
 * written.  When `out` is too small the output is cut cleanly: never
 * inside "REDACTED" (all of it or none), a %XX escape or a UTF-8 sequence,
 * and a redacted value's bytes are never copied, so no part of a secret
 * can leak through a cut.
 *
 * Threads: ts_redact_configure() runs once, at start-up; the rest are
 * reentrant, async-signal-safe, and allocate nothing.
 */
#ifndef TS_HOOKS_REDACT_H
#define TS_HOOKS_REDACT_H

#include "../preload/common.h"

#define TS_REDACT_MAX_EXTRA 32      /* configured names kept */
#define TS_REDACT_NAME_MAX 64       /* bytes of one configured name */
#define TS_REDACTED "REDACTED"

/*
 * Compile TRACESHIM_REDACT_QUERY_PARAMS (`extra`; NULL or blank: the
 * built-in names only) into static storage, replacing earlier extras.
 * Entries are trimmed; empty ones are skipped.  An entry that is longer
 * than TS_REDACT_NAME_MAX, holds a blank, control byte, '&', ';', '=', '#'
 * or '?', or comes after TS_REDACT_MAX_EXTRA others gives one warning and
 * is ignored.  Returns the number of invalid entries.
 */
int ts_redact_configure(const char *extra);

/* A query string (without the '?') with sensitive values redacted. */
size_t ts_redact_query(const char *q, size_t len, char *out, size_t size);

/*
 * A URL, "scheme://[userinfo@]host[:port][/path][?query][#fragment]" (also
 * without a scheme, as libcurl accepts: "user:pw@host/path"), with the
 * userinfo replaced by "REDACTED:REDACTED" and the query and fragment
 * redacted as by ts_redact_query().  The fragment is kept, as the
 * conventions ask of url.full when it is known.  Everything else byte for
 * byte.  A relative reference ("/path?q") only has its query and fragment
 * redacted.
 */
size_t ts_redact_url(const char *url, size_t len, char *out, size_t size);

/*
 * True for the request and response headers that are never recorded:
 * credentials and session secrets.  Case-insensitive, surrounding blanks
 * ignored: Authorization, Proxy-Authorization, Cookie, Set-Cookie (the
 * issue's list, and what Elastic APM, Sentry and Datadog drop by default),
 * Cookie2 and Set-Cookie2 (RFC 2965's cookies), X-Api-Key (AWS API
 * Gateway and many APIs), X-Auth-Token (OpenStack and others),
 * X-Amz-Security-Token (the STS session token, redacted in URLs by the
 * conventions, so in headers too), X-Goog-Api-Key, X-CSRF-Token and
 * X-XSRF-Token (tokens bound to a session).
 */
bool ts_redact_header_forbidden(const char *name, size_t len);

/* True when parameter name `name`/`len` (raw, percent-encoded as sent)
 * is one whose value is redacted. */
bool ts_redact_param_is_sensitive(const char *name, size_t len);

/*
 * One command-line argument as it may be recorded (process.command_args):
 * a URL in it redacted as by ts_redact_url(), a header line of a
 * never-recorded header ("Authorization: Bearer ...") and the value of an
 * option or variable whose name says password, secret, token, api key or
 * credential ("--password=...", "DB_TOKEN=...") replaced by REDACTED.
 * Same output contract as the others.  Arguments that carry a secret in a
 * form of their own ("-p secret") cannot be told apart and are kept.
 */
size_t ts_redact_arg(const char *arg, size_t len, char *out, size_t size);

#endif /* TS_HOOKS_REDACT_H */
