/*
 * export_console.c - the `console` exporter: one readable line per span
 * on stderr, for a quick look without a backend.
 *
 *   traceshim: span 4bf92f35..4736 a3ce929d0e0e4736 parent=- server
 *   "GET /x" 1.250ms ERROR "boom" http.response.status_code=500 ...
 *
 * (on one line).  The batch is written with one write(2), so lines never
 * interleave with each other.
 *
 * Threads: reporter thread only.
 */
#include <errno.h>
#include <string.h>

#include "../preload/log.h"
#include "../preload/real.h"
#include "../preload/span.h"
#include "buf.h"
#include "exporter.h"

static struct ts_buf cbuf; /* reused between batches */

static const char *const kind_names[] = {
	"unspecified", "internal", "server", "client", "producer", "consumer",
};
static const char *const status_names[] = { "UNSET", "OK", "ERROR" };

static void console_attr(struct ts_buf *b, const struct ts_span *s,
			 const struct ts_attr *a)
{
	ts_buf_putc(b, ' ');
	ts_buf_json_chars(b, ts_attr_key(s, a), a->key_len);
	ts_buf_putc(b, '=');
	if (a->type == TS_ATTR_STRING) {
		ts_buf_json_str(b, ts_span_str(s, a->val_off), a->val_len);
	} else if (a->type == TS_ATTR_STRARRAY) {
		bool first = true;

		ts_buf_putc(b, '[');
		TS_ATTR_FOREACH_STR(s, a, v, end) {
			if (!first)
				ts_buf_putc(b, ',');
			first = false;
			ts_buf_json_str(b, v, strlen(v));
		}
		ts_buf_putc(b, ']');
	} else if (a->type == TS_ATTR_BOOL)
		ts_buf_puts(b, a->ival ? "true" : "false");
	else
		ts_buf_i64(b, a->ival);
}

static void console_line(struct ts_buf *b, const struct ts_span *s)
{
	uint64_t us = (s->end_unix_ns - s->start_unix_ns) / 1000;
	char frac[4] = { (char)('0' + us % 1000 / 100),
			 (char)('0' + us % 100 / 10), (char)('0' + us % 10),
			 0 };
	unsigned i;

	ts_buf_puts(b, "traceshim: span ");
	ts_buf_hex(b, s->trace_id, 16);
	ts_buf_putc(b, ' ');
	ts_buf_hex(b, s->span_id, 8);
	ts_buf_puts(b, " parent=");
	if (s->parent_id[0] | s->parent_id[1] | s->parent_id[2] |
	    s->parent_id[3] | s->parent_id[4] | s->parent_id[5] |
	    s->parent_id[6] | s->parent_id[7])
		ts_buf_hex(b, s->parent_id, 8);
	else
		ts_buf_putc(b, '-');
	ts_buf_putc(b, ' ');
	ts_buf_puts(b, kind_names[s->kind < 6 ? s->kind : 0]);
	ts_buf_putc(b, ' ');
	ts_buf_json_str(b, ts_span_str(s, s->name_off), s->name_len);
	ts_buf_putc(b, ' ');
	ts_buf_u64(b, us / 1000);
	ts_buf_putc(b, '.');
	ts_buf_puts(b, frac);
	ts_buf_puts(b, "ms ");
	ts_buf_puts(b, status_names[s->status < 3 ? s->status : 0]);
	if (s->smsg_len) {
		ts_buf_putc(b, ' ');
		ts_buf_json_str(b, ts_span_str(s, s->smsg_off), s->smsg_len);
	}
	for (i = 0; i < s->nattrs; i++)
		console_attr(b, s, &s->attrs[i]);
	ts_buf_putc(b, '\n');
}

static int console_export(struct ts_exporter *e, const struct ts_resource *res,
			  const struct ts_span *const *spans, size_t n,
			  uint64_t deadline)
{
	const char *p;
	size_t i, left;

	(void)e, (void)res, (void)deadline;
	if (!ts_stderr_is_safe())
		return -EBADF;
	ts_buf_reset(&cbuf);
	for (i = 0; i < n; i++)
		console_line(&cbuf, spans[i]);
	if (cbuf.failed)
		return -ENOMEM;
	for (p = cbuf.data, left = cbuf.len; left;) {
		ssize_t w = TS_REAL(write)(2, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

static void console_shutdown(struct ts_exporter *e)
{
	(void)e;
	ts_buf_free(&cbuf);
}

static void console_after_fork(struct ts_exporter *e)
{
	(void)e;
	memset(&cbuf, 0, sizeof(cbuf));
}

void ts_exporter_console_init(struct ts_exporter *e, const struct ts_config *c)
{
	e->name = "console";
	e->export = console_export;
	e->shutdown = console_shutdown;
	e->after_fork = console_after_fork;
	e->cfg = c;
}
