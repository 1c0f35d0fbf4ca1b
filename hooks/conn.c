/*
 * conn.c - descriptor map and connection objects (see conn.h).
 *
 * fdmap values: FD_UNKNOWN (0, what a fresh mapping holds), FD_OFF, or a
 * connection index + FD_FIRST.  Memory ordering: an object is fully
 * initialised before the release store that publishes it in fdmap;
 * readers load fdmap with acquire.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "../preload/log.h"
#include "conn.h"

#define FD_UNKNOWN 0u
#define FD_OFF 1u
#define FD_FIRST 2u

#define CHUNK_CONNS 64u          /* objects per mapped chunk */
#define MAX_CHUNKS 1024u         /* at most 65536 objects at once */

int ts_conn_fd_limit;                     /* size of fdmap */
static uint32_t *fdmap;                   /* fd -> FD_* or index */
static struct ts_conn *chunks[MAX_CHUNKS]; /* mapped on demand */
static uint32_t next_index;               /* objects ever carved */
static uint64_t free_head;                /* tag << 32 | (index + 1) */
static int fd_high = -1;                  /* highest fd ever given a state */

#define INHERITED 16u                     /* inherited sockets remembered */
static uint32_t inherited[INHERITED];     /* index + 1 (0: none), a ring */
static uint32_t inherited_next;

