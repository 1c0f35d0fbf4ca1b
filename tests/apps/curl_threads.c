/*
 * curl_threads - many threads making libcurl transfers at once, each with
 * its own handles and header list (the shim's handle table under churn).
 *
 * usage: curl_threads URL THREADS N
 * Each thread performs N transfers of URL?t=<thread>&i=<n>, a fresh
 * handle every other one (the others reuse the previous handle), and
 * checks its list is unchanged after each.  Prints "ok <transfers>" or
 * "bad ..."; exits 1 on a mismatch.  Nothing of traceshim is linked in.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base;
static int per_thread;
static int done, bad;

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return sz * n;
}

static void *run(void *arg)
{
	int t = (int)(long)arg, i;
	struct curl_slist *l = curl_slist_append(NULL, "X-Thread: yes");
	struct curl_slist *first = l;
	CURL *h = NULL;
	char url[512];

	for (i = 0; i < per_thread; i++) {
		long code = 0;

		if (!h || i % 2 == 0) {
			if (h)
				curl_easy_cleanup(h);
			h = curl_easy_init();
			curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
		}
		snprintf(url, sizeof(url), "%s?t=%d&i=%d", base, t, i);
		curl_easy_setopt(h, CURLOPT_URL, url);
		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code == 200)
			__atomic_add_fetch(&done, 1, __ATOMIC_RELAXED);
		if (l != first || l->next || strcmp(l->data, "X-Thread: yes"))
			__atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(l);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int n, i;

	if (argc < 4)
		return 2;
	base = argv[1];
	n = atoi(argv[2]);
	per_thread = atoi(argv[3]);
	if (n < 1 || n > 64)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, run, (void *)(long)i);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	curl_global_cleanup();
	if (bad) {
		printf("bad: a list changed\n");
		return 1;
	}
	printf("ok %d\n", done);
	return 0;
}
