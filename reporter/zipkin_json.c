/*
 * zipkin_json.c - Zipkin v2 JSON encoder (see zipkin_json.h).
 *
 * Written by hand for the fixed schema into a reused buffer: no
 * allocation per span; each span is written with raw stores into room
 * reserved once for its worst case.  The remote endpoint needs a look at a handful of
 * attributes; they are found in one pass over the span's attributes.
 */
#include <arpa/inet.h>
#include <string.h>

#include "../preload/span.h"
#include "resource.h"
#include "span_prefetch.h"
#include "zipkin_json.h"

static const char *const kind_names[] = {
	[TS_KIND_SERVER] = "SERVER",
	[TS_KIND_CLIENT] = "CLIENT",
	[TS_KIND_PRODUCER] = "PRODUCER",
	[TS_KIND_CONSUMER] = "CONSUMER",
};

struct key {
	const char *s; /* attribute key */
	size_t n;      /* its length */
};
#define K(lit) { lit, sizeof(lit) - 1 }

/*
 * Remote-endpoint name attributes, best first (the specification's
 * ranking; the address-and-port pairs are handled separately).
 */
static const struct key name_rank[] = {
	K("peer.service"), K("server.address"), K("net.peer.name"),
	K("server.socket.domain"), K("net.sock.peer.name"),
	K("peer.hostname"), K("peer.address"), K("db.name"),
};
static const struct key addr_keys[] = {
	K("network.peer.address"), K("server.socket.address"),
	K("net.sock.peer.addr"),
};
static const struct key port_keys[] = {
	K("network.peer.port"), K("server.socket.port"), K("net.sock.peer.port"),
};
static const struct key server_port = K("server.port");

struct remote {
	const struct ts_attr *name;  /* best name attribute */
	unsigned name_rank;          /* its rank (lower is better) */
	const struct ts_attr *addr;  /* peer IP address */
	unsigned addr_rank;
	const struct ts_attr *port;  /* peer port */
	unsigned port_rank;
	const struct ts_attr *sport; /* server.port (goes with server.address) */
};

static bool key_is(const struct ts_span *s, const struct ts_attr *a,
		   const struct key *k)
{
	return k->n == a->key_len &&
	       !memcmp(ts_attr_key(s, a), k->s, k->n);
}

static void rank(const struct ts_span *s, const struct ts_attr *a,
		 const struct key *keys, size_t nkeys,
		 const struct ts_attr **best, unsigned *best_rank)
{
	for (unsigned i = 0; i < nkeys && i < *best_rank; i++) {
		if (key_is(s, a, &keys[i])) {
			*best = a;
			*best_rank = i;
			return;
		}
	}
}

static void find_remote(const struct ts_span *s, struct remote *r)
{
	memset(r, 0, sizeof(*r));
	r->name_rank = r->addr_rank = r->port_rank = ~0u;
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];
		char c = ts_attr_key(s, a)[0];

		/* Cheap filter: every key of interest starts with one of these. */
		if (c != 'p' && c != 's' && c != 'n' && c != 'd')
			continue;
		if (a->type == TS_ATTR_STRING) {
			rank(s, a, name_rank, TS_ARRAY_SIZE(name_rank),
			     &r->name, &r->name_rank);
			rank(s, a, addr_keys, TS_ARRAY_SIZE(addr_keys),
			     &r->addr, &r->addr_rank);
		} else if (a->type == TS_ATTR_INT) {
			rank(s, a, port_keys, TS_ARRAY_SIZE(port_keys),
			     &r->port, &r->port_rank);
			if (key_is(s, a, &server_port))
				r->sport = a;
		}
	}
}

