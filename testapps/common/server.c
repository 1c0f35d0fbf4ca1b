/*
 * server.c - requests, responses and the blocking server architectures
 * (threads, thread pool, fork per connection, prefork).  The event loop
 * is in evloop.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "server.h"

/* ---- responses ----------------------------------------------------------- */

void ta_out_put(struct ta_out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *d;

		while (cap < o->len + n)
			cap *= 2;
		if (!(d = realloc(o->data, cap)))
			ta_die(1, "out of memory");
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
}

void ta_resp_append(struct ta_response *r, const void *data, size_t len)
{
	struct ta_out o = { r->body, r->len, r->cap };

	ta_out_put(&o, data, len);
	r->body = o.data;
	r->len = o.len;
	r->cap = o.cap;
}

void ta_resp_json_str(struct ta_response *r, const char *s, size_t len)
{
	char esc[8];
	size_t i;

	ta_resp_append(r, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			ta_resp_append(r, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			ta_resp_append(r, esc, 6);
		} else {
			ta_resp_append(r, s + i, 1);
		}
	}
	ta_resp_append(r, "\"", 1);
}

static void __attribute__((format(printf, 2, 0)))
vappendf(struct ta_response *r, const char *fmt, va_list ap)
{
	char small[1024], *big = NULL;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(small)) {
		if (!(big = malloc((size_t)n + 1)))
			ta_die(1, "out of memory");
		vsnprintf(big, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n > 0)
		ta_resp_append(r, big ? big : small, (size_t)n);
	free(big);
}

void ta_resp_appendf(struct ta_response *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappendf(r, fmt, ap);
	va_end(ap);
}

void ta_resp_printf(struct ta_response *r, int status, const char *ctype,
		    const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", ctype ? ctype : "");
	r->len = 0;
	va_start(ap, fmt);
	vappendf(r, fmt, ap);
	va_end(ap);
}

bool ta_resp_stream_begin(struct ta_request *req, struct ta_response *r,
			  int status, const char *ctype)
{
	char head[512];
	size_t n;

	if (req->fd < 0)
		return false;
	r->streaming = true;
	r->fd = req->fd;
	r->head_only = !strcmp(req->method, "HEAD");
	r->chunked = req->msg->minor >= 1;
	if (!r->chunked)
		r->close = true;
	n = ta_http_response_head(head, sizeof(head), status, req->server,
				  ctype, r->chunked ? -1 : -2, !r->close);
	r->status = status;
	if (!n || !ta_write_all(r->fd, head, n))
		r->failed = true;
	return true;
}

bool ta_resp_stream_write(struct ta_response *r, const void *data, size_t len)
{
	char size[32];
	int n;

	if (r->failed || r->head_only || !len)
		return !r->failed;
	if (r->chunked) {
		n = snprintf(size, sizeof(size), "%zx\r\n", len);
		if (!ta_write_all(r->fd, size, (size_t)n) ||
		    !ta_write_all(r->fd, data, len) ||
		    !ta_write_all(r->fd, "\r\n", 2))
			r->failed = true;
	} else if (!ta_write_all(r->fd, data, len)) {
		r->failed = true;
	}
	return !r->failed;
}

/* ---- dispatch ------------------------------------------------------------ */

bool ta_wants_continue(const struct ta_msg *m)
{
	char v[64];

	return m->minor >= 1 && ta_msg_header(m, "expect", v, sizeof(v)) &&
	       !strcasecmp(v, "100-continue");
}

void ta_error_response(const struct ta_service *svc, int status,
		       struct ta_out *out)
{
	char head[512], body[128];
	int bn = snprintf(body, sizeof(body), "%d %s\n", status,
			  ta_http_reason(status));
	size_t n = ta_http_response_head(head, sizeof(head), status, svc->name,
					 "text/plain", bn, false);

	ta_out_put(out, head, n);
	ta_out_put(out, body, (size_t)bn);
}

