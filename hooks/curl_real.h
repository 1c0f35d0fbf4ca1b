/*
 * curl_real.h - the real libcurl functions, found lazily, never linked.
 *
 * The shim exports libcurl names (hooks/curl.c) but has no dependency on
 * libcurl: a process that never loads libcurl never gets it from us, and
 * one that loads it late (dlopen by an interpreter or a plugin) is traced
 * from its first call on.  A call is forwarded to the function the
 * calling object would have been bound to without us:
 *  - an object that binds through the global scope (the program, a
 *    library it links, anything dlopen'ed RTLD_GLOBAL): the next
 *    definition after ours there, dlsym(RTLD_NEXT);
 *  - an object dlopen'ed RTLD_LOCAL with a libcurl of its own (a PHP or
 *    Python extension such as pycurl, a plugin): its calls bind to us
 *    (the global scope is searched first) but the real function is in its
 *    own scope, found with dlopen(object, RTLD_NOLOAD) + dlsym.  Two
 *    different libcurl builds in one process (libcurl.so.4 and
 *    libcurl-gnutls.so.4) each get the calls of their own users.
 * Nothing is ever dlopen'ed without RTLD_NOLOAD.  A lookup that finds no
 * libcurl is not remembered, so a libcurl loaded later is still found.
 *
 * Threads: any; no lock (tables and cached answers are filled by whoever
 * needs them first and published with release stores; a thread that
 * finds one being filled makes its own copy instead of waiting).  Not
 * async-signal-safe on a cache miss (dladdr, dlopen take the loader
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
	/* Response headers by name (7.84.0; NULL before): header capture. */
	CURLHcode (*curl_easy_header)(CURL *, const char *, size_t,
				      unsigned int, int, struct curl_header **);
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
