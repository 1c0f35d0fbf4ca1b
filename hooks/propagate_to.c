/*
 * propagate_to.c - TRACESHIM_PROPAGATE_TO patterns and their match (see
 * propagate_to.h).
 *
 * The pattern table is static storage written by
 * ts_propagate_to_configure() during initialisation, before the shim turns
 * active (a release store that every hook's acquire load of the state
 * pairs with), and only read afterwards, so the predicates need no lock.
 */
#include <string.h>

#include "../preload/log.h"
#include "../preload/quote.h"
#include "propagate_to.h"

#define NAME_MAX_LEN 253 /* a DNS name's text */

enum { P_ANY, P_NAME, P_SUFFIX, P_IP };

struct pattern {
	uint8_t type;              /* P_* */
	uint8_t family;            /* P_IP: 4 or 16 (address bytes) */
	uint8_t prefix;            /* P_IP: leading bits that must match */
	uint16_t port;             /* 0: any port */
	uint8_t addr[16];          /* P_IP: network order, host bits zero */
	uint8_t name_len;          /* P_NAME, P_SUFFIX: bytes of name */
	char name[NAME_MAX_LEN + 2]; /* lower case; P_SUFFIX keeps its '.' */
};

static struct pattern pats[TS_PROPAGATE_TO_MAX]; /* in configured order */
static unsigned npats;                           /* used entries */
static bool restricted;                          /* the variable was set */

/* ---- addresses ------------------------------------------------------------ */

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_v4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 4; i++)
			v = v * 10 + (unsigned)(s[i] - '0'), digits++;
		/* No leading zeros: 010 means 8 to some resolvers. */
		if (!digits || digits > 3 || v > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}

