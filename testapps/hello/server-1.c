/*
 * server-1 - the first server of the Go opentracing example (seed 004):
 * GET /<name> waits SERVER1_DELAY_MS (the seed's 250 ms), POSTs the name
 * to server-2, and answers "Hello <name>! time is Mon Jan  2 15:04:05
 * 2006" (the time the request arrived).  If server-2 cannot be reached,
 * 502 Bad Gateway.
 *
 * Architecture: one child process per connection (fork after accept;
 * children leave with _exit()); outgoing calls through libcurl, one easy
 * handle per child, so a keep-alive client's requests share a connection
 * to server-2.
 * Environment: SERVER1_PORT (8082), SERVER2_HOST (127.0.0.1),
 * SERVER2_PORT (8081), SERVER1_DELAY_MS (250), BIND_ADDR.  No tracing code.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/net.h"
#include "../common/server.h"

static char server2_url[300];
static long delay_ms;

struct reply {
	char data[4096];
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t take = size * n;

	if (take > sizeof(r->data) - 1 - r->len)
		take = sizeof(r->data) - 1 - r->len;
	memcpy(r->data + r->len, p, take);
	r->len += take;
	r->data[r->len] = '\0';
	return size * n;
}

/* POST name to server-2; its answer in *out.  0 or a curl error text. */
static const char *tell_server2(const char *name, struct reply *out,
				long *status)
{
	static CURL *h; /* per process: each connection has its own child */
	CURLcode rc;

	if (!h && !(h = curl_easy_init()))
		return "curl_easy_init failed";
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, server2_url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, name);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(name));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hello-server-1/1.0");
	out->len = 0;
	out->data[0] = '\0';
	if ((rc = curl_easy_perform(h)) != CURLE_OK)
		return curl_easy_strerror(rc);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return NULL;
}

static void handle(struct ta_request *req, struct ta_response *resp)
{
	const char *name = req->path + 1, *err;
	char when[64];
	struct reply r;
	long status = 0;
	time_t now = time(NULL);
	struct tm tm;

	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		ta_resp_printf(resp, 405, "text/plain", "GET /<name>\n");
		return;
	}
	if (!*name || strchr(name, '/')) {
		ta_resp_printf(resp, 404, "text/plain",
			       "not found: ask for /<name>, e.g. /gopher\n");
		return;
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	ta_sleep_ms(delay_ms);
	if ((err = tell_server2(name, &r, &status)) || status != 200) {
		ta_log("server-2: %s", err ? err : r.data);
		ta_resp_printf(resp, 502, "text/plain", "server-2: %s\n",
			       err ? err : "bad answer");
		return;
	}
	printf("server-1: server-2 said: %s\n", r.data);
	ta_resp_printf(resp, 200, "text/plain; charset=utf-8",
		       "Hello %s! time is %s", name, when);
}

int main(void)
{
	static const struct ta_service svc = { "server-1", handle };
	int port, lfd;

	ta_init("server-1");
	snprintf(server2_url, sizeof(server2_url), "http://%s:%d/",
		 ta_env_str("SERVER2_HOST", "127.0.0.1"),
		 ta_env_port("SERVER2_PORT", 8081));
	delay_ms = ta_env_long("SERVER1_DELAY_MS", 250, 0, 60000);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		ta_die(1, "curl_global_init failed");
	lfd = ta_listen("SERVER1_PORT", 8082, &port);
	printf("server-1: ready, listening on http://%s:%d/<name> (server-2 "
	       "%s)\n", ta_env_str("BIND_ADDR", "127.0.0.1"), port,
	       server2_url);
	ta_serve_fork(lfd, &svc);
	curl_global_cleanup();
	return 0;
}
