/*
 * curl.h - libcurl client spans (hooks/curl.c): what other modules see.
 *
 * While a thread runs a libcurl call that can open connections
 * (curl_easy_perform, curl_multi_perform, curl_multi_socket_action, ...)
 * made by the application, ts_curl_depth is non-zero on that thread.  The
 * socket layer then leaves the connections it sees opened alone
 * (hooks/sockets.c marks them not traced): libcurl's transfers get their
 * CLIENT span and their traceparent from hooks/curl.c, above TLS, and a
 * second span or header from the socket layer would be wrong.
 *
 * Threads: ts_curl_depth is per-thread (initial-exec TLS); reading it is
 * async-signal-safe.
 */
#ifndef TS_HOOKS_CURL_H
#define TS_HOOKS_CURL_H

#include "../preload/common.h"

extern TS_TLS unsigned ts_curl_depth;

/* True while this thread is inside a libcurl call that drives transfers. */
static inline bool ts_curl_is_driving(void)
{
	return ts_curl_depth != 0;
}

#endif /* TS_HOOKS_CURL_H */
