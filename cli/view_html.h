/*
 * view_html.h - traces as one self-contained HTML page.
 *
 * One waterfall per trace: a row per span (service, name, indented by
 * depth) with a bar placed by its start and sized by its duration on the
 * trace's time line.  Each row is a <details> element: clicking it opens
 * the span's attributes, ids, times, events and resource attributes.
 * The page needs no network and no script: inline CSS only, and a
 * Content-Security-Policy that forbids every external load and every
 * script.  All span text (it comes from network traffic) is HTML-escaped
 * and made valid UTF-8; style attributes carry only numbers we computed.
 *
 * Threads: single-threaded.
 */
#ifndef TS_CLI_VIEW_HTML_H
#define TS_CLI_VIEW_HTML_H

#include <stdio.h>

#include "spans.h"

/*
 * Write the page for traces v[0..n) whose id starts with `only` (all when
 * NULL) to `path` ("-": standard output), through a temporary file
 * renamed into place.  Returns 0, or 1 with a message on stderr.
 */
int ts_html_write(const char *path, struct ts_store *s,
		  struct ts_trace_view **v, size_t n, const char *only);

/* The page itself, into an open stream (tests use open_memstream). */
void ts_html_page(FILE *out, struct ts_store *s, struct ts_trace_view **v,
		  size_t n, const char *only);

/* s HTML-escaped (& < > " ') and made valid UTF-8 without control
 * characters; for text and attribute values alike. */
void ts_html_escape(FILE *out, const char *s);

#endif /* TS_CLI_VIEW_HTML_H */
