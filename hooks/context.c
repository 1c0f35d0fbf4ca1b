/*
 * context.c - the active server span registry (see context.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/log.h"
#include "../preload/real.h"
#include "context.h"
#include "propagate.h"

enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE };

#define CTX_WORDS ((sizeof(struct ts_span_ctx) + 7) / 8)

struct slot {
	uint32_t state;            /* SLOT_*; CAS FREE -> BUSY claims it */
	uint32_t seq;              /* bumped on every change (readers) */
	int tid;                   /* thread that read the request */
	uint32_t unseen;           /* its thread's unseen_gen at the start,
				      or UNSEEN_RECENT */
	uint16_t ts_len, bg_len;   /* bytes of ts[], bg[] in use */
	uint64_t parent;           /* the server span's parent span id (the
				      caller's), as a word */
	uint64_t ctx[CTX_WORDS];   /* the server span's struct ts_span_ctx,
				      as words so readers copy it atomically */
	uint64_t ts[TS_CTX_TS_MAX / 8]; /* its tracestate, as words */
	uint64_t bg[TS_CTX_BG_MAX / 8]; /* its baggage, as words */
};

static struct slot slots[TS_CTX_SLOTS];
/* Slots ever claimed are below this (claims take the lowest free slot,
 * so it follows the peak number of requests in flight): scans stop here. */
static uint32_t slots_hwm;

/*
 * The slots this thread registered, so that finding its request does not
 * scan the table: entries may be stale (ended, perhaps by another thread,
 * or reused), and are checked against the slot's owner on every use.
 * `mine_over`: more were registered than fit, scan instead.
 */
#define MINE_MAX 8
static TS_TLS uint16_t mine[MINE_MAX];
static TS_TLS uint8_t mine_n;
static TS_TLS bool mine_over;
static TS_TLS int my_tid;
static TS_TLS struct ts_span_ctx inherited;
static TS_TLS struct ts_ctx_ref inherited_ref; /* where it came from */

/*
 * Requests this thread reads but does not follow: on an accepted
 * connection whose bytes are not HTTP/1.x we can parse (TLS, h2c, a head
 * over the limit, whatever follows one on its connection).  An outgoing
 * call may be made for one of them, and the registry cannot see it: so
 * while or shortly after this thread reads one, the one request it is
 * known to serve is not taken for the parent of its calls.  unseen_gen
 * counts such reads, unseen_mono is the last one's time.
 */
#define UNSEEN_RECENT 0xffffffffu /* one came just before the request */
#define UNSEEN_WINDOW_NS 1000000000ull
static TS_TLS uint32_t unseen_gen;
static TS_TLS uint64_t unseen_mono;

/* unseen_gen as a slot keeps it (never UNSEEN_RECENT). */
static uint32_t unseen_now(void)
{
	return unseen_gen & 0x7fffffffu;
}

/* The environment's context (ts_ctx_env_load): written once before any
 * hook runs, read-only afterwards.  Refs to it name a slot past the end. */
#define ENV_SLOT (TS_CTX_SLOTS + 1)
static struct ts_span_ctx env_ctx;
static char env_ts[TS_CTX_TS_MAX], env_bg[TS_CTX_BG_MAX];
static size_t env_ts_len, env_bg_len;

int ts_ctx_tid(void)
{
	if (ts_unlikely(!my_tid))
		my_tid = (int)ts_syscall(SYS_gettid);
	return my_tid;
}

static void ctx_store(struct slot *sl, const struct ts_span *s)
{
	uint64_t w[CTX_WORDS] = { 0 };
	struct ts_span_ctx c;
	size_t i;

	ts_span_ctx_of(s, &c);
	memcpy(w, &c, sizeof(c));
	for (i = 0; i < CTX_WORDS; i++)
		__atomic_store_n(&sl->ctx[i], w[i], __ATOMIC_RELAXED);
	memcpy(w, s->parent_id, 8);
	__atomic_store_n(&sl->parent, w[0], __ATOMIC_RELAXED);
}

/* Bytes into words, stored one relaxed word at a time (readers validate
 * with the sequence number). */
static uint16_t words_store(uint64_t *dst, size_t cap, const char *src,
			    size_t len)
{
	uint64_t w;
	size_t i;

	if (!src || len > cap)
		return 0;
	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, src + i, len - i < 8 ? len - i : 8);
		__atomic_store_n(&dst[i / 8], w, __ATOMIC_RELAXED);
	}
	return (uint16_t)len;
}

