/*
 * test_otlp_json.c - the OTLP/JSON encoder, checked field by field.
 *
 * The output is parsed by a small strict JSON reader below (numbers kept
 * as text, strings decoded) so each test can ask for one field by path
 * and check both its value and its JSON type: OTLP/JSON wants 64-bit
 * integers as strings and enums as numbers, and a collector rejects the
 * batch when either is wrong.  One test compares a whole request byte by
 * byte, and one hands a batch of hostile strings to Python's json module
 * to prove that a real parser accepts it.
 *
 * Spans are built with ts_span_start() and friends but never ended:
 * ts_span_end() would hand them to the pipeline.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/config.h"
#include "../../preload/span.h"
#include "../../reporter/otlp_json.h"
#include "../../reporter/resource.h"
#include "suites.h"

/* --- a strict little JSON reader --------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	char *key;           /* member name when inside an object */
	char *str;           /* J_STR decoded, J_NUM/J_BOOL literal text */
	size_t len;          /* bytes at str */
	struct jnode *child; /* first element or member */
	struct jnode *next;  /* next sibling */
};

struct jparser {
	const char *p, *end;
};

static struct jnode *j_value(struct jparser *jp);

static void j_free(struct jnode *n)
{
	while (n) {
		struct jnode *next = n->next;

		j_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

static void j_ws(struct jparser *jp)
{
	while (jp->p < jp->end && *jp->p && strchr(" \t\r\n", *jp->p))
		jp->p++;
}

static int j_hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Append code point cp as UTF-8; returns the bytes written. */
static size_t j_utf8(char *d, unsigned cp)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

	for (size_t i = n - 1; i > 0; i--, cp >>= 6)
		d[i] = (char)(0x80 | (cp & 0x3f));
	d[0] = (char)(lead[n] | cp);
	return n;
}

/* A string at jp->p (on the opening quote); decoded, malloc'd. */
static char *j_string(struct jparser *jp, size_t *len)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	char *out = malloc((size_t)(jp->end - jp->p) + 1), *d = out;
	int cp, lo;

	ck_assert_ptr_nonnull(out);
	for (jp->p++; jp->p < jp->end && *jp->p != '"';) {
		unsigned char c = (unsigned char)*jp->p++;

		if (c < 0x20)
			goto out_bad;
		if (c != '\\') {
			*d++ = (char)c;
			continue;
		}
		if (jp->p >= jp->end || !*jp->p)
			goto out_bad;
		if (*jp->p != 'u') {
			if (!strchr(esc, *jp->p))
				goto out_bad;
			*d++ = val[strchr(esc, *jp->p++) - esc];
			continue;
		}
		if (jp->end - jp->p < 5 || (cp = j_hex4(jp->p + 1)) < 0)
			goto out_bad;
		jp->p += 5;
		if (cp >= 0xd800 && cp < 0xdc00 && jp->end - jp->p >= 6 &&
		    jp->p[0] == '\\' && jp->p[1] == 'u' &&
		    (lo = j_hex4(jp->p + 2)) >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			jp->p += 6;
		}
		d += j_utf8(d, (unsigned)cp);
	}
	if (jp->p >= jp->end)
		goto out_bad;
	jp->p++;
	*d = '\0';
	*len = (size_t)(d - out);
	return out;
out_bad:
	free(out);
	return NULL;
}