/* 4 or 6 when the attribute's value is an IPv4/IPv6 literal, else 0. */
static int ip_family(const struct ts_span *s, const struct ts_attr *a)
{
	char txt[64];
	unsigned char bin[16];

	if (!a || a->val_len >= sizeof(txt))
		return 0;
	memcpy(txt, ts_span_str(s, a->val_off), a->val_len);
	txt[a->val_len] = '\0';
	if (inet_pton(AF_INET, txt, bin) == 1)
		return 4;
	return inet_pton(AF_INET6, txt, bin) == 1 ? 6 : 0;
}

static char *remote_endpoint(char *p, const struct ts_span *s)
{
	struct remote r;
	const struct ts_attr *port;
	bool named, any = false;
	int fam;

	find_remote(s, &r);
	/* A name says which service we called: clients and producers only. */
	named = r.name && (s->kind == TS_KIND_CLIENT ||
			   s->kind == TS_KIND_PRODUCER);
	fam = ip_family(s, r.addr);
	port = r.port ? r.port : (named && r.sport ? r.sport : NULL);
	if (!named && !fam)
		return p;
	p = TS_PUT_LIT(p, ",\"remoteEndpoint\":{");
	if (named) {
		p = TS_PUT_LIT(p, "\"serviceName\":");
		p = ts_put_json_str(p, ts_span_str(s, r.name->val_off),
				    r.name->val_len);
		any = true;
	}
	if (fam) {
		if (any)
			*p++ = ',';
		p = fam == 4 ? TS_PUT_LIT(p, "\"ipv4\":") : TS_PUT_LIT(p, "\"ipv6\":");
		p = ts_put_json_str(p, ts_span_str(s, r.addr->val_off),
				    r.addr->val_len);
		any = true;
	}
	if (port && port->ival > 0 && port->ival <= 65535) {
		if (any)
			*p++ = ',';
		p = TS_PUT_LIT(p, "\"port\":");
		p = ts_put_i64(p, port->ival);
	}
	*p++ = '}';
	return p;
}

static char *tag(char *p, const struct ts_span *s, const struct ts_attr *a)
{
	*p++ = '"';
	p = ts_put_json_chars(p, ts_attr_key(s, a), a->key_len);
	p = TS_PUT_LIT(p, "\":");
	switch (a->type) {
	case TS_ATTR_INT:
		*p++ = '"';
		p = ts_put_i64(p, a->ival);
		return TS_PUT_LIT(p, "\",");
	case TS_ATTR_BOOL:
		return a->ival ? TS_PUT_LIT(p, "\"true\",")
			       : TS_PUT_LIT(p, "\"false\",");
	case TS_ATTR_STRARRAY: {
		/* Tags are strings: an array is the text of a JSON list. */
		char list[9 * TS_SPAN_VALUE_MAX + 2], *q = list;
		bool first = true;

		*q++ = '[';
		TS_ATTR_FOREACH_STR(s, a, v, end) {
			if (!first)
				*q++ = ',';
			first = false;
			q = ts_put_json_str(q, v, strlen(v));
		}
		*q++ = ']';
		p = ts_put_json_str(p, list, (size_t)(q - list));
		*p++ = ',';
		return p;
	}
	default:
		p = ts_put_json_str(p, ts_span_str(s, a->val_off), a->val_len);
		*p++ = ',';
		return p;
	}
}

static const struct key error_key = K("error");
static const struct key status_key = K("otel.status_code");

static char *tags(char *p, const struct ts_span *s)
{
	unsigned i;

	p = TS_PUT_LIT(p, ",\"tags\":{");
	for (i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];

		/* Ours to set from the status: never twice in one object. */
		if (key_is(s, a, &error_key) || key_is(s, a, &status_key))
			continue;
		p = tag(p, s, a);
	}
	if (s->dropped_attrs) {
		p = TS_PUT_LIT(p, "\"otel.dropped_attributes_count\":\"");
		p = ts_put_u64(p, s->dropped_attrs);
		p = TS_PUT_LIT(p, "\",");
	}
	if (s->status == TS_STATUS_OK) {
		p = TS_PUT_LIT(p, "\"otel.status_code\":\"OK\",");
	} else if (s->status == TS_STATUS_ERROR) {
		p = TS_PUT_LIT(p, "\"otel.status_code\":\"ERROR\",\"error\":");
		p = ts_put_json_str(p, ts_span_str(s, s->smsg_off), s->smsg_len);
		*p++ = ',';
	}
	return TS_PUT_LIT(p, "\"otel.scope.name\":\"traceshim\","
			     "\"otel.scope.version\":\"" TS_VERSION "\"}");
}

