/*
 * redact.c - URL and query redaction, never-recorded headers (see
 * redact.h).
 *
 * The extra parameter names are static storage written once by
 * ts_redact_configure() at start-up and only read afterwards; the string
 * functions keep no state.
 */
#include <string.h>
#include <strings.h>

#include "../preload/log.h"
#include "../preload/quote.h"
#include "redact.h"

#define USERINFO TS_REDACTED ":" TS_REDACTED "@"

struct name {
	const char *s;
	size_t len;
};

#define N(lit) { lit, sizeof(lit) - 1 }

/* The semantic conventions' list, then OAuth 2.0 / OIDC credentials. */
static const struct name builtin[] = {
	N("X-Amz-Signature"), N("X-Amz-Credential"), N("X-Amz-Security-Token"),
	N("AWSAccessKeyId"),  N("Signature"),        N("sig"),
	N("X-Goog-Signature"), N("access_token"),    N("refresh_token"),
	N("id_token"),        N("client_secret"),
};

/* Never-recorded headers, lower case (see redact.h for the reasons). */
static const struct name forbidden[] = {
	N("authorization"), N("proxy-authorization"), N("cookie"),
	N("set-cookie"),    N("cookie2"),             N("set-cookie2"),
	N("x-api-key"),     N("x-auth-token"),        N("x-amz-security-token"),
	N("x-goog-api-key"), N("x-csrf-token"),       N("x-xsrf-token"),
};

#undef N

static char extra_text[TS_REDACT_MAX_EXTRA][TS_REDACT_NAME_MAX + 1];
static struct name extra[TS_REDACT_MAX_EXTRA]; /* configured names */
static unsigned nextra;                        /* used entries */

/* ---- configuration -------------------------------------------------------- */

static const char *name_problem(const char *s, size_t n)
{
	if (n > TS_REDACT_NAME_MAX)
		return "longer than 64 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '&' || c == ';' || c == '=' ||
		    c == '#' || c == '?')
			return "a parameter name holds no blank, control byte, "
			       "'&', ';', '=', '#' or '?'";
	}
	return NULL;
}

static void add_name(const char *s, size_t n, int *bad)
{
	const char *why = name_problem(s, n);
	char q[80];

	if (!why && nextra == TS_REDACT_MAX_EXTRA)
		why = "more than 32 names";
	if (why) {
		if (++*bad <= TS_WARN_ENTRIES)
			ts_warn("TRACESHIM_REDACT_QUERY_PARAMS: \"%s\" ignored: "
				"%s",
				ts_quote(q, sizeof(q), s, n), why);
		return;
	}
	memcpy(extra_text[nextra], s, n);
	extra_text[nextra][n] = '\0';
	extra[nextra].s = extra_text[nextra];
	extra[nextra].len = n;
	nextra++;
}

int ts_redact_configure(const char *spec)
{
	int bad = 0;

	nextra = 0;
	if (!spec)
		return 0;
	while (*spec) {
		size_t len = strcspn(spec, ","), n = len;
		const char *s = spec;

		while (n && (*s == ' ' || *s == '\t' || *s == '\n'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			     s[n - 1] == '\n' || s[n - 1] == '\r'))
			n--;
		if (n)
			add_name(s, n, &bad);
		spec += len;
		if (*spec == ',')
			spec++;
	}
	if (bad > TS_WARN_ENTRIES)
		ts_warn("TRACESHIM_REDACT_QUERY_PARAMS: %d more names ignored "
			"(not listed)",
			bad - TS_WARN_ENTRIES);
	return bad;
}