/* RFC 8259 number grammar; the text is kept, not converted. */
static bool j_number(struct jparser *jp, struct jnode *n)
{
	const char *s = jp->p, *p = s, *e = jp->end;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (p < e && *p == '.') {
		if (++p >= e || *p < '0' || *p > '9')
			return false;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return false;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	n->type = J_NUM;
	n->str = strndup(s, (size_t)(p - s));
	n->len = (size_t)(p - s);
	jp->p = p;
	return true;
}

static bool j_literal(struct jparser *jp, struct jnode *n, const char *word,
		      enum jtype type)
{
	size_t len = strlen(word);

	if ((size_t)(jp->end - jp->p) < len || memcmp(jp->p, word, len))
		return false;
	n->type = type;
	n->str = strdup(word);
	n->len = len;
	jp->p += len;
	return true;
}

/* Elements or members up to `close`; object members carry their key. */
static bool j_items(struct jparser *jp, struct jnode *n, char close)
{
	struct jnode **tail = &n->child;
	size_t klen;

	jp->p++;
	j_ws(jp);
	if (jp->p < jp->end && *jp->p == close)
		return jp->p++, true;
	for (;;) {
		char *key = NULL;
		struct jnode *item;

		j_ws(jp);
		if (close == '}') {
			if (jp->p >= jp->end || *jp->p != '"' ||
			    !(key = j_string(jp, &klen)))
				return false;
			j_ws(jp);
			if (jp->p >= jp->end || *jp->p++ != ':')
				return free(key), false;
		}
		item = j_value(jp);
		if (!item)
			return free(key), false;
		item->key = key;
		*tail = item;
		tail = &item->next;
		j_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close)
			return jp->p++, true;
		return false;
	}
}

static struct jnode *j_value(struct jparser *jp)
{
	struct jnode *n = calloc(1, sizeof(*n));
	bool ok = false;

	ck_assert_ptr_nonnull(n);
	j_ws(jp);
	if (jp->p >= jp->end)
		ok = false;
	else if (*jp->p == '{')
		n->type = J_OBJ, ok = j_items(jp, n, '}');
	else if (*jp->p == '[')
		n->type = J_ARR, ok = j_items(jp, n, ']');
	else if (*jp->p == '"')
		n->type = J_STR, ok = (n->str = j_string(jp, &n->len)) != NULL;
	else if (*jp->p == 't')
		ok = j_literal(jp, n, "true", J_BOOL);
	else if (*jp->p == 'f')
		ok = j_literal(jp, n, "false", J_BOOL);
	else if (*jp->p == 'n')
		ok = j_literal(jp, n, "null", J_NULL);
	else
		ok = j_number(jp, n);
	if (!ok) {
		j_free(n);
		return NULL;
	}
	return n;
}

/* Parse a whole document; NULL if it is not exactly one JSON value. */
static struct jnode *j_parse(const char *s, size_t len)
{
	struct jparser jp = { s, s + len };
	struct jnode *n = j_value(&jp);

	j_ws(&jp);
	if (n && jp.p != jp.end) {
		j_free(n);
		return NULL;
	}
	return n;
}

