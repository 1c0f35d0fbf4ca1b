/*
 * route.c - TRACESHIM_ROUTES templates and the route heuristic (see
 * route.h).
 *
 * The template table is static storage written by ts_route_configure() at
 * start-up and only read afterwards (the configuration happens before the
 * shim turns active, which publishes it with a release store).  Routing
 * itself keeps no state: a path goes in, a route comes out.
 */
#include <string.h>

#include "../preload/log.h"
#include "../preload/quote.h"
#include "route.h"

#define SEG_LONG 48 /* decoded bytes beyond which a segment is an id */
#define ID "{id}"

struct tmpl {
	uint16_t len;                          /* bytes of text */
	char text[TS_ROUTE_TEMPLATE_MAX + 1];  /* as written, NUL-terminated */
};

static struct tmpl tmpls[TS_ROUTE_MAX_TEMPLATES]; /* in configured order */
static unsigned ntmpls;                           /* used entries */

/* ---- segments ------------------------------------------------------------ */

/* A path cursor: yields the non-empty segments, each cut at ';'. */
struct segs {
	const char *p, *end;
};

/* The next segment as (*s, length); false at the end of the path. */
static bool seg_next(struct segs *it, const char **s, size_t *n)
{
	while (it->p < it->end) {
		const char *start = it->p, *slash, *semi;

		slash = memchr(start, '/', (size_t)(it->end - start));
		if (!slash)
			slash = it->end;
		it->p = slash < it->end ? slash + 1 : slash;
		semi = memchr(start, ';', (size_t)(slash - start));
		if (semi)
			slash = semi; /* matrix parameters are not the route */
		if (slash > start) {
			*s = start;
			*n = (size_t)(slash - start);
			return true;
		}
	}
	return false;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

/* Bytes that separate the words of a segment (an escape is one too). */
static bool is_sep(unsigned char c)
{
	return c == '-' || c == '_' || c == '.' || c == '~' || c == '+' ||
	       c == '=' || c == ',' || c == ':' || c == '%';
}

/* Length of the separator at s[i]: 3 for a %XX escape, else 1. */
static size_t sep_len(const char *s, size_t n, size_t i)
{
	if (s[i] == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
	    is_hex((unsigned char)s[i + 2]))
		return 3;
	return 1;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* local@domain.tld, the '@' possibly escaped as %40. */
static bool is_email(const char *s, size_t n)
{
	size_t at = 0, skip = 0;

	for (size_t i = 1; i < n && !at; i++) {
		if (s[i] == '@')
			at = i, skip = 1;
		else if (s[i] == '%' && i + 2 < n && s[i + 1] == '4' &&
			 s[i + 2] == '0')
			at = i, skip = 3;
	}
	if (!at)
		return false;
	for (size_t i = at + skip + 1; i + 1 < n; i++)
		if (s[i] == '.')
			return true;
	return false;
}

/* A word of a segment (no separator in it): does it identify something? */
static bool word_is_id(const char *w, size_t m)
{
	size_t digits = 0, hex = 0, alnum = 0, runs = 0;

	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)w[i];

		if (is_digit(c)) {
			digits++;
			runs += i == 0 || !is_digit((unsigned char)w[i - 1]);
		}
		hex += is_hex(c);
		alnum += is_alnum(c);
	}
	if (digits == m && m >= 2)
		return true; /* order-1234 */
	if (hex == m && m >= 6 && digits)
		return true; /* 9f1c2a7e, 507f1f77bcf86cd799439011 */
	if (digits >= 4 && digits * 2 > m)
		return true; /* INV2024001 */
	return alnum == m && m >= 7 && runs >= 2; /* dQw4w9WgXcQ, 3kX9pQz */
}

/* Statistics of a whole segment, escapes counted as one separator. */
struct seg_stats {
	size_t decoded;   /* bytes once escapes are decoded */
	size_t digits, upper, lower;
	size_t upper_pairs;  /* adjacent upper-case letters */
	bool control;     /* a control byte (NUL included) */
	bool only_num;    /* digits and separators only */
	bool only_b64url; /* [A-Za-z0-9_-] only */
};

