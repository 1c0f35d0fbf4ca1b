/*
 * backend - the Backend service of the zio-telemetry OpenTracing example
 * (seed 000): GET /status answers {"name":"backend","status":"up"}.
 *
 * Architecture: one thread, non-blocking sockets, an epoll event loop.
 * Environment: BACKEND_PORT (default 9000), BIND_ADDR (127.0.0.1).
 * No tracing code: traceshim adds the spans from outside.
 */
#include <stdio.h>
#include <string.h>

#include "../common/net.h"
#include "../common/server.h"

static void handle(struct ta_request *req, struct ta_response *resp)
{
	if (strcmp(req->path, "/status")) {
		ta_resp_printf(resp, 404, "application/json",
			       "{\"error\":\"not found\"}\n");
		return;
	}
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		ta_resp_printf(resp, 405, "application/json",
			       "{\"error\":\"method not allowed\"}\n");
		return;
	}
	ta_resp_printf(resp, 200, "application/json",
		       "{\"name\":\"backend\",\"status\":\"up\"}");
}

int main(void)
{
	static const struct ta_service svc = { "backend", handle };
	int port, lfd;

	ta_init("backend");
	lfd = ta_listen("BACKEND_PORT", 9000, &port);
	printf("backend: ready, listening on http://%s:%d/status\n",
	       ta_env_str("BIND_ADDR", "127.0.0.1"), port);
	ta_serve_epoll(lfd, &svc);
	return 0;
}
