/*
 * client - the client of the OpenTelemetry pub/sub demo (seed 003): sends
 * PUBSUB_REQUESTS (3) requests GET /hello to the server, one after the
 * other on one keep-alive connection, and prints each answer.  Exits 1
 * if any request failed.
 *
 * Architecture: a command-line program using libcurl.
 * Environment: PUBSUB_HOST (127.0.0.1), PUBSUB_PORT (8080),
 * PUBSUB_REQUESTS.  No tracing code.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "../common/net.h"

static size_t print_body(char *p, size_t size, size_t n, void *arg)
{
	(void)arg;
	return fwrite(p, size, n, stdout) * size;
}

int main(void)
{
	char url[300];
	long n, i, status, failed = 0;
	CURLcode rc;
	CURL *h;

	ta_init("client");
	n = ta_env_long("PUBSUB_REQUESTS", 3, 1, 100000);
	snprintf(url, sizeof(url), "http://%s:%d/hello",
		 ta_env_str("PUBSUB_HOST", "127.0.0.1"),
		 ta_env_port("PUBSUB_PORT", 8080));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(h = curl_easy_init()))
		ta_die(1, "cannot initialise libcurl");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, print_body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pubsub-client/1.0");
	for (i = 0; i < n && !ta_stopping; i++) {
		status = 0;
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK || status != 200) {
			ta_log("GET %s: %s", url, rc != CURLE_OK
			       ? curl_easy_strerror(rc) : "bad status");
			failed++;
		}
	}
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
