/*
 * http_attrs.c - HTTP span attributes, recorded raw and expanded later
 * (see http_attrs.h).
 *
 * The raw payload is a struct raw copied into the arena (memcpy in and
 * out: arena offsets have no alignment), after the strings it points to.
 * The expander leaves those strings where they are: they become the
 * values of attributes as they lie (ts_span_attr_str_in), and only what
 * is made anew (the name, url.query redacted, literals) is added to the
 * arena.  It drops the record's attributes and builds them again: name,
 * attributes in the order the semantic conventions list them, then
 * status; the tracestate stays.
 *
 * Threads: see http_attrs.h.  Nothing here allocates or locks.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../preload/config.h"
#include "curl_attr.h"
#include "http.h"
#include "http_attrs.h"
#include "redact.h"
#include "route.h"

#define RAW_SERVER 0x01  /* a SERVER span (else CLIENT) */
#define RAW_CLOSED 0x02  /* the connection closed before the response ended */
#define RAW_OUTCOME 0x04 /* ts_http_raw_outcome() ran */
#define RAW_TARGET_CUT 0x08 /* `target` is the start of a longer one */

/* Where a string of the payload lies in the arena. */
struct raw_str {
	uint16_t off;
	uint16_t len;
};

/* The facts of one request, as the hooks saw them. */
struct raw {
	uint64_t req_body;         /* request body bytes */
	uint64_t resp_body;        /* response body bytes */
	struct raw_str method;     /* request method */
	struct raw_str target;     /* request-target as sent (may be cut) */
	struct raw_str host;       /* Host header value */
	struct raw_str ua;         /* User-Agent header value */
	struct raw_str peer;       /* numeric peer address */
	struct raw_str req_hdrs;   /* captured request headers (see hdrs_put) */
	struct raw_str resp_hdrs;  /* captured response headers */
	struct raw_str xff;        /* server: X-Forwarded-For, first line */
	struct raw_str fwd;        /* server: Forwarded, first line */
	uint16_t peer_port;        /* peer's port (0: Unix, unknown) */
	uint16_t default_port;     /* server.port when Host names none */
	uint16_t status;           /* response status, 0: none */
	uint8_t version_minor;     /* HTTP/1.<minor> of the request */
	uint8_t flags;             /* RAW_* */
};

/* ---- recording (application threads) -------------------------------------- */

/*
 * A value cut at a byte limit (a capture cap, the record's room) may end
 * inside a UTF-8 character: drop that piece of it, so what is exported is
 * the valid text it was, shorter (and not a U+FFFD for it at the end).
 * Malformed input is left as it is.
 */
static size_t drop_partial_char(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = len, need;

	while (k && len - k < 3 && (p[k - 1] & 0xc0) == 0x80)
		k--;
	if (!k)
		return len;
	k--; /* p[k]: the last byte that is not a continuation byte */
	if (p[k] >= 0xc2 && p[k] <= 0xdf)
		need = 2;
	else if (p[k] >= 0xe0 && p[k] <= 0xef)
		need = 3;
	else if (p[k] >= 0xf0 && p[k] <= 0xf4)
		need = 4;
	else
		return len;
	return len - k < need ? k : len;
}

/* Copy a value (`cut`: the parser kept only its start) into the arena,
 * shortened to the room left, never ending in part of a character. */
TS_HOT
static struct raw_str put_str(struct ts_span *s, const char *v, size_t len,
			      bool cut)
{
	struct raw_str r = { s->arena_used, 0 };
	size_t room = (size_t)TS_SPAN_ARENA - s->arena_used;

	/* Keep room for the payload itself, which is put last. */
	room = room > sizeof(struct raw) ? room - sizeof(struct raw) : 0;
	if (len > room) {
		if (!room)
			s->dropped_attrs++; /* its attribute will be missing */
		len = room;
		cut = true;
	}
	if (ts_unlikely(cut))
		len = drop_partial_char(v, len);
	memcpy(s->arena + s->arena_used, v, len); /* v: a buffer, never NULL */
	s->arena_used = (uint16_t)(s->arena_used + len);
	r.len = (uint16_t)len;
	return r;
}