/* Member `key` of an object, or NULL. */
static const struct jnode *j_get(const struct jnode *n, const char *key)
{
	if (!n || n->type != J_OBJ)
		return NULL;
	for (n = n->child; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

static size_t j_count(const struct jnode *n)
{
	size_t c = 0;

	for (n = n ? n->child : NULL; n; n = n->next)
		c++;
	return c;
}

/* "a.0.b": object keys and array indexes separated by dots. */
static const struct jnode *j_path(const struct jnode *n, const char *path)
{
	char part[64];

	while (n && *path) {
		size_t len = strcspn(path, ".");

		ck_assert_uint_lt(len, sizeof(part));
		memcpy(part, path, len);
		part[len] = '\0';
		path += len + (path[len] == '.');
		if (n->type == J_ARR) {
			long i = strtol(part, NULL, 10);

			for (n = n->child; n && i > 0; i--)
				n = n->next;
		} else {
			n = j_get(n, part);
		}
	}
	return n;
}

/* The `value` object of the {"key":k,"value":{...}} entry named k. */
static const struct jnode *j_attr(const struct jnode *attrs, const char *k)
{
	const struct jnode *e, *key;

	ck_assert_ptr_nonnull(attrs);
	ck_assert_int_eq(attrs->type, J_ARR);
	for (e = attrs->child; e; e = e->next) {
		key = j_get(e, "key");
		ck_assert_ptr_nonnull(key);
		if (key->type == J_STR && !strcmp(key->str, k))
			return j_get(e, "value");
	}
	return NULL;
}

static void assert_str(const struct jnode *n, const char *want)
{
	ck_assert_msg(n, "missing string field, want \"%s\"", want);
	ck_assert_msg(n->type == J_STR, "want string \"%s\", got type %d",
		      want, n->type);
	ck_assert_uint_eq(n->len, strlen(want));
	ck_assert_str_eq(n->str, want);
}

static void assert_num(const struct jnode *n, const char *want)
{
	ck_assert_msg(n, "missing number field, want %s", want);
	ck_assert_msg(n->type == J_NUM, "want number %s, got type %d", want,
		      n->type);
	ck_assert_str_eq(n->str, want);
}

/* --- fixtures ---------------------------------------------------------- */

static struct ts_resource res;

static void build_resource(const char *service)
{
	struct ts_config c;

	ts_config_defaults(&c);
	snprintf(c.service_name, sizeof(c.service_name), "%s", service);
	ts_resource_build(&res, &c);
}

/* Encode `n` spans and parse the result; the caller j_free()s it. */
static struct jnode *encode(const struct ts_span *const *spans, size_t n)
{
	struct ts_buf b = { 0 };
	struct jnode *root;

	ck_assert(ts_otlp_json_encode(&b, &res, spans, n));
	root = j_parse(b.data, b.len);
	ck_assert_msg(root, "not JSON: %.*s", (int)b.len, b.data);
	ts_buf_free(&b);
	return root;
}

static const struct jnode *first_span(const struct jnode *root)
{
	return j_path(root, "resourceSpans.0.scopeSpans.0.spans.0");
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static struct jnode *encode_one(const struct ts_span *s)
{
	return encode(&s, 1);
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_resource_carries_service_name_and_process_attributes)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *attrs, *v, *args;
	char pid[32];

	build_resource("checkout");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	root = encode_one(&s);
	ck_assert_uint_eq(j_count(j_get(root, "resourceSpans")), 1);
	attrs = j_path(root, "resourceSpans.0.resource.attributes");
	assert_str(j_get(j_attr(attrs, "service.name"), "stringValue"),
		   "checkout");
	assert_str(j_get(j_attr(attrs, "telemetry.sdk.name"), "stringValue"),
		   "traceshim");
	/* 64-bit ints are strings in OTLP/JSON, on resources too. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_str(j_get(j_attr(attrs, "process.pid"), "intValue"), pid);
	v = j_attr(attrs, "process.command_args");
	args = j_path(v, "arrayValue.values");
	ck_assert_ptr_nonnull(args);
	ck_assert_uint_ge(j_count(args), 1);
	ck_assert_ptr_nonnull(j_get(args->child, "stringValue"));
	ck_assert_uint_eq(j_count(attrs), res.n);
	j_free(root);
}
END_TEST

START_TEST(test_scope_is_traceshim_with_version)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *ss;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	root = encode_one(&s);
	ss = j_path(root, "resourceSpans.0.scopeSpans");
	ck_assert_uint_eq(j_count(ss), 1);
	assert_str(j_path(ss, "0.scope.name"), "traceshim");
	assert_str(j_path(ss, "0.scope.version"), TS_VERSION);
	ck_assert_uint_eq(j_count(j_path(ss, "0.spans")), 1);
	j_free(root);
}
END_TEST

static bool is_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

START_TEST(test_ids_are_lowercase_hex_of_the_span_bytes)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *tid, *sid;
	char want_t[33], want_s[17];

	build_resource("svc");
	for (int i = 0; i < 50; i++) {
		ts_span_start(&s, TS_KIND_CLIENT, "op", 2, NULL);
		/* Make sure letters a-f occur, to catch upper case. */
		s.trace_id[0] = 0xab;
		s.span_id[7] = 0xcf;
		root = encode_one(&s);
		tid = j_get(first_span(root), "traceId");
		sid = j_get(first_span(root), "spanId");
		hex_of(s.trace_id, 16, want_t);
		hex_of(s.span_id, 8, want_s);
		assert_str(tid, want_t);
		assert_str(sid, want_s);
		ck_assert(tid->len == 32 && is_lower_hex(tid->str));
		ck_assert(sid->len == 16 && is_lower_hex(sid->str));
		j_free(root);
	}
}
END_TEST

START_TEST(test_parent_span_id_only_on_a_child)
{
	struct ts_span root_span, child;
	const struct ts_span *both[2] = { &root_span, &child };
	struct ts_span_ctx ctx;
	struct jnode *root;
	const struct jnode *spans, *r, *c;
	char want[17];

	build_resource("svc");
	ts_span_start(&root_span, TS_KIND_SERVER, "parent", 6, NULL);
	ts_span_ctx_of(&root_span, &ctx);
	ts_span_start(&child, TS_KIND_CLIENT, "child", 5, &ctx);
	root = encode(both, 2);
	spans = j_path(root, "resourceSpans.0.scopeSpans.0.spans");
	ck_assert_uint_eq(j_count(spans), 2);
	r = j_path(spans, "0");
	c = j_path(spans, "1");
	assert_str(j_get(r, "name"), "parent");
	assert_str(j_get(c, "name"), "child");
	ck_assert_ptr_null(j_get(r, "parentSpanId"));
	hex_of(root_span.span_id, 8, want);
	assert_str(j_get(c, "parentSpanId"), want);
	assert_str(j_get(c, "traceId"), j_get(r, "traceId")->str);
	j_free(root);
}
END_TEST

START_TEST(test_kind_is_an_integer_enum)
{
	struct ts_span s;
	struct jnode *root;
	char want[4];

	build_resource("svc");
	for (int k = TS_KIND_INTERNAL; k <= TS_KIND_CONSUMER; k++) {
		ts_span_start(&s, (enum ts_span_kind)k, "op", 2, NULL);
		root = encode_one(&s);
		snprintf(want, sizeof(want), "%d", k);
		assert_num(j_get(first_span(root), "kind"), want);
		j_free(root);
	}
}
END_TEST

START_TEST(test_times_are_decimal_strings)
{
	struct ts_span s;
	struct jnode *root;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	s.start_unix_ns = 1700000000123456789ull;
	s.end_unix_ns = UINT64_MAX; /* beyond a double's precision */
	root = encode_one(&s);
	assert_str(j_get(first_span(root), "startTimeUnixNano"),
		   "1700000000123456789");
	assert_str(j_get(first_span(root), "endTimeUnixNano"),
		   "18446744073709551615");
	j_free(root);
}
END_TEST

START_TEST(test_start_time_is_now)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *t;
	uint64_t before = (uint64_t)time(NULL) * 1000000000ull, got;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	root = encode_one(&s);
	t = j_get(first_span(root), "startTimeUnixNano");
	ck_assert_int_eq(t->type, J_STR);
	got = strtoull(t->str, NULL, 10);
	ck_assert_uint_ge(got, before);
	ck_assert_uint_le(got, before + 5000000000ull);
	j_free(root);
}
END_TEST

