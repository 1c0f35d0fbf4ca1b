/*
 * tail.c - span files read as they grow (see tail.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tail.h"

#define TAIL_WARN_MAX 10

static void line_done(struct ts_tail *t, struct ts_store *s, const char *p,
		      size_t n, FILE *warn, const char *prog, long *added)
{
	char err[256];
	size_t skipped;
	long r;

	t->lineno++;
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		return;
	r = ts_store_add_line(s, p, n, &skipped, err, sizeof(err));
	if (r < 0) {
		if (++t->malformed <= TAIL_WARN_MAX)
			fprintf(warn, "%s: warning: %s:%ld: skipped a malformed "
				"line (%s)\n", prog, t->path, t->lineno, err);
		return;
	}
	if (skipped)
		fprintf(warn, "%s: warning: %s:%ld: skipped %zu span%s with an "
			"invalid traceId, spanId or parentSpanId\n", prog,
			t->path, t->lineno, skipped, skipped == 1 ? "" : "s");
	*added += r;
}

/* (Re)open the file if it is not open or was replaced or truncated. */
static int tail_open(struct ts_tail *t)
{
	struct stat st, fst;

	if (!strcmp(t->path, "-")) { /* standard input: just read on */
		if (!t->f)
			t->f = stdin;
		return 0;
	}
	if (stat(t->path, &st))
		return t->f ? 0 : -errno; /* removed: keep reading the old */
	if (t->f && !fstat(fileno(t->f), &fst) && fst.st_dev == st.st_dev &&
	    fst.st_ino == st.st_ino && st.st_size >= t->off)
		return 0;
	if (t->f)
		fclose(t->f);
	if (!(t->f = fopen(t->path, "r")))
		return -errno;
	fstat(fileno(t->f), &fst);
	t->dev = fst.st_dev;
	t->ino = fst.st_ino;
	t->off = 0;
	t->plen = 0;
	t->lineno = 0;
	return 0;
}

long ts_tail_poll(struct ts_tail *t, struct ts_store *s, FILE *warn,
		  const char *prog, bool at_eof)
{
	char buf[65536], *nl, *p;
	long added = 0;
	size_t n;
	int r;

	if ((r = tail_open(t)))
		return r;
	clearerr(t->f);
	while ((n = fread(buf, 1, sizeof(buf), t->f)) > 0) {
		t->off += (off_t)n;
		for (p = buf; (nl = memchr(p, '\n', n - (size_t)(p - buf)));
		     p = nl + 1) {
			if (t->plen) {
				if (t->plen + (size_t)(nl - p) > t->pcap) {
					t->pcap = (t->plen + (size_t)(nl - p)) * 2;
					t->part = ts_xrealloc(t->part, t->pcap);
				}
				memcpy(t->part + t->plen, p, (size_t)(nl - p));
				t->plen += (size_t)(nl - p);
				line_done(t, s, t->part, t->plen, warn, prog,
					  &added);
				t->plen = 0;
			} else {
				line_done(t, s, p, (size_t)(nl - p), warn,
					  prog, &added);
			}
		}
		n -= (size_t)(p - buf);
		if (!n)
			continue;
		if (t->plen + n > t->pcap) {
			t->pcap = (t->plen + n) * 2;
			t->part = ts_xrealloc(t->part, t->pcap);
		}
		memcpy(t->part + t->plen, p, n);
		t->plen += n;
	}
	if (ferror(t->f))
		return -errno;
	if (at_eof && t->plen) { /* a last line without its newline */
		line_done(t, s, t->part, t->plen, warn, prog, &added);
		t->plen = 0;
	}
	return added;
}

void ts_tail_close(struct ts_tail *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
	free(t->part);
	t->part = NULL;
	t->plen = t->pcap = 0;
}