/* A value a cut would make wrong (an address, a host name, a method):
 * whole, or not at all (counted as a dropped attribute). */
TS_HOT
static struct raw_str put_whole(struct ts_span *s, const char *v, size_t len)
{
	struct raw_str r = put_str(s, v, len, false);

	if (r.len != len) {
		if (r.len)
			s->dropped_attrs++; /* (put_str counted a 0) */
		s->arena_used = r.off; /* the piece back */
		r.len = 0;
	}
	return r;
}

/* The first element of a Forwarded or X-Forwarded-For value, if it was
 * kept whole (a cut address could name someone else). */
static struct raw_str fwd_put(struct ts_span *s, const char *v,
			      const struct ts_http_str *st)
{
	struct raw_str none = { 0, 0 };
	const char *comma = memchr(v, ',', st->len);

	if (!st->len || (st->cut && !comma))
		return none;
	return put_whole(s, v, comma ? (size_t)(comma - v) : st->len);
}

/*
 * The header lines `p` captured, as a blob: per line its name's index in
 * the capture list, the value, a NUL.  Lines that do not fit in `size`
 * are left out whole (*all false then).  Returns the blob's length.
 */
static size_t hdrs_blob(const struct ts_http_parser *p, char *out,
			size_t size, bool *all)
{
	size_t n = 0;

	*all = false;
	for (unsigned i = 0; i < p->hcap_n; i++) {
		const struct ts_http_hcap *e = &p->b->hcap[i];
		const char *v = p->b->hcap_buf + e->off;
		size_t len = e->cut ? drop_partial_char(v, e->len) : e->len;

		if (n + len + 2 > size)
			return n; /* this line and those after it are lost */
		out[n++] = (char)e->name;
		memcpy(out + n, v, len);
		n += len;
		out[n++] = '\0';
	}
	*all = true;
	return n;
}

/* The blob of `p`'s captured headers into the arena (keeping room for
 * the payload when it is still to come); lines that do not fit are lost. */
TS_HOT
static struct raw_str hdrs_put(struct ts_span *s,
			       const struct ts_http_parser *p, bool keep_room)
{
	char blob[TS_HTTP_HCAP_BYTES + 2 * TS_HTTP_HCAP_MAX];
	struct raw_str r = { 0, 0 };
	size_t room = (size_t)TS_SPAN_ARENA - s->arena_used, n;
	bool all;

	if (!p->hcap_n)
		return r;
	if (keep_room)
		room = room > sizeof(struct raw) ? room - sizeof(struct raw) : 0;
	n = hdrs_blob(p, blob, room < sizeof(blob) ? room : sizeof(blob), &all);
	if (!all || p->hcap_lost)
		s->dropped_attrs++; /* some captured value is missing */
	if (n && ts_span_arena_put(s, blob, n, &r.off))
		r.len = (uint16_t)n;
	return r;
}

TS_HOT
void ts_http_raw_request(struct ts_span *s, const struct ts_http_parser *p,
			 const struct ts_http_conn *h, bool server)
{
	struct raw r;

	memset(&r, 0, sizeof(r));
	/* What a cut would make wrong first, whole or not at all; then
	 * what may be cut when the record is full (a tracestate may have
	 * taken 512 bytes before, a target takes up to 1 KiB). */
	r.method = put_whole(s, p->b->method, strlen(p->b->method));
	r.peer = put_whole(s, h->peer_addr, strlen(h->peer_addr));
	/* A Host cut at its cap names another host (and lost its port):
	 * none then, as with no Host at all. */
	if (!p->host_s.cut)
		r.host = put_whole(s, p->b->host, p->host_s.len);
	if (server) { /* the client behind a proxy (both: usually empty) */
		r.xff = fwd_put(s, p->b->xff, &p->xff_s);
		r.fwd = fwd_put(s, p->b->forwarded, &p->forwarded_s);
	}
	r.target = put_str(s, p->b->target, p->target_s.len, p->target_s.cut);
	r.ua = put_str(s, p->b->user_agent, p->user_agent_s.len,
		       p->user_agent_s.cut);
	r.req_hdrs = hdrs_put(s, p, true);
	r.peer_port = h->peer_port;
	r.default_port = server ? h->local_port : h->peer_port;
	r.version_minor = p->version_minor;
	r.flags = server ? RAW_SERVER : 0;
	if (p->target_s.cut || r.target.len < p->target_s.len)
		r.flags |= RAW_TARGET_CUT;
	if (!ts_span_arena_put(s, &r, sizeof(r), &s->defer_off))
		return; /* cannot happen: put_str kept room */
	s->defer = TS_DEFER_HTTP;
}

