/*
 * zipkin_json.c - Zipkin v2 JSON encoder (see zipkin_json.h).
 *
 * Written by hand for the fixed schema into a reused buffer: no
 * allocation per span.  The remote endpoint needs a look at a handful of
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

/*
 * Remote-endpoint name attributes, best first (the specification's
 * ranking; the address-and-port pairs are handled separately).
 */
static const char *const name_rank[] = {
	"peer.service",  "server.address", "net.peer.name",
	"server.socket.domain", "net.sock.peer.name", "peer.hostname",
	"peer.address",  "db.name",
};
static const char *const addr_keys[] = {
	"network.peer.address", "server.socket.address", "net.sock.peer.addr",
};
static const char *const port_keys[] = {
	"network.peer.port", "server.socket.port", "net.sock.peer.port",
};

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
		   const char *k)
{
	return strlen(k) == a->key_len &&
	       !memcmp(ts_span_str(s, a->key_off), k, a->key_len);
}

static void rank(const struct ts_span *s, const struct ts_attr *a,
		 const char *const *keys, size_t nkeys,
		 const struct ts_attr **best, unsigned *best_rank)
{
	for (unsigned i = 0; i < nkeys && i < *best_rank; i++) {
		if (key_is(s, a, keys[i])) {
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
		char c = ts_span_str(s, a->key_off)[0];

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
			if (key_is(s, a, "server.port"))
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

static void remote_endpoint(struct ts_buf *b, const struct ts_span *s)
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
		return;
	ts_buf_puts(b, ",\"remoteEndpoint\":{");
	if (named) {
		ts_buf_puts(b, "\"serviceName\":");
		ts_buf_json_str(b, ts_span_str(s, r.name->val_off),
				r.name->val_len);
		any = true;
	}
	if (fam) {
		ts_buf_puts(b, any ? ",\"ipv" : "\"ipv");
		ts_buf_putc(b, fam == 4 ? '4' : '6');
		ts_buf_puts(b, "\":");
		ts_buf_json_str(b, ts_span_str(s, r.addr->val_off),
				r.addr->val_len);
		any = true;
	}
	if (port && port->ival > 0 && port->ival <= 65535) {
		ts_buf_puts(b, any ? ",\"port\":" : "\"port\":");
		ts_buf_i64(b, port->ival);
	}
	ts_buf_putc(b, '}');
}

static void tag(struct ts_buf *b, const struct ts_span *s,
		const struct ts_attr *a)
{
	ts_buf_putc(b, '"');
	ts_buf_json_chars(b, ts_span_str(s, a->key_off), a->key_len);
	ts_buf_puts(b, "\":");
	switch (a->type) {
	case TS_ATTR_INT:
		ts_buf_putc(b, '"');
		ts_buf_i64(b, a->ival);
		ts_buf_puts(b, "\",");
		break;
	case TS_ATTR_BOOL:
		ts_buf_puts(b, a->ival ? "\"true\"," : "\"false\",");
		break;
	default:
		ts_buf_json_str(b, ts_span_str(s, a->val_off), a->val_len);
		ts_buf_putc(b, ',');
	}
}

static void tags(struct ts_buf *b, const struct ts_span *s)
{
	unsigned i;

	ts_buf_puts(b, ",\"tags\":{");
	for (i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];

		/* Ours to set from the status: never twice in one object. */
		if ((a->key_len == 5 && key_is(s, a, "error")) ||
		    (a->key_len == 16 && key_is(s, a, "otel.status_code")))
			continue;
		tag(b, s, a);
	}
	if (s->dropped_attrs) {
		ts_buf_puts(b, "\"otel.dropped_attributes_count\":\"");
		ts_buf_u64(b, s->dropped_attrs);
		ts_buf_puts(b, "\",");
	}
	if (s->status == TS_STATUS_OK) {
		ts_buf_puts(b, "\"otel.status_code\":\"OK\",");
	} else if (s->status == TS_STATUS_ERROR) {
		ts_buf_puts(b, "\"otel.status_code\":\"ERROR\",\"error\":");
		ts_buf_json_str(b, ts_span_str(s, s->smsg_off), s->smsg_len);
		ts_buf_putc(b, ',');
	}
	ts_buf_puts(b, "\"otel.scope.name\":\"traceshim\","
		       "\"otel.scope.version\":\"" TS_VERSION "\"}");
}

static bool has_parent(const struct ts_span *s)
{
	uint64_t w;

	memcpy(&w, s->parent_id, 8);
	return w != 0;
}

static void span(struct ts_buf *b, const struct ts_span *s, const char *svc,
		 size_t svc_len)
{
	uint64_t us = s->end_unix_ns > s->start_unix_ns
			      ? (s->end_unix_ns - s->start_unix_ns) / 1000
			      : 0;

	ts_buf_puts(b, "{\"traceId\":\"");
	ts_buf_hex(b, s->trace_id, 16);
	ts_buf_puts(b, "\",\"id\":\"");
	ts_buf_hex(b, s->span_id, 8);
	if (has_parent(s)) {
		ts_buf_puts(b, "\",\"parentId\":\"");
		ts_buf_hex(b, s->parent_id, 8);
	}
	ts_buf_puts(b, "\",\"name\":");
	ts_buf_json_str(b, ts_span_str(s, s->name_off), s->name_len);
	if (s->kind < TS_ARRAY_SIZE(kind_names) && kind_names[s->kind]) {
		ts_buf_puts(b, ",\"kind\":\"");
		ts_buf_puts(b, kind_names[s->kind]);
		ts_buf_putc(b, '"');
	}
	ts_buf_puts(b, ",\"timestamp\":");
	ts_buf_u64(b, s->start_unix_ns / 1000);
	ts_buf_puts(b, ",\"duration\":");
	ts_buf_u64(b, us ? us : 1);
	ts_buf_puts(b, ",\"localEndpoint\":{\"serviceName\":");
	ts_buf_json_str(b, svc, svc_len);
	ts_buf_putc(b, '}');
	remote_endpoint(b, s);
	tags(b, s);
	ts_buf_putc(b, '}');
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
		if (i)
			ts_buf_putc(b, ',');
		span(b, spans[i], name, len);
	}
	ts_buf_putc(b, ']');
	return !b->failed;
}
