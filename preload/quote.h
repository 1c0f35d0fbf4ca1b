/*
 * quote.h - user-supplied text made safe to put in a one-line warning.
 *
 * Configuration values are echoed back in warnings; a value holding a
 * newline or other control bytes must not break the "one warning, one
 * line" promise, and a huge value must not push the rest of the message
 * out of the log line.  Config-time helper; no allocation.
 */
#ifndef TS_QUOTE_H
#define TS_QUOTE_H

#include <string.h>

#include "common.h"

/*
 * Copy `len` bytes of `s` into `buf` (NUL-terminated), control bytes
 * replaced by '?', cut to at most 64 bytes followed by "..." when longer
 * (or shorter if `buf` is smaller).  Returns `buf`, for use in a printf
 * argument list.
 */
static inline const char *ts_quote(char *buf, size_t size, const char *s,
				   size_t len)
{
	size_t max = size > 68 ? 64 : (size > 4 ? size - 4 : 0), n, i;

	if (!size)
		return "";
	n = len > max ? max : len;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n < len && size - n > 3) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

#endif /* TS_QUOTE_H */