static void words_load(char *dst, const uint64_t *src, size_t len)
{
	uint64_t w;
	size_t i;

	for (i = 0; i < len; i += 8) {
		w = __atomic_load_n(&src[i / 8], __ATOMIC_ACQUIRE);
		memcpy(dst + i, &w, len - i < 8 ? len - i : 8);
	}
}

/* Remember slot i as this thread's; drop entries no longer ours. */
static void mine_add(uint32_t i)
{
	int me = ts_ctx_tid();
	uint8_t k, w = 0;

	for (k = 0; k < mine_n; k++)
		if (mine[k] != i &&
		    __atomic_load_n(&slots[mine[k]].state, __ATOMIC_ACQUIRE) ==
			    SLOT_LIVE &&
		    __atomic_load_n(&slots[mine[k]].tid, __ATOMIC_RELAXED) == me)
			mine[w++] = mine[k];
	mine_n = w;
	if (mine_n < MINE_MAX)
		mine[mine_n++] = (uint16_t)i;
	else
		mine_over = true;
}

static uint32_t scan_end(void)
{
	return __atomic_load_n(&slots_hwm, __ATOMIC_ACQUIRE);
}

TS_HOT
uint32_t ts_ctx_server_begin(const struct ts_span *s, const char *ts,
			     size_t ts_len, const char *bg, size_t bg_len)
{
	uint32_t i, expect;

	for (i = 0; i < TS_CTX_SLOTS; i++) {
		uint32_t hwm;

		expect = SLOT_FREE;
		if (__atomic_load_n(&slots[i].state, __ATOMIC_RELAXED) !=
			    SLOT_FREE ||
		    !__atomic_compare_exchange_n(&slots[i].state, &expect,
						 SLOT_BUSY, false,
						 __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_add_fetch(&slots[i].seq, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&slots[i].tid, ts_ctx_tid(), __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].unseen,
				 unseen_mono &&
						 (s->start_mono_ns < unseen_mono ||
						  s->start_mono_ns - unseen_mono <
							  UNSEEN_WINDOW_NS)
					 ? UNSEEN_RECENT
					 : unseen_now(),
				 __ATOMIC_RELAXED);
		ctx_store(&slots[i], s);
		__atomic_store_n(&slots[i].ts_len,
				 words_store(slots[i].ts, TS_CTX_TS_MAX, ts,
					     ts_len),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].bg_len,
				 words_store(slots[i].bg, TS_CTX_BG_MAX, bg,
					     bg_len),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].state, SLOT_LIVE, __ATOMIC_RELEASE);
		hwm = __atomic_load_n(&slots_hwm, __ATOMIC_RELAXED);
		while (hwm < i + 1 &&
		       !__atomic_compare_exchange_n(&slots_hwm, &hwm, i + 1, true,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
		mine_add(i);
		return i + 1;
	}
	ts_warn_once("more than %d requests in flight at once; outgoing calls "
		     "of the others are not linked to them",
		     TS_CTX_SLOTS);
	return 0;
}

TS_HOT
void ts_ctx_server_end(uint32_t slot)
{
	if (slot == 0 || slot > TS_CTX_SLOTS)
		return;
	__atomic_add_fetch(&slots[slot - 1].seq, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[slot - 1].state, SLOT_FREE, __ATOMIC_RELEASE);
}

/*
 * Copy a live slot consistently; false if it is not live.  The copies are
 * acquire loads, so the closing re-read of seq cannot move above them:
 * an unchanged seq proves no writer touched the slot meanwhile.
 */
static bool slot_read(uint32_t i, int *tid, struct ts_span_ctx *ctx,
		      uint32_t *seq_out)
{
	uint32_t seq = __atomic_load_n(&slots[i].seq, __ATOMIC_ACQUIRE);
	uint64_t w[CTX_WORDS];
	size_t k;

	if (__atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE) != SLOT_LIVE)
		return false;
	*tid = __atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE);
	for (k = 0; k < CTX_WORDS; k++)
		w[k] = __atomic_load_n(&slots[i].ctx[k], __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&slots[i].seq, __ATOMIC_RELAXED) != seq ||
	    __atomic_load_n(&slots[i].state, __ATOMIC_RELAXED) != SLOT_LIVE)
		return false;
	memcpy(ctx, w, sizeof(*ctx));
	*seq_out = seq;
	return true;
}