START_TEST(test_attributes_keep_their_otlp_types)
{
	static const char tricky[] = "say \"hi\"\\\n\ttab\x01 \xc3\xa9";
	struct ts_span s;
	struct jnode *root;
	const struct jnode *attrs;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_CLIENT, "op", 2, NULL);
	ck_assert(ts_span_add_int(&s, "int.pos", 123));
	ck_assert(ts_span_add_int(&s, "int.min", INT64_MIN));
	ck_assert(ts_span_add_bool(&s, "bool.t", true));
	ck_assert(ts_span_add_bool(&s, "bool.f", false));
	ck_assert(ts_span_add_str(&s, "str", tricky, strlen(tricky)));
	ck_assert(ts_span_add_str(&s, "k\"ey", "v", 1));
	root = encode_one(&s);
	attrs = j_get(first_span(root), "attributes");
	ck_assert_uint_eq(j_count(attrs), 6);
	assert_str(j_get(j_attr(attrs, "int.pos"), "intValue"), "123");
	assert_str(j_get(j_attr(attrs, "int.min"), "intValue"),
		   "-9223372036854775808");
	ck_assert_int_eq(j_get(j_attr(attrs, "bool.t"), "boolValue")->type,
			 J_BOOL);
	ck_assert_str_eq(j_get(j_attr(attrs, "bool.t"), "boolValue")->str,
			 "true");
	ck_assert_str_eq(j_get(j_attr(attrs, "bool.f"), "boolValue")->str,
			 "false");
	assert_str(j_get(j_attr(attrs, "str"), "stringValue"), tricky);
	assert_str(j_get(j_attr(attrs, "k\"ey"), "stringValue"), "v");
	/* Each value object holds exactly its one typed member. */
	ck_assert_uint_eq(j_count(j_attr(attrs, "int.pos")), 1);
	ck_assert_uint_eq(j_count(j_attr(attrs, "bool.t")), 1);
	ck_assert_uint_eq(j_count(j_attr(attrs, "str")), 1);
	j_free(root);
}
END_TEST

