/*
 * view_text.h - a trace as a text waterfall for a terminal or a pipe.
 *
 *   trace 5b8a...9df2  GET /statuses  4 spans, 3 services  1.07 ms  <date>
 *     SERVICE  SPAN                KIND    STATUS   DURATION |0      1.07 ms|
 *     curl     GET /statuses       client  200       1.07 ms |##############|
 *     proxy    `- GET /statuses    server  200       0.87 ms | ###########  |
 *     ...
 *
 * One row per span in tree order, with service, name, kind, HTTP status
 * (and ERROR), duration, and a bar placed and scaled on the trace's time
 * line.  Text from spans comes from network traffic: control characters
 * (escape sequences included) and invalid UTF-8 are replaced before
 * anything reaches the terminal.
 *
 * Threads: single-threaded.
 */
#ifndef TS_CLI_VIEW_TEXT_H
#define TS_CLI_VIEW_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "spans.h"

struct ts_text_opts {
	bool color; /* ANSI colours */
	bool utf8;  /* box-drawing and block characters; else ASCII */
	int width;  /* columns available */
};

/* Print one trace (laid out first if needed); `note` is appended to its
 * title line when not NULL ("updated: 2 more spans"). */
void ts_text_trace(FILE *out, struct ts_store *s, struct ts_trace_view *t,
		   const struct ts_text_opts *o, const char *note);

/* A duration as "812 us", "12.3 ms", "1.07 s" (µs with utf8). */
void ts_fmt_duration(uint64_t ns, bool utf8, char *out, size_t size);

/*
 * Copy `s` into out for a terminal, at most max_cols columns: control
 * characters and invalid UTF-8 become '?', and with !utf8 so does every
 * non-ASCII character; a cut string ends with an ellipsis.  Returns the
 * columns used.
 */
int ts_text_clean(const char *s, int max_cols, bool utf8, char *out,
		  size_t size);

#endif /* TS_CLI_VIEW_TEXT_H */
