/*
 * common.h - small definitions every traceshim translation unit shares.
 *
 * Compiler attributes live here so that no .c file needs an #ifdef.
 * Nothing in this header has state.
 */
#ifndef TS_COMMON_H
#define TS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only interposed libc names carry this; everything else stays hidden. */
#define TS_EXPORT __attribute__((visibility("default")))

/*
 * Per-thread state must not call into the TLS allocator on first touch
 * (that path can take the loader lock and allocate), so every __thread
 * variable of ours uses the initial-exec model.
 */
#define TS_TLS __thread __attribute__((tls_model("initial-exec")))

#define ts_likely(x) __builtin_expect(!!(x), 1)
#define ts_unlikely(x) __builtin_expect(!!(x), 0)
#define TS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TS_UNUSED __attribute__((unused))
#define TS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TS_NORETURN __attribute__((noreturn))
/*
 * Code layout.  TS_HOT marks what runs on every request (the socket hooks,
 * the parser's runs, span recording): the compiler gathers it in
 * .text.hot, so the few kilobytes a request executes sit together in the
 * instruction cache instead of among start-up, configuration and export
 * code.  TS_COLD marks what a request never reaches (logging): calls to it
 * are predicted untaken and the blocks around them moved out of line.
 */
#ifndef TS_HOT
#define TS_HOT __attribute__((hot))
#endif
#define TS_COLD __attribute__((cold))
#define TS_CACHELINE 64
#define TS_ALIGNED_CL __attribute__((aligned(TS_CACHELINE)))

/* Version reported as telemetry.sdk.version and the instrumentation scope. */
#define TS_VERSION "0.1.0"

#endif /* TS_COMMON_H */
