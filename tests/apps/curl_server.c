/*
 * curl_server - a C HTTP server that calls another service with libcurl
 * while it handles a request (the "legacy service" of the libcurl tests).
 *
 * usage: curl_server PORT
 * GET /call?url=U   -> fetches U with curl_easy_perform, then answers 200
 *                      with the downstream status, a newline and the
 *                      downstream body (its first 4 KiB)
 * GET /mcall?url=U  -> the same through the multi API (curl_multi_perform
 *                      and curl_multi_poll on this thread)
 * GET /fcall?url=U  -> like /call, forwarding the request's traceparent
 *                      header in its own header list (a proxy)
 * Thread per connection, one request per connection.  Prints "ready" once
 * listening on 127.0.0.1.  Nothing of traceshim is linked in.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct body {
	char b[4096];
	size_t n;
};

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	struct body *b = u;
	size_t take = sz * n < sizeof(b->b) - 1 - b->n ? sz * n : sizeof(b->b) - 1 - b->n;

	memcpy(b->b + b->n, p, take);
	b->n += take;
	b->b[b->n] = '\0';
	return sz * n;
}

static long fetch(const char *url, int multi, const char *tp, struct body *b)
{
	CURL *h = curl_easy_init();
	struct curl_slist *l = NULL;
	long code = 0;
	int running = 1;

	if (tp) {
		l = curl_slist_append(l, "X-Forwarded-By: curl_server");
		l = curl_slist_append(l, tp);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (!multi) {
		curl_easy_perform(h);
	} else {
		CURLM *m = curl_multi_init();
		CURLMsg *msg;
		int left;

		curl_multi_add_handle(m, h);
		while (running) {
			curl_multi_perform(m, &running);
			if (running)
				curl_multi_poll(m, NULL, 0, 1000, NULL);
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			;
		curl_multi_remove_handle(m, h);
		curl_multi_cleanup(m);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(l);
	return code;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char req[4096], head[256], tp[128], *url, *end, *h;
	static __thread struct body down;
	char *body = malloc(sizeof(down.b) + 32);
	size_t got = 0;
	ssize_t n;
	long code = 0;
	int multi;

	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		req[got] = '\0';
	}
	multi = strncmp(req, "GET /mcall?url=", 15) == 0;
	tp[0] = '\0';
	h = strncmp(req, "GET /fcall?url=", 15) == 0 ? strcasestr(req, "\ntraceparent:") : NULL;
	if (h && (end = strchr(h + 1, '\r')) != NULL && end - h < (long)sizeof(tp))
		snprintf(tp, sizeof(tp), "%.*s", (int)(end - h - 1), h + 1);
	url = strstr(req, "?url=");
	if (url && (end = strchr(url, ' ')) != NULL) {
		*end = '\0';
		down.n = 0;
		down.b[0] = '\0';
		code = fetch(url + 5, multi, tp[0] ? tp : NULL, &down);
	}
	n = snprintf(body, sizeof(down.b) + 32, "%ld\n%s", code,
		     code ? down.b : "");
	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
		 "Connection: close\r\n\r\n",
		 (int)n);
	if (write(fd, head, strlen(head)) < 0 || write(fd, body, (size_t)n) < 0)
		perror("write");
out:
	free(body);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s, c, one = 1;
	pthread_t t;

	if (argc < 2)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64)) {
		perror("bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
}
