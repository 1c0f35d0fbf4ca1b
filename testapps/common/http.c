/*
 * http.c - HTTP/1.1 message framing for the test applications (see http.h).
 *
 * Strict where framing is at stake (one Content-Length, no
 * Content-Length next to Transfer-Encoding, only the chunked coding),
 * lenient elsewhere (bare LF line ends, any reason phrase).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c);
}

/* The end of the line starting at p (the '\n'), or NULL if not in buf. */
static const char *line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Length of the line content, without its CR LF or LF. */
static size_t line_len(const char *p, const char *nl)
{
	size_t n = (size_t)(nl - p);

	return n && p[n - 1] == '\r' ? n - 1 : n;
}

static bool token_in_list(const char *v, size_t len, const char *tok)
{
	size_t tl = strlen(tok), i = 0, s;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		while (i > s && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			i--;
		if (i - s == tl && !strncasecmp(v + s, tok, tl))
			return true;
		while (i < len && v[i] != ',')
			i++;
	}
	return false;
}

static bool name_is(const struct ta_header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	       !strncasecmp(h->name, name, h->name_len);
}

/* "HTTP/1.x" at p: sets the minor version. */
static bool parse_version(const char *p, size_t len, int *minor)
{
	if (len != 8 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1'))
		return false;
	*minor = p[7] - '0';
	return true;
}

static long parse_request_line(const char *p, size_t len, struct ta_msg *m)
{
	const char *sp1 = memchr(p, ' ', len), *sp2;
	size_t i;

	if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof(m->method))
		return -400;
	for (i = 0; p + i < sp1; i++)
		if (!is_tchar((unsigned char)p[i]))
			return -400;
	memcpy(m->method, p, (size_t)(sp1 - p));
	m->method[sp1 - p] = '\0';
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p));
	if (!sp2 || sp2 == sp1 + 1)
		return -400;
	m->target = sp1 + 1;
	m->target_len = (size_t)(sp2 - sp1 - 1);
	for (i = 0; i < m->target_len; i++)
		if ((unsigned char)m->target[i] <= ' ' ||
		    (unsigned char)m->target[i] == 0x7f)
			return -400;
	if (!parse_version(sp2 + 1, len - (size_t)(sp2 + 1 - p), &m->minor))
		return memcmp(sp2 + 1, "HTTP/", 5) ? -400 : -505;
	return 0;
}

static long parse_status_line(const char *p, size_t len, struct ta_msg *m)
{
	if (len < 12 || !parse_version(p, 8, &m->minor) || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || (len > 12 && p[12] != ' '))
		return -400;
	m->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return m->status < 100 ? -400 : 0;
}

static long parse_header_line(const char *p, size_t len, struct ta_msg *m)
{
	const char *colon = memchr(p, ':', len), *v, *e = p + len;
	struct ta_header *h;
	size_t i;

	if (p[0] == ' ' || p[0] == '\t')
		return -400; /* obsolete line folding */
	if (!colon || colon == p)
		return -400;
	for (i = 0; p + i < colon; i++)
		if (!is_tchar((unsigned char)p[i]))
			return -400;
	if (m->nh == TA_MAX_HEADERS)
		return -431;
	for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h = &m->h[m->nh++];
	h->name = p;
	h->name_len = (size_t)(colon - p);
	h->value = v;
	h->value_len = (size_t)(e - v);
	return 0;
}

