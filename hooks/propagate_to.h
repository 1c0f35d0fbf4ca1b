/*
 * propagate_to.h - which destinations receive our trace context.
 *
 * TRACESHIM_PROPAGATE_TO lists the hosts outgoing requests may carry
 * injected trace headers to; requests to any other host are still traced,
 * but their bytes go out exactly as the application wrote them.  Unset or
 * blank: every host.  A comma list of patterns:
 *
 *   api.example.com          that host name, case-insensitively (a
 *                            trailing '.' is ignored on both sides)
 *   *.example.com            any host below example.com, at any depth,
 *                            not example.com itself; ".example.com" is
 *                            the same (the NO_PROXY spelling)
 *   *                        every host (with a port: every host there)
 *   10.1.2.3, ::1            an IPv4 or IPv6 address
 *   10.0.0.0/8, fd00::/8     a CIDR block (host bits are masked off)
 *   ...:8080                 any of the above restricted to one port;
 *                            IPv6 then needs brackets: [::1]:8080,
 *                            [fd00::]/8:443 (or [fd00::/8]:443)
 *
 * Names are never resolved: an address pattern matches a host given as
 * an address literal (IPv4-mapped IPv6 counts as IPv4), or, through
 * ts_propagate_to_allowed_peer(), the connected peer's address.  A request
 * whose port is unknown matches only patterns without a port.
 *
 * An invalid entry gives one warning and is ignored.  When the variable is
 * set but no entry is valid, context goes to no host: the variable exists
 * to restrict, and a typo must not widen it to everything (the warning
 * says so).
 *
 * Threads: ts_propagate_to_configure() runs once, at start-up, before any
 * hook; the predicates run on the application's threads, inside socket
 * hooks and signal handlers: they are async-signal-safe, reentrant, take
 * no lock, allocate nothing and never resolve a name.
 */
#ifndef TS_HOOKS_PROPAGATE_TO_H
#define TS_HOOKS_PROPAGATE_TO_H

#include "../preload/common.h"

#define TS_PROPAGATE_TO_MAX 64 /* patterns kept */

/*
 * Compile TRACESHIM_PROPAGATE_TO (`spec`; NULL or blank: every host) into
 * static storage, replacing an earlier table.  Entries are trimmed;
 * empty ones skipped.  Returns the number of invalid entries (each warned
 * about; entries past TS_PROPAGATE_TO_MAX share one warning).
 */
int ts_propagate_to_configure(const char *spec);

/*
 * May trace context be injected into a request to `host`/`len` (the Host
 * header's or the URL's host, without port; brackets around an IPv6
 * address, a trailing '.', an IPv6 zone and, when `port` is 0, a ":port"
 * are tolerated) on `port` (0: unknown)?  Reads exactly `len` bytes.
 */
bool ts_propagate_to_allowed(const char *host, size_t len, uint16_t port);

/*
 * The same, where an address pattern may also match `peer`/`plen`, the
 * numeric address of the connected peer (as the socket hooks print it:
 * "10.0.0.7", "::1", "::ffff:10.0.0.7"; NULL or empty when unknown), so
 * that "10.0.0.0/8" also covers requests to internal hosts by name.
 */
bool ts_propagate_to_allowed_peer(const char *host, size_t len,
				  const char *peer, size_t plen,
				  uint16_t port);

/* Parse a numeric IPv4 ("a.b.c.d", no leading zeros) or IPv6 address into
 * `addr` (4 or 16 bytes, network order); returns 4, 16, or 0 if it is
 * neither.  Async-signal-safe; exposed for tests and other hooks. */
int ts_propagate_to_parse_ip(const char *s, size_t n, uint8_t addr[16]);

/* A decimal port 1..65535 in s/n; 0 when invalid. */
uint16_t ts_propagate_to_parse_port(const char *s, size_t n);

#endif /* TS_HOOKS_PROPAGATE_TO_H */