START_TEST(test_no_attributes_is_an_empty_array)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *attrs;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_CLIENT, "op", 2, NULL);
	root = encode_one(&s);
	attrs = j_get(first_span(root), "attributes");
	ck_assert_ptr_nonnull(attrs);
	ck_assert_int_eq(attrs->type, J_ARR);
	ck_assert_uint_eq(j_count(attrs), 0);
	ck_assert_ptr_null(j_get(first_span(root), "droppedAttributesCount"));
	j_free(root);
}
END_TEST

START_TEST(test_status_error_has_code_and_message_unset_is_empty)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *st;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_SERVER, "op", 2, NULL);
	ts_span_set_status(&s, TS_STATUS_ERROR, "boom \"x\"", 8);
	root = encode_one(&s);
	st = j_get(first_span(root), "status");
	assert_num(j_get(st, "code"), "2");
	assert_str(j_get(st, "message"), "boom \"x\"");
	ck_assert_uint_eq(j_count(st), 2);
	j_free(root);

	ts_span_start(&s, TS_KIND_SERVER, "op", 2, NULL);
	root = encode_one(&s);
	st = j_get(first_span(root), "status");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->type, J_OBJ);
	ck_assert_uint_eq(j_count(st), 0);
	j_free(root);

	/* OK carries no description (the specification drops it). */
	ts_span_start(&s, TS_KIND_SERVER, "op", 2, NULL);
	ts_span_set_status(&s, TS_STATUS_OK, "ignored", 7);
	root = encode_one(&s);
	st = j_get(first_span(root), "status");
	assert_num(j_get(st, "code"), "1");
	ck_assert_ptr_null(j_get(st, "message"));
	j_free(root);
}
END_TEST

START_TEST(test_dropped_attributes_are_counted)
{
	struct ts_span s;
	struct jnode *root;
	char key[16];
	int added = 0;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	for (int i = 0; i < TS_SPAN_MAX_ATTRS + 8; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		added += ts_span_attr_int(&s, key, strlen(key), i);
	}
	ck_assert_int_eq(added, TS_SPAN_MAX_ATTRS);
	root = encode_one(&s);
	ck_assert_uint_eq(j_count(j_get(first_span(root), "attributes")),
			  TS_SPAN_MAX_ATTRS);
	assert_num(j_get(first_span(root), "droppedAttributesCount"), "8");
	j_free(root);
}
END_TEST

START_TEST(test_flags_carry_sampled_and_remote_bits)
{
	struct ts_span local, remote;
	struct ts_span_ctx ctx;
	struct jnode *root;

	build_resource("svc");
	/* A new trace: sampled (0x01), "is-remote known" (0x100), local. */
	ts_span_start(&local, TS_KIND_SERVER, "op", 2, NULL);
	root = encode_one(&local);
	assert_num(j_get(first_span(root), "flags"), "257");
	j_free(root);

	/* A remote, unsampled parent: 0x100 | 0x200 and no sampled bit. */
	ts_span_ctx_of(&local, &ctx);
	ctx.flags = 0;
	ctx.remote = true;
	ts_span_start(&remote, TS_KIND_SERVER, "op", 2, &ctx);
	root = encode_one(&remote);
	assert_num(j_get(first_span(root), "flags"), "768");
	j_free(root);
}
END_TEST

