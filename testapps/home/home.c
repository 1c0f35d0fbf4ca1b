/*
 * home - the web app of "Distributed tracing in 10 minutes" (seed 002).
 *
 *   GET /         an index page with a link to /home
 *   GET /home     answers "Request started", calls /async from a second
 *                 thread without waiting for it, calls /service, waits a
 *                 random time, then answers "Request done!" (streamed,
 *                 chunked, like the Go handler's two writes)
 *   GET /service  calls /db, then waits a random time
 *   GET /async    the same handler as /service
 *   GET /db       waits a random time (the mocked database call)
 *
 * The server calls itself over HTTP, as the seed's did.  Random waits are
 * up to HOME_MAX_DELAY_MS (the seed's 200 ms).
 *
 * Architecture: one thread per connection, blocking I/O; outgoing calls
 * with plain sockets, a fresh connection per call.
 * Environment: HOME_PORT (8080), HOME_HOST (127.0.0.1, where it calls
 * itself), HOME_MAX_DELAY_MS (200), BIND_ADDR.  No tracing code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/client.h"
#include "../common/net.h"
#include "../common/server.h"

static const char *self_host;
static int self_port;
static long max_delay_ms;

static void random_wait(void)
{
	static __thread unsigned seed;

	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(size_t)&seed;
	if (max_delay_ms)
		ta_sleep_ms(rand_r(&seed) % max_delay_ms);
}

/* GET path on ourselves; the status, or -errno. */
static int call(const char *path)
{
	struct ta_client c;
	int r;

	ta_client_init(&c, self_host, self_port, "home/1.0");
	r = ta_client_request(&c, "GET", path, NULL, NULL, 0);
	if (!r)
		r = c.resp.status;
	ta_client_close(&c);
	if (r < 0 || r >= 400)
		ta_log("GET %s: %s", path, r < 0 ? strerror(-r) : "failed");
	return r;
}

static void *async_call(void *arg)
{
	(void)arg;
	call("/async");
	return NULL;
}

static void home(struct ta_request *req, struct ta_response *resp)
{
	static const char started[] = "Request started\n", done[] = "Request done!\n";
	pthread_attr_t at;
	pthread_t t;
	sigset_t old;
	bool streaming = ta_resp_stream_begin(req, resp, 200, "text/plain");

	if (streaming)
		ta_resp_stream_write(resp, started, sizeof(started) - 1);
	/* Fire and forget, like the seed's goroutine. */
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	ta_block_stop_signals(&old);
	if (pthread_create(&t, &at, async_call, NULL))
		ta_log("pthread_create failed; /async not called");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	call("/service");
	random_wait();
	if (streaming)
		ta_resp_stream_write(resp, done, sizeof(done) - 1);
	else
		ta_resp_printf(resp, 200, "text/plain", "%s%s", started, done);
}

static void handle(struct ta_request *req, struct ta_response *resp)
{
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		ta_resp_printf(resp, 405, "text/plain", "GET only\n");
	} else if (!strcmp(req->path, "/")) {
		ta_resp_printf(resp, 200, "text/html",
			       "<a href=\"/home\"> Click here to start a request </a>\n");
	} else if (!strcmp(req->path, "/home")) {
		home(req, resp);
	} else if (!strcmp(req->path, "/service") || !strcmp(req->path, "/async")) {
		call("/db");
		random_wait();
		ta_resp_printf(resp, 200, "text/plain", "%s done\n", req->path + 1);
	} else if (!strcmp(req->path, "/db")) {
		random_wait();
		ta_resp_printf(resp, 200, "text/plain", "db done\n");
	} else {
		ta_resp_printf(resp, 404, "text/plain", "not found\n");
	}
}

int main(void)
{
	static const struct ta_service svc = { "home", handle };
	int lfd;

	ta_init("home");
	max_delay_ms = ta_env_long("HOME_MAX_DELAY_MS", 200, 0, 60000);
	self_host = ta_env_str("HOME_HOST", "127.0.0.1");
	lfd = ta_listen("HOME_PORT", 8080, &self_port);
	printf("home: ready; go to http://%s:%d/home to start a request\n",
	       ta_env_str("BIND_ADDR", "127.0.0.1"), self_port);
	ta_serve_threads(lfd, &svc);
	return 0;
}