/* Content-Length, Transfer-Encoding and Connection into m. */
static long framing(struct ta_msg *m, enum ta_http_kind kind)
{
	bool close_tok = false, keep_tok = false, te = false;
	long long cl = -1, v;
	size_t i;
	int k;

	for (k = 0; k < m->nh; k++) {
		const struct ta_header *h = &m->h[k];

		if (name_is(h, "content-length")) {
			if (!h->value_len || h->value_len > 15)
				return -400;
			for (i = 0, v = 0; i < h->value_len; i++) {
				if (!isdigit((unsigned char)h->value[i]))
					return -400;
				v = v * 10 + (h->value[i] - '0');
			}
			if (cl >= 0 && cl != v)
				return -400;
			cl = v;
		} else if (name_is(h, "transfer-encoding")) {
			if (h->value_len != 7 || strncasecmp(h->value, "chunked", 7))
				return -501;
			te = true;
		} else if (name_is(h, "connection")) {
			close_tok |= token_in_list(h->value, h->value_len, "close");
			keep_tok |= token_in_list(h->value, h->value_len,
						  "keep-alive");
		}
	}
	if (te && cl >= 0)
		return -400;
	m->chunked = te;
	m->content_length = cl;
	m->keep_alive = m->minor ? !close_tok : keep_tok;
	if (kind == TA_REQUEST && cl > TA_MAX_BODY)
		return -413;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Walk a chunked body starting at p: its framed length in *framed and its
 * decoded length in *total; copies the data into out unless NULL.
 * 0 complete, 1 need more, <0 -status.
 */
static long walk_chunks(const char *p, const char *end, char *out,
			size_t *total, size_t *framed)
{
	const char *s = p, *nl, *digits;
	size_t n;
	int d;

	*total = 0;
	for (;;) {
		if (!(nl = line_end(s, end)))
			return 1;
		for (digits = s, n = 0; s < nl && (d = hexval(*s)) >= 0; s++) {
			if (n > TA_MAX_BODY)
				return -413;
			n = n * 16 + (size_t)d;
		}
		if (s == digits || (*s != ';' && *s != '\r' && *s != '\n'))
			return -400;
		s = nl + 1;
		if (n == 0)
			break;
		if (*total + n > TA_MAX_BODY)
			return -413;
		if ((size_t)(end - s) < n + 1)
			return 1;
		if (out)
			memcpy(out + *total, s, n);
		*total += n;
		s += n;
		if (*s == '\r')
			s++;
		if (s >= end)
			return 1;
		if (*s++ != '\n')
			return -400;
	}
	/* The trailer section, ended by an empty line. */
	for (;;) {
		if (!(nl = line_end(s, end)))
			return 1;
		n = line_len(s, nl);
		s = nl + 1;
		if (!n)
			break;
	}
	*framed = (size_t)(s - p);
	return 0;
}

/* A complete chunked body decoded into m (malloc'd); as walk_chunks(). */
static long dechunk(const char *p, const char *end, struct ta_msg *m,
		    size_t *framed)
{
	size_t total;
	long r = walk_chunks(p, end, NULL, &total, framed);
	char *out;

	if (r)
		return r;
	if (!(out = malloc(total + 1)))
		return -413;
	walk_chunks(p, end, out, &total, framed);
	out[total] = '\0';
	m->body_owned = out;
	m->body = out;
	m->body_len = total;
	return 0;
}

static bool has_no_body(const struct ta_msg *m, enum ta_http_kind kind)
{
	if (kind == TA_REQUEST)
		return false;
	return kind == TA_RESPONSE_HEAD || m->status < 200 ||
	       m->status == 204 || m->status == 304;
}

static long parse_head(char *buf, size_t len, enum ta_http_kind kind,
		       struct ta_msg *m)
{
	const char *p = buf, *end = buf + len, *nl;
	bool first = true;
	long r;

	for (;;) {
		nl = line_end(p, end);
		if (!nl)
			return len > TA_MAX_HEAD ? -431 : 0;
		if ((size_t)(nl + 1 - buf) > TA_MAX_HEAD)
			return -431;
		if (first && nl == p + (p[0] == '\r'))
			return -400; /* a message does not start empty */
		if (!line_len(p, nl))
			break;
		if (first)
			r = kind == TA_REQUEST
				    ? parse_request_line(p, line_len(p, nl), m)
				    : parse_status_line(p, line_len(p, nl), m);
		else
			r = parse_header_line(p, line_len(p, nl), m);
		if (r < 0)
			return r;
		first = false;
		p = nl + 1;
	}
	m->head_len = (size_t)(nl + 1 - buf);
	return (long)m->head_len;
}

long ta_http_parse(char *buf, size_t len, enum ta_http_kind kind, bool eof,
		   struct ta_msg *m)
{
	size_t framed;
	long r;

	memset(m, 0, sizeof(*m));
	r = parse_head(buf, len, kind, m);
	if (r <= 0)
		return r;
	if ((r = framing(m, kind)) < 0)
		return r;
	m->body = buf + m->head_len;
	if (has_no_body(m, kind))
		return (long)m->head_len;
	if (m->chunked) {
		r = dechunk(buf + m->head_len, buf + len, m, &framed);
		if (r)
			return r > 0 ? 0 : r;
		return (long)(m->head_len + framed);
	}
	if (m->content_length >= 0) {
		if (len - m->head_len < (size_t)m->content_length)
			return 0;
		m->body_len = (size_t)m->content_length;
		return (long)(m->head_len + m->body_len);
	}
	if (kind == TA_REQUEST)
		return (long)m->head_len; /* no body */
	/* A response delimited by the end of the connection. */
	m->keep_alive = false;
	if (!eof)
		return len - m->head_len > TA_MAX_BODY ? -413 : 0;
	m->body_len = len - m->head_len;
	return (long)len;
}

void ta_msg_release(struct ta_msg *m)
{
	free(m->body_owned);
	m->body_owned = NULL;
}

const char *ta_msg_header(const struct ta_msg *m, const char *name, char *out,
			  size_t size)
{
	int k;

	for (k = 0; k < m->nh; k++) {
		if (!name_is(&m->h[k], name))
			continue;
		if (m->h[k].value_len >= size)
			return NULL;
		memcpy(out, m->h[k].value, m->h[k].value_len);
		out[m->h[k].value_len] = '\0';
		return out;
	}
	return NULL;
}

const char *ta_http_reason(int status)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {
		{ 100, "Continue" },	      { 200, "OK" },
		{ 201, "Created" },	      { 202, "Accepted" },
		{ 204, "No Content" },	      { 301, "Moved Permanently" },
		{ 302, "Found" },	      { 304, "Not Modified" },
		{ 400, "Bad Request" },	      { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 411, "Length Required" },   { 413, "Content Too Large" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },   { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].text;
	return "Unknown";
}

size_t ta_http_response_head(char *out, size_t size, int status,
			     const char *server, const char *ctype,
			     long long body_len, bool keep_alive)
{
	char date[64], len[64] = "";
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (body_len >= 0)
		snprintf(len, sizeof(len), "Content-Length: %lld\r\n", body_len);
	else if (body_len == -1)
		snprintf(len, sizeof(len), "Transfer-Encoding: chunked\r\n");
	n = snprintf(out, size,
		     "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n%s%s%s%s%s\r\n",
		     status, ta_http_reason(status), date, server,
		     ctype ? "Content-Type: " : "", ctype ? ctype : "",
		     ctype ? "\r\n" : "", len,
		     keep_alive ? "" : "Connection: close\r\n");
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

bool ta_url_decode(const char *src, size_t len, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		char c = src[i];

		if (c == '%') {
			if (i + 2 >= len)
				return false;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi * 16 + lo);
			if (!c)
				return false;
			i += 2;
		}
		if (o + 1 >= size)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}
