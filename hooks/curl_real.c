/*
 * curl_real.c - finding the real libcurl functions (see curl_real.h).
 *
 * The rule: a call reaches the function the calling object would have
 * been bound to without us.  The calling object's own scope is asked
 * (dlopen(object, RTLD_NOLOAD) + dlsym): when that finds our definition
 * first, the object binds through the global scope, and the real
 * function is the next definition there (dlsym(RTLD_NEXT)); otherwise it
 * is the definition that scope has (a libcurl private to an extension).
 *
 * Answers are cached per calling object, by its address range, so the
 * common call costs a scan of a few ranges.  An object loaded by dlopen
 * can be unloaded, and another one mapped at its addresses: cached ranges
 * of such objects are trusted only while no object has been unloaded
 * since (the loader's dlpi_subs counter); the libcurl a private table
 * points into is kept loaded by the reference dlopen returned.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "../preload/guard.h"
#include "../preload/log.h"
#include "curl_real.h"

#define RANGES 32       /* calling objects remembered */
#define PRIVATE 8       /* distinct libcurls outside the global scope */

struct range {
	uintptr_t lo, hi;             /* the calling object's mappings */
	const struct ts_curl_api *api; /* what its calls reach */
	unsigned long long subs;      /* unloads seen when cached, + 1; 0:
					 an object that cannot go away */
	int ready;                    /* published (release) */
};

struct private_table {
	const void *libcurl;          /* base of that libcurl; NULL: free,
					 else claimed (the api is usable
					 once `ready`) */
	int ready;
	struct ts_curl_api api;
};

static struct ts_curl_api global_api;     /* the global scope's libcurl */
static int global_claim, global_ready;    /* global_api being / filled */
static struct private_table privates[PRIVATE];
static struct range ranges[RANGES];
static unsigned n_ranges;                 /* slots claimed in ranges[] */

/* ---- objects ---------------------------------------------------------------- */

struct object_q {
	uintptr_t p;                  /* an address in the object */
	uintptr_t lo, hi;             /* its mappings */
	bool main;                    /* it is the program itself */
	bool found;
	unsigned long long subs;      /* objects unloaded so far */
};

static int object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct object_q *q = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0, a;
	bool mine = false;
	int i;

	(void)size;
	q->subs = info->dlpi_subs;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		mine |= q->p >= a && q->p < a + ph->p_memsz;
		lo = a < lo ? a : lo;
		hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
	}
	if (!mine) {
		q->main = false; /* only the first object is the program */
		return 0;
	}
	q->lo = lo;
	q->hi = hi;
	q->found = true;
	return 1;
}

/* The loaded object containing `p` (false: none, e.g. generated code). */
static bool object_of(const void *p, struct object_q *q)
{
	memset(q, 0, sizeof(*q));
	q->p = (uintptr_t)p;
	q->main = true;
	dl_iterate_phdr(object_cb, q);
	return q->found;
}

static int subs_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(unsigned long long *)data = info->dlpi_subs;
	return 1; /* the counter is the same in every entry */
}