/* RFC 4291 text: hex groups, at most one "::", an optional IPv4 tail. */
static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t w[8];
	int nw = 0, gap = -1;
	size_t i = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n && s[0] == ':') {
		return false;
	}
	while (i < n) {
		size_t j = i;
		unsigned v = 0;

		while (j < n && s[j] != ':')
			j++;
		if (memchr(s + i, '.', j - i)) { /* the IPv4 tail, last */
			uint8_t v4[4];

			if (j != n || nw > 6 || !parse_v4(s + i, j - i, v4))
				return false;
			w[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
			w[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = j;
			break;
		}
		if (j == i || j - i > 4 || nw == 8)
			return false;
		for (size_t k = i; k < j; k++) {
			int h = hex_val(s[k]);

			if (h < 0)
				return false;
			v = v << 4 | (unsigned)h;
		}
		w[nw++] = (uint16_t)v;
		i = j;
		if (i < n) {
			if (i + 1 < n && s[i + 1] == ':') {
				if (gap >= 0)
					return false;
				gap = nw;
				i += 2;
			} else if (++i == n) {
				return false; /* a trailing single ':' */
			}
		}
	}
	if (gap < 0 ? nw != 8 : nw > 7)
		return false;
	memset(out, 0, 16);
	for (int k = 0; k < nw; k++) {
		int at = gap < 0 || k < gap ? k : 8 - (nw - k);

		out[2 * at] = (uint8_t)(w[k] >> 8);
		out[2 * at + 1] = (uint8_t)w[k];
	}
	return true;
}

int ts_propagate_to_parse_ip(const char *s, size_t n, uint8_t addr[16])
{
	if (parse_v4(s, n, addr))
		return 4;
	if (memchr(s, ':', n) && parse_v6(s, n, addr))
		return 16;
	return 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) turned into IPv4. */
static int unmap_v4(int family, uint8_t addr[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };

	if (family == 16 && !memcmp(addr, mapped, 12)) {
		memmove(addr, addr + 12, 4);
		return 4;
	}
	return family;
}

static bool prefix_matches(const uint8_t *a, const uint8_t *net,
			   unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, net, bytes))
		return false;
	if (!rest)
		return true;
	return ((a[bytes] ^ net[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static void mask_host_bits(uint8_t *addr, unsigned family, unsigned bits)
{
	for (unsigned i = 0; i < family; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8
				: bits > 8 * i    ? bits - 8 * i
						  : 0;

		addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

/* ---- patterns --------------------------------------------------------------- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

static bool is_name_char(char c)
{
	c = lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

uint16_t ts_propagate_to_parse_port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (!n || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (uint16_t)v : 0;
}

/* "addr" or "addr/len" into p; a reason when invalid. */
static const char *parse_cidr(const char *s, size_t n, struct pattern *p)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	unsigned long bits;
	int fam = ts_propagate_to_parse_ip(s, an, p->addr);

	if (!fam)
		return slash ? "not a valid CIDR block (address/length)"
			     : "not a valid IP address";
	fam = unmap_v4(fam, p->addr);
	p->type = P_IP;
	p->family = (uint8_t)fam;
	p->prefix = (uint8_t)(8 * fam);
	if (!slash)
		return NULL;
	bits = 0;
	if (slash + 1 == s + n || s + n - slash - 1 > 3)
		return "the CIDR prefix length must be a number";
	for (const char *c = slash + 1; c < s + n; c++) {
		if (*c < '0' || *c > '9')
			return "the CIDR prefix length must be a number";
		bits = bits * 10 + (unsigned long)(*c - '0');
	}
	if (bits > 8u * (unsigned)fam)
		return fam == 4 ? "an IPv4 prefix length is at most 32"
				: "an IPv6 prefix length is at most 128";
	p->prefix = (uint8_t)bits;
	mask_host_bits(p->addr, (unsigned)fam, (unsigned)bits);
	return NULL;
}

/* A host name, "*.suffix" or ".suffix" into p; a reason when invalid. */
static const char *parse_name(const char *s, size_t n, struct pattern *p)
{
	bool suffix = false, numeric = true;
	size_t i;

	if (n >= 2 && s[0] == '*' && s[1] == '.')
		s++, n--, suffix = true; /* keep the '.' */
	else if (n >= 1 && s[0] == '.')
		suffix = true;
	while (n > (suffix ? 1u : 0u) && s[n - 1] == '.')
		n--; /* the root label */
	if (n == (suffix ? 1u : 0u))
		return "no host name";
	if (n > NAME_MAX_LEN)
		return "a host name has at most 253 characters";
	for (i = suffix; i < n; i++) {
		if (!is_name_char(s[i]))
			return "a host name has only letters, digits, '-', "
			       "'_' and '.'; '*' only as a leading \"*.\"";
		if (i && s[i] == '.' && s[i - 1] == '.')
			return "empty label in host name";
		numeric &= (s[i] >= '0' && s[i] <= '9') || s[i] == '.';
	}
	if (numeric && !suffix)
		return "not a valid IPv4 address";
	p->type = suffix ? P_SUFFIX : P_NAME;
	p->name_len = (uint8_t)n;
	for (i = 0; i < n; i++)
		p->name[i] = lower(s[i]);
	p->name[n] = '\0';
	return NULL;
}

/* One trimmed, non-empty entry into p; a reason when invalid. */
static const char *parse_pattern(const char *s, size_t n, struct pattern *p)
{
	const char *colon = memchr(s, ':', n), *host = s;
	size_t hn = n;

	memset(p, 0, sizeof(*p));
	if (s[0] == '[') { /* [v6], [v6]/len, [v6/len], each with :port */
		const char *close = memchr(s, ']', n);
		const char *after, *why;
		char buf[64];
		size_t an, ln = 0;

		if (!close || close == s + 1)
			return "an IPv6 address in brackets needs its ']'";
		an = (size_t)(close - s - 1);
		after = close + 1;
		if (after < s + n && *after == '/') {
			const char *c = memchr(after, ':', (size_t)(s + n - after));

			ln = (size_t)((c ? c : s + n) - after);
		}
		if (an + ln >= sizeof(buf))
			return "not a valid IP address";
		memcpy(buf, s + 1, an);
		memcpy(buf + an, after, ln);
		after += ln;
		why = parse_cidr(buf, an + ln, p);
		if (why)
			return why;
		if (p->family != 16 && memchr(buf, ':', an) == NULL)
			return "brackets are for IPv6 addresses";
		if (after == s + n)
			return NULL;
		if (*after != ':' ||
		    !(p->port = ts_propagate_to_parse_port(
			      after + 1, (size_t)(s + n - after - 1))))
			return "a port is a number from 1 to 65535";
		return NULL;
	}
	if (colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1))) {
		/* One colon: "host:port" (IPv6 has two or more). */
		hn = (size_t)(colon - s);
		p->port = ts_propagate_to_parse_port(colon + 1, n - hn - 1);
		if (!p->port)
			return "a port is a number from 1 to 65535";
		if (!hn)
			return "no host before the port";
	}
	if (hn == 1 && host[0] == '*') {
		p->type = P_ANY;
		return NULL;
	}
	if (memchr(host, ':', hn) || memchr(host, '/', hn) ||
	    ts_propagate_to_parse_ip(host, hn, p->addr)) {
		uint16_t port = p->port;
		const char *why = parse_cidr(host, hn, p);

		p->port = port;
		return why;
	}
	return parse_name(host, hn, p);
}

/* Warnings are printed one entry late, so the last can tell that nothing
 * valid was left. */
struct pending {
	char text[80];
	const char *why;
	bool set;
	int shown;        /* entries warned about (or counted) */
};

static void flush_pending(struct pending *pw, bool none_left)
{
	if (!pw->set)
		return;
	if (++pw->shown > TS_WARN_ENTRIES && !none_left) {
		pw->set = false; /* counted in the summary line */
		return;
	}
	ts_warn("TRACESHIM_PROPAGATE_TO: \"%s\" ignored: %s%s", pw->text,
		pw->why,
		none_left ? "; no valid entry is left, so trace context is "
			    "injected into no request"
			  : "");
	pw->set = false;
}

int ts_propagate_to_configure(const char *spec)
{
	struct pending pw = { .set = false };
	struct pattern one;
	unsigned over = 0;
	int bad = 0;

	npats = 0;
	restricted = false;
	for (const char *s = spec; s && *s;) {
		size_t len = strcspn(s, ","), n = len;
		const char *e = s, *why;

		while (n && (*e == ' ' || *e == '\t' || *e == '\n'))
			e++, n--;
		while (n && (e[n - 1] == ' ' || e[n - 1] == '\t' ||
			     e[n - 1] == '\n' || e[n - 1] == '\r'))
			n--;
		if (n) {
			restricted = true;
			why = parse_pattern(e, n, &one);
			if (why) {
				flush_pending(&pw, false);
				ts_quote(pw.text, sizeof(pw.text), e, n);
				pw.why = why;
				pw.set = true;
				bad++;
			} else if (npats < TS_PROPAGATE_TO_MAX) {
				pats[npats++] = one;
			} else {
				over++;
				bad++;
			}
		}
		s += len;
		if (*s == ',')
			s++;
	}
	flush_pending(&pw, restricted && npats == 0);
	if (pw.shown > TS_WARN_ENTRIES + 1 ||
	    (pw.shown == TS_WARN_ENTRIES + 1 && !(restricted && npats == 0)))
		ts_warn("TRACESHIM_PROPAGATE_TO: %d more entries ignored (not "
			"listed)",
			pw.shown - TS_WARN_ENTRIES -
				(restricted && npats == 0 ? 1 : 0));
	if (over)
		ts_warn("TRACESHIM_PROPAGATE_TO: more than %u entries; the %u "
			"after the %uth are ignored",
			TS_PROPAGATE_TO_MAX, over, TS_PROPAGATE_TO_MAX);
	return bad;
}

/* ---- matching ---------------------------------------------------------------- */

/* A destination, normalised for matching. */
struct dest {
	const char *name;   /* host text without brackets, port, dot, zone */
	size_t len;
	int family;         /* 4, 16, or 0 when not an address literal */
	uint8_t addr[16];
	uint16_t port;
};

static void dest_of(const char *h, size_t n, uint16_t port, struct dest *d)
{
	const char *colon, *pct;

	d->port = port;
	while (n && (*h == ' ' || *h == '\t'))
		h++, n--;
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n && h[0] == '[') {
		const char *close = memchr(h, ']', n);
		size_t end = close ? (size_t)(close - h) : n;

		if (close && close + 1 < h + n && close[1] == ':' && !port)
			d->port = ts_propagate_to_parse_port(
				close + 2, (size_t)(h + n - close - 2));
		h++;
		n = end - 1;
	} else if (n && (colon = memchr(h, ':', n)) &&
		   !memchr(colon + 1, ':', (size_t)(h + n - colon - 1))) {
		if (!port)
			d->port = ts_propagate_to_parse_port(
				colon + 1, (size_t)(h + n - colon - 1));
		n = (size_t)(colon - h);
	}
	if (n && memchr(h, ':', n) && (pct = memchr(h, '%', n)))
		n = (size_t)(pct - h); /* fe80::1%eth0, %25eth0 */
	if (n > 1 && h[n - 1] == '.')
		n--;
	d->name = h;
	d->len = n;
	d->family = n ? ts_propagate_to_parse_ip(h, n, d->addr) : 0;
	d->family = unmap_v4(d->family, d->addr);
}

static bool name_eq(const char *a, const char *lower_b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower_b[i])
			return false;
	return true;
}

