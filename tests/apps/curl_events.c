/*
 * curl_events - libcurl driven the event-loop way: curl_multi_socket_action
 * with CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION and a poll()
 * loop of the application's own (as libevent/libuv programs do).
 *
 * usage: curl_events URL...
 * All URLs run concurrently; each completion is read with
 * curl_multi_info_read as it happens.  Prints "done URL status N result R"
 * per transfer.  Nothing of traceshim is linked in.
 */
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define MAXFD 64

static struct pollfd fds[MAXFD];
static int nfds;
static long timeout_ms = -1;

static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return sz * n;
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *u, void *sp)
{
	int i;

	(void)e, (void)u, (void)sp;
	for (i = 0; i < nfds && fds[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < nfds)
			fds[i] = fds[--nfds];
		return 0;
	}
	if (i == nfds) {
		if (nfds == MAXFD)
			return -1;
		fds[nfds++].fd = s;
	}
	fds[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				(what & CURL_POLL_OUT ? POLLOUT : 0));
	return 0;
}

static int on_timer(CURLM *m, long ms, void *u)
{
	(void)m, (void)u;
	timeout_ms = ms;
	return 0;
}

static void reap(CURLM *m, int *left)
{
	CURLMsg *msg;
	int q;

	while ((msg = curl_multi_info_read(m, &q)) != NULL) {
		char *url = NULL;
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_EFFECTIVE_URL, &url);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		printf("done %s status %ld result %d\n", url, code,
		       (int)msg->data.result);
		curl_multi_remove_handle(m, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
		(*left)--;
	}
}

int main(int argc, char **argv)
{
	int i, running, left = argc - 1;
	CURLM *m;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	for (i = 1; i < argc; i++) {
		CURL *h = curl_easy_init();

		curl_easy_setopt(h, CURLOPT_URL, argv[i]);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_multi_add_handle(m, h);
	}
	while (left > 0) {
		int n = poll(fds, (nfds_t)nfds, timeout_ms < 0 ? 1000 : (int)timeout_ms);

		if (n == 0) {
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
		} else {
			struct pollfd ready[MAXFD];
			int k = nfds;

			memcpy(ready, fds, sizeof(ready));
			for (i = 0; i < k; i++) {
				int ev = (ready[i].revents & POLLIN ? CURL_CSELECT_IN : 0) |
					 (ready[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
					 (ready[i].revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);

				if (ev)
					curl_multi_socket_action(m, ready[i].fd, ev, &running);
			}
		}
		reap(m, &left);
	}
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
