/*
 * server - the HTTP server of the OpenTelemetry pub/sub demo (seed 003):
 * GET /hello publishes a job message on the Redis channel PUBSUB_CHANNEL
 * and answers "hello: job <n> published to <k> worker(s)"; 503 when Redis
 * cannot be reached.
 *
 * Architecture: one thread, an epoll event loop for HTTP; the PUBLISH is
 * a blocking call on one persistent Redis connection (reopened once if it
 * broke), as small services often do.
 * Environment: PUBSUB_PORT (8080), REDIS_HOST (127.0.0.1), REDIS_PORT
 * (6379), PUBSUB_CHANNEL (jobs), BIND_ADDR.  No tracing code.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "../common/net.h"
#include "../common/redis.h"
#include "../common/server.h"

static struct ta_redis redis;
static const char *channel;
static long jobs;

/* PUBLISH msg; the number of receivers, or -errno. */
static long long publish(const char *msg)
{
	const char *argv[] = { "PUBLISH", channel, msg };
	struct ta_redis_reply rep;
	long long n = -1;
	int attempt, e = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		if (!(e = ta_redis_connect(&redis, 2000)) &&
		    !(e = ta_redis_send(&redis, 3, argv)) &&
		    !(e = ta_redis_read(&redis, &rep))) {
			n = rep.type == ':' ? rep.integer : -1;
			if (rep.type == '-')
				ta_log("redis: %s", rep.str);
			ta_redis_reply_free(&rep);
			return n;
		}
		ta_redis_close(&redis);
	}
	ta_log("redis %s:%d: %s", redis.host, redis.port, strerror(-e));
	return e;
}

static void handle(struct ta_request *req, struct ta_response *resp)
{
	struct timeval tv;
	char msg[256];
	long long n;

	if (strcmp(req->path, "/hello")) {
		ta_resp_printf(resp, 404, "text/plain", "try GET /hello\n");
		return;
	}
	if (strcmp(req->method, "GET")) {
		ta_resp_printf(resp, 405, "text/plain", "GET only\n");
		return;
	}
	gettimeofday(&tv, NULL);
	snprintf(msg, sizeof(msg), "{\"job\":%ld,\"path\":\"/hello\","
		 "\"published_ms\":%lld}", ++jobs,
		 (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	if ((n = publish(msg)) < 0) {
		ta_resp_printf(resp, 503, "text/plain",
			       "the message broker is unavailable\n");
		return;
	}
	ta_resp_printf(resp, 200, "text/plain",
		       "hello: job %ld published to %lld worker%s\n", jobs, n,
		       n == 1 ? "" : "s");
}

int main(void)
{
	static const struct ta_service svc = { "server", handle };
	int port, lfd;

	ta_init("server");
	channel = ta_env_str("PUBSUB_CHANNEL", "jobs");
	ta_redis_init(&redis, ta_env_str("REDIS_HOST", "127.0.0.1"),
		      ta_env_port("REDIS_PORT", 6379));
	lfd = ta_listen("PUBSUB_PORT", 8080, &port);
	printf("server: ready, listening on http://%s:%d/hello (redis %s:%d, "
	       "channel %s)\n", ta_env_str("BIND_ADDR", "127.0.0.1"), port,
	       redis.host, redis.port, channel);
	ta_serve_epoll(lfd, &svc);
	ta_redis_close(&redis);
	return 0;
}
