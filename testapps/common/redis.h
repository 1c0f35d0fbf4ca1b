/*
 * redis.h - a minimal blocking Redis client (RESP2) for the pubsub demo:
 * one connection, commands sent as arrays of bulk strings, replies read
 * one at a time (simple strings, errors, integers, bulk strings, and
 * arrays of those, as PUBLISH and SUBSCRIBE produce).
 *
 * Threads: a connection belongs to one thread.
 */
#ifndef TA_REDIS_H
#define TA_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#define TA_REDIS_MAX_ITEMS 8

struct ta_redis_reply {
	char type;                      /* '+', '-', ':', '$', '*' */
	long long integer;              /* ':' */
	char *str;                      /* '+', '-', '$': NUL-terminated */
	size_t len;
	struct ta_redis_reply *items;   /* '*': elements (not nested further) */
	size_t n;
};

struct ta_redis {
	char host[256];
	int port;
	int fd;                         /* -1 when not connected */
	char *buf;                      /* bytes read, not yet parsed */
	size_t len, cap;
};

void ta_redis_init(struct ta_redis *r, const char *host, int port);

/* Connect if needed; 0 or -errno. */
int ta_redis_connect(struct ta_redis *r, int timeout_ms);

/* Send one command of argc arguments; 0 or -errno. */
int ta_redis_send(struct ta_redis *r, int argc, const char *const *argv);

/* Read the next reply (blocking); 0 or -errno (-EPROTO: bad reply).
 * Free it with ta_redis_reply_free(). */
int ta_redis_read(struct ta_redis *r, struct ta_redis_reply *out);

void ta_redis_reply_free(struct ta_redis_reply *rep);
void ta_redis_close(struct ta_redis *r);

#endif /* TA_REDIS_H */