static void seg_stats(const char *s, size_t n, struct seg_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->only_num = st->only_b64url = true;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t step = is_sep(c) ? sep_len(s, n, i) : 1;

		st->decoded++;
		st->digits += is_digit(c);
		st->upper += is_upper(c);
		st->lower += is_lower(c);
		st->upper_pairs += is_upper(c) && i && is_upper((unsigned char)s[i - 1]);
		st->control |= c < 0x20 || c == 0x7f;
		st->only_num &= is_digit(c) || is_sep(c);
		st->only_b64url &= is_alnum(c) || c == '-' || c == '_';
		i += step;
	}
}

static int hex_val(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * `s`/`n` with the escapes of unreserved characters (RFC 3986: letters,
 * digits, '-', '.', '_', '~', which a client should not have escaped and a
 * server treats as the plain character) decoded into `buf`; every other
 * escape stays.  So "%31%32%33" is judged as the 123 it means.  Returns
 * the new length (at most n).
 */
static size_t unescape_unreserved(const char *s, size_t n, char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		unsigned char c;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_val((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_val((unsigned char)s[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			if (is_alnum(c) || c == '-' || c == '.' || c == '_' ||
			    c == '~') {
				buf[o++] = (char)c;
				i += 2;
				continue;
			}
		}
		buf[o++] = s[i];
	}
	return o;
}

/* Does segment `s`/`n` (non-empty, no '/' or ';') identify a resource? */
static bool seg_is_id(const char *s, size_t n)
{
	char norm[3 * SEG_LONG + 1];
	struct seg_stats st;
	size_t i, start;

	if (memchr(s, '%', n)) {
		if (n > 3 * SEG_LONG)
			return true; /* over SEG_LONG bytes once decoded */
		n = unescape_unreserved(s, n, norm);
		s = norm;
	}
	seg_stats(s, n, &st);
	if (st.decoded > SEG_LONG || st.control)
		return true; /* no endpoint's name is that long, or binary */
	if (st.only_num && st.digits)
		return true; /* 123, 2024-01-15, 1.2.3, 10.0.0.1 */
	if (is_uuid(s, n) || is_email(s, n))
		return true;
	if (st.only_b64url && n >= 16 && st.digits && st.upper && st.lower)
		return true; /* random base64url with digits */
	if (st.only_b64url && n >= 16 && st.upper * 4 >= n &&
	    st.lower * 4 >= n && st.upper_pairs >= 2)
		return true; /* random base64url without */
	for (i = start = 0; i <= n;) {
		if (i == n || is_sep((unsigned char)s[i])) {
			if (i > start && word_is_id(s + start, i - start))
				return true;
			if (i == n)
				break;
			i += sep_len(s, n, i);
			start = i;
		} else {
			i++;
		}
	}
	return false;
}

/* ---- templates ----------------------------------------------------------- */

static bool is_param(const char *s, size_t n)
{
	return n >= 3 && s[0] == '{' && s[n - 1] == '}';
}

/* Does template `t` (validated) match path `p`? */
static bool tmpl_matches(const struct tmpl *t, const char *p, size_t len)
{
	struct segs ti = { t->text, t->text + t->len }, pi = { p, p + len };
	const char *ts, *ps;
	size_t tn, pn;

	while (seg_next(&ti, &ts, &tn)) {
		if (tn == 1 && ts[0] == '*')
			return true; /* the rest, even nothing */
		if (!seg_next(&pi, &ps, &pn))
			return false;
		if (!is_param(ts, tn) && (tn != pn || memcmp(ts, ps, tn)))
			return false;
	}
	return !seg_next(&pi, &ps, &pn);
}

/* Why template `t`/`n` is invalid, or NULL when it is fine. */
static const char *tmpl_problem(const char *t, size_t n)
{
	const char *s, *e = t + n;

	if (n > TS_ROUTE_TEMPLATE_MAX)
		return "longer than 255 bytes";
	if (t[0] != '/')
		return "it must start with '/'";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == ';')
			return "blanks, control bytes, '?', '#' and ';' "
			       "have no place in a path template";
	}
	for (s = t + 1; s <= e;) {
		const char *slash = memchr(s, '/', (size_t)(e - s));
		size_t sn = (size_t)((slash ? slash : e) - s);
		const char *brace = NULL;

		if (memchr(s, '*', sn) && (sn != 1 || slash))
			return "'*' must be the whole last segment";
		if (sn)
			brace = memchr(s, '{', sn) ? s : memchr(s, '}', sn);
		if (brace &&
		    (!is_param(s, sn) || memchr(s + 1, '{', sn - 2) ||
		     memchr(s + 1, '}', sn - 2)))
			return "a parameter must be a whole segment, "
			       "\"{name}\" with a name";
		if (!slash)
			break;
		s = slash + 1;
	}
	return NULL;
}

static void add_template(const char *t, size_t n, int *bad, unsigned *over)
{
	const char *why = tmpl_problem(t, n);
	char q[80];

	if (why) {
		if (++*bad <= TS_WARN_ENTRIES)
			ts_warn("TRACESHIM_ROUTES: template \"%s\" ignored: %s",
				ts_quote(q, sizeof(q), t, n), why);
		return;
	}
	if (ntmpls == TS_ROUTE_MAX_TEMPLATES) {
		(*over)++;
		(*bad)++;
		return;
	}
	memcpy(tmpls[ntmpls].text, t, n);
	tmpls[ntmpls].text[n] = '\0';
	tmpls[ntmpls].len = (uint16_t)n;
	ntmpls++;
}

int ts_route_configure(const char *spec)
{
	unsigned over = 0;
	int bad = 0;

	ntmpls = 0;
	if (!spec)
		return 0;
	while (*spec) {
		size_t len = strcspn(spec, ","), n = len;
		const char *t = spec;

		while (n && (*t == ' ' || *t == '\t' || *t == '\n'))
			t++, n--;
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' ||
			     t[n - 1] == '\n' || t[n - 1] == '\r'))
			n--;
		if (n)
			add_template(t, n, &bad, &over);
		spec += len;
		if (*spec == ',')
			spec++;
	}
	if (bad - (int)over > TS_WARN_ENTRIES)
		ts_warn("TRACESHIM_ROUTES: %d more templates ignored (not "
			"listed)",
			bad - (int)over - TS_WARN_ENTRIES);
	if (over)
		ts_warn("TRACESHIM_ROUTES: more than %u templates; the %u "
			"after the %uth are ignored",
			TS_ROUTE_MAX_TEMPLATES, over, TS_ROUTE_MAX_TEMPLATES);
	return bad;
}

