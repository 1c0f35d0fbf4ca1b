/*
 * curl_real.c - finding the real libcurl functions (see curl_real.h).
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <string.h>

#include "../preload/guard.h"
#include "../preload/log.h"
#include "curl_real.h"

#define LOCAL_TABLES 8 /* objects with their own private libcurl */

struct local_table {
	const void *object;      /* dli_fbase of the calling object; NULL:
				    free.  Published last, with release. */
	struct ts_curl_api api;
};

static struct ts_curl_api global_api;    /* libcurl of the global scope */
static int global_claim;                 /* a thread is filling it */
static int global_ready;                 /* global_api is usable */
static struct local_table locals[LOCAL_TABLES];
static unsigned long long miss_adds;     /* loads seen at the last failed
					    global look-up, + 1 */

static int adds_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(unsigned long long *)data = info->dlpi_adds;
	return 1; /* the counter is the same in every entry: stop */
}

/* Objects loaded so far in this process (never decreases). */
static unsigned long long loads(void)
{
	unsigned long long n = 0;

	dl_iterate_phdr(adds_cb, &n);
	return n;
}

/* This object's base: a definition found there is ours, not libcurl's. */
static const void *self_base(void)
{
	static const void *base;
	Dl_info di;

	if (!__atomic_load_n(&base, __ATOMIC_ACQUIRE) &&
	    dladdr((void *)&self_base, &di) && di.dli_fbase)
		__atomic_store_n(&base, di.dli_fbase, __ATOMIC_RELEASE);
	return __atomic_load_n(&base, __ATOMIC_ACQUIRE);
}

/* A definition of `name` in `handle`'s scope that is not ours, or NULL. */
static void *lookup(void *handle, const char *name)
{
	void *p = dlsym(handle, name);
	Dl_info di;

	if (p && dladdr(p, &di) && di.dli_fbase == self_base())
		return NULL;
	return p;
}

struct range_q {
	uintptr_t p, lo, hi;
};

static int range_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct range_q *q = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0, a;
	bool mine = false;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		if (q->p >= a && q->p < a + ph->p_memsz)
			mine = true;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (!mine)
		return 0;
	q->lo = lo;
	q->hi = hi;
	return 1;
}

/* The address range of the object holding libcurl's function `p`. */
static void range_of(const void *p, struct ts_curl_api *api)
{
	struct range_q q = { (uintptr_t)p, 0, 0 };

	dl_iterate_phdr(range_cb, &q);
	api->lo = q.lo;
	api->hi = q.hi;
}

/* Fill `api` from `handle`'s scope.  False when that is no libcurl. */
static bool fill(struct ts_curl_api *api, void *handle)
{
	curl_version_info_data *v;
	bool ok = true;

	memset(api, 0, sizeof(*api));
	if (!lookup(handle, "curl_easy_perform"))
		return false; /* no libcurl there: skip the other look-ups */
#define TS_CURL_LOOKUP(ret, name, params)                                      \
	api->name = (ret(*) params)lookup(handle, #name);
	TS_CURL_FUNCS(TS_CURL_LOOKUP)
#undef TS_CURL_LOOKUP
#define TS_CURL_CHECK(ret, name, params)                                       \
	if (!api->name && strncmp(#name, "curl_multi_socket", 17) != 0)        \
		ok = false;                                                    \
	else if (!api->name && !strcmp(#name, "curl_multi_socket_action"))     \
		ok = false;
	TS_CURL_FUNCS(TS_CURL_CHECK)
#undef TS_CURL_CHECK
	if (!ok)
		return false;
	range_of((const void *)api->curl_easy_perform, api);
	v = api->curl_version_info(CURLVERSION_NOW);
	api->version = v ? v->version_num : 0;
	api->has_prereq = api->version >= 0x075000;
	api->has_method = api->version >= 0x074800;
	return true;
}

/*
 * The global scope's libcurl.  One thread fills the process table; one
 * that finds it being filled fills its own per-thread copy instead of
 * waiting (the filler may need the loader lock this thread holds, in a
 * constructor run by dlopen).
 */
static const struct ts_curl_api *find_global(void)
{
	static TS_TLS struct ts_curl_api mine;
	unsigned long long n = loads();
	int expect = 0;

	/* Nothing was loaded since the global scope had no libcurl. */
	if (__atomic_load_n(&miss_adds, __ATOMIC_RELAXED) == n + 1)
		return NULL;
	if (!__atomic_compare_exchange_n(&global_claim, &expect, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fill(&mine, RTLD_NEXT) ? &mine : NULL;
	/* (the loser above may fail where the winner succeeds: it then
	 * tries the caller's scope, which finds the same libcurl) */
	if (!fill(&global_api, RTLD_NEXT)) {
		__atomic_store_n(&miss_adds, n + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&global_claim, 0, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&global_ready, 1, __ATOMIC_RELEASE);
	return &global_api;
}

/* The private libcurl of the object containing `caller`. */
static const struct ts_curl_api *find_local(const void *caller)
{
	struct ts_curl_api api;
	const void *expect;
	Dl_info di;
	void *h;
	int i;

	if (!caller || !dladdr(caller, &di) || !di.dli_fbase)
		return NULL;
	for (i = 0; i < LOCAL_TABLES; i++)
		if (__atomic_load_n(&locals[i].object, __ATOMIC_ACQUIRE) ==
		    di.dli_fbase)
			return &locals[i].api;
	if (di.dli_fbase == self_base() || !di.dli_fname || !*di.dli_fname)
		return NULL; /* the main program: its scope is the global one */
	h = dlopen(di.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
	if (!h)
		return NULL;
	if (!fill(&api, h)) {
		dlclose(h);
		return NULL;
	}
	/*
	 * The object (and so its libcurl) stays loaded while code in it
	 * calls us; once it is unloaded its base could be reused by another
	 * object, whose calls then find this entry: harmless, since the
	 * entry is only used for callers at that base, which would have to
	 * have the same libcurl.  We keep no reference (dlclose below).
	 */
	dlclose(h);
	for (i = 0; i < LOCAL_TABLES; i++) {
		expect = NULL;
		if (__atomic_load_n(&locals[i].object, __ATOMIC_RELAXED))
			continue;
		/* Claim with a marker, fill, then publish the real key. */
		if (!__atomic_compare_exchange_n(&locals[i].object, &expect,
						 (const void *)&locals[i], false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		locals[i].api = api;
		__atomic_store_n(&locals[i].object, di.dli_fbase,
				 __ATOMIC_RELEASE);
		return &locals[i].api;
	}
	ts_warn_once("more than %d objects with a private libcurl; calls from "
		     "the others are not traced",
		     LOCAL_TABLES);
	return NULL;
}

const struct ts_curl_api *ts_curl_api_for(const void *caller)
{
	const struct ts_curl_api *api;
	int saved;

	if (ts_likely(__atomic_load_n(&global_ready, __ATOMIC_ACQUIRE)))
		return &global_api;
	saved = errno;
	ts_guard_hold(); /* dlsym may allocate; nothing it does is traced */
	api = find_global();
	if (!api)
		api = find_local(caller);
	ts_guard_release();
	errno = saved;
	return api;
}