TS_HOT
void ts_http_raw_response(struct ts_span *s, const struct ts_http_parser *p)
{
	struct raw r;
	char *at;

	if (s->defer != TS_DEFER_HTTP || !p->hcap_n)
		return;
	at = s->arena + s->defer_off;
	memcpy(&r, at, sizeof(r));
	if (r.resp_hdrs.len)
		return; /* already taken (a second final response?) */
	r.resp_hdrs = hdrs_put(s, p, false);
	memcpy(s->arena + s->defer_off, &r, sizeof(r));
}

/* Outcome attributes and status, on a complete (expanded) record. */
static void add_outcome(struct ts_span *s, bool server, uint16_t status,
			uint64_t req_body, uint64_t resp_body, bool closed)
{
	char code[8];
	int n;

	if (status) {
		ts_span_add_int(s, "http.response.status_code", status);
		ts_span_add_int(s, "http.response.body.size", (int64_t)resp_body);
	}
	if (req_body)
		ts_span_add_int(s, "http.request.body.size", (int64_t)req_body);
	if (closed) { /* before the response, or inside it */
		ts_span_add_str(s, "error.type", "connection_closed", 17);
		if (status)
			ts_span_set_status(s, TS_STATUS_ERROR,
					   "connection closed before the end "
					   "of the response", 48);
		else
			ts_span_set_status(s, TS_STATUS_ERROR,
					   "connection closed before the "
					   "response", 37);
	} else if (status >= 500 || (!server && status >= 400)) {
		n = snprintf(code, sizeof(code), "%u", status);
		ts_span_add_str(s, "error.type", code, (size_t)n);
		ts_span_set_status(s, TS_STATUS_ERROR, NULL, 0);
	}
}

TS_HOT
void ts_http_raw_outcome(struct ts_span *s, bool server, uint16_t status,
			 uint64_t req_body, uint64_t resp_body, bool closed)
{
	struct raw r;
	char *at;

	if (s->defer != TS_DEFER_HTTP) {
		add_outcome(s, server, status, req_body, resp_body, closed);
		return;
	}
	at = s->arena + s->defer_off;
	memcpy(&r, at, sizeof(r));
	r.status = status;
	r.req_body = req_body;
	r.resp_body = resp_body;
	r.flags |= RAW_OUTCOME | (closed ? RAW_CLOSED : 0);
	memcpy(at, &r, sizeof(r));
}

/* ---- expansion (reporter thread) ------------------------------------------ */

/* Split a request-target into path and query (query NULL when absent). */
static void target_parts(const char *t, size_t len, const char **path,
			 size_t *plen, const char **query, size_t *qlen)
{
	const char *q;

	/* Absolute form (requests to proxies): skip "scheme://authority".
	 * Origin form starts with '/', whatever its query holds. */
	if (len > 7 && t[0] != '/' && (q = memchr(t, ':', len)) &&
	    q + 2 < t + len && q[1] == '/' && q[2] == '/') {
		const char *slash = memchr(q + 3, '/', (size_t)(t + len - q - 3));

		if (slash) {
			len -= (size_t)(slash - t);
			t = slash;
		}
	}
	q = memchr(t, '?', len);
	*path = t;
	*plen = q ? (size_t)(q - t) : len;
	*query = q ? q + 1 : NULL;
	*qlen = q ? len - *plen - 1 : 0;
}