static bool split_target(const struct ta_msg *m, struct ta_request *req)
{
	const char *q = memchr(m->target, '?', m->target_len);
	size_t plen = q ? (size_t)(q - m->target) : m->target_len;
	size_t qlen = q ? m->target_len - plen - 1 : 0;

	if (qlen >= sizeof(req->query))
		return false;
	memcpy(req->query, q ? q + 1 : "", qlen);
	req->query[qlen] = '\0';
	return ta_url_decode(m->target, plen, req->path, sizeof(req->path));
}

void ta_dispatch(const struct ta_service *svc, const struct ta_msg *m, int fd,
		 struct ta_out *out, bool *keep_alive)
{
	struct ta_request req = { .msg = m, .method = m->method, .fd = fd,
				  .server = svc->name };
	struct ta_response resp = { .status = 200 };
	char head[512];
	size_t n;

	if (!split_target(m, &req) || req.path[0] != '/') {
		ta_error_response(svc, 400, out);
		*keep_alive = false;
		return;
	}
	svc->handler(&req, &resp);
	*keep_alive = m->keep_alive && !resp.close;
	if (resp.streaming) {
		if (resp.chunked && !resp.failed && !resp.head_only)
			ta_write_all(fd, "0\r\n\r\n", 5);
		if (resp.failed)
			*keep_alive = false;
		free(resp.body);
		return;
	}
	n = ta_http_response_head(head, sizeof(head), resp.status, svc->name,
				  resp.ctype[0] ? resp.ctype : NULL,
				  (long long)resp.len, *keep_alive);
	ta_out_put(out, head, n);
	if (strcmp(m->method, "HEAD") && resp.status >= 200 &&
	    resp.status != 204 && resp.status != 304)
		ta_out_put(out, resp.body, resp.len);
	free(resp.body);
}

/* ---- one blocking connection --------------------------------------------- */

/* Read more into the buffer; 0 on EOF, -1 on error or stop. */
static ssize_t fill(int fd, struct ta_out *in)
{
	char tmp[16384];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR && !ta_stopping)
			continue;
		if (n > 0)
			ta_out_put(in, tmp, (size_t)n);
		return n;
	}
}

/* Idle keep-alive connections are closed after this long; processes
 * that serve one connection at a time wait less (Apache's
 * KeepAliveTimeout). */
static int idle_seconds = TA_IDLE_SECONDS;

static void serve_conn(int fd, const struct ta_service *svc)
{
	struct timeval idle = { idle_seconds, 0 };
	struct ta_out in = { 0 }, out = { 0 };
	bool keep = true, eof = false, continued = false;
	struct ta_msg m;
	long r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	while (keep && !ta_stopping) {
		m.head_len = 0;
		r = in.len ? ta_http_parse(in.data, in.len, TA_REQUEST, eof, &m)
			   : 0;
		if (r == 0) {
			if (m.head_len && !continued && ta_wants_continue(&m)) {
				continued = true;
				ta_write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n",
					     25);
			}
			if (eof || fill(fd, &in) <= 0)
				break; /* closed, idle too long, or stopping */
			continue;
		}
		out.len = 0;
		if (r < 0) {
			ta_error_response(svc, (int)-r, &out);
			keep = false;
		} else {
			ta_dispatch(svc, &m, fd, &out, &keep);
			ta_msg_release(&m);
			memmove(in.data, in.data + r, in.len - (size_t)r);
			in.len -= (size_t)r;
			continued = false;
		}
		if (out.len && !ta_write_all(fd, out.data, out.len))
			break;
	}
	close(fd);
	free(in.data);
	free(out.data);
}

/* accept() that gives up when stopping; -1 then. */
static int accept_conn(int lfd)
{
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0 || ta_stopping)
			return fd;
		if (errno != EINTR && errno != ECONNABORTED)
			ta_log("accept: %s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE)
			ta_sleep_ms(100);
		return -2;
	}
}

/* ---- thread per connection ----------------------------------------------- */

struct conn_job {
	int fd;
	const struct ta_service *svc;
};

static void *conn_thread(void *arg)
{
	struct conn_job job = *(struct conn_job *)arg;

	free(arg);
	serve_conn(job.fd, job.svc);
	return NULL;
}

