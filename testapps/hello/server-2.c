/*
 * server-2 - the second server of the Go opentracing example (seed 004):
 * POST with a name as the body waits SERVER2_DELAY_MS (the seed's 250 +
 * 500 ms) and answers "Hello <name>!"; any other method gets 405.
 *
 * Architecture: a fixed pool of threads (SERVER2_THREADS, default 8)
 * that each accept() and serve a connection with blocking I/O.
 * Environment: SERVER2_PORT (8081), SERVER2_DELAY_MS (750),
 * SERVER2_THREADS, BIND_ADDR.  No tracing code.
 */
#include <stdio.h>
#include <string.h>

#include "../common/net.h"
#include "../common/server.h"

static long delay_ms;

static void handle(struct ta_request *req, struct ta_response *resp)
{
	const struct ta_msg *m = req->msg;

	if (strcmp(req->method, "POST")) {
		ta_resp_printf(resp, 405, "text/plain",
			       "POST a name to this server\n");
		return;
	}
	if (!m->body_len || memchr(m->body, '\0', m->body_len)) {
		ta_resp_printf(resp, 400, "text/plain",
			       "the body must be a name\n");
		return;
	}
	ta_sleep_ms(delay_ms);
	ta_resp_printf(resp, 200, "text/plain; charset=utf-8", "Hello %.*s!",
		       (int)m->body_len, m->body);
}

int main(void)
{
	static const struct ta_service svc = { "server-2", handle };
	long threads;
	int port, lfd;

	ta_init("server-2");
	delay_ms = ta_env_long("SERVER2_DELAY_MS", 750, 0, 60000);
	threads = ta_env_long("SERVER2_THREADS", 8, 1, 256);
	lfd = ta_listen("SERVER2_PORT", 8081, &port);
	printf("server-2: ready, listening on http://%s:%d/ (%ld threads)\n",
	       ta_env_str("BIND_ADDR", "127.0.0.1"), port, threads);
	ta_serve_pool(lfd, &svc, (int)threads);
	return 0;
}