/* A string attribute whose value lies in the record's arena at `v`. */
#define ADD_IN(s, key, v, len)                                                 \
	ts_span_attr_str_in((s), "" key, sizeof(key) - 1,                      \
			    (uint16_t)((v) - (s)->arena), (len))

/* Host header (in the arena) as server.address and server.port. */
static void add_host(struct ts_span *s, const char *h, size_t len,
		     uint16_t fallback_port)
{
	const char *colon = NULL;
	size_t i;
	long port = 0;

	if (!len)
		goto out_port;
	if (h[0] == '[') { /* [v6]:port */
		const char *end = memchr(h, ']', len);

		if (end && end + 1 < h + len && end[1] == ':')
			colon = end + 1;
		ADD_IN(s, "server.address", h + 1,
		       end ? (size_t)(end - h - 1) : len - 1);
	} else {
		colon = memchr(h, ':', len);
		ADD_IN(s, "server.address", h,
		       colon ? (size_t)(colon - h) : len);
	}
	if (colon) {
		for (i = 1; colon + i < h + len && port < 65536; i++) {
			if (colon[i] < '0' || colon[i] > '9')
				break;
			port = port * 10 + (colon[i] - '0');
		}
		if (port > 0 && port < 65536) {
			ts_span_add_int(s, "server.port", port);
			return;
		}
	}
out_port:
	if (fallback_port)
		ts_span_add_int(s, "server.port", fallback_port);
}

/* A recorded string, where it lies, as a string attribute. */
static void add_raw_str(struct ts_span *s, const char *key, size_t klen,
			struct raw_str v)
{
	if (v.len)
		ts_span_attr_str_in(s, key, klen, v.off, v.len);
}

#define ADD_RAW(s, key, v) add_raw_str((s), "" key, sizeof(key) - 1, (v))

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The original client a proxy named in the first element of a Forwarded
 * (RFC 7239: its for= parameter, maybe quoted, an IPv6 address in
 * brackets, maybe with a port) or X-Forwarded-For value (the address,
 * rarely with a port): the address in its usual text form in out, or 0
 * when there is none (no such element, "unknown", an obfuscated
 * identifier, a name, junk, or an element cut off where it was kept).
 */
static size_t forwarded_client(const char *v, size_t len, bool std,
			       char *out, size_t size)
{
	const char *end = memchr(v, ',', len), *a = v, *c;
	unsigned char bin[16];
	char buf[64];
	size_t n;
	int af;

	if (!end)
		end = v + len;
	if (std) { /* for= among the element's ';'-separated pairs */
		const char *pair = v, *pe;

		for (a = NULL; !a && pair < end; pair = pe + 1) {
			pe = memchr(pair, ';', (size_t)(end - pair));
			if (!pe)
				pe = end;
			while (pair < pe && is_ows(*pair))
				pair++;
			if (pe - pair > 4 && !strncasecmp(pair, "for=", 4)) {
				a = pair + 4;
				end = pe;
			}
		}
		if (!a)
			return 0;
	}
	while (a < end && is_ows(*a))
		a++;
	while (end > a && is_ows(end[-1]))
		end--;
	if (end - a >= 2 && *a == '"' && end[-1] == '"') {
		a++;
		end--;
	}
	if (a < end && *a == '[') { /* [v6] or [v6]:port */
		c = memchr(a, ']', (size_t)(end - a));
		if (!c)
			return 0;
		a++;
		end = c;
		af = AF_INET6;
	} else if ((c = memchr(a, ':', (size_t)(end - a))) != NULL &&
		   memchr(c + 1, ':', (size_t)(end - c - 1)) == NULL) {
		end = c; /* v4:port */
		af = AF_INET;
	} else {
		af = c ? AF_INET6 : AF_INET;
	}
	n = (size_t)(end - a);
	if (!n || n >= sizeof(buf))
		return 0;
	memcpy(buf, a, n);
	buf[n] = '\0';
	if (inet_pton(af, buf, bin) != 1 || !inet_ntop(af, bin, out, (socklen_t)size))
		return 0;
	return strlen(out);
}