START_TEST(test_tracestate_only_when_set)
{
	struct ts_span s;
	struct jnode *root;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_SERVER, "op", 2, NULL);
	root = encode_one(&s);
	ck_assert_ptr_null(j_get(first_span(root), "traceState"));
	j_free(root);
	ck_assert(ts_span_set_tracestate(&s, "rojo=00f067aa0ba902b7", 21));
	root = encode_one(&s);
	assert_str(j_get(first_span(root), "traceState"),
		   "rojo=00f067aa0ba902b7");
	j_free(root);
}
END_TEST

START_TEST(test_batch_keeps_span_order_and_empty_batch_is_valid)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	struct ts_span s[4];
	const struct ts_span *p[4];
	struct jnode *root;
	const struct jnode *spans;
	char path[8];

	build_resource("svc");
	for (int i = 0; i < 4; i++) {
		ts_span_start(&s[i], TS_KIND_INTERNAL, names[i], 1, NULL);
		p[i] = &s[i];
	}
	root = encode(p, 4);
	spans = j_path(root, "resourceSpans.0.scopeSpans.0.spans");
	ck_assert_uint_eq(j_count(spans), 4);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%d.name", i);
		assert_str(j_path(spans, path), names[i]);
	}
	j_free(root);

	root = encode(NULL, 0);
	spans = j_path(root, "resourceSpans.0.scopeSpans.0.spans");
	ck_assert_ptr_nonnull(spans);
	ck_assert_int_eq(spans->type, J_ARR);
	ck_assert_uint_eq(j_count(spans), 0);
	j_free(root);
}
END_TEST

START_TEST(test_encode_appends_and_reports_out_of_memory)
{
	struct ts_span s;
	const struct ts_span *p = &s;
	struct ts_buf b = { 0 };
	struct jnode *root;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_INTERNAL, "op", 2, NULL);
	ts_buf_puts(&b, "PREFIX");
	ck_assert(ts_otlp_json_encode(&b, &res, &p, 1));
	ck_assert(b.len > 6 && !memcmp(b.data, "PREFIX", 6));
	root = j_parse(b.data + 6, b.len - 6);
	ck_assert_ptr_nonnull(root);
	j_free(root);

	ts_buf_reset(&b);
	ck_assert(!ts_buf_reserve(&b, SIZE_MAX)); /* simulate a failed grow */
	ck_assert(!ts_otlp_json_encode(&b, &res, &p, 1));
	ts_buf_free(&b);
}
END_TEST

/* The span record an exporter would see, with every field fixed. */
static void fixed_span(struct ts_span *s)
{
	struct ts_span_ctx parent = { .flags = 1, .remote = true };

	for (int i = 0; i < 16; i++)
		parent.trace_id[i] = (uint8_t)(i * 0x11);
	for (int i = 0; i < 8; i++)
		parent.span_id[i] = (uint8_t)(0x10 + i);
	ts_span_start(s, TS_KIND_SERVER, "GET /x", 6, &parent);
	for (int i = 0; i < 8; i++)
		s->span_id[i] = (uint8_t)(0xa0 + i);
	s->start_unix_ns = 1700000000000000000ull;
	s->end_unix_ns = 1700000000250000000ull;
	ck_assert(ts_span_set_tracestate(s, "k=v", 3));
	ck_assert(ts_span_add_str(s, "http.request.method", "GET", 3));
	ck_assert(ts_span_add_int(s, "http.response.status_code", 500));
	ck_assert(ts_span_add_bool(s, "tls", true));
	ts_span_set_status(s, TS_STATUS_ERROR, "Internal \"oops\"", 15);
}