bool ts_ctx_extras(const struct ts_ctx_ref *ref, char *ts, size_t *ts_len,
		   char *bg, size_t *bg_len)
{
	struct slot *sl;
	size_t tl, bl;

	*ts_len = *bg_len = 0;
	if (ref && ref->slot == ENV_SLOT) {
		memcpy(ts, env_ts, env_ts_len);
		memcpy(bg, env_bg, env_bg_len);
		*ts_len = env_ts_len;
		*bg_len = env_bg_len;
		return env_ts_len || env_bg_len;
	}
	if (!ref || ref->slot == 0 || ref->slot > TS_CTX_SLOTS)
		return false;
	sl = &slots[ref->slot - 1];
	tl = __atomic_load_n(&sl->ts_len, __ATOMIC_ACQUIRE);
	bl = __atomic_load_n(&sl->bg_len, __ATOMIC_ACQUIRE);
	if (tl > TS_CTX_TS_MAX || bl > TS_CTX_BG_MAX)
		return false;
	words_load(ts, sl->ts, tl);
	words_load(bg, sl->bg, bl);
	/* Unchanged sequence: what we copied belongs to that span. */
	if (__atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) != ref->seq ||
	    __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) != SLOT_LIVE)
		return false;
	*ts_len = tl;
	*bg_len = bl;
	return true;
}

bool ts_ctx_ref_is_env(const struct ts_ctx_ref *ref)
{
	return ref && ref->slot == ENV_SLOT;
}

/* No other parent: the environment's, if it gave one. */
static bool env_parent(struct ts_span_ctx *out, struct ts_ctx_ref *ref)
{
	if (!ts_span_ctx_is_valid(&env_ctx))
		return false;
	*out = env_ctx;
	if (ref) {
		ref->slot = ENV_SLOT;
		ref->seq = 0;
	}
	return true;
}

/*
 * The parent for a request made now on this thread.  `quiet`: for a
 * program this thread starts, perhaps from a vfork child running on this
 * thread's memory: nothing is written (no thread id learnt, no stale
 * inherited context forgotten) and the environment's context does not
 * count (the program has it already).
 */
static bool parent_lookup(struct ts_span_ctx *out, struct ts_ctx_ref *ref,
			  bool quiet)
{
	struct ts_ctx_ref found_ref = { 0, 0 };
	struct ts_span_ctx c;
	int me = quiet ? my_tid : ts_ctx_tid(), tid, found = 0;
	uint32_t i, k, n = mine_over ? scan_end() : mine_n, seq;

	if (!me)
		n = 0; /* quiet, and this thread never served a request */

	/* This thread's own list, or every slot once it overflowed. */
	for (k = 0; k < n; k++) {
		i = mine_over ? k : mine[k];
		if (!slot_read(i, &tid, &c, &seq) || tid != me)
			continue;
		if (++found > 1)
			return false; /* several requests in flight: ambiguous */
		/* A request read here unseen since (or just before) this one
		 * began may be what this call is for: ambiguous too. */
		if (__atomic_load_n(&slots[i].unseen, __ATOMIC_RELAXED) !=
			    unseen_now() ||
		    __atomic_load_n(&slots[i].seq, __ATOMIC_ACQUIRE) != seq)
			return false;
		*out = c;
		found_ref.slot = i + 1;
		found_ref.seq = seq;
	}
	if (ref)
		*ref = found_ref;
	if (found)
		return true;
	if (!ts_span_ctx_is_valid(&inherited))
		return !quiet && env_parent(out, ref);
	/*
	 * Inherited from a request: only while that request is in flight.
	 * A pool's thread is made by whichever request first needs one and
	 * then serves others: their calls are not the first one's.
	 */
	if (inherited_ref.slot && inherited_ref.slot <= TS_CTX_SLOTS) {
		i = inherited_ref.slot - 1;
		if (!slot_read(i, &tid, &c, &seq) || seq != inherited_ref.seq) {
			if (quiet)
				return false;
			memset(&inherited, 0, sizeof(inherited));
			inherited_ref.slot = 0;
			return env_parent(out, ref);
		}
	} else if (quiet && inherited_ref.slot == ENV_SLOT) {
		return false; /* the environment's, passed on by a creator */
	}
	*out = inherited;
	if (ref)
		*ref = inherited_ref;
	return true;
}

void ts_ctx_unseen_request(uint64_t now_mono)
{
	unseen_gen++;
	unseen_mono = now_mono ? now_mono : 1;
}

bool ts_ctx_parent_for_thread(struct ts_span_ctx *out, struct ts_ctx_ref *ref)
{
	return parent_lookup(out, ref, false);
}

bool ts_ctx_parent_for_exec(struct ts_span_ctx *out, struct ts_ctx_ref *ref)
{
	return parent_lookup(out, ref, true);
}

bool ts_ctx_find_trace(const uint8_t trace_id[16], const uint8_t *parent_id,
		       struct ts_span_ctx *out, struct ts_ctx_ref *ref)
{
	struct ts_span_ctx c, any_c = { 0 }, mine_c = { 0 };
	struct ts_ctx_ref any_r = { 0, 0 }, mine_r = { 0, 0 };
	int me = ts_ctx_tid(), tid, any = 0, mine_k = 0;
	bool by_parent = false;
	uint64_t want = 0, got;
	uint32_t i, seq;