/* client.address of a server span: the original client a proxy named
 * (Forwarded first, then X-Forwarded-For), else the peer. */
static void add_client(struct ts_span *s, const struct raw *r)
{
	char addr[INET6_ADDRSTRLEN];
	size_t n = 0;

	if (r->fwd.len)
		n = forwarded_client(s->arena + r->fwd.off, r->fwd.len, true,
				     addr, sizeof(addr));
	if (!n && r->xff.len)
		n = forwarded_client(s->arena + r->xff.off, r->xff.len, false,
				     addr, sizeof(addr));
	if (n)
		ts_span_add_str(s, "client.address", addr, n);
	else
		ADD_RAW(s, "client.address", r->peer);
}

/* Whether a Host value names a port ("h:80", "[v6]:80"). */
static bool host_port(const char *h, size_t len)
{
	const char *end = len && h[0] == '[' ? memchr(h, ']', len) : NULL;

	if (len && h[0] == '[')
		return end && end + 1 < h + len && end[1] == ':';
	return memchr(h, ':', len) != NULL;
}

/* Is the request target in absolute form (a request to a forward proxy)? */
static bool absolute_form(const char *t, size_t tl)
{
	return tl && t[0] != '/' && memmem(t, tl, "://", 3);
}

/*
 * The server of a client request in absolute form: the URL's host and port
 * (the scheme's when it names none), through buf (TS_HTTP_TARGET_MAX + 1
 * bytes).  False for any other target, or one cut within its authority.
 */
static bool abs_server(const struct ts_span *s, const struct raw *r, char *buf,
		       const char **host, size_t *hl, int *port)
{
	const char *t = s->arena + r->target.off;
	size_t tl = r->target.len;

	if (!absolute_form(t, tl) || tl > TS_HTTP_TARGET_MAX)
		return false;
	memcpy(buf, t, tl);
	buf[tl] = '\0';
	if ((r->flags & RAW_TARGET_CUT) &&
	    !strpbrk(strstr(buf, "://") + 3, "/?#"))
		return false; /* the authority may go on past what was kept */
	return ts_curl_url_server(buf, host, hl, port);
}

/*
 * Add url.full of a client request: the absolute-form target as sent, or
 * http://<Host><target> (for "OPTIONS *", the asterisk-form, the URL of
 * the server, no path: RFC 9112 3.3), redacted (user info, signed
 * parameters).
 */
static void add_url_full(struct ts_span *s, const struct raw *r)
{
	char url[TS_HTTP_TARGET_MAX + TS_HTTP_HOST_MAX + 16], red[sizeof(url)];
	const char *t = s->arena + r->target.off, *host = s->arena + r->host.off;
	size_t n = 0, tl = r->target.len, hl = r->host.len;

	if (absolute_form(t, tl)) {
		memcpy(url, t, tl); /* absolute form (to a proxy) */
		n = tl;
	} else if (tl && (t[0] == '/' || (tl == 1 && t[0] == '*'))) {
		bool v6 = false;

		if (!hl) { /* HTTP/1.0 without Host: the peer we talk to */
			host = s->arena + r->peer.off;
			hl = r->peer.len;
			v6 = memchr(host, ':', hl) != NULL; /* bracketed */
		}
		memcpy(url, "http://", 7);
		n = 7;
		if (v6)
			url[n++] = '[';
		memcpy(url + n, host, hl);
		n += hl;
		if (v6)
			url[n++] = ']';
		/* No Host, or one without a port, on a connection to another
		 * port than http's: the URL that reaches it names the port
		 * (as server.port does). */
		if (r->peer_port && (!r->host.len ||
				     (!host_port(host, hl) && r->peer_port != 80)))
			n += (size_t)snprintf(url + n, sizeof(url) - n, ":%u",
					      r->peer_port);
		if (t[0] == '/') {
			memcpy(url + n, t, tl);
			n += tl;
		}
	}
	if (!n)
		return;
	n = ts_redact_url(url, n, red, sizeof(red));
	ts_span_add_str(s, "url.full", red, n);
}