int ts_conn_init(void)
{
	struct rlimit rl;
	rlim_t n = 65536;
	void *m;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		n = rl.rlim_max == RLIM_INFINITY ? 1u << 20 : rl.rlim_max;
	if (n > 1u << 20)
		n = 1u << 20;
	if (n < 1024)
		n = 1024;
	/* NORESERVE: untouched entries cost address space, not memory. */
	m = mmap(NULL, n * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	fdmap = m;
	__atomic_store_n(&ts_conn_fd_limit, (int)n, __ATOMIC_RELEASE);
	return 0;
}

static struct ts_conn *conn_at(uint32_t idx)
{
	struct ts_conn *chunk =
		__atomic_load_n(&chunks[idx / CHUNK_CONNS], __ATOMIC_ACQUIRE);

	return &chunk[idx % CHUNK_CONNS];
}

static uint32_t conn_index(const struct ts_conn *c)
{
	uint32_t i;

	for (i = 0; i < MAX_CHUNKS; i++) {
		struct ts_conn *chunk =
			__atomic_load_n(&chunks[i], __ATOMIC_ACQUIRE);

		if (chunk && c >= chunk && c < chunk + CHUNK_CONNS)
			return i * CHUNK_CONNS + (uint32_t)(c - chunk);
	}
	return UINT32_MAX; /* not ours: cannot happen */
}

/* Make sure the chunk holding `idx` is mapped.  False when out of memory. */
static bool chunk_ensure(uint32_t idx)
{
	uint32_t ci = idx / CHUNK_CONNS;
	size_t len = CHUNK_CONNS * sizeof(struct ts_conn);
	struct ts_conn *expect = NULL;
	void *m;

	if (ci >= MAX_CHUNKS)
		return false;
	if (__atomic_load_n(&chunks[ci], __ATOMIC_ACQUIRE))
		return true;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	if (!__atomic_compare_exchange_n(&chunks[ci], &expect, m, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		munmap(m, len); /* another thread mapped it first */
	return true;
}

/* Pop a free object or carve a new one; NULL when exhausted. */
static struct ts_conn *conn_alloc(void)
{
	uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE), next;
	struct ts_conn *c;
	uint32_t idx;

	while ((uint32_t)head) {
		c = conn_at((uint32_t)head - 1);
		/*
		 * The tag in the high half changes on every pop, so a head
		 * popped and pushed back meanwhile (ABA) fails the CAS.
		 */
		next = (head & 0xffffffff00000000ull) + (1ull << 32) +
		       __atomic_load_n(&c->next_free, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&free_head, &head, next, true,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return c;
	}
	idx = __atomic_fetch_add(&next_index, 1, __ATOMIC_RELAXED);
	if (idx >= MAX_CHUNKS * CHUNK_CONNS) {
		ts_warn_once("more than %u traced connections at once; new "
			     "ones are not traced",
			     MAX_CHUNKS * CHUNK_CONNS);
		return NULL;
	}
	if (!chunk_ensure(idx)) {
		ts_warn_once("cannot map memory for connection state (%s); "
			     "new connections are not traced",
			     strerror(errno));
		return NULL;
	}
	return conn_at(idx);
}

static void conn_free(struct ts_conn *c)
{
	uint32_t idx = conn_index(c);
	uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE), next;

	if (idx == UINT32_MAX)
		return;
	do {
		__atomic_store_n(&c->next_free, (uint32_t)head, __ATOMIC_RELAXED);
		next = (head & 0xffffffff00000000ull) | (idx + 1);
	} while (!__atomic_compare_exchange_n(&free_head, &head, next, true,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
}

/* Take a reference only while the object is alive (count above zero). */
TS_HOT
static bool ref_get(struct ts_conn *c)
{
	uint32_t r = __atomic_load_n(&c->refs, __ATOMIC_ACQUIRE);

	do {
		if (r == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&c->refs, &r, r + 1, true,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return true;
}

TS_HOT
void ts_conn_put(struct ts_conn *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Last user: the connection is gone; finish what it had open. */
	ts_http_conn_release(&c->http);
	conn_free(c);
}

/* fdmap[fd] is about to name something: ts_conn_closed_range() looks. */
static void raise_high(int fd)
{
	int high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	while (fd > high &&
	       !__atomic_compare_exchange_n(&fd_high, &high, fd, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Replace fdmap[fd] with `v`, releasing the object it named. */
static void fdmap_set(int fd, uint32_t v)
{
	uint32_t old;

	if (v != FD_UNKNOWN)
		raise_high(fd);
	old = __atomic_exchange_n(&fdmap[fd], v, __ATOMIC_ACQ_REL);

	if (old >= FD_FIRST)
		ts_conn_put(conn_at(old - FD_FIRST));
}

/* `kind`: SERVER from accept, CLIENT from connect, UNKNOWN when inherited. */
static void conn_setup(struct ts_conn *c, enum ts_conn_kind kind)
{
	c->in_busy = c->out_busy = 0;
	__atomic_store_n(&c->ino, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->dev, 0, __ATOMIC_RELAXED);
	ts_http_conn_reset(&c->http, kind == TS_CONN_SERVER,
			   kind == TS_CONN_CLIENT);
	/* One reference for the descriptor, one for the caller. */
	__atomic_store_n(&c->refs, 2, __ATOMIC_RELEASE);
}

static bool fd_ok(int fd)
{
	return fdmap && fd >= 0 &&
	       fd < __atomic_load_n(&ts_conn_fd_limit, __ATOMIC_ACQUIRE);
}

struct ts_conn *ts_conn_create(int fd, enum ts_conn_kind kind)
{
	struct ts_conn *c;

	if (!fd_ok(fd))
		return NULL;
	c = conn_alloc();
	if (!c) {
		fdmap_set(fd, FD_OFF);
		return NULL;
	}
	conn_setup(c, kind);
	fdmap_set(fd, conn_index(c) + FD_FIRST);
	return c;
}

/*
 * Both ends of a Unix socket unnamed: a socketpair, the parent's end of a
 * child's stdin or stdout (node.js spawns children so), or a pipe between
 * two threads; what goes through it is the program's own business, never
 * a connection to trace, whatever it looks like.  A Unix server's
 * connections have the server's path at one end.
 */
static bool unix_unnamed(int fd)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	const socklen_t bare = (socklen_t)offsetof(struct sockaddr_un, sun_path);

	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 || len > bare)
		return false;
	len = sizeof(a);
	return getpeername(fd, (struct sockaddr *)&a, &len) == 0 && len <= bare;
}

/*
 * A stream socket of a family we parse: TCP/IPv4, TCP/IPv6, Unix (not a
 * socketpair).  The application's errno is kept: a pipe or file answers
 * ENOTSOCK here, and the call we classify for may succeed without
 * touching errno.
 */
bool ts_conn_fd_traceable(int fd)
{
	int type = 0, dom = 0, saved = errno;
	socklen_t len = sizeof(type);
	bool yes = false;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_STREAM)
		goto out;
	len = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0)
		goto out;
	yes = dom == AF_INET || dom == AF_INET6 ||
	      (dom == AF_UNIX && !unix_unnamed(fd));
out:
	errno = saved;
	return yes;
}

/*
 * An inherited socket often comes on several descriptors at once: inetd,
 * tcpserver and socat give a service its connection as both stdin and
 * stdout.  Those are one connection, the request read on one and the
 * response written on the other, so they share one object, as dup'd
 * descriptors do; sockets are told apart by their inode.  The last few
 * inherited sockets are remembered; a reused object has no inode.
 */
static struct ts_conn *inherited_find(uint64_t dev, uint64_t ino)
{
	struct ts_conn *c;
	uint32_t i, v;

	for (i = 0; i < INHERITED; i++) {
		v = __atomic_load_n(&inherited[i], __ATOMIC_ACQUIRE);
		if (!v || !__atomic_load_n(&chunks[(v - 1) / CHUNK_CONNS],
					   __ATOMIC_ACQUIRE))
			continue;
		c = conn_at(v - 1);
		if (!ref_get(c))
			continue;
		if (__atomic_load_n(&c->ino, __ATOMIC_ACQUIRE) == ino &&
		    __atomic_load_n(&c->dev, __ATOMIC_ACQUIRE) == dev)
			return c;
		ts_conn_put(c);
	}
	return NULL;
}

static struct ts_conn *inherited_conn(int fd)
{
	struct stat st;
	struct ts_conn *c;
	uint32_t idx;

	if (fstat(fd, &st) != 0 || st.st_ino == 0)
		return ts_conn_create(fd, TS_CONN_UNKNOWN);
	c = inherited_find((uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (c) {
		/* The caller's reference is taken; this one is the fd's. */
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
		fdmap_set(fd, conn_index(c) + FD_FIRST);
		return c;
	}
	c = ts_conn_create(fd, TS_CONN_UNKNOWN);
	if (!c)
		return NULL;
	__atomic_store_n(&c->dev, (uint64_t)st.st_dev, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ino, (uint64_t)st.st_ino, __ATOMIC_RELEASE);
	idx = __atomic_fetch_add(&inherited_next, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&inherited[idx % INHERITED], conn_index(c) + 1,
			 __ATOMIC_RELEASE);
	return c;
}

TS_HOT
struct ts_conn *ts_conn_get(int fd)
{
	uint32_t v;
	struct ts_conn *c;

	if (!fd_ok(fd))
		return NULL;
	v = __atomic_load_n(&fdmap[fd], __ATOMIC_ACQUIRE);
	if (ts_likely(v >= FD_FIRST)) {
		c = conn_at(v - FD_FIRST);
		if (!ref_get(c))
			return NULL;
		if (__atomic_load_n(&fdmap[fd], __ATOMIC_ACQUIRE) != v) {
			ts_conn_put(c); /* closed and reused meanwhile */
			return NULL;
		}
		return c;
	}
	if (v == FD_OFF)
		return NULL;
	/* Unknown: inherited, or created before us.  Classify once. */
	if (!ts_conn_fd_traceable(fd)) {
		uint32_t expect = FD_UNKNOWN;

		raise_high(fd);
		__atomic_compare_exchange_n(&fdmap[fd], &expect, FD_OFF, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		return NULL;
	}
	return inherited_conn(fd);
}

void ts_conn_forget(int fd)
{
	if (fd_ok(fd))
		fdmap_set(fd, FD_OFF);
}

void ts_conn_closed(int fd)
{
	if (fd_ok(fd))
		fdmap_set(fd, FD_UNKNOWN);
}

/*
 * Only entries that name something are written: a child clearing its
 * descriptors before exec (close_range, closefrom) neither walks nor
 * copies a million entries it never used.
 */
void ts_conn_closed_range(unsigned lo, unsigned hi)
{
	int high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
	unsigned fd;

	if (!fdmap || high < 0)
		return;
	if (hi > (unsigned)high)
		hi = (unsigned)high;
	for (fd = lo; fd <= hi; fd++)
		if (__atomic_load_n(&fdmap[fd], __ATOMIC_ACQUIRE) != FD_UNKNOWN)
			fdmap_set((int)fd, FD_UNKNOWN);
}

void ts_conn_dup(int oldfd, int newfd)
{
	uint32_t v;

	if (!fd_ok(newfd))
		return;
	if (!fd_ok(oldfd)) {
		fdmap_set(newfd, FD_OFF);
		return;
	}
	v = __atomic_load_n(&fdmap[oldfd], __ATOMIC_ACQUIRE);
	if (v >= FD_FIRST && !ref_get(conn_at(v - FD_FIRST)))
		v = FD_UNKNOWN; /* closed under us: classify newfd lazily */
	fdmap_set(newfd, v);
}

static bool trylock(uint8_t *b)
{
	return !__atomic_exchange_n(b, 1, __ATOMIC_ACQUIRE);
}

TS_HOT
bool ts_conn_lock_in(struct ts_conn *c)
{
	return trylock(&c->in_busy);
}

TS_HOT
void ts_conn_unlock_in(struct ts_conn *c)
{
	__atomic_store_n(&c->in_busy, 0, __ATOMIC_RELEASE);
}

TS_HOT
bool ts_conn_lock_out(struct ts_conn *c)
{
	return trylock(&c->out_busy);
}

TS_HOT
void ts_conn_unlock_out(struct ts_conn *c)
{
	__atomic_store_n(&c->out_busy, 0, __ATOMIC_RELEASE);
}

void ts_conn_after_fork_child(void)
{
	uint32_t n = __atomic_load_n(&next_index, __ATOMIC_RELAXED), i;

	if (n > MAX_CHUNKS * CHUNK_CONNS)
		n = MAX_CHUNKS * CHUNK_CONNS;
	for (i = 0; i < n; i++) {
		if (!chunks[i / CHUNK_CONNS])
			continue;
		conn_at(i)->in_busy = 0;
		conn_at(i)->out_busy = 0;
		conn_at(i)->http.q_owner = 0;
		conn_at(i)->http.inherited = true;
	}
}
