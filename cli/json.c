/*
 * json.c - strict JSON parser into an arena (see json.h).
 *
 * Recursive descent, depth-limited.  Members of the array or object
 * being parsed are pushed on one scratch stack shared by all levels (a
 * nested value is complete before its parent goes on), then copied into
 * the arena in one piece, so each array costs one arena allocation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct ts_json_block {
	struct ts_json_block *next; /* older block */
	size_t used, size;          /* bytes of data[] */
	max_align_t data[];
};

static void *arena_alloc(struct ts_json_arena *a, size_t n)
{
	struct ts_json_block *b = a->head;
	size_t size;

	n = (n + 15) & ~(size_t)15;
	if (!b || b->size - b->used < n) {
		size = n > 65536 ? n : 65536;
		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	return (char *)b->data + b->used - n;
}

void ts_json_arena_free(struct ts_json_arena *a)
{
	struct ts_json_block *b, *next;

	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

struct parser {
	const char *p, *start, *end;
	struct ts_json_arena *a;
	char *err;
	size_t errsize;
	int depth;
	struct ts_json *stack;   /* members being collected */
	const char **kstack;     /* their keys (objects) */
	size_t top, cap;
};

__attribute__((format(printf, 2, 3))) static bool fail(struct parser *ps,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err[0]) {
		n = snprintf(ps->err, ps->errsize, "offset %zu: ",
			     (size_t)(ps->p - ps->start));
		if (n > 0 && (size_t)n < ps->errsize) {
			va_start(ap, fmt);
			vsnprintf(ps->err + n, ps->errsize - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return false;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool push(struct parser *ps, const struct ts_json *v, const char *key)
{
	if (ps->top == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct ts_json *s = realloc(ps->stack, cap * sizeof(*s));
		const char **k;

		if (!s)
			return fail(ps, "out of memory");
		ps->stack = s;
		if (!(k = realloc(ps->kstack, cap * sizeof(*k))))
			return fail(ps, "out of memory");
		ps->kstack = k;
		ps->cap = cap;
	}
	ps->stack[ps->top] = *v;
	ps->kstack[ps->top++] = key;
	return true;
}

/* Length of the valid UTF-8 sequence at s (up to end), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Four hex digits at p; -1 if they are not. */
static long hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
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

/* One escape after the backslash at *pp; writes UTF-8 into o. */
static bool unescape(struct parser *ps, const char **pp, char *o, size_t *n)
{
	const char *p = *pp + 1; /* after the backslash */
	long hi, lo;

	if (p >= ps->end)
		return fail(ps, "unterminated string");
	switch (*p) {
	case '"': case '\\': case '/':
		*o = *p;
		*n = 1;
		break;
	case 'b': *o = '\b'; *n = 1; break;
	case 'f': *o = '\f'; *n = 1; break;
	case 'n': *o = '\n'; *n = 1; break;
	case 'r': *o = '\r'; *n = 1; break;
	case 't': *o = '\t'; *n = 1; break;
	case 'u':
		if ((hi = hex4(p + 1, ps->end)) < 0)
			return ps->p = p, fail(ps, "bad \\u escape");
		p += 4;
		if (hi >= 0xd800 && hi <= 0xdbff && ps->end - p >= 7 &&
		    p[1] == '\\' && p[2] == 'u' &&
		    (lo = hex4(p + 3, ps->end)) >= 0xdc00 && lo <= 0xdfff) {
			*n = put_utf8(o, 0x10000 + (uint32_t)((hi - 0xd800) << 10) +
						 (uint32_t)(lo - 0xdc00));
			p += 6;
		} else if (hi >= 0xd800 && hi <= 0xdfff) {
			*n = put_utf8(o, 0xfffd); /* lone surrogate */
		} else {
			*n = put_utf8(o, (uint32_t)hi);
		}
		break;
	default:
		ps->p = p;
		return fail(ps, "bad escape \\%c", *p);
	}
	*pp = p + 1;
	return true;
}

/* A string at ps->p (the opening quote): decoded into the arena. */
static bool parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const char *p = ps->p + 1, *s = p;
	size_t n = 0, len = 0;
	char *o;

	/* Pass 1: find the end and check every byte. */
	for (;;) {
		if (p >= ps->end)
			return fail(ps, "unterminated string");
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20)
			return ps->p = p, fail(ps, "control character in a string");
		if (*p == '\\') {
			p += 2;
			continue;
		}
		if (!(n = utf8_len((const unsigned char *)p,
				   (const unsigned char *)ps->end)))
			return ps->p = p, fail(ps, "invalid UTF-8 in a string");
		p += n;
	}
	/* Pass 2: decode; never longer than the raw text. */
	if (!(o = arena_alloc(ps->a, (size_t)(p - s) + 1)))
		return fail(ps, "out of memory");
	*out = o;
	while (s < p) {
		if (*s == '\\') {
			if (!unescape(ps, &s, o + len, &n))
				return false;
			len += n;
		} else {
			o[len++] = *s++;
		}
	}
	o[len] = '\0';
	*outlen = len;
	ps->p = p + 1;
	return true;
}

static bool is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static bool parse_number(struct parser *ps, struct ts_json *v)
{
	const char *p = ps->p, *s = p;
	char *o;

	if (p < ps->end && *p == '-')
		p++;
	if (!is_digit(p, ps->end))
		return fail(ps, "bad number");
	if (*p == '0' && is_digit(p + 1, ps->end))
		return fail(ps, "leading zero in a number");
	while (is_digit(p, ps->end))
		p++;
	if (p < ps->end && *p == '.') {
		if (!is_digit(++p, ps->end))
			return ps->p = p, fail(ps, "bad fraction");
		while (is_digit(p, ps->end))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, ps->end))
			return ps->p = p, fail(ps, "bad exponent");
		while (is_digit(p, ps->end))
			p++;
	}
	if (!(o = arena_alloc(ps->a, (size_t)(p - s) + 1)))
		return fail(ps, "out of memory");
	memcpy(o, s, (size_t)(p - s));
	o[p - s] = '\0';
	v->type = TS_JSON_NUMBER;
	v->str = o;
	v->n = (size_t)(p - s);
	ps->p = p;
	return true;
}

static bool parse_value(struct parser *ps, struct ts_json *v);

/* Close an array or object: move its members from the stack to the arena. */
static bool collect(struct parser *ps, struct ts_json *v, size_t base,
		    bool object)
{
	size_t n = ps->top - base;

	v->n = n;
	if (n) {
		if (!(v->items = arena_alloc(ps->a, n * sizeof(*v->items))))
			return fail(ps, "out of memory");
		memcpy(v->items, ps->stack + base, n * sizeof(*v->items));
		if (object) {
			if (!(v->keys = arena_alloc(ps->a, n * sizeof(*v->keys))))
				return fail(ps, "out of memory");
			memcpy(v->keys, ps->kstack + base, n * sizeof(*v->keys));
		}
	}
	ps->top = base;
	ps->depth--;
	ps->p++;
	return true;
}

static bool parse_container(struct parser *ps, struct ts_json *v, bool object)
{
	char close = object ? '}' : ']';
	size_t base = ps->top, klen;
	struct ts_json item;
	const char *key = NULL;

	if (++ps->depth > TS_JSON_MAX_DEPTH)
		return fail(ps, "nested deeper than %d", TS_JSON_MAX_DEPTH);
	v->type = object ? TS_JSON_OBJECT : TS_JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close)
		return collect(ps, v, base, object);
	for (;;) {
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (!parse_string(ps, &key, &klen))
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':' after a member name");
			ps->p++;
		}
		if (!parse_value(ps, &item) || !push(ps, &item, key))
			return false;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close)
			return collect(ps, v, base, object);
		return fail(ps, "expected ',' or '%c'", close);
	}
}