static bool pattern_matches(const struct pattern *p, const struct dest *d)
{
	switch (p->type) {
	case P_ANY:
		return true;
	case P_NAME:
		return d->len == p->name_len && name_eq(d->name, p->name, d->len);
	case P_SUFFIX:
		return d->len > p->name_len &&
		       name_eq(d->name + d->len - p->name_len, p->name,
			       p->name_len);
	default:
		return d->family == p->family &&
		       prefix_matches(d->addr, p->addr, p->prefix);
	}
}

bool ts_propagate_to_allowed_peer(const char *host, size_t len,
				  const char *peer, size_t plen,
				  uint16_t port)
{
	struct dest h, a;
	bool have_peer = peer && plen;

	if (!restricted)
		return true;
	dest_of(host ? host : "", host ? len : 0, port, &h);
	if (have_peer)
		dest_of(peer, plen, h.port, &a);
	for (unsigned i = 0; i < npats; i++) {
		const struct pattern *p = &pats[i];

		if (p->port && p->port != h.port)
			continue;
		if (pattern_matches(p, &h))
			return true;
		if (have_peer && p->type == P_IP && pattern_matches(p, &a))
			return true;
	}
	return false;
}

bool ts_propagate_to_allowed(const char *host, size_t len, uint16_t port)
{
	return ts_propagate_to_allowed_peer(host, len, NULL, 0, port);
}