	if (parent_id)
		memcpy(&want, parent_id, 8);
	for (i = 0; i < scan_end(); i++) {
		if (!slot_read(i, &tid, &c, &seq) ||
		    memcmp(c.trace_id, trace_id, 16))
			continue;
		got = __atomic_load_n(&slots[i].parent, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&slots[i].seq, __ATOMIC_ACQUIRE) != seq)
			continue; /* reused meanwhile */
		/* The caller's span named: only those answering it count. */
		if (parent_id && got == want && !by_parent) {
			by_parent = true;
			any = mine_k = 0;
		} else if (by_parent && got != want) {
			continue;
		}
		if (!any++) {
			any_c = c;
			any_r.slot = i + 1;
			any_r.seq = seq;
		}
		if (tid == me && !mine_k++) {
			mine_c = c;
			mine_r.slot = i + 1;
			mine_r.seq = seq;
		}
	}
	/*
	 * One request of that trace in flight, or one on this thread (thread
	 * per request): it.  Several that nothing tells apart (an event loop
	 * serving two requests of one trace): none, rather than the wrong one.
	 */
	if (any != 1 && mine_k != 1)
		return false;
	/* The caller named, and no request here was called by it: another
	 * request of the trace (one we did not follow, or one gone) sent
	 * this, not the one in flight. */
	if (parent_id && !by_parent)
		return false;
	*out = any == 1 ? any_c : mine_c;
	if (ref)
		*ref = any == 1 ? any_r : mine_r;
	return true;
}

void ts_ctx_set_inherited(const struct ts_span_ctx *c,
			  const struct ts_ctx_ref *ref)
{
	if (c)
		inherited = *c;
	else
		memset(&inherited, 0, sizeof(inherited));
	inherited_ref.slot = c && ref ? ref->slot : 0;
	inherited_ref.seq = c && ref ? ref->seq : 0;
}

void ts_ctx_after_fork_child(void)
{
	int parent_tid = my_tid; /* TLS was copied: the forking thread's id */
	uint32_t i;

	my_tid = (int)ts_syscall(SYS_gettid);
	for (i = 0; i < TS_CTX_SLOTS; i++) {
		if (__atomic_load_n(&slots[i].state, __ATOMIC_RELAXED) ==
		    SLOT_FREE)
			continue;
		if (__atomic_load_n(&slots[i].tid, __ATOMIC_RELAXED) == parent_tid)
			__atomic_store_n(&slots[i].tid, my_tid, __ATOMIC_RELAXED);
		else
			__atomic_store_n(&slots[i].state, SLOT_FREE,
					 __ATOMIC_RELAXED);
	}
}

/* An environment carrier's value, cut to `cap` bytes and normalised as
 * the same header would be. */
static size_t env_block(const char *v, char *dst, size_t cap,
			size_t (*normalize)(char *, size_t, bool, size_t))
{
	size_t n = strlen(v), k = n < cap ? n : cap;

	memcpy(dst, v, k);
	return normalize(dst, k, n > cap, cap);
}

void ts_ctx_env_load(const struct ts_prop_config *pc)
{
	const char *v;

	memset(&env_ctx, 0, sizeof(env_ctx));
	env_ts_len = env_bg_len = 0;
	if (!(pc->mask & TS_PROP_BIT(TS_PROP_TRACECONTEXT)) ||
	    !(v = getenv("TRACEPARENT")) || !*v)
		return;
	if (!ts_prop_parse_traceparent(v, strlen(v), &env_ctx)) {
		memset(&env_ctx, 0, sizeof(env_ctx));
		ts_warn("TRACEPARENT=\"%.64s\" is not a W3C traceparent; "
			"ignored", v);
		return;
	}
	if ((v = getenv("TRACESTATE")) != NULL)
		env_ts_len = env_block(v, env_ts, sizeof(env_ts),
				       ts_prop_tracestate_normalize);
	if ((pc->mask & TS_PROP_BIT(TS_PROP_BAGGAGE)) &&
	    (v = getenv("BAGGAGE")) != NULL)
		env_bg_len = env_block(v, env_bg, sizeof(env_bg),
				       ts_prop_baggage_normalize);
	ts_debug("process context from TRACEPARENT: trace %02x%02x%02x%02x...",
		 env_ctx.trace_id[0], env_ctx.trace_id[1], env_ctx.trace_id[2],
		 env_ctx.trace_id[3]);
}
