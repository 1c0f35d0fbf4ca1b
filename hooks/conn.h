/*
 * conn.h - per-descriptor connection state for the socket hooks.
 *
 * fdmap[fd] names what the shim knows about a descriptor: nothing yet
 * (classified lazily at its first I/O, which covers inherited descriptors
 * and sockets created before we initialised), "not traced" (not a stream
 * socket, or a traced one we gave up on), or a connection object.  dup()
 * makes two descriptors share one object; close() drops the descriptor's
 * reference.  A lookup costs one array load.
 *
 * Connection objects live in chunks that are mapped on demand and never
 * unmapped (type-stable memory), and are recycled through a lock-free
 * free list.  A hook holds a reference for as long as it uses an object:
 * references are taken only from a non-zero count and re-validated against
 * fdmap, so a concurrent close() and re-use of the object are harmless.
 * No lock anywhere: every function here is async-signal-safe.
 *
 * Each direction of a connection has a try-lock.  A thread that cannot
 * take it (another thread, or a signal handler interrupting a hook on this
 * thread) never waits: it passes its bytes through untraced and marks the
 * direction lost, because the stream state no longer matches the bytes.
 */
#ifndef TS_HOOKS_CONN_H
#define TS_HOOKS_CONN_H

#include <sys/socket.h>

#include "../preload/common.h"
#include "http.h"

enum ts_conn_kind {
	TS_CONN_UNKNOWN = 0, /* no HTTP seen yet: the first message decides */
	TS_CONN_SERVER,      /* we read requests, write responses */
	TS_CONN_CLIENT,      /* we write requests, read responses */
	TS_CONN_OFF,         /* pass everything through from now on */
};

struct ts_conn {
	uint32_t refs;          /* descriptors + hooks using this object */
	uint32_t next_free;     /* free-list link (index + 1) */
	uint8_t in_busy;        /* try-lock of the inbound direction */
	uint8_t out_busy;       /* try-lock of the outbound direction */
	uint64_t dev, ino;      /* the socket, for an inherited one (atomic);
				   0 otherwise */
	struct ts_http_conn http; /* HTTP tracing state (http.h) */
} __attribute__((aligned(4096))); /* each object on pages of its own: an
				     idle one holds only the pages its
				     layout (http.h) says are written */

/* Map the tables.  0 or -errno (then the socket hooks pass through). */
int ts_conn_init(void);

/*
 * The object of `fd`, with a reference taken, or NULL (not a traced
 * stream socket).  An unknown descriptor is classified here, once.
 */
struct ts_conn *ts_conn_get(int fd);

/* Drop a reference taken by ts_conn_get() or ts_conn_create(). */
void ts_conn_put(struct ts_conn *c);

/*
 * A new connection on `fd` (accept/connect): a fresh object replaces
 * whatever fdmap said.  `kind` is the role hint.  Returns it with a
 * reference for the caller, or NULL when the pool is exhausted.
 */
struct ts_conn *ts_conn_create(int fd, enum ts_conn_kind kind);

/* Mark `fd` not traced (forgetting any object it had). */
void ts_conn_forget(int fd);

/* close(fd) succeeded or is about to: drop the descriptor's reference. */
void ts_conn_closed(int fd);

/* Descriptors lo..hi (inclusive) are closed or about to be. */
void ts_conn_closed_range(unsigned lo, unsigned hi);

/*
 * `fd` is a stream socket of a family we parse (TCP over IPv4/IPv6, Unix
 * but not a socketpair).  Two system calls (four for Unix); errno is kept.
 */
bool ts_conn_fd_traceable(int fd);

/* newfd now refers to what oldfd refers to (dup, dup2, dup3, F_DUPFD). */
void ts_conn_dup(int oldfd, int newfd);

/* Direction try-locks; see the top of this file. */
bool ts_conn_lock_in(struct ts_conn *c);
void ts_conn_unlock_in(struct ts_conn *c);
bool ts_conn_lock_out(struct ts_conn *c);
void ts_conn_unlock_out(struct ts_conn *c);

/* Forked child: locks held by threads that do not exist here are freed. */
void ts_conn_after_fork_child(void);

/* Descriptors at or above this are never traced. */
extern int ts_conn_fd_limit;

#endif /* TS_HOOKS_CONN_H */
