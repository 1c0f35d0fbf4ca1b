/*
 * http_attrs.h - the attributes of HTTP spans: recorded raw on the
 * application's thread, named on the reporter's.
 *
 * Building a span's name and semantic-convention attributes (keys, path
 * and query split, Host parsed into address and port, status rules) costs
 * more than everything else the shim does per request, and none of it is
 * needed before export.  So the hooks record only the raw facts of a
 * request (method, request-target, Host, User-Agent, peer, ports, status,
 * body sizes) as a payload in the span's arena and mark the record
 * TS_DEFER_HTTP (span.h); the reporter thread expands it just before
 * export.  The exported span is the same either way.
 *
 * Threads: the ts_http_raw_* functions run on the thread that owns the
 * span (under the connection's direction lock); ts_http_expand on the
 * reporter thread, on a record no one else touches.
 */
#ifndef TS_HOOKS_HTTP_ATTRS_H
#define TS_HOOKS_HTTP_ATTRS_H

#include "../preload/span.h"

struct ts_http_conn;
struct ts_http_parser;

/*
 * The request head `p` of connection `h` has been read (server) or sent
 * (client): record it in `s`, a span started on it.  Values that do not
 * fit in the arena are cut.  Async-signal-safe.
 */
void ts_http_raw_request(struct ts_span *s, const struct ts_http_parser *p,
			 const struct ts_http_conn *h, bool server);

/*
 * The final response head `p` (status 101 or >= 200) of the request whose
 * span is `s` has gone by: record the response headers `p` captured
 * (OTEL_INSTRUMENTATION_HTTP_*_CAPTURE_RESPONSE_HEADERS), as far as the
 * arena holds them.  Async-signal-safe.
 */
void ts_http_raw_response(struct ts_span *s, const struct ts_http_parser *p);

/*
 * Add the captured values `vals` (`n` bytes of NUL-terminated strings)
 * of header `name` (lowercase, `len` bytes) as the string array
 * http.request.header.<name> (`request`) or http.response.header.<name>.
 */
void ts_http_header_attr(struct ts_span *s, bool request, const char *name,
			 size_t len, const char *vals, size_t n);

/*
 * The request's outcome: response status (0: none came), body sizes, and
 * whether the connection closed before a response.  On a span without a
 * recorded request (its head never completed) the attributes are added
 * right away.  Async-signal-safe.
 */
void ts_http_raw_outcome(struct ts_span *s, bool server, uint16_t status,
			 uint64_t req_body, uint64_t resp_body, bool closed);

/* The TS_DEFER_HTTP expander (see span.h); registered at start-up. */
void ts_http_expand(struct ts_span *s);

/* `m` (n bytes) if it is one of the methods the semantic conventions
 * know (exactly, case included), as a literal; NULL otherwise. */
const char *ts_http_method_known(const char *m, size_t n);

#endif /* TS_HOOKS_HTTP_ATTRS_H */
