/*
 * curl_multi - libcurl multi-API life cycles that a tracer must survive.
 *
 * usage: curl_multi BASEURL        (BASEURL: the pyserver.py of the tests)
 * All handles share one application header list.  In one multi handle:
 *   A  GET /sleep/100?m=a    completes; its CURLMSG_DONE is read; then A is
 *                            re-added for GET /status/202?m=a2 (reuse)
 *   B  GET /sleep/3000?m=b   removed before it completes
 *   C  GET /sleep/3000?m=c   curl_easy_cleanup'ed while still in the multi
 *   D  GET /status/201?m=d   completes, but its message is never read: it
 *                            is removed 300 ms after everything finished
 *   E  GET /sleep/3000?m=e   still in the multi at curl_multi_cleanup
 * Then the list must be unchanged and is freed.  Prints what happened;
 * exits 1 on a mismatch.  Nothing of traceshim is linked in.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char base[512];

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return sz * n;
}

static CURL *handle(const char *path, struct curl_slist *l)
{
	char url[1024];
	CURL *h = curl_easy_init();

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	/* libcurl 7.88 may hand an aborted transfer's connection, its
	 * response still to come, to the next transfer: no reuse here. */
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	return h;
}

/* Drive m until `want` is done (its message read) or ms pass. */
static int drive(CURLM *m, CURL *want, int ms, int read_msgs)
{
	int running = 1, left, waited = 0, done = 0;
	CURLMsg *msg;

	while (waited < ms && !done) {
		curl_multi_perform(m, &running);
		while (read_msgs && (msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == want)
				done = 1;
		if (!running && !want)
			break;
		curl_multi_poll(m, NULL, 0, 20, NULL);
		waited += 20;
	}
	return done;
}

int main(int argc, char **argv)
{
	struct curl_slist *l = NULL, *n0, *n1;
	CURL *a, *b, *c, *d, *e;
	CURLM *m;
	long code;
	int bad = 0;

	if (argc < 2)
		return 2;
	snprintf(base, sizeof(base), "%s", argv[1]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	l = curl_slist_append(l, "X-Multi: 1");
	l = curl_slist_append(l, "Accept: */*");
	n0 = l;
	n1 = l->next;
	m = curl_multi_init();
	a = handle("/sleep/100?m=a", l);
	d = handle("/status/201?m=d", l);
	curl_multi_add_handle(m, a);
	curl_multi_add_handle(m, d);
	if (!drive(m, a, 5000, 1))
		bad = printf("A did not complete\n");
	drive(m, NULL, 5000, 0); /* until D is done too; its message unread */
	usleep(300000);
	curl_easy_getinfo(d, CURLINFO_RESPONSE_CODE, &code);
	printf("D status %ld, removed 300 ms later unread\n", code);
	curl_multi_remove_handle(m, d);
	curl_multi_remove_handle(m, a);
	{
		char url[1024];

		snprintf(url, sizeof(url), "%s/status/202?m=a2", argv[1]);
		curl_easy_setopt(a, CURLOPT_URL, url);
	}
	curl_multi_add_handle(m, a);
	if (!drive(m, a, 5000, 1))
		bad = printf("A2 did not complete\n");
	curl_easy_getinfo(a, CURLINFO_RESPONSE_CODE, &code);
	printf("A2 status %ld\n", code);
	curl_multi_remove_handle(m, a);

	b = handle("/sleep/3000?m=b", l);
	c = handle("/sleep/3000?m=c", l);
	curl_multi_add_handle(m, b);
	curl_multi_add_handle(m, c);
	drive(m, b, 300, 1);
	curl_multi_remove_handle(m, b); /* before it completes */
	curl_easy_cleanup(c);           /* while in the multi handle */
	printf("B removed, C cleaned up before completion\n");

	e = handle("/sleep/3000?m=e", l);
	curl_multi_add_handle(m, e);
	drive(m, e, 200, 1);
	curl_multi_cleanup(m); /* E still in it */
	printf("multi cleaned up with E in it\n");
	curl_easy_cleanup(e);
	curl_easy_cleanup(d);
	curl_easy_cleanup(b);
	curl_easy_cleanup(a);
	if (l != n0 || l->next != n1 || n1->next || strcmp(n0->data, "X-Multi: 1") ||
	    strcmp(n1->data, "Accept: */*"))
		bad = printf("list changed\n");
	else
		printf("list unchanged\n");
	curl_slist_free_all(l);
	curl_global_cleanup();
	return bad != 0;
}
