/*
 * route.h - low-cardinality routes for span names ("GET /users/{id}").
 *
 * A server span is named "{METHOD} {route}".  The route is the request
 * path with everything that identifies one resource rather than an
 * endpoint folded to "{id}", so /users/123/orders/9f1c2a7e and
 * /users/456/orders/77aa01b3 give one name; url.path keeps the real path.
 *
 * TRACESHIM_ROUTES overrides the guesswork with the application's own
 * templates, a comma list tried in order, the first match winning:
 *
 *   /users/{id}/orders/{order}   a literal segment matches itself (bytes,
 *                                case-sensitive), "{name}" exactly one
 *                                non-empty segment
 *   /static/STAR                 (STAR written as an asterisk) only as
 *                                the last segment: the rest of the path,
 *                                even none of it: /static, /static/ and
 *                                /static/a/b.js
 *
 * Empty segments ("//") and a trailing slash are ignored when matching, on
 * both sides.  The route reported is the template as written.
 *
 * Without a matching template, each segment is judged on its own.  It
 * becomes "{id}" when it is, or contains as one of its words (parts
 * between '-', '_', '.', '~', '+', '=', ',', ':' and %XX escapes):
 *   - a number: the whole segment made of digits and those separators
 *     (123, 2024-01-15, 1.2.3, 10.0.0.1), or a word of 2 or more digits
 *     (order-1234, report_2024.pdf; but v1.2 and web-3 stay);
 *   - a UUID (8-4-4-4-12 hex digits);
 *   - a hex run of 6 or more with at least one digit (MongoDB ObjectIds,
 *     hashes, short git ids, app.3f2a1b.js; but "decade" or "facade" stay);
 *   - a word of 4 or more digits that are more than half of it
 *     (INV2024001, user12345; but sha256, x509, ubuntu2204 stay);
 *   - an opaque token: 7+ letters and digits where the digits come in two
 *     or more separate runs (dQw4w9WgXcQ, T024BE7LD, ULIDs, KSUIDs,
 *     nanoids, JWT parts); or, with no such digits, 16+ characters with at
 *     least a quarter upper case and a quarter lower case (random
 *     base64url, not camelCase words);
 * or when the segment is an e-mail address (x@y.z, also as %40), longer
 * than 48 bytes (no endpoint's name is; tokens and encoded blobs are), or
 * holds a control byte (so a route never carries a NUL or an escape).
 * Everything after a ';' in a segment (matrix parameters such as
 * ;jsessionid=...) is left out of the route.  Literal words stay: /v1,
 * /api/v2, /index.html, /oauth2/callback, /en-US/docs.  The heuristic
 * output collapses "//" to "/" and keeps one trailing slash; an empty path
 * gives "/".  Escaped unreserved characters are judged as what they mean
 * (%31%32%33 is 123); other escapes are separators, never the digits of
 * their hex (caf%C3%A9 stays a word).  The route keeps the bytes as sent.
 *
 * Threads: ts_route_configure() runs once, at start-up, before any span;
 * ts_route_of() runs on the reporter thread (or any thread: it is
 * reentrant and async-signal-safe, and reads the table read-only).
 */
#ifndef TS_HOOKS_ROUTE_H
#define TS_HOOKS_ROUTE_H

#include "../preload/common.h"

#define TS_ROUTE_MAX_TEMPLATES 64    /* templates kept */
#define TS_ROUTE_TEMPLATE_MAX 255    /* bytes of one template */

/*
 * Compile TRACESHIM_ROUTES (`spec`; NULL or blank: no templates) into
 * static storage, replacing any earlier table.  Entries are trimmed of
 * blanks; empty entries are skipped.  An invalid template (not starting
 * with '/', '*' not last or not a whole segment, braces that are not a
 * whole "{name}" segment, longer than TS_ROUTE_TEMPLATE_MAX, past
 * TS_ROUTE_MAX_TEMPLATES) gives one warning each and is ignored.  Returns
 * the number of invalid templates.  No allocation: it may run inside
 * another library's constructor.
 */
int ts_route_configure(const char *spec);

/*
 * The route of request path `path`/`len` (a '?' or '#' ends it, should
 * the caller leave the query on): the first configured template that
 * matches, as written, else the heuristic above.  Writes at most size - 1
 * bytes and a NUL into `out` (nothing when size is 0) and returns the
 * length written.  A route too long for `out` is cut after the last whole
 * segment that fits, so no "{id}" or word is ever split.  Reads exactly
 * `len` bytes of `path`, which need not be NUL-terminated.  Reentrant,
 * async-signal-safe, no allocation.
 */
size_t ts_route_of(const char *path, size_t len, char *out, size_t size);

/*
 * The same, also telling (when `templated` is not NULL) whether the route
 * came from a TRACESHIM_ROUTES template.  Only such a route is the
 * application's own template, which the semantic conventions allow in
 * http.route; a guessed one belongs in the span name only.
 */
size_t ts_route_lookup(const char *path, size_t len, char *out, size_t size,
		       bool *templated);

#endif /* TS_HOOKS_ROUTE_H */
