/*
 * gzip.c - gzip through a dlopen'ed zlib (see gzip.h).
 *
 * zlib.h gives us the types and constants; the functions come from
 * dlsym, so the library links without -lz.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "../preload/log.h"
#include "gzip.h"

static struct {
	int tried;   /* 0 not yet, 1 loaded, -1 unavailable */
	int (*init2)(z_streamp, int, int, int, int, int, const char *, int);
	int (*deflate)(z_streamp, int);
	int (*reset)(z_streamp);
	int (*end)(z_streamp);
	uLong (*bound)(z_streamp, uLong);
	bool ready;  /* strm initialised */
	z_stream strm;
} z;

static bool load(void)
{
	void *h;

	if (z.tried)
		return z.tried > 0;
	z.tried = -1;
	h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ts_warn("OTEL_EXPORTER_OTLP_COMPRESSION=gzip needs zlib "
			"(libz.so.1): %s; sending uncompressed",
			dlerror());
		return false;
	}
	z.init2 = (int (*)(z_streamp, int, int, int, int, int, const char *,
			   int))dlsym(h, "deflateInit2_");
	z.deflate = (int (*)(z_streamp, int))dlsym(h, "deflate");
	z.reset = (int (*)(z_streamp))dlsym(h, "deflateReset");
	z.end = (int (*)(z_streamp))dlsym(h, "deflateEnd");
	z.bound = (uLong(*)(z_streamp, uLong))dlsym(h, "deflateBound");
	if (!z.init2 || !z.deflate || !z.reset || !z.end || !z.bound) {
		ts_warn("libz.so.1 lacks deflate functions; sending "
			"uncompressed");
		return false; /* keep the handle: dlclose buys nothing */
	}
	z.tried = 1;
	return true;
}

static int stream_ready(void)
{
	if (z.ready)
		return z.reset(&z.strm) == Z_OK ? 0 : -EIO;
	memset(&z.strm, 0, sizeof(z.strm));
	/* windowBits 15 + 16: a gzip wrapper; level 1: the reporter shares
	 * the application's cores, and spans compress well even so. */
	if (z.init2(&z.strm, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
		    ZLIB_VERSION, (int)sizeof(z_stream)) != Z_OK)
		return -ENOMEM;
	z.ready = true;
	return 0;
}

int ts_gzip(struct ts_buf *out, const char *in, size_t len)
{
	size_t cap;
	int err;

	if (!load())
		return -ENOSYS;
	if (len > UINT32_MAX / 2)
		return -EFBIG;
	err = stream_ready();
	if (err)
		return err;
	cap = z.bound(&z.strm, (uLong)len) + 32;
	ts_buf_reset(out);
	if (!ts_buf_reserve(out, cap))
		return -ENOMEM;
	z.strm.next_in = (Bytef *)(uintptr_t)in;
	z.strm.avail_in = (uInt)len;
	z.strm.next_out = (Bytef *)out->data;
	z.strm.avail_out = (uInt)cap;
	if (z.deflate(&z.strm, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	out->len = cap - z.strm.avail_out;
	return 0;
}

void ts_gzip_after_fork(void)
{
	z.ready = false; /* the parent's stream memory is leaked, not freed */
}

void ts_gzip_free(void)
{
	if (z.ready)
		z.end(&z.strm);
	z.ready = false;
}
