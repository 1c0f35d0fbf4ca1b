/*
 * app - the application behind the gateway (seed 001's PHP application):
 * GET /api/quote?symbol=SYM asks the webservice for GET /quote?symbol=SYM
 * and answers
 *
 *   {"app":"php-application","worker":<pid>,"quote":<the webservice's JSON>}
 *
 * It forwards none of its caller's headers: where the seed's PHP code
 * copied Uber-Trace-Id by hand, here the shim carries the context.
 *
 * Architecture: prefork, like PHP-FPM: APP_WORKERS (4) processes that
 * each accept() and serve connections, respawned if they die; each keeps
 * a keep-alive connection to the webservice, written with plain sockets.
 * Environment: APP_PORT (8080), WEBSERVICE_HOST (127.0.0.1),
 * WEBSERVICE_PORT (8888), APP_WORKERS, BIND_ADDR.  No tracing code.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/client.h"
#include "../common/net.h"
#include "../common/server.h"

static struct ta_client webservice; /* one per worker process */

/* The symbol=... query parameter, validated; false if absent or bad. */
static bool symbol_of(const char *query, char *out, size_t size)
{
	const char *p = strstr(query, "symbol=");
	size_t n = 0;

	if (!p || (p != query && p[-1] != '&'))
		return false;
	for (p += 7; *p && *p != '&'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.')
			return false;
		if (n + 1 >= size)
			return false;
		out[n++] = (char)toupper((unsigned char)*p);
	}
	out[n] = '\0';
	return n > 0;
}

static void handle(struct ta_request *req, struct ta_response *resp)
{
	char sym[16], path[64];
	int r;

	if (!strcmp(req->path, "/")) {
		ta_resp_printf(resp, 200, "text/plain",
			       "try GET /api/quote?symbol=TSHM\n");
		return;
	}
	if (strcmp(req->path, "/api/quote")) {
		ta_resp_printf(resp, 404, "application/json",
			       "{\"error\":\"not found\"}\n");
		return;
	}
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		ta_resp_printf(resp, 405, "application/json",
			       "{\"error\":\"GET only\"}\n");
		return;
	}
	if (!symbol_of(req->query, sym, sizeof(sym))) {
		ta_resp_printf(resp, 400, "application/json",
			       "{\"error\":\"give ?symbol=<letters, digits, .>\"}\n");
		return;
	}
	snprintf(path, sizeof(path), "/quote?symbol=%s", sym);
	r = ta_client_request(&webservice, "GET", path, NULL, NULL, 0);
	if (r || webservice.resp.status != 200) {
		ta_log("webservice: %s", r ? strerror(-r) : "bad status");
		ta_resp_printf(resp, 502, "application/json",
			       "{\"error\":\"the webservice is unavailable\"}\n");
		return;
	}
	ta_resp_printf(resp, 200, "application/json",
		       "{\"app\":\"php-application\",\"worker\":%d,\"quote\":%.*s}",
		       (int)getpid(), (int)webservice.resp.body_len,
		       webservice.resp.body);
}

int main(void)
{
	static const struct ta_service svc = { "app", handle };
	long workers;
	int port, lfd;

	ta_init("app");
	ta_client_init(&webservice, ta_env_str("WEBSERVICE_HOST", "127.0.0.1"),
		       ta_env_port("WEBSERVICE_PORT", 8888), "php-application/1.0");
	workers = ta_env_long("APP_WORKERS", 4, 1, 64);
	lfd = ta_listen("APP_PORT", 8080, &port);
	printf("app: ready, listening on http://%s:%d/api/quote (%ld workers, "
	       "webservice %s:%d)\n", ta_env_str("BIND_ADDR", "127.0.0.1"), port,
	       workers, webservice.host, webservice.port);
	ta_serve_prefork(lfd, &svc, (int)workers);
	return 0;
}