/* An unknown method is recorded as _OTHER, with the method as sent in
 * http.request.method_original, and "HTTP" names the span (the method
 * comes off the network: span names must not multiply with it). */
const char *ts_http_method_known(const char *m, size_t n)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT",
					     "DELETE", "CONNECT", "OPTIONS",
					     "TRACE", "PATCH" };
	size_t i;

	for (i = 0; i < TS_ARRAY_SIZE(known); i++)
		if (strlen(known[i]) == n && !memcmp(m, known[i], n))
			return known[i];
	return NULL;
}

/* Bytes of the literal values the expansion adds after the name. */
#define LITERALS (sizeof("http") - 1 + sizeof("1.1") - 1)

/*
 * Server span name "{METHOD} {route}", and http.route when the route is
 * the application's (a configured template), not our guess.  False when
 * the recorded strings left no room for the name.
 */
static bool name_server(struct ts_span *s, const char *method, size_t m,
			const char *path, size_t plen)
{
	char name[TS_HTTP_METHOD_MAX + 1 + 257];
	bool templated = false;
	size_t n;

	memcpy(name, method, m);
	name[m] = ' ';
	n = ts_route_lookup(path, plen, name + m + 1, sizeof(name) - m - 1,
			    &templated);
	/* Room for the literal values that follow ("http", "1.1") is kept:
	 * url.scheme is required, the route is not. */
	if (m + 1 + n + LITERALS > (size_t)TS_SPAN_ARENA - s->arena_used ||
	    !ts_span_set_name(s, name, m + 1 + n))
		return false;
	if (templated)
		ts_span_add_str(s, "http.route", name + m + 1, n);
	return true;
}

/*
 * The captured headers of one message as http.request.header.<name> or
 * http.response.header.<name>: one string array per configured name, its
 * lines' values in the order they came.
 */
void ts_http_header_attr(struct ts_span *s, bool request, const char *name,
			 size_t len, const char *vals, size_t n)
{
	static const char pre_req[] = "http.request.header.";
	static const char pre_resp[] = "http.response.header.";
	char key[sizeof(pre_resp) + TS_CAPTURE_NAME_MAX];
	size_t plen = request ? sizeof(pre_req) - 1 : sizeof(pre_resp) - 1;

	if (len > TS_CAPTURE_NAME_MAX)
		return;
	memcpy(key, request ? pre_req : pre_resp, plen);
	memcpy(key + plen, name, len);
	ts_span_attr_strarray(s, key, plen + len, vals, n);
}

static void add_headers(struct ts_span *s, struct raw_str b,
			const struct ts_capture_list *l, bool request)
{
	char vals[TS_HTTP_HCAP_BYTES];
	const char *blob = s->arena + b.off, *end = blob + b.len, *p, *nul;
	size_t n;

	if (!b.len)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		n = 0;
		for (p = blob; p < end; p = nul + 1) {
			if (end - p < 2 ||
			    !(nul = memchr(p + 1, '\0', (size_t)(end - p - 1))))
				break; /* a cut blob: the rest is lost */
			if ((unsigned char)p[0] != i ||
			    n + (size_t)(nul - p) > sizeof(vals))
				continue;
			memcpy(vals + n, p + 1, (size_t)(nul - p)); /* with NUL */
			n += (size_t)(nul - p);
		}
		if (n)
			ts_http_header_attr(s, request, l->name[i], l->len[i],
					    vals, n);
	}
}