static unsigned long long unloads(void)
{
	unsigned long long n = 0;

	dl_iterate_phdr(subs_cb, &n);
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

static bool is_ours(const void *p)
{
	Dl_info di;

	return dladdr(p, &di) && di.dli_fbase == self_base();
}

/* ---- tables ------------------------------------------------------------------- */

/* Fill `api` from `handle`'s scope.  False when that is no libcurl. */
static bool fill(struct ts_curl_api *api, void *handle)
{
	curl_version_info_data *v;
	struct object_q q;
	bool ok = true;

	memset(api, 0, sizeof(*api));
#define TS_CURL_LOOKUP(ret, name, params)                                      \
	api->name = (ret(*) params)dlsym(handle, #name);                       \
	if (api->name && is_ours((const void *)api->name))                     \
		api->name = NULL;
	TS_CURL_FUNCS(TS_CURL_LOOKUP)
#undef TS_CURL_LOOKUP
	/* Every function is needed but the deprecated socket drivers. */
#define TS_CURL_CHECK(ret, name, params)                                       \
	if (!api->name && strcmp(#name, "curl_multi_socket") &&                \
	    strcmp(#name, "curl_multi_socket_all"))                            \
		ok = false;
	TS_CURL_FUNCS(TS_CURL_CHECK)
#undef TS_CURL_CHECK
	if (!ok || !object_of((const void *)api->curl_easy_perform, &q))
		return false;
	api->lo = q.lo;
	api->hi = q.hi;
	v = api->curl_version_info(CURLVERSION_NOW);
	api->version = v ? v->version_num : 0;
	api->has_prereq = api->version >= 0x075000;
	api->has_method = api->version >= 0x074800;
	if (api->version >= 0x075400) {
		api->curl_easy_header =
			(CURLHcode(*)(CURL *, const char *, size_t, unsigned int,
				      int, struct curl_header **))
				dlsym(handle, "curl_easy_header");
		if (api->curl_easy_header &&
		    is_ours((const void *)api->curl_easy_header))
			api->curl_easy_header = NULL;
	}
	return true;
}

/*
 * The global scope's libcurl.  One thread fills the process table; one
 * that finds it being filled fills its own per-thread copy instead of
 * waiting (the filler may need the loader lock this thread holds, in a
 * constructor run by dlopen).
 */
static const struct ts_curl_api *global(void)
{
	static TS_TLS struct ts_curl_api mine;
	int expect = 0;

	if (__atomic_load_n(&global_ready, __ATOMIC_ACQUIRE))
		return &global_api;
	if (!__atomic_compare_exchange_n(&global_claim, &expect, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fill(&mine, RTLD_NEXT) ? &mine : NULL;
	if (!fill(&global_api, RTLD_NEXT)) {
		__atomic_store_n(&global_claim, 0, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&global_ready, 1, __ATOMIC_RELEASE);
	return &global_api;
}

/*
 * The table of the libcurl that `handle`'s scope defines `perform` in.
 * `*keep` is set when the handle's reference must be kept: it keeps that
 * libcurl loaded while we may call into it.  `*cache` is cleared when the
 * answer is this thread's own copy (another thread is filling the shared
 * one), valid only for this call.
 */
static const struct ts_curl_api *private(void *handle, const void *perform,
					 bool *keep, bool *cache)
{
	static TS_TLS struct ts_curl_api mine;
	const void *lib, *expect;
	Dl_info di;
	int i;

	*keep = false;
	if (!dladdr(perform, &di) || !(lib = di.dli_fbase))
		return NULL;
	for (i = 0; i < PRIVATE; i++) {
		if (__atomic_load_n(&privates[i].libcurl, __ATOMIC_ACQUIRE) != lib)
			continue;
		if (__atomic_load_n(&privates[i].ready, __ATOMIC_ACQUIRE))
			return &privates[i].api;
		*cache = false; /* being filled (or no libcurl): our own */
		return fill(&mine, handle) ? &mine : NULL;
	}
	for (i = 0; i < PRIVATE; i++) {
		expect = NULL;
		if (!__atomic_compare_exchange_n(&privates[i].libcurl, &expect,
						 lib, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		if (!fill(&privates[i].api, handle))
			return NULL; /* the slot stays claimed: not a libcurl */
		__atomic_store_n(&privates[i].ready, 1, __ATOMIC_RELEASE);
		*keep = true;
		return &privates[i].api;
	}
	ts_warn_once("more than %d distinct private libcurl copies; calls "
		     "from the others go to the global scope's",
		     PRIVATE);
	return NULL;
}

/*
 * What calls from the object `q` reach.  *local: a private libcurl;
 * *cache: the answer may be remembered for that object.
 */
static const struct ts_curl_api *resolve(const struct object_q *q,
					 const char *name, bool *local,
					 bool *cache)
{
	const struct ts_curl_api *api = NULL;
	void *h, *p;
	bool keep = false;

	*local = false;
	*cache = true;
	h = dlopen(q->main ? NULL : name, RTLD_NOLOAD | RTLD_LAZY);
	if (!h)
		return global();
	p = dlsym(h, "curl_easy_perform");
	if (p && !is_ours(p)) {
		api = private(h, p, &keep, cache);
		*local = api != NULL;
	}
	if (!api)
		api = global(); /* it binds through the global scope */
	if (!keep)
		dlclose(h);
	return api;
}

/* ---- the cache ------------------------------------------------------------------ */

static void remember(const struct object_q *q, const struct ts_curl_api *api,
		     bool local)
{
	unsigned i = __atomic_fetch_add(&n_ranges, 1, __ATOMIC_RELAXED);

	if (i >= RANGES) {
		__atomic_store_n(&n_ranges, RANGES, __ATOMIC_RELAXED);
		return; /* full: such callers take the slow path each time */
	}
	ranges[i].lo = q->lo;
	ranges[i].hi = q->hi;
	ranges[i].api = api;
	ranges[i].subs = local || !q->main ? q->subs + 1 : 0;
	__atomic_store_n(&ranges[i].ready, 1, __ATOMIC_RELEASE);
}

static const struct ts_curl_api *cached(const void *caller)
{
	unsigned n = __atomic_load_n(&n_ranges, __ATOMIC_RELAXED), i;
	uintptr_t c = (uintptr_t)caller;

	if (n > RANGES)
		n = RANGES;
	for (i = 0; i < n; i++) {
		const struct range *r = &ranges[i];

		if (!__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE) || c < r->lo ||
		    c >= r->hi)
			continue;
		if (r->subs && r->subs != unloads() + 1)
			continue; /* something was unloaded since: ask again */
		return r->api;
	}
	return NULL;
}

const struct ts_curl_api *ts_curl_api_for(const void *caller)
{
	const struct ts_curl_api *api;
	struct object_q q;
	Dl_info di;
	bool local, cache;
	int saved;

	/* libcurl calling its own API through its PLT */
	if (__atomic_load_n(&global_ready, __ATOMIC_ACQUIRE) &&
	    ts_curl_api_is_internal(&global_api, caller))
		return &global_api;
	api = cached(caller);
	if (ts_likely(api != NULL))
		return api;
	saved = errno;
	ts_guard_hold(); /* dlsym may allocate; nothing it does is traced */
	if (!caller || !object_of(caller, &q) || !dladdr(caller, &di)) {
		api = global(); /* generated code: the global scope */
	} else {
		api = resolve(&q, di.dli_fname, &local, &cache);
		/* never a thread's own copy (global() or private() made one
		 * while another thread filled the shared table) */
		if (api && cache &&
		    (api == &global_api ||
		     (api >= &privates[0].api && api <= &privates[PRIVATE - 1].api)))
			remember(&q, api, local);
	}
	ts_guard_release();
	errno = saved;
	return api;
}