static bool has_parent(const struct ts_span *s)
{
	uint64_t w;

	memcpy(&w, s->parent_id, 8);
	return w != 0;
}

/* Worst case of one span: every string byte escaped to six, plus text. */
static size_t span_bound(const struct ts_span *s, size_t svc_len)
{
	size_t n = (size_t)s->name_len + s->smsg_len + svc_len;
	unsigned i;

	/* A value may be written twice (tag and remote endpoint); an array
	 * is a JSON list (9x its bytes) escaped once more. */
	for (i = 0; i < s->nattrs; i++)
		n += s->attrs[i].key_len +
		     (s->attrs[i].type == TS_ATTR_STRING
			      ? 2u * s->attrs[i].val_len
			      : s->attrs[i].type == TS_ATTR_STRARRAY
			      ? 9u * s->attrs[i].val_len + 2
			      : 0);
	return TS_JSON_MAX(n) + 64u * s->nattrs + 640;
}

static char *span(char *p, const struct ts_span *s, const char *svc,
		  size_t svc_len)
{
	uint64_t us = s->end_unix_ns > s->start_unix_ns
			      ? (s->end_unix_ns - s->start_unix_ns) / 1000
			      : 0;

	p = TS_PUT_LIT(p, "{\"traceId\":\"");
	p = ts_put_hex(p, s->trace_id, 16);
	p = TS_PUT_LIT(p, "\",\"id\":\"");
	p = ts_put_hex(p, s->span_id, 8);
	if (has_parent(s)) {
		p = TS_PUT_LIT(p, "\",\"parentId\":\"");
		p = ts_put_hex(p, s->parent_id, 8);
	}
	p = TS_PUT_LIT(p, "\",\"name\":");
	p = ts_put_json_str(p, ts_span_str(s, s->name_off), s->name_len);
	if (s->kind < TS_ARRAY_SIZE(kind_names) && kind_names[s->kind]) {
		p = TS_PUT_LIT(p, ",\"kind\":\"");
		p = ts_copy_small(p, kind_names[s->kind],
				  strlen(kind_names[s->kind]));
		*p++ = '"';
	}
	p = TS_PUT_LIT(p, ",\"timestamp\":");
	p = ts_put_u64(p, s->start_unix_ns / 1000);
	p = TS_PUT_LIT(p, ",\"duration\":");
	p = ts_put_u64(p, us ? us : 1);
	p = TS_PUT_LIT(p, ",\"localEndpoint\":{\"serviceName\":");
	p = ts_put_json_str(p, svc, svc_len);
	*p++ = '}';
	p = remote_endpoint(p, s);
	p = tags(p, s);
	*p++ = '}';
	return p;
}

bool ts_zipkin_json_encode(struct ts_buf *b, const struct ts_resource *res,
			   const struct ts_span *const *spans, size_t n)
{
	const struct ts_res_attr *svc = ts_resource_find(res, "service.name");
	const char *name = svc ? svc->str : "unknown_service";
	size_t len = svc ? svc->len : strlen(name);
	size_t i;

	ts_buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		ts_span_prefetch_ahead(spans, i, n);
		if (!ts_buf_reserve(b, span_bound(spans[i], len) + 1))
			return false;
		if (i)
			b->data[b->len++] = ',';
		b->len = (size_t)(span(b->data + b->len, spans[i], name, len) -
				  b->data);
	}
	ts_buf_putc(b, ']');
	return !b->failed;
}
