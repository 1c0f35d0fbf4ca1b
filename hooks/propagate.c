/*
 * propagate.c - W3C Trace Context extraction and injection.
 */
#include <string.h>

#include "../preload/ids.h"
#include "http_parse.h"
#include "propagate.h"

static int lhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is invalid in traceparent */
}

static bool hex_bytes(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = lhex(s[2 * i]), lo = lhex(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

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
	if (ts_ids_is_zero(out->trace_id, 16) || ts_ids_is_zero(out->span_id, 8))
		return false;
	out->flags = ver == 0 ? flags : (flags & 0x01); /* unknown bits of a
							   later version */
	out->remote = true;
	return true;
}

bool ts_prop_extract(const struct ts_http_parser *p, struct ts_span_ctx *out,
		     const char **tstate, size_t *tslen)
{
	*tstate = NULL;
	*tslen = 0;
	/* Several traceparent lines: which one is meant is unknown. */
	if (p->traceparent_count != 1 || p->traceparent_s.cut ||
	    !ts_prop_parse_traceparent(p->traceparent, p->traceparent_s.len,
				       out))
		return false;
	if (p->tracestate_s.len && !p->tracestate_s.cut) {
		*tstate = p->tracestate;
		*tslen = p->tracestate_s.len;
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

size_t ts_prop_inject(const struct ts_span_ctx *c, const char *tstate,
		      size_t tslen, char *buf, size_t size)
{
	static const char tp[] = "traceparent: 00-";
	static const char ts[] = "tracestate: ";
	size_t n = sizeof(tp) - 1 + 32 + 1 + 16 + 1 + 2 + 2;

	if (tslen)
		n += sizeof(ts) - 1 + tslen + 2;
	if (n > size)
		return 0;
	memcpy(buf, tp, sizeof(tp) - 1);
	n = sizeof(tp) - 1;
	ts_prop_hex(c->trace_id, 16, buf + n);
	buf[n + 32] = '-';
	ts_prop_hex(c->span_id, 8, buf + n + 33);
	buf[n + 49] = '-';
	ts_prop_hex(&c->flags, 1, buf + n + 50);
	memcpy(buf + n + 52, "\r\n", 2);
	n += 54;
	if (tslen) {
		memcpy(buf + n, ts, sizeof(ts) - 1);
		n += sizeof(ts) - 1;
		memcpy(buf + n, tstate, tslen);
		n += tslen;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	return n;
}
