/*
 * proxy - the Proxy service of the zio-telemetry OpenTracing example
 * (seed 000): GET /statuses asks the backend for its GET /status and
 * answers both services' statuses:
 *
 *   {"data":[{"name":"backend","status":"up"},{"name":"proxy","status":"up"}]}
 *
 * A backend that cannot be reached or answers badly is reported as
 * {"name":"backend","status":"down"}.
 *
 * Architecture: one thread per connection, blocking I/O; each connection
 * thread keeps its own keep-alive connection to the backend, written with
 * plain sockets (no HTTP library).
 * Environment: PROXY_PORT (8080), BACKEND_HOST (127.0.0.1), BACKEND_PORT
 * (9000), BIND_ADDR (127.0.0.1).  No tracing code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/client.h"
#include "../common/net.h"
#include "../common/server.h"

static const char *backend_host;
static int backend_port;
static pthread_key_t client_key;

static void client_free(void *p)
{
	ta_client_close(p);
	free(p);
}

/* This thread's connection to the backend. */
static struct ta_client *backend(void)
{
	struct ta_client *c = pthread_getspecific(client_key);

	if (!c) {
		if (!(c = malloc(sizeof(*c))))
			return NULL;
		ta_client_init(c, backend_host, backend_port, "statuses-proxy/1.0");
		pthread_setspecific(client_key, c);
	}
	return c;
}

/* The backend's status object, or NULL when it is down. */
static const char *backend_status(size_t *len)
{
	struct ta_client *c = backend();
	const char *b;
	size_t n;

	if (!c || ta_client_request(c, "GET", "/status", NULL, NULL, 0))
		return NULL;
	if (c->resp.status != 200)
		return NULL;
	b = c->resp.body;
	n = c->resp.body_len;
	while (n && (b[n - 1] == '\n' || b[n - 1] == ' '))
		n--;
	if (n < 2 || b[0] != '{' || b[n - 1] != '}')
		return NULL;
	*len = n;
	return b;
}

static void handle(struct ta_request *req, struct ta_response *resp)
{
	static const char down[] = "{\"name\":\"backend\",\"status\":\"down\"}";
	const char *b;
	size_t n = 0;

	if (strcmp(req->path, "/statuses")) {
		ta_resp_printf(resp, 404, "application/json",
			       "{\"error\":\"not found\"}\n");
		return;
	}
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		ta_resp_printf(resp, 405, "application/json",
			       "{\"error\":\"method not allowed\"}\n");
		return;
	}
	if (!(b = backend_status(&n))) {
		b = down;
		n = sizeof(down) - 1;
	}
	ta_resp_printf(resp, 200, "application/json", "{\"data\":[%.*s,"
		       "{\"name\":\"proxy\",\"status\":\"up\"}]}", (int)n, b);
}

int main(void)
{
	static const struct ta_service svc = { "proxy", handle };
	int port, lfd;

	ta_init("proxy");
	backend_host = ta_env_str("BACKEND_HOST", "127.0.0.1");
	backend_port = ta_env_port("BACKEND_PORT", 9000);
	pthread_key_create(&client_key, client_free);
	lfd = ta_listen("PROXY_PORT", 8080, &port);
	printf("proxy: ready, listening on http://%s:%d/statuses (backend "
	       "http://%s:%d)\n", ta_env_str("BIND_ADDR", "127.0.0.1"), port,
	       backend_host, backend_port);
	ta_serve_threads(lfd, &svc);
	return 0;
}
