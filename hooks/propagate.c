/*
 * propagate.c - trace context in HTTP headers (see propagate.h).
 *
 * Grammar references: W3C Trace Context Level 1 (traceparent, tracestate),
 * W3C Baggage, the OpenTelemetry propagators' B3 and Jaeger requirements,
 * openzipkin/b3-propagation.  Everything works in caller-owned buffers.
 */
#include <string.h>

#include "../preload/ids.h"
#include "http_parse.h"
#include "propagate.h"

#define TS_MEMBERS_MAX 32 /* W3C tracestate list-members */

/* ---- hex ------------------------------------------------------------------ */

static int lhex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is invalid in traceparent */
}

static int anyhex(unsigned char c)
{
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return lhex(c);
}

static bool hex_bytes(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = lhex((unsigned char)s[2 * i]);
		int lo = lhex((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/*
 * 1 to 2n hex digits of either case into out[0..n), left-padded with
 * zeros (B3 and Jaeger ids).  False for anything else.
 */
static bool hex_id(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i;

	if (len == 0 || len > 2 * n)
		return false;
	memset(out, 0, n);
	for (i = 0; i < len; i++) {
		int v = anyhex((unsigned char)s[len - 1 - i]);

		if (v < 0)
			return false;
		out[n - 1 - i / 2] |= (uint8_t)(i & 1 ? v << 4 : v);
	}
	return true;
}

void ts_prop_hex(const uint8_t *id, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
}

static bool ctx_ids_valid(const struct ts_span_ctx *c)
{
	return !ts_ids_is_zero(c->trace_id, 16) && !ts_ids_is_zero(c->span_id, 8);
}

/* ---- W3C traceparent ---------------------------------------------------------- */

bool ts_prop_parse_traceparent(const char *v, size_t len,
			       struct ts_span_ctx *out)
{
	uint8_t ver, flags;

	if (len < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
		return false;
	if (!hex_bytes(v, 1, &ver) || ver == 0xff)
		return false;
	if (ver == 0 && len != 55)
		return false;
	if (len > 55 && v[55] != '-')
		return false; /* a future version may only append fields */
	if (!hex_bytes(v + 3, 16, out->trace_id) ||
	    !hex_bytes(v + 36, 8, out->span_id) ||
	    !hex_bytes(v + 53, 1, &flags))
		return false;
	if (!ctx_ids_valid(out))
		return false;
	/* Unknown bits of a later version are not ours to pass on. */
	out->flags = ver == 0 ? flags : (flags & TS_TRACE_FLAG_SAMPLED);
	out->remote = true;
	out->xflags = 0;
	return true;
}

/* ---- list helpers ---------------------------------------------------------------- */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The next list-member of s[*pos..len), OWS trimmed; false at the end. */
static bool next_member(const char *s, size_t len, size_t *pos,
			size_t *mstart, size_t *mlen)
{
	size_t i = *pos, e;

	if (i > len)
		return false;
	e = i;
	while (e < len && s[e] != ',')
		e++;
	*pos = e + 1;
	while (i < e && is_ows(s[i]))
		i++;
	while (e > i && is_ows(s[e - 1]))
		e--;
	*mstart = i;
	*mlen = e - i;
	return true;
}

/* Drop an incomplete last member of a value the capture cut. */
static size_t uncut(const char *s, size_t len, bool cut)
{
	if (!cut)
		return len;
	while (len && s[len - 1] != ',')
		len--;
	return len;
}

/* ---- W3C tracestate --------------------------------------------------------------- */

static bool ts_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '*' || c == '/';
}

static bool ts_keychars(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ts_keychar(k[i]))
			return false;
	return true;
}

/* simple-key, or tenant-id "@" system-id (Trace Context Level 1, 3.3.1). */
static bool ts_key_ok(const char *k, size_t n)
{
	const char *at = memchr(k, '@', n);
	size_t tn, vn;

	if (!at)
		return n >= 1 && n <= 256 && k[0] >= 'a' && k[0] <= 'z' &&
		       ts_keychars(k + 1, n - 1);
	tn = (size_t)(at - k);
	vn = n - tn - 1;
	return tn >= 1 && tn <= 241 &&
	       ((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= '0' && k[0] <= '9')) &&
	       ts_keychars(k + 1, tn - 1) && vn >= 1 && vn <= 14 &&
	       at[1] >= 'a' && at[1] <= 'z' && ts_keychars(at + 2, vn - 1);
}

/* 1-256 of %x20-2B / %x2D-3C / %x3E-7E, not ending in a space. */
static bool ts_value_ok(const char *v, size_t n)
{
	size_t i;

	if (n < 1 || n > 256 || v[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c > 0x7e || c == ',' || c == '=')
			return false;
	}
	return true;
}

struct span16 {
	uint16_t off;
	uint16_t len;
};

/* Bytes of the members kept (len > 0), joined by ','. */
static size_t kept_len(const struct span16 *m, size_t n)
{
	size_t i, total = 0, kept = 0;

	for (i = 0; i < n; i++)
		if (m[i].len) {
			total += m[i].len;
			kept++;
		}
	return kept ? total + kept - 1 : 0;
}

size_t ts_prop_tracestate_normalize(char *ts, size_t len, bool cut,
				    size_t max)
{
	struct span16 m[TS_MEMBERS_MAX];
	size_t pos = 0, ms, ml, w = 0, i, n = 0;

	len = uncut(ts, len, cut);
	while (next_member(ts, len, &pos, &ms, &ml)) {
		const char *eq;

		if (!ml)
			continue; /* empty members are allowed, and dropped */
		if (n == TS_MEMBERS_MAX)
			return 0;
		eq = memchr(ts + ms, '=', ml);
		if (!eq || !ts_key_ok(ts + ms, (size_t)(eq - ts - ms)) ||
		    !ts_value_ok(eq + 1, ml - (size_t)(eq - ts - ms) - 1))
			return 0;
		for (i = 0; i < n; i++) {
			const char *k = ts + m[i].off;
			size_t kl = (size_t)((const char *)memchr(k, '=', m[i].len) - k);

			if (kl == (size_t)(eq - ts - ms) && !memcmp(k, ts + ms, kl))
				return 0; /* a key twice */
		}
		/* Compact, a byte apart (where the ',' goes): the write
		 * position never passes the read one. */
		if (n)
			w++;
		memmove(ts + w, ts + ms, ml);
		m[n].off = (uint16_t)w;
		m[n].len = (uint16_t)ml;
		n++;
		w += ml;
	}
	/* Too long to forward: big members go first, then from the end. */
	for (i = n; kept_len(m, n) > max && i-- > 0;)
		if (m[i].len > 128)
			m[i].len = 0;
	for (i = n; kept_len(m, n) > max && i-- > 0;)
		m[i].len = 0;
	/* Rebuild with ',' between the members kept; every member moves
	 * left (or stays), so no unread byte is overwritten. */
	for (w = 0, i = 0; i < n; i++) {
		if (!m[i].len)
			continue;
		if (w)
			ts[w++] = ',';
		memmove(ts + w, ts + m[i].off, m[i].len);
		w += m[i].len;
	}
	return w;
}

/* ---- W3C baggage ---------------------------------------------------------------------- */

static bool bg_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	       (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

static bool bg_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * One "key OWS = OWS value" or bare "key" (a property) from m[0..n),
 * written without white space to out; returns the bytes written, 0 if
 * invalid.  `need_value`: a list-member must have "=".
 */
static size_t bg_pair(const char *m, size_t n, bool need_value, char *out)
{
	size_t i = 0, k, w = 0;

	while (i < n && bg_tchar((unsigned char)m[i]))
		i++;
	if (!i)
		return 0;
	k = i;
	memmove(out, m, k);
	w = k;
	while (i < n && is_ows(m[i]))
		i++;
	if (i == n)
		return need_value ? 0 : w;
	if (m[i] != '=')
		return 0;
	for (i++; i < n && is_ows(m[i]); i++)
		;
	out[w++] = '=';
	for (; i < n; i++) {
		if (!bg_octet((unsigned char)m[i]))
			return 0;
		out[w++] = m[i];
	}
	return w;
}

/* One list-member "pair *( OWS ; OWS property )", normalized to out. */
static size_t bg_member(const char *m, size_t n, char *out)
{
	size_t i = 0, e, w = 0, r;
	bool first = true;

	while (i <= n) {
		e = i;
		while (e < n && m[e] != ';')
			e++;
		{
			size_t a = i, b = e;

			while (a < b && is_ows(m[a]))
				a++;
			while (b > a && is_ows(m[b - 1]))
				b--;
			if (!first)
				out[w++] = ';';
			r = bg_pair(m + a, b - a, first, out + w);
			if (!r)
				return 0;
			w += r;
		}
		first = false;
		i = e + 1;
	}
	return w;
}

size_t ts_prop_baggage_normalize(char *bg, size_t len, bool cut, size_t max)
{
	size_t pos = 0, ms, ml, w = 0, r, members = 0;

	len = uncut(bg, len, cut);
	while (next_member(bg, len, &pos, &ms, &ml)) {
		if (!ml)
			continue;
		if (members == TS_PROP_BAGGAGE_MEMBERS)
			break;
		/* In place: the normalized member is never longer, and it is
		 * written at or before where it was read. */
		r = bg_member(bg + ms, ml, bg + w + (w ? 1 : 0));
		if (!r)
			continue; /* an invalid member alone is dropped */
		if (w + (w ? 1 : 0) + r > max)
			break;
		if (w)
			bg[w++] = ',';
		w += r;
		members++;
	}
	return w;
}

/* ---- B3 -------------------------------------------------------------------------------------- */

static bool b3_trace(const char *s, size_t n, struct ts_span_ctx *out)
{
	return (n == 16 || n == 32) && hex_id(s, n, out->trace_id, 16);
}

static bool b3_span(const char *s, size_t n, uint8_t id[8])
{
	return n == 16 && hex_id(s, n, id, 8);
}

bool ts_prop_parse_b3(const char *v, size_t len, struct ts_span_ctx *out)
{
	const char *f[4];
	size_t fl[4], nf = 0, i, start = 0;
	uint8_t parent[8];

	memset(out, 0, sizeof(*out));
	for (i = 0; i <= len && nf < 4; i++) {
		if (i == len || v[i] == '-') {
			f[nf] = v + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (i <= len || nf < 2)
		return false; /* more than four fields, or a lone decision */
	if (!b3_trace(f[0], fl[0], out) || !b3_span(f[1], fl[1], out->span_id))
		return false;
	if (nf == 4 && !b3_span(f[3], fl[3], parent))
		return false;
	if (nf < 3) {
		out->xflags = TS_CTX_DEFERRED;
	} else if (fl[2] == 1 && f[2][0] == '1') {
		out->flags = TS_TRACE_FLAG_SAMPLED;
	} else if (fl[2] == 1 && f[2][0] == 'd') {
		out->flags = TS_TRACE_FLAG_SAMPLED;
		out->xflags = TS_CTX_DEBUG;
	} else if (!(fl[2] == 1 && f[2][0] == '0')) {
		return false;
	}
	out->remote = true;
	return ctx_ids_valid(out);
}

static bool eq_lit(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !strncmp(s, lit, n);
}

bool ts_prop_parse_b3multi(const char *tid, size_t tlen, const char *sid,
			   size_t slen, const char *smp, size_t smplen,
			   const char *flg, size_t flen,
			   struct ts_span_ctx *out)
{
	memset(out, 0, sizeof(*out));
	if (!b3_trace(tid, tlen, out) || !b3_span(sid, slen, out->span_id))
		return false;
	if (flen && eq_lit(flg, flen, "1")) {
		/* Debug implies an accept decision. */
		out->flags = TS_TRACE_FLAG_SAMPLED;
		out->xflags = TS_CTX_DEBUG;
	} else if (eq_lit(smp, smplen, "1") || eq_lit(smp, smplen, "true")) {
		out->flags = TS_TRACE_FLAG_SAMPLED;
	} else if (eq_lit(smp, smplen, "0") || eq_lit(smp, smplen, "false")) {
		out->flags = 0;
	} else if (!smplen) {
		out->xflags = TS_CTX_DEFERRED;
	} else {
		return false;
	}
	out->remote = true;
	return ctx_ids_valid(out);
}

/* ---- Jaeger ----------------------------------------------------------------------------------- */

bool ts_prop_parse_uber(const char *v, size_t len, struct ts_span_ctx *out)
{
	char buf[TS_HTTP_UBER_MAX + 1];
	const char *f[4];
	size_t fl[4], n = 0, nf = 0, i, start = 0;
	uint8_t parent[8], fv[1];

	memset(out, 0, sizeof(*out));
	/* Frameworks may hand on the value URL-encoded: %3A for ':'. */
	for (i = 0; i < len && n < sizeof(buf) - 1; i++) {
		if (v[i] == '%' && i + 2 < len && v[i + 1] == '3' &&
		    (v[i + 2] == 'A' || v[i + 2] == 'a')) {
			buf[n++] = ':';
			i += 2;
		} else {
			buf[n++] = v[i];
		}
	}
	if (i < len)
		return false;
	for (i = 0; i <= n && nf < 4; i++) {
		if (i == n || buf[i] == ':') {
			f[nf] = buf + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (i <= n || nf != 4)
		return false;
	if (!hex_id(f[0], fl[0], out->trace_id, 16) ||
	    !hex_id(f[1], fl[1], out->span_id, 8) ||
	    !hex_id(f[2], fl[2], parent, 8) || !hex_id(f[3], fl[3], fv, 1))
		return false;
	out->flags = fv[0] & 1 ? TS_TRACE_FLAG_SAMPLED : 0;
	if (fv[0] & 2) {
		out->flags = TS_TRACE_FLAG_SAMPLED;
		out->xflags = TS_CTX_DEBUG;
	}
	out->remote = true;
	return ctx_ids_valid(out);
}

/* ---- extraction ------------------------------------------------------------------------------------ */

static bool extract_one(struct ts_http_parser *p, uint8_t f,
			struct ts_prop_in *out)
{
	switch (f) {
	case TS_PROP_TRACECONTEXT:
		/*
		 * Several traceparent lines: which one is meant is unknown.
		 * A cut value can only be a later version's (00 is exactly
		 * 55 bytes), whose first 56 bytes are all that counts.
		 */
		if (p->traceparent_count != 1 ||
		    (p->traceparent_s.cut && !memcmp(p->b->traceparent, "00", 2)) ||
		    !ts_prop_parse_traceparent(p->b->traceparent,
					       p->traceparent_s.len, &out->ctx))
			return false;
		out->ts_len = ts_prop_tracestate_normalize(
			p->b->tracestate, p->tracestate_s.len, p->tracestate_s.cut,
			TS_PROP_TS_MAX);
		p->tracestate_s.len = (uint16_t)out->ts_len;
		p->tracestate_s.cut = false;
		p->b->tracestate[out->ts_len] = '\0';
		out->ts = out->ts_len ? p->b->tracestate : NULL;
		return true;
	case TS_PROP_B3:
	case TS_PROP_B3MULTI:
		/* Either one reads both forms, the single header first. */
		if (p->b3_s.len && !p->b3_s.cut &&
		    ts_prop_parse_b3(p->b->b3, p->b3_s.len, &out->ctx))
			return true;
		return ts_prop_parse_b3multi(
			p->b->b3_traceid, p->b3_traceid_s.len, p->b->b3_spanid,
			p->b3_spanid_s.len, p->b->b3_sampled, p->b3_sampled_s.len,
			p->b->b3_flags, p->b3_flags_s.len, &out->ctx);
	case TS_PROP_JAEGER:
		return p->uber_s.len && !p->uber_s.cut &&
		       ts_prop_parse_uber(p->b->uber, p->uber_s.len, &out->ctx);
	default:
		return false;
	}
}

/*
 * uberctx-* entries ("key=value", values as sent) appended to the baggage
 * buffer in W3C syntax: bytes a baggage value may not hold are
 * percent-encoded.  Whole entries only.
 */
static void append_uberctx(struct ts_http_parser *p)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t pos = 0, ms, ml, w = p->baggage_s.len, j, need;
	const char *u = p->b->uberctx;
	size_t ulen = uncut(u, p->uberctx_s.len, p->uberctx_s.cut);

	while (next_member(u, ulen, &pos, &ms, &ml)) {
		const char *eq = ml ? memchr(u + ms, '=', ml) : NULL;
		size_t k;

		if (!eq)
			continue;
		k = (size_t)(eq - u - ms);
		for (need = k + 1 + (w ? 1 : 0), j = k + 1; j < ml; j++)
			need += bg_octet((unsigned char)u[ms + j]) ? 1 : 3;
		if (!k || need > (size_t)TS_HTTP_BAGGAGE_MAX - w)
			continue;
		if (w)
			p->b->baggage[w++] = ',';
		memcpy(p->b->baggage + w, u + ms, k + 1);
		w += k + 1;
		for (j = k + 1; j < ml; j++) {
			unsigned char c = (unsigned char)u[ms + j];

			if (bg_octet(c)) {
				p->b->baggage[w++] = (char)c;
			} else {
				p->b->baggage[w++] = '%';
				p->b->baggage[w++] = hex[c >> 4];
				p->b->baggage[w++] = hex[c & 15];
			}
		}
	}
	p->baggage_s.len = (uint16_t)w;
}

TS_HOT
bool ts_prop_extract(struct ts_http_parser *p, const struct ts_prop_config *pc,
		     struct ts_prop_in *out)
{
	bool found = false;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < pc->n && !found; i++)
		found = extract_one(p, pc->order[i], out);
	if (!found)
		memset(&out->ctx, 0, sizeof(out->ctx));
	if (pc->mask & TS_PROP_BIT(TS_PROP_BAGGAGE)) {
		n = uncut(p->b->baggage, p->baggage_s.len, p->baggage_s.cut);
		p->baggage_s.cut = false;
	}
	p->baggage_s.len = (uint16_t)n;
	if (pc->mask & TS_PROP_BIT(TS_PROP_JAEGER))
		append_uberctx(p);
	if (!p->baggage_s.len) /* the usual case: nothing to normalize */
		return found;
	n = ts_prop_baggage_normalize(p->b->baggage, p->baggage_s.len, false,
				      TS_PROP_BAGGAGE_MAX);
	p->baggage_s.len = (uint16_t)n;
	p->b->baggage[n] = '\0';
	if (n) {
		out->bg = p->b->baggage;
		out->bg_len = n;
	}
	return found;
}

/* ---- injection --------------------------------------------------------------------------------------- */

unsigned ts_prop_forwarded(const struct ts_http_parser *p)
{
	unsigned r = 0;

	if (p->traceparent_count)
		r |= TS_PROP_HAS_TRACEPARENT;
	if (p->seen & (1u << TS_HDR_TRACESTATE))
		r |= TS_PROP_HAS_TRACESTATE;
	if (p->seen & (1u << TS_HDR_B3))
		r |= TS_PROP_HAS_B3;
	if (p->seen & ((1u << TS_HDR_B3_TRACEID) | (1u << TS_HDR_B3_SPANID)))
		r |= TS_PROP_HAS_B3MULTI;
	if (p->seen & (1u << TS_HDR_UBER))
		r |= TS_PROP_HAS_UBER;
	if (p->seen & (1u << TS_HDR_BAGGAGE))
		r |= TS_PROP_HAS_BAGGAGE;
	if (p->seen & (1u << TS_HDR_UBERCTX))
		r |= TS_PROP_HAS_UBERCTX;
	return r;
}

/* A bounded writer: the first thing that does not fit stops it for good
 * (`full`), so a caller never emits a line cut in the middle. */
struct out {
	char *b;
	size_t n, size;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->size - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

#define PUTS(o, lit) put((o), (lit), sizeof(lit) - 1)

/* A trace id as B3 and Jaeger write it: 16 digits for a 64-bit one. */
static void put_trace(struct out *o, const uint8_t id[16])
{
	char hex[32];
	bool short_id = ts_ids_is_zero(id, 8);

	ts_prop_hex(id, 16, hex);
	put(o, short_id ? hex + 16 : hex, short_id ? 16 : 32);
}

static void put_span(struct out *o, const uint8_t id[8])
{
	char hex[16];

	ts_prop_hex(id, 8, hex);
	put(o, hex, 16);
}

/*
 * The uberctx-* lines of baggage members (properties are not carried);
 * with o NULL, only their length.
 */
static size_t put_uberctx(struct out *o, const char *bg, size_t len)
{
	size_t pos = 0, ms, ml, total = 0;

	while (next_member(bg, len, &pos, &ms, &ml)) {
		const char *m = bg + ms, *eq = memchr(m, '=', ml);
		const char *semi;
		size_t vl;

		if (!eq)
			continue;
		semi = memchr(eq, ';', ml - (size_t)(eq - m));
		vl = (size_t)((semi ? semi : m + ml) - eq - 1);
		total += 8 + (size_t)(eq - m) + 2 + vl + 2;
		if (!o)
			continue;
		PUTS(o, "uberctx-");
		put(o, m, (size_t)(eq - m));
		PUTS(o, ": ");
		put(o, eq + 1, vl);
		PUTS(o, "\r\n");
	}
	return total;
}

static void put_context(struct out *o, uint8_t f, const struct ts_span_ctx *c)
{
	bool debug = c->xflags & TS_CTX_DEBUG;
	bool sampled = c->flags & TS_TRACE_FLAG_SAMPLED;
	char hex[2];

	switch (f) {
	case TS_PROP_TRACECONTEXT:
		PUTS(o, "traceparent: 00-");
		{
			char tid[32];

			ts_prop_hex(c->trace_id, 16, tid);
			put(o, tid, 32);
		}
		PUTS(o, "-");
		put_span(o, c->span_id);
		PUTS(o, "-");
		ts_prop_hex(&c->flags, 1, hex);
		put(o, hex, 2);
		PUTS(o, "\r\n");
		break;
	case TS_PROP_B3:
		PUTS(o, "b3: ");
		put_trace(o, c->trace_id);
		PUTS(o, "-");
		put_span(o, c->span_id);
		put(o, debug ? "-d" : sampled ? "-1" : "-0", 2);
		PUTS(o, "\r\n");
		break;
	case TS_PROP_B3MULTI:
		PUTS(o, "X-B3-TraceId: ");
		put_trace(o, c->trace_id);
		PUTS(o, "\r\nX-B3-SpanId: ");
		put_span(o, c->span_id);
		/* Debug implies accept: X-B3-Sampled is not sent with it. */
		if (debug)
			PUTS(o, "\r\nX-B3-Flags: 1\r\n");
		else if (sampled)
			PUTS(o, "\r\nX-B3-Sampled: 1\r\n");
		else
			PUTS(o, "\r\nX-B3-Sampled: 0\r\n");
		break;
	case TS_PROP_JAEGER:
		PUTS(o, "uber-trace-id: ");
		put_trace(o, c->trace_id);
		PUTS(o, ":");
		put_span(o, c->span_id);
		put(o, debug ? ":0:3\r\n" : sampled ? ":0:1\r\n" : ":0:0\r\n", 6);
		break;
	}
}

/* Is format f's context already in the request (forwarded)? */
static bool has_context(uint8_t f, unsigned skip)
{
	switch (f) {
	case TS_PROP_TRACECONTEXT:
		return skip & TS_PROP_HAS_TRACEPARENT;
	case TS_PROP_B3:
		return skip & TS_PROP_HAS_B3;
	case TS_PROP_B3MULTI:
		return skip & TS_PROP_HAS_B3MULTI;
	case TS_PROP_JAEGER:
		return skip & TS_PROP_HAS_UBER;
	default:
		return true; /* baggage is not a context format */
	}
}

size_t ts_prop_inject(const struct ts_span_ctx *c,
		      const struct ts_prop_config *pc, unsigned skip,
		      const char *ts, size_t ts_len, const char *bg,
		      size_t bg_len, char *buf, size_t size)
{
	char scratch[400];
	struct out probe = { scratch, 0, sizeof(scratch), false };
	struct out o = { buf, 0, size, false };
	bool with_ts = false, with_bg = false, with_uctx = false;
	size_t ctx_len, room, uctx_len = 0, i;

	/* The context lines first: they decide what else fits. */
	for (i = 0; i < pc->n; i++)
		if (!has_context(pc->order[i], skip))
			put_context(&probe, pc->order[i], c);
	ctx_len = probe.n;
	if (ctx_len > size)
		return 0;
	room = size - ctx_len;
	if (ts_len && (pc->mask & TS_PROP_BIT(TS_PROP_TRACECONTEXT)) &&
	    !(skip & (TS_PROP_HAS_TRACEPARENT | TS_PROP_HAS_TRACESTATE)) &&
	    ts_len + 14 <= room) {
		with_ts = true;
		room -= ts_len + 14;
	}
	if (bg_len && (pc->mask & TS_PROP_BIT(TS_PROP_BAGGAGE)) &&
	    !(skip & TS_PROP_HAS_BAGGAGE) && bg_len + 11 <= room) {
		with_bg = true;
		room -= bg_len + 11;
	}
	if (bg_len && (pc->mask & TS_PROP_BIT(TS_PROP_JAEGER)) &&
	    !(skip & TS_PROP_HAS_UBERCTX)) {
		uctx_len = put_uberctx(NULL, bg, bg_len);
		with_uctx = uctx_len <= room;
	}
	for (i = 0; i < pc->n; i++) {
		uint8_t f = pc->order[i];

		if (f == TS_PROP_BAGGAGE) {
			if (with_bg) {
				PUTS(&o, "baggage: ");
				put(&o, bg, bg_len);
				PUTS(&o, "\r\n");
			}
			continue;
		}
		if (has_context(f, skip))
			continue;
		put_context(&o, f, c);
		if (f == TS_PROP_TRACECONTEXT && with_ts) {
			PUTS(&o, "tracestate: ");
			put(&o, ts, ts_len);
			PUTS(&o, "\r\n");
		}
		if (f == TS_PROP_JAEGER && with_uctx)
			put_uberctx(&o, bg, bg_len);
	}
	return o.full ? 0 : o.n; /* cannot happen: everything was measured */
}

/*
 * Servers refuse a head past their limits (400 or 431): 99 header fields
 * (Python's http.server and http.client count the empty line in their
 * 100), 100 (Apache httpd's LimitRequestFields, Tomcat's maxHeaderCount),
 * and 8 KiB or 16 KiB in all (Tomcat and Jetty; Node.js and HAProxy's
 * buffers).  A request the program wrote within one goes as it was: a
 * trace not continued there beats a request refused.  A head already
 * past a limit was meant for a server that allows it.
 */
bool ts_prop_would_cross_limits(unsigned fields_lo, unsigned fields_hi,
				uint64_t head_bytes, const char *lines,
				size_t n)
{
	static const uint64_t sizes[] = { 8192, 16384 };
	static const unsigned counts[] = { 99, 100 };
	unsigned added = 0, i;

	for (i = 0; i < n; i++)
		added += lines[i] == '\n';
	for (i = 0; i < sizeof(counts) / sizeof(*counts); i++)
		if (fields_lo <= counts[i] && fields_hi + added > counts[i])
			return true;
	for (i = 0; head_bytes && i < sizeof(sizes) / sizeof(*sizes); i++)
		if (head_bytes <= sizes[i] && head_bytes + n > sizes[i])
			return true;
	return false;
}