START_TEST(test_exact_output_for_a_fully_specified_span)
{
	static const char want[] =
		"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}},"
		"{\"key\":\"process.pid\",\"value\":{\"intValue\":\"-7\"}}"
		"]},\"scopeSpans\":[{\"scope\":{\"name\":\"traceshim\","
		"\"version\":\"" TS_VERSION "\"},\"spans\":[{"
		"\"traceId\":\"00112233445566778899aabbccddeeff\","
		"\"spanId\":\"a0a1a2a3a4a5a6a7\","
		"\"traceState\":\"k=v\","
		"\"parentSpanId\":\"1011121314151617\","
		"\"flags\":769,"
		"\"name\":\"GET /x\","
		"\"kind\":2,"
		"\"startTimeUnixNano\":\"1700000000000000000\","
		"\"endTimeUnixNano\":\"1700000000250000000\","
		"\"attributes\":["
		"{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
		"{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"500\"}},"
		"{\"key\":\"tls\",\"value\":{\"boolValue\":true}}],"
		"\"status\":{\"code\":2,\"message\":\"Internal \\\"oops\\\"\"}"
		"}]}]}]}";
	struct ts_span s;
	const struct ts_span *p = &s;
	struct ts_buf b = { 0 };

	memset(&res, 0, sizeof(res));
	res.attrs[0] = (struct ts_res_attr){ .key = "service.name",
					     .str = "svc",
					     .len = 3,
					     .type = TS_RES_STRING };
	res.attrs[1] = (struct ts_res_attr){ .key = "process.pid",
					     .ival = -7,
					     .type = TS_RES_INT };
	res.n = 2;
	fixed_span(&s);
	ck_assert(ts_otlp_json_encode(&b, &res, &p, 1));
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_msg(!memcmp(b.data, want, b.len), "got:\n%.*s\nwant:\n%s",
		      (int)b.len, b.data, want);
	ts_buf_free(&b);
}
END_TEST

/*
 * Run Python's json module over `doc` and return what the script prints
 * (first line) in `out`.
 */
static void python_json(const char *doc, size_t len, const char *script,
			char *out, size_t size)
{
	char path[] = "/tmp/ts-otlp-json-XXXXXX", cmd[1024];
	int fd = mkstemp(path);
	FILE *py;
	int rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, doc, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s 2>&1", script, path);
	py = popen(cmd, "r");
	ck_assert_ptr_nonnull(py);
	if (!fgets(out, (int)size, py))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	rc = pclose(py);
	unlink(path);
	ck_assert_msg(rc == 0, "python3 rejected the document: %s", out);
}

START_TEST(test_python_json_accepts_batch_of_nasty_strings)
{
	/* Control characters, quotes, lone continuation, overlong, a
	 * surrogate, a truncated tail: the worst an application can send. */
	static const char nasty[] = "a\x01\x1f\"\\\x80\xc0\x80\xed\xa0\x80z\xe2\x82";
	/*
	 * Python decodes the name, every copy of it, and a percent-encoded
	 * resource value; the invalid bytes must come back as U+FFFD only.
	 */
	static const char script[] =
		"import json,sys\n"
		"d = json.load(sys.stdin)\n"
		"r = d[\"resourceSpans\"][0]\n"
		"s = r[\"scopeSpans\"][0][\"spans\"]\n"
		"a = {x[\"key\"]: x[\"value\"] for x in r[\"resource\"][\"attributes\"]}\n"
		"n = s[0][\"name\"]\n"
		"shape = n.startswith(\"a\\x01\\x1f\\\"\\\\\\ufffd\") and "
		"n.rstrip(\"\\ufffd\").endswith(\"z\") and "
		"set(n[5:]) == {\"\\ufffd\", \"z\"}\n"
		"same = all(x[\"name\"] == n and x[\"traceState\"] == n and "
		"x[\"status\"][\"message\"] == n and "
		"x[\"attributes\"][0][\"key\"] == n and "
		"x[\"attributes\"][0][\"value\"][\"stringValue\"] == n for x in s)\n"
		"print(s[0][\"traceId\"], len(s), shape, same,\n"
		"      a[\"service.name\"][\"stringValue\"] == n,\n"
		"      a[\"junk\"][\"stringValue\"] == \"\\x01\\ufffd\\\"\\\\\")\n";
	struct ts_config c;
	struct ts_span s[3];
	const struct ts_span *p[3] = { &s[0], &s[1], &s[2] };
	struct ts_buf b = { 0 };
	char out[1024], want[128], tid[33];

	ts_config_defaults(&c);
	memcpy(c.service_name, nasty, sizeof(nasty));
	/* A percent-encoded resource attribute that decodes to junk. */
	snprintf(c.resource_attrs, sizeof(c.resource_attrs),
		 "junk=%%01%%FF%%22%%5C");
	ts_resource_build(&res, &c);
	for (int i = 0; i < 3; i++) {
		ts_span_start(&s[i], TS_KIND_CLIENT, nasty, sizeof(nasty) - 1,
			      NULL);
		ck_assert(ts_span_attr_str(&s[i], nasty, strlen(nasty), nasty,
					  sizeof(nasty) - 1));
		ck_assert(ts_span_set_tracestate(&s[i], nasty,
						 sizeof(nasty) - 1));
		ts_span_set_status(&s[i], TS_STATUS_ERROR, nasty,
				   sizeof(nasty) - 1);
	}
	ck_assert(ts_otlp_json_encode(&b, &res, p, 3));
	python_json(b.data, b.len, script, out, sizeof(out));
	hex_of(s[0].trace_id, 16, tid);
	snprintf(want, sizeof(want), "%s 3 True True True True", tid);
	ck_assert_str_eq(out, want);
	ts_buf_free(&b);
}
END_TEST

