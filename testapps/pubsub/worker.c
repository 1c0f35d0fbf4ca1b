/*
 * worker - the worker of the OpenTelemetry pub/sub demo (seed 003):
 * SUBSCRIBEs to the Redis channel PUBSUB_CHANNEL and "does the work" of
 * every message (waits WORKER_DELAY_MS and prints what it processed).
 * Reconnects with a growing pause (up to 2 s) when Redis goes away.
 *
 * Architecture: one thread blocking on its subscription.
 * Environment: REDIS_HOST (127.0.0.1), REDIS_PORT (6379), PUBSUB_CHANNEL
 * (jobs), WORKER_DELAY_MS (50).  No tracing code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/net.h"
#include "../common/redis.h"

static bool subscribe(struct ta_redis *r, const char *channel)
{
	const char *argv[] = { "SUBSCRIBE", channel };
	struct ta_redis_reply rep;
	bool ok;

	if (ta_redis_connect(r, 2000) || ta_redis_send(r, 2, argv) ||
	    ta_redis_read(r, &rep))
		return false;
	ok = rep.type == '*' && rep.n == 3 && rep.items[0].str &&
	     !strcmp(rep.items[0].str, "subscribe");
	ta_redis_reply_free(&rep);
	return ok;
}

int main(void)
{
	struct ta_redis r;
	struct ta_redis_reply rep;
	const char *channel;
	long delay, pause = 100, done = 0;
	bool said = false;
	int e = 0;

	ta_init("worker");
	channel = ta_env_str("PUBSUB_CHANNEL", "jobs");
	delay = ta_env_long("WORKER_DELAY_MS", 50, 0, 60000);
	ta_redis_init(&r, ta_env_str("REDIS_HOST", "127.0.0.1"),
		      ta_env_port("REDIS_PORT", 6379));
	while (!ta_stopping) {
		if (!subscribe(&r, channel)) {
			if (!said)
				ta_log("cannot subscribe at redis %s:%d; retrying",
				       r.host, r.port);
			said = true;
			ta_redis_close(&r);
			ta_sleep_ms(pause);
			pause = pause * 2 > 2000 ? 2000 : pause * 2;
			continue;
		}
		printf("worker: ready, subscribed to \"%s\" at redis %s:%d\n",
		       channel, r.host, r.port);
		said = false;
		pause = 100;
		while (!ta_stopping && !(e = ta_redis_read(&r, &rep))) {
			if (rep.type == '*' && rep.n == 3 && rep.items[0].str &&
			    !strcmp(rep.items[0].str, "message") &&
			    rep.items[2].str) {
				ta_sleep_ms(delay);
				printf("worker: processed %s (%ld so far)\n",
				       rep.items[2].str, ++done);
			}
			ta_redis_reply_free(&rep);
		}
		if (!ta_stopping)
			ta_log("redis connection lost (%s); resubscribing",
			       strerror(-e));
		ta_redis_close(&r);
	}
	return 0;
}