/* ---- matching --------------------------------------------------------------- */

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does raw name `r` percent-decode to exactly `name`? */
static bool decodes_to(const char *r, size_t rn, const struct name *name)
{
	size_t i = 0, j = 0;

	if (rn < name->len)
		return false; /* decoding only shortens */
	while (i < rn) {
		unsigned char c = (unsigned char)r[i];
		int hi, lo;

		if (c == '%' && i + 2 < rn &&
		    (hi = hex_val((unsigned char)r[i + 1])) >= 0 &&
		    (lo = hex_val((unsigned char)r[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		} else {
			i++;
		}
		if (j >= name->len || (unsigned char)name->s[j] != c)
			return false;
		j++;
	}
	return j == name->len;
}

bool ts_redact_param_is_sensitive(const char *name, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < TS_ARRAY_SIZE(builtin); i++)
		if (decodes_to(name, len, &builtin[i]))
			return true;
	for (i = 0; i < nextra; i++)
		if (decodes_to(name, len, &extra[i]))
			return true;
	return false;
}

bool ts_redact_header_forbidden(const char *name, size_t len)
{
	while (len && (*name == ' ' || *name == '\t'))
		name++, len--;
	while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < TS_ARRAY_SIZE(forbidden); i++)
		if (forbidden[i].len == len &&
		    !strncasecmp(name, forbidden[i].s, len))
			return true;
	return false;
}

/* ---- output ------------------------------------------------------------------ */

/* The output buffer: once something did not fit, nothing more goes in. */
struct out {
	char *p;
	size_t o;     /* bytes written */
	size_t room;  /* size - 1: bytes that may be written */
	bool full;    /* something was cut: stop */
};

/* How many bytes of s may be kept when only k (fewer than all) fit. */
static size_t clean_cut(const char *s, size_t k)
{
	size_t back = 0;

	/* Not inside a UTF-8 sequence: s[k] must start a character. */
	while (k && back < 3 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--, back++;
	/* Not inside a %XX escape. */
	if (k >= 1 && s[k - 1] == '%')
		k -= 1;
	else if (k >= 2 && s[k - 2] == '%')
		k -= 2;
	return k;
}

static void put_raw(struct out *w, const char *s, size_t n)
{
	size_t k;

	if (w->full || !n)
		return;
	k = w->room - w->o;
	if (n > k) {
		k = clean_cut(s, k);
		w->full = true;
	} else {
		k = n;
	}
	memcpy(w->p + w->o, s, k);
	w->o += k;
}

/* All of `s` or, when it does not fit, none of it. */
static void put_whole(struct out *w, const char *s, size_t n)
{
	if (w->full)
		return;
	if (n > w->room - w->o) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->o, s, n);
	w->o += n;
}

/* `q`/`len`, parameters split at '&', ';' and '?', sensitive values
 * replaced. */
static void put_params(struct out *w, const char *q, size_t len)
{
	size_t i = 0, raw = 0; /* raw: start of bytes not yet copied */

	while (i < len && !w->full) {
		size_t end = i, eq = len;

		while (end < len && q[end] != '&' && q[end] != ';' &&
		       q[end] != '?') {
			if (q[end] == '=' && eq == len)
				eq = end;
			end++;
		}
		if (eq < end && ts_redact_param_is_sensitive(q + i, eq - i)) {
			put_raw(w, q + raw, eq + 1 - raw);
			put_whole(w, TS_REDACTED, sizeof(TS_REDACTED) - 1);
			raw = end; /* the value is skipped, never copied */
		}
		i = end + 1;
	}
	if (raw < len)
		put_raw(w, q + raw, len - raw);
}

static size_t finish(struct out *w)
{
	w->p[w->o] = '\0';
	return w->o;
}

size_t ts_redact_query(const char *q, size_t len, char *out, size_t size)
{
	struct out w = { out, 0, size ? size - 1 : 0, false };

	if (!size)
		return 0;
	put_params(&w, q, len);
	return finish(&w);
}

/* Length of "scheme:" when `u` starts with "scheme://", else 0. */
static size_t scheme_len(const char *u, size_t len)
{
	size_t i;

	if (!len || !((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = u[i];

		if (c == ':')
			break;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
			return 0;
	}
	if (i + 2 < len && u[i + 1] == '/' && u[i + 2] == '/')
		return i + 1;
	return 0;
}

size_t ts_redact_url(const char *url, size_t len, char *out, size_t size)
{
	struct out w = { out, 0, size ? size - 1 : 0, false };
	size_t auth, end, at, rest = 0, hash, qm;

	if (!size)
		return 0;
	/* Where the authority starts: after "scheme://", after a leading
	 * "//", or at once for a scheme-less "user:pw@host/..."; a relative
	 * reference ("/path") has none. */
	auth = scheme_len(url, len);
	if (auth)
		auth += 2;
	else if (len >= 2 && url[0] == '/' && url[1] == '/')
		auth = 2;
	else if (len && url[0] == '/')
		auth = len;
	for (end = auth; end < len; end++)
		if (url[end] == '/' || url[end] == '?' || url[end] == '#')
			break;
	for (at = end; at > auth; at--)
		if (url[at - 1] == '@')
			break;
	if (at > auth) { /* the last '@': a password may hold an unescaped '@' */
		put_raw(&w, url, auth);
		put_whole(&w, USERINFO, sizeof(USERINFO) - 1);
		rest = at;
	}
	hash = rest;
	while (hash < len && url[hash] != '#')
		hash++;
	qm = rest;
	while (qm < hash && url[qm] != '?')
		qm++;
	put_raw(&w, url + rest, qm - rest);
	if (qm < hash) {
		put_raw(&w, "?", 1);
		put_params(&w, url + qm + 1, hash - qm - 1);
	}
	if (hash < len) {
		put_raw(&w, "#", 1);
		put_params(&w, url + hash + 1, len - hash - 1);
	}
	return finish(&w);
}

/* ---- command-line arguments ------------------------------------------------ */

/* Does `key` (an option or variable name) name a secret? */
static bool secret_key(const char *k, size_t n)
{
	static const char *const words[] = { "password", "passwd", "pwd",
					     "secret", "token", "apikey",
					     "api-key", "api_key", "credential" };
	size_t i, j, wl;

	while (n && *k == '-') /* --password=..., -token=... */
		k++, n--;
	for (i = 0; i < TS_ARRAY_SIZE(words); i++) {
		wl = strlen(words[i]);
		for (j = 0; j + wl <= n; j++)
			if (!strncasecmp(k + j, words[i], wl))
				return true;
	}
	return false;
}

size_t ts_redact_arg(const char *arg, size_t len, char *out, size_t size)
{
	const char *colon = memchr(arg, ':', len), *eq = memchr(arg, '=', len);
	struct out w = { out, 0, size ? size - 1 : 0, false };
	size_t k;

	if (!size)
		return 0;
	/* A URL anywhere in it (--url=http://u:p@h/?sig=...). */
	for (k = 0; k + 3 <= len; k++)
		if (!memcmp(arg + k, "://", 3))
			break;
	if (k + 3 <= len) {
		while (k && arg[k - 1] != '=' && arg[k - 1] != ' ')
			k--; /* back to the scheme's start */
		put_raw(&w, arg, k);
		if (w.full)
			return finish(&w);
		return w.o + ts_redact_url(arg + k, len - k, out + w.o,
					   size - w.o);
	}
	/* A header line as an argument ("Authorization: Bearer ..."). */
	if (colon && ts_redact_header_forbidden(arg, (size_t)(colon - arg))) {
		put_raw(&w, arg, (size_t)(colon - arg) + 1);
		put_whole(&w, " " TS_REDACTED, sizeof(TS_REDACTED));
		return finish(&w);
	}
	/* --password=..., DB_TOKEN=... */
	if (eq && secret_key(arg, (size_t)(eq - arg))) {
		put_raw(&w, arg, (size_t)(eq - arg) + 1);
		put_whole(&w, TS_REDACTED, sizeof(TS_REDACTED) - 1);
		return finish(&w);
	}
	put_raw(&w, arg, len);
	return finish(&w);
}
