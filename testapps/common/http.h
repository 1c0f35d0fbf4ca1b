/*
 * http.h - HTTP/1.1 message framing shared by the test applications.
 *
 * The test apps are ordinary C services that know nothing about tracing;
 * this is the small HTTP layer such services carry around.  It parses a
 * whole message (request or response) out of a caller-owned buffer:
 * start line, headers, and a body framed by Content-Length, chunked
 * transfer coding, or (responses only) the end of the connection.
 *
 * Contract of ta_http_parse(): returns the number of buffer bytes the
 * complete message occupies, 0 when more bytes are needed, or -status
 * (-400, -413, -431, -501, -505) when the message is unacceptable.  The
 * header and body pointers point into the buffer (a chunked body is
 * decoded into a malloc'd copy, freed by ta_msg_release()), so the buffer
 * must not move while the message is in use.
 *
 * Threads: pure functions on caller-owned data.
 */
#ifndef TA_HTTP_H
#define TA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define TA_MAX_HEADERS 64
#define TA_MAX_HEAD (16 * 1024)       /* a larger header block: 431 */
#define TA_MAX_BODY (8 * 1024 * 1024) /* a larger body: 413 */

struct ta_header {
	const char *name;  /* into the buffer, not NUL-terminated */
	size_t name_len;
	const char *value; /* leading and trailing blanks trimmed */
	size_t value_len;
};

struct ta_msg {
	char method[16];          /* requests: the method */
	const char *target;       /* requests: the request-target */
	size_t target_len;
	int status;               /* responses: the status code */
	int minor;                /* HTTP/1.<minor> */
	struct ta_header h[TA_MAX_HEADERS];
	int nh;                   /* headers in h[] */
	bool keep_alive;          /* the connection may carry another message */
	bool chunked;             /* Transfer-Encoding: chunked */
	long long content_length; /* -1 when absent */
	size_t head_len;          /* start line + headers + blank line */
	const char *body;         /* decoded body */
	size_t body_len;
	char *body_owned;         /* malloc'd decoded chunked body, or NULL */
};

enum ta_http_kind {
	TA_REQUEST,       /* the buffer holds a request */
	TA_RESPONSE,      /* a response to a request that may have a body */
	TA_RESPONSE_HEAD, /* a response to HEAD: never a body */
};

/* See the contract above.  `eof`: the peer closed after these bytes. */
long ta_http_parse(char *buf, size_t len, enum ta_http_kind kind, bool eof,
		   struct ta_msg *m);

/* Free what ta_http_parse() allocated (safe on a zeroed message). */
void ta_msg_release(struct ta_msg *m);

/* The value of header `name` (case-insensitive), NUL-terminated into out;
 * NULL when absent. */
const char *ta_msg_header(const struct ta_msg *m, const char *name, char *out,
			  size_t size);

/* The reason phrase of a status code ("Unknown" for unlisted ones). */
const char *ta_http_reason(int status);

/*
 * Format a response head into out: status line, Date, Server,
 * Content-Type (when ctype), Content-Length (when body_len >= 0),
 * Transfer-Encoding: chunked (when body_len == -1) or neither (when
 * body_len < -1: the body ends with the connection), Connection: close
 * (when !keep_alive), the blank line.  Returns its length, or 0 when it
 * does not fit.
 */
size_t ta_http_response_head(char *out, size_t size, int status,
			     const char *server, const char *ctype,
			     long long body_len, bool keep_alive);

/* Percent-decode src[0..len) into out (NUL-terminated); false when it is
 * malformed, holds a NUL byte or does not fit. */
bool ta_url_decode(const char *src, size_t len, char *out, size_t size);

#endif /* TA_HTTP_H */
