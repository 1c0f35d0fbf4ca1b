/*
 * tail.h - span files read whole or while they grow (--follow).
 *
 * Threads: a tail belongs to one thread, like its store.
 */
#ifndef TS_CLI_TAIL_H
#define TS_CLI_TAIL_H

#include <stdio.h>
#include <sys/types.h>

#include "spans.h"

/*
 * A file being read, possibly while it grows (--follow).  Complete lines
 * are added; a partial last line waits for its end.  A file that shrinks
 * or is replaced is read again from the start.
 */
struct ts_tail {
	const char *path;   /* as given */
	FILE *f;            /* open file, or NULL (not there yet) */
	dev_t dev;          /* identity of the open file */
	ino_t ino;
	off_t off;          /* bytes consumed */
	char *part;         /* partial last line */
	size_t plen, pcap;
	long lineno;        /* lines read */
	long malformed;     /* lines skipped */
	bool missing_said;  /* "does not exist" was reported */
};

/*
 * Read what is new in the file.  Returns the number of spans added, or
 * -errno when it cannot be opened or read (ENOENT: not there yet).
 * Malformed lines produce one warning on `warn` each (at most 10 per
 * file, then a count at the end); `prog` prefixes the warnings.
 */
long ts_tail_poll(struct ts_tail *t, struct ts_store *s, FILE *warn,
		  const char *prog, bool at_eof);
void ts_tail_close(struct ts_tail *t);

#endif /* TS_CLI_TAIL_H */