/* ---- routes -------------------------------------------------------------- */

/* Copy template `t` into out, cut after its last whole segment that fits. */
static size_t put_template(const struct tmpl *t, char *out, size_t size)
{
	size_t n = t->len;

	if (n > size - 1) {
		n = size - 1;
		while (n && t->text[n] != '/')
			n--;
		if (n == 0 && size > 1)
			n = 1; /* just the leading '/' */
	}
	memcpy(out, t->text, n);
	out[n] = '\0';
	return n;
}

static size_t heuristic(const char *path, size_t len, char *out, size_t size)
{
	struct segs it = { path, path + len };
	bool lead = len && path[0] == '/', cut = false, any = false;
	const char *s;
	size_t n, o = 0, room = size - 1;

	if (lead && room)
		out[o++] = '/';
	while (seg_next(&it, &s, &n)) {
		bool id = seg_is_id(s, n);
		const char *piece = id ? ID : s;
		size_t pn = id ? sizeof(ID) - 1 : n;
		size_t need = pn + (o > 0 && out[o - 1] != '/');

		if (o + need > room) {
			cut = true;
			break;
		}
		if (need > pn)
			out[o++] = '/';
		memcpy(out + o, piece, pn);
		o += pn;
		any = true;
	}
	if (!cut && any && len && path[len - 1] == '/' && o < room)
		out[o++] = '/';
	if (!o && room) /* a path with no segment ("", ";x") is the root */
		out[o++] = '/';
	out[o] = '\0';
	return o;
}

size_t ts_route_lookup(const char *path, size_t len, char *out, size_t size,
		       bool *templated)
{
	const char *end;

	if (templated)
		*templated = false;
	if (!size)
		return 0;
	if (len && (end = memchr(path, '?', len)))
		len = (size_t)(end - path);
	if (len && (end = memchr(path, '#', len)))
		len = (size_t)(end - path);
	for (unsigned i = 0; i < ntmpls; i++) {
		if (tmpl_matches(&tmpls[i], path, len)) {
			if (templated)
				*templated = true;
			return put_template(&tmpls[i], out, size);
		}
	}
	return heuristic(path, len, out, size);
}

size_t ts_route_of(const char *path, size_t len, char *out, size_t size)
{
	return ts_route_lookup(path, len, out, size, NULL);
}