void ts_http_expand(struct ts_span *s)
{
	char query[TS_HTTP_TARGET_MAX + 1]; /* also a client's target */
	const char *path, *q, *uh;
	size_t plen, qlen, ul;
	int up;
	const char *known;
	struct raw r;
	bool server, origin;

	memcpy(&r, s->arena + s->defer_off, sizeof(r));
	server = r.flags & RAW_SERVER;
	/* Drop what the record says and give the payload's own bytes back
	 * when nothing follows them (captured response headers may); its
	 * strings stay, and tracestate stays where it is. */
	if ((size_t)s->defer_off + sizeof(r) == s->arena_used)
		s->arena_used = s->defer_off;
	s->defer = TS_DEFER_NONE;
	s->nattrs = 0;
	s->smsg_len = 0;

	target_parts(s->arena + r.target.off, r.target.len, &path, &plen, &q,
		     &qlen);
	/* A CONNECT's authority or OPTIONS' "*" is no path: the method
	 * alone names the span (clients are named so anyway). */
	origin = plen && path[0] == '/';
	known = ts_http_method_known(s->arena + r.method.off, r.method.len);
	if (!server || !origin ||
	    !name_server(s, known ? known : "HTTP", known ? r.method.len : 4,
			 path, plen)) {
		/* The method, where it lies (at most 16 bytes): what the
		 * conventions name a span without a route. */
		if (known || !ts_span_set_name(s, "HTTP", 4)) {
			s->name_off = r.method.off;
			s->name_len = r.method.len;
		}
	}
	if (known) {
		ADD_RAW(s, "http.request.method", r.method);
	} else {
		ts_span_add_str(s, "http.request.method", "_OTHER", 6);
		ADD_RAW(s, "http.request.method_original", r.method);
	}
	if (server) {
		if (origin)
			ADD_IN(s, "url.path", path, plen);
		/* A query the target's cut left nothing of is not known to
		 * be empty: none then. */
		if (q && origin && (qlen || !(r.flags & RAW_TARGET_CUT))) {
			size_t rlen = ts_redact_query(q, qlen, query,
						      sizeof(query));

			/* Nothing redacted: the recorded bytes are the value
			 * (a long query then costs no copy of the arena). */
			if (rlen == qlen && !memcmp(query, q, qlen))
				ADD_IN(s, "url.query", q, qlen);
			else
				ts_span_add_str(s, "url.query", query, rlen);
		}
		ts_span_add_str(s, "url.scheme", "http", 4);
	} else {
		add_url_full(s, &r);
	}
	ts_span_add_str(s, "network.protocol.version",
			r.version_minor ? "1.1" : "1.0", 3);
	ADD_RAW(s, "user_agent.original", r.ua);
	if (!server && abs_server(s, &r, query, &uh, &ul, &up)) {
		/* To a forward proxy: the server is the URL's, behind it. */
		ts_span_add_str(s, "server.address", uh, ul);
		if (up)
			ts_span_add_int(s, "server.port", up);
	} else if (!server && !r.host.len && r.peer.len) {
		/* No Host (HTTP/1.0): the server is the peer we talk to. */
		ADD_RAW(s, "server.address", r.peer);
		if (r.peer_port)
			ts_span_add_int(s, "server.port", r.peer_port);
	} else {
		add_host(s, s->arena + r.host.off, r.host.len, r.default_port);
	}
	if (server)
		add_client(s, &r);
	ADD_RAW(s, "network.peer.address", r.peer);
	if (r.peer_port)
		ts_span_add_int(s, "network.peer.port", r.peer_port);
	if (r.flags & RAW_OUTCOME)
		add_outcome(s, server, r.status, r.req_body, r.resp_body,
			    r.flags & RAW_CLOSED);
	/* Last: what the application asked for comes after the conventions'
	 * attributes, should the record run out of room. */
	add_headers(s, r.req_hdrs,
		    &ts_cfg.capture[server ? TS_CAPTURE_SERVER_REQ
					   : TS_CAPTURE_CLIENT_REQ], true);
	add_headers(s, r.resp_hdrs,
		    &ts_cfg.capture[server ? TS_CAPTURE_SERVER_RESP
					   : TS_CAPTURE_CLIENT_RESP], false);
}
