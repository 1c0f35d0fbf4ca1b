/*
 * curl_real.h - the real libcurl functions, found lazily, never linked.
 *
 * The shim exports libcurl names (hooks/curl.c) but has no dependency on
 * libcurl: a process that never loads libcurl never gets it from us, and
 * one that loads it late (dlopen by an interpreter or a plugin) is traced
 * from its first call on.  Where the real function is depends on how the
 * program got libcurl:
 *  - linked, or dlopen'ed RTLD_GLOBAL: it is in the global scope after
 *    us, and dlsym(RTLD_NEXT) finds it (one table for the process, found
 *    once);
 *  - a dependency of an object dlopen'ed RTLD_LOCAL (a PHP or Python
 *    extension, a plugin): the object's calls bind to us (the global
 *    scope is searched first) but libcurl is only in the object's own
 *    scope.  The real function is then what the dynamic linker would have
 *    bound without us: the definition in the calling object's scope,
 *    found with dlopen(caller, RTLD_NOLOAD) + dlsym.  A few such tables
 *    are cached, keyed by the calling object.
 * Nothing is ever dlopen'ed without RTLD_NOLOAD.  A lookup that finds no
 * libcurl is not remembered, so a libcurl loaded later is still found.
 *
 * Threads: any; no lock (a table is filled by whoever needs it first and
 * published with a release store; racing fillers store the same values).
 * Not async-signal-safe on a cache miss (dladdr, dlopen take the loader
 * lock), like libcurl itself.
 */
#ifndef TS_HOOKS_CURL_REAL_H
#define TS_HOOKS_CURL_REAL_H

#define CURL_DISABLE_TYPECHECK     /* the type-checking macros hide names */
#define CURL_DISABLE_DEPRECATION   /* we forward deprecated calls too */
#define CURL_ALLOW_OLD_MULTI_SOCKET /* curl_multi_socket is a function */
#include <curl/curl.h>

#include "../preload/common.h"

/* X(return type, name, parameter list): every function we forward or use. */
#define TS_CURL_FUNCS(X)                                                       \
	X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))               \
	X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))                \
	X(CURLcode, curl_easy_perform, (CURL *))                               \
	X(void, curl_easy_reset, (CURL *))                                     \
	X(CURL *, curl_easy_duphandle, (CURL *))                               \
	X(void, curl_easy_cleanup, (CURL *))                                   \
	X(const char *, curl_easy_strerror, (CURLcode))                        \
	X(struct curl_slist *, curl_slist_append,                              \
	  (struct curl_slist *, const char *))                                 \
	X(void, curl_slist_free_all, (struct curl_slist *))                    \
	X(curl_version_info_data *, curl_version_info, (CURLversion))          \
	X(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))                 \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))              \
	X(CURLMsg *, curl_multi_info_read, (CURLM *, int *))                   \
	X(CURLMcode, curl_multi_perform, (CURLM *, int *))                     \
	X(CURLMcode, curl_multi_socket_action,                                 \
	  (CURLM *, curl_socket_t, int, int *))                                \
	X(CURLMcode, curl_multi_socket, (CURLM *, curl_socket_t, int *))       \
	X(CURLMcode, curl_multi_socket_all, (CURLM *, int *))                  \
	X(CURLMcode, curl_multi_cleanup, (CURLM *))

struct ts_curl_api {
#define TS_CURL_FIELD(ret, name, params) ret(*name) params;
	TS_CURL_FUNCS(TS_CURL_FIELD)
#undef TS_CURL_FIELD
	uintptr_t lo, hi;        /* where that libcurl is mapped: a call
				    from there is libcurl calling its own
				    API (through its PLT), not the app */
	unsigned version;        /* LIBCURL_VERSION_NUM of that libcurl */
	bool has_prereq;         /* CURLOPT_PREREQFUNCTION (7.80.0) */
	bool has_method;         /* CURLINFO_EFFECTIVE_METHOD (7.72.0) */
};

/*
 * The libcurl a call made from code at `caller` (a return address in the
 * calling object) reaches, or NULL when no libcurl can be found (then the
 * call cannot be forwarded at all).  Every function pointer of a returned
 * table is non-NULL except the deprecated curl_multi_socket*.
 */
const struct ts_curl_api *ts_curl_api_for(const void *caller);

/* True when `caller` is inside that libcurl (an internal call). */
static inline bool ts_curl_api_is_internal(const struct ts_curl_api *api,
					   const void *caller)
{
	return (uintptr_t)caller >= api->lo && (uintptr_t)caller < api->hi;
}

#endif /* TS_HOOKS_CURL_REAL_H */
