/*
 * gzip.h - gzip request bodies (OTEL_EXPORTER_OTLP_COMPRESSION=gzip).
 *
 * zlib is loaded with dlopen("libz.so.1") by the reporter thread at the
 * first compressed export, never linked: the shim adds no dependency and
 * programs that never compress never load it.  libz.so.1 is on every
 * system that has libcurl, Python or dpkg, so in practice it is there;
 * when it is not, the caller sends the body uncompressed (after one
 * warning).  One deflate stream is kept and reset between batches, so
 * compression allocates nothing after the first batch.
 *
 * Threads: reporter thread only (or one test thread).
 */
#ifndef TS_GZIP_H
#define TS_GZIP_H

#include "buf.h"

/*
 * Replace out's contents by the gzip member of in[0, len).  0, -ENOSYS
 * when zlib cannot be loaded, -ENOMEM, -EIO when zlib fails.
 */
int ts_gzip(struct ts_buf *out, const char *in, size_t len);

/* Forget the stream (fork child: the parent may have been using it). */
void ts_gzip_after_fork(void);

/* Release the stream (reporter shutdown). */
void ts_gzip_free(void);

#endif /* TS_GZIP_H */