static bool literal(struct parser *ps, const char *word, enum ts_json_type t,
		    struct ts_json *v)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail(ps, "unexpected character");
	v->type = t;
	ps->p += n;
	return true;
}

static bool parse_value(struct parser *ps, struct ts_json *v)
{
	memset(v, 0, sizeof(*v));
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	switch (*ps->p) {
	case '{':
		return parse_container(ps, v, true);
	case '[':
		return parse_container(ps, v, false);
	case '"':
		v->type = TS_JSON_STRING;
		return parse_string(ps, &v->str, &v->n);
	case 't':
		return literal(ps, "true", TS_JSON_TRUE, v);
	case 'f':
		return literal(ps, "false", TS_JSON_FALSE, v);
	case 'n':
		return literal(ps, "null", TS_JSON_NULL, v);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, v);
		return fail(ps, "unexpected character");
	}
}

const struct ts_json *ts_json_parse(struct ts_json_arena *a, const char *text,
				    size_t len, char *err, size_t errsize)
{
	char dummy[1];
	struct parser ps = { .p = text, .start = text, .end = text + len,
			     .a = a, .err = errsize ? err : dummy,
			     .errsize = errsize ? errsize : sizeof(dummy) };
	struct ts_json *root = arena_alloc(a, sizeof(*root));
	bool ok;

	ps.err[0] = '\0';
	if (!root) {
		snprintf(ps.err, ps.errsize, "out of memory");
		return NULL;
	}
	ok = parse_value(&ps, root);
	if (ok) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			ok = fail(&ps, "text after the JSON value");
	}
	free(ps.stack);
	free(ps.kstack);
	return ok ? root : NULL;
}

const struct ts_json *ts_json_get(const struct ts_json *v, const char *key)
{
	size_t i;

	if (!v || v->type != TS_JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *ts_json_string(const struct ts_json *v)
{
	return v && v->type == TS_JSON_STRING ? v->str : NULL;
}

/* The digits of an integer given as number or string; NULL otherwise. */
static const char *int_text(const struct ts_json *v)
{
	if (!v || (v->type != TS_JSON_NUMBER && v->type != TS_JSON_STRING))
		return NULL;
	if (!v->n || strlen(v->str) != v->n)
		return NULL;
	return v->str;
}

bool ts_json_u64(const struct ts_json *v, uint64_t *out)
{
	const char *s = int_text(v);
	uint64_t x = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

bool ts_json_i64(const struct ts_json *v, int64_t *out)
{
	const char *s = int_text(v);
	struct ts_json tmp;
	uint64_t x;
	bool neg;

	if (!s)
		return false;
	neg = *s == '-';
	tmp = *v;
	tmp.str = s + neg;
	tmp.n = v->n - neg;
	if (!ts_json_u64(&tmp, &x) || x > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

bool ts_json_double(const struct ts_json *v, double *out)
{
	char *end;
	double d;

	if (!v || (v->type != TS_JSON_NUMBER && v->type != TS_JSON_STRING) ||
	    !v->n || strlen(v->str) != v->n || v->str[0] == ' ' ||
	    (v->str[0] >= '\t' && v->str[0] <= '\r'))
		return false;
	errno = 0;
	d = strtod(v->str, &end);
	if (*end || errno == ERANGE)
		return false;
	*out = d;
	return true;
}
