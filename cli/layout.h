/*
 * layout.h - a trace's spans in display order.
 *
 * ts_trace_layout() orders a trace depth-first from its roots, children
 * by start time (the longer first on ties), and sets each span's depth,
 * tree-drawing prefix and display row.  A span whose parent is not in the
 * store is a root flagged `orphan`; spans whose parent links form a cycle
 * are broken out at their earliest span, flagged `cycle`.  The walk is
 * iterative and every span is visited once, so hostile input (deep
 * chains, loops, self-parents) can neither recurse nor loop.
 *
 * Threads: as the store.
 */
#ifndef TS_CLI_LAYOUT_H
#define TS_CLI_LAYOUT_H

#include "spans.h"

/* Lay a trace out for display; idempotent until spans are added. */
void ts_trace_layout(struct ts_store *s, struct ts_trace_view *t);

/* Traces sorted by start time, each laid out (a malloc'd array of n). */
struct ts_trace_view **ts_store_sorted(struct ts_store *s, size_t *n);

#endif /* TS_CLI_LAYOUT_H */