START_TEST(test_string_array_is_an_array_value)
{
	struct ts_span s;
	struct jnode *root;
	const struct jnode *attrs, *vals;

	build_resource("svc");
	ts_span_start(&s, TS_KIND_SERVER, "op", 2, NULL);
	ck_assert(ts_span_attr_strarray(&s, "http.request.header.x-a", 23,
					"a\"1\0\0b\xff", 8));
	root = encode_one(&s);
	attrs = j_get(first_span(root), "attributes");
	vals = j_get(j_get(j_attr(attrs, "http.request.header.x-a"),
			   "arrayValue"), "values");
	ck_assert_uint_eq(j_count(vals), 3);
	assert_str(j_get(vals->child, "stringValue"), "a\"1");
	assert_str(j_get(vals->child->next, "stringValue"), "");
	assert_str(j_get(vals->child->next->next, "stringValue"),
		   "b\xef\xbf\xbd"); /* invalid UTF-8 repaired */
	j_free(root);
}
END_TEST

Suite *ts_test_otlp_json_suite(void)
{
	Suite *s = suite_create("otlp_json");
	TCase *tc = tcase_create("encode");

	tcase_add_test(tc, test_resource_carries_service_name_and_process_attributes);
	tcase_add_test(tc, test_string_array_is_an_array_value);
	tcase_add_test(tc, test_scope_is_traceshim_with_version);
	tcase_add_test(tc, test_ids_are_lowercase_hex_of_the_span_bytes);
	tcase_add_test(tc, test_parent_span_id_only_on_a_child);
	tcase_add_test(tc, test_kind_is_an_integer_enum);
	tcase_add_test(tc, test_times_are_decimal_strings);
	tcase_add_test(tc, test_start_time_is_now);
	tcase_add_test(tc, test_attributes_keep_their_otlp_types);
	tcase_add_test(tc, test_no_attributes_is_an_empty_array);
	tcase_add_test(tc, test_status_error_has_code_and_message_unset_is_empty);
	tcase_add_test(tc, test_dropped_attributes_are_counted);
	tcase_add_test(tc, test_flags_carry_sampled_and_remote_bits);
	tcase_add_test(tc, test_tracestate_only_when_set);
	tcase_add_test(tc, test_batch_keeps_span_order_and_empty_batch_is_valid);
	tcase_add_test(tc, test_encode_appends_and_reports_out_of_memory);
	tcase_add_test(tc, test_exact_output_for_a_fully_specified_span);
	tcase_add_test(tc, test_python_json_accepts_batch_of_nasty_strings);
	suite_add_tcase(s, tc);
	return s;
}