/* Start a detached thread with SIGTERM/SIGINT blocked: main() takes them. */
static int spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t t;
	sigset_t old;
	int err;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	ta_block_stop_signals(&old);
	err = pthread_create(&t, &at, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return err;
}

int ta_serve_threads(int lfd, const struct ta_service *svc)
{
	struct conn_job *job;
	int fd;

	while (!ta_stopping) {
		if ((fd = accept_conn(lfd)) < 0)
			continue;
		if (!(job = malloc(sizeof(*job)))) {
			close(fd);
			continue;
		}
		job->fd = fd;
		job->svc = svc;
		if (spawn(conn_thread, job)) {
			ta_log("pthread_create failed; connection dropped");
			close(fd);
			free(job);
		}
	}
	return 0;
}

/* ---- thread pool ---------------------------------------------------------- */

struct pool_arg {
	int lfd;
	const struct ta_service *svc;
};

static void *pool_thread(void *arg)
{
	const struct pool_arg *pa = arg;
	int fd;

	while (!ta_stopping)
		if ((fd = accept_conn(pa->lfd)) >= 0)
			serve_conn(fd, pa->svc);
	return NULL;
}

int ta_serve_pool(int lfd, const struct ta_service *svc, int nthreads)
{
	static struct pool_arg pa;
	sigset_t none;
	int i;

	pa.lfd = lfd;
	pa.svc = svc;
	for (i = 0; i < nthreads; i++)
		if (spawn(pool_thread, &pa))
			ta_die(1, "pthread_create failed");
	sigemptyset(&none);
	while (!ta_stopping)
		sigsuspend(&none); /* the workers serve; main waits to stop */
	return 0;
}

/* ---- processes ------------------------------------------------------------ */

#define MAX_CHILDREN 4096

static pid_t children[MAX_CHILDREN];
static int nchildren;

static void reap(void)
{
	pid_t p;
	int i;

	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		for (i = 0; i < nchildren; i++)
			if (children[i] == p) {
				children[i] = children[--nchildren];
				break;
			}
}

/* SIGTERM every child, wait up to 2 s, then SIGKILL the rest. */
static void stop_children(void)
{
	int i, tries;

	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	for (tries = 0; nchildren && tries < 200; tries++) {
		reap();
		if (nchildren)
			usleep(10000);
	}
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGKILL);
	while (nchildren && waitpid(-1, NULL, 0) > 0)
		reap();
}

static void on_child(int sig)
{
	(void)sig; /* only interrupts accept() so the parent reaps */
}

static void catch_children(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

static void child_defaults(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	nchildren = 0;
}

int ta_serve_fork(int lfd, const struct ta_service *svc)
{
	pid_t pid;
	int fd;

	catch_children();
	while (!ta_stopping) {
		reap();
		if ((fd = accept_conn(lfd)) < 0)
			continue;
		while (nchildren == MAX_CHILDREN && waitpid(-1, NULL, 0) > 0)
			reap();
		pid = fork();
		if (pid == 0) {
			child_defaults();
			close(lfd);
			serve_conn(fd, svc);
			fflush(stdout);
			_exit(0); /* like inetd children: no atexit handlers */
		}
		if (pid < 0)
			ta_log("fork: %s; connection dropped", strerror(errno));
		else
			children[nchildren++] = pid;
		close(fd);
	}
	stop_children();
	return 0;
}

static pid_t prefork_worker(int lfd, const struct ta_service *svc)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	child_defaults();
	while (!ta_stopping)
		if ((fd = accept_conn(lfd)) >= 0)
			serve_conn(fd, svc);
	exit(0);
}

int ta_serve_prefork(int lfd, const struct ta_service *svc, int nprocs)
{
	pid_t pid;

	idle_seconds = TA_PREFORK_IDLE_SECONDS;
	catch_children();
	while (!ta_stopping) {
		reap();
		while (nchildren < nprocs && !ta_stopping) {
			if ((pid = prefork_worker(lfd, svc)) < 0)
				ta_die(1, "fork: %s", strerror(errno));
			children[nchildren++] = pid;
		}
		pause(); /* SIGCHLD: a worker died, start another */
	}
	stop_children();
	return 0;
}
