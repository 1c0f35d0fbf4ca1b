/*
 * curl_easy - a libcurl easy-API client that owns its header list.
 *
 * usage: curl_easy URL...
 * One handle performs every URL in turn with the application's own
 * header list; after each transfer the list must be exactly what the
 * application built (same nodes, same strings, same order) and still be
 * the application's to free.  Then the handle is duplicated (the copy
 * performs the first URL again), reset (the header list is gone: the
 * next transfer carries only what the shim adds), and everything is
 * freed.  Prints "status N" per transfer and "list unchanged" per check;
 * exits 1 on any mismatch.  Nothing of traceshim is linked in.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NHDR 3

static const char *const hdrs[NHDR] = { "X-App-One: 1", "Accept: text/plain",
					"X-App-Three: three" };
static struct curl_slist *nodes[NHDR]; /* the nodes as built */
static char *strs[NHDR];               /* their strings as built */

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return sz * n;
}

/* The list is node for node, string for string what we built. */
static int check(const struct curl_slist *l)
{
	int i;

	for (i = 0; i < NHDR; i++, l = l->next) {
		if (l != nodes[i] || l->data != strs[i] || strcmp(l->data, hdrs[i])) {
			printf("list changed at element %d\n", i);
			return 1;
		}
	}
	if (l) {
		printf("list has extra elements\n");
		return 1;
	}
	printf("list unchanged\n");
	return 0;
}

static int run(CURL *h, const char *url)
{
	long code = 0;
	CURLcode r;

	curl_easy_setopt(h, CURLOPT_URL, url);
	r = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	printf("status %ld result %d\n", code, (int)r);
	return r == CURLE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct curl_slist *list = NULL, *l;
	CURL *h, *d;
	int i, bad = 0;

	if (argc < 2)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < NHDR; i++)
		list = curl_slist_append(list, hdrs[i]);
	for (i = 0, l = list; i < NHDR; i++, l = l->next) {
		nodes[i] = l;
		strs[i] = l->data;
	}
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	for (i = 1; i < argc; i++) {
		bad |= run(h, argv[i]);
		bad |= check(list);
	}
	d = curl_easy_duphandle(h);
	bad |= run(d, argv[1]);
	bad |= check(list);
	curl_easy_cleanup(d);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	bad |= run(h, argv[1]);
	bad |= check(list);
	curl_easy_cleanup(h);
	curl_slist_free_all(list); /* ours to free, and only ours */
	curl_global_cleanup();
	return bad;
}
