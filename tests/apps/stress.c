/*
 * stress - a plain HTTP client for concurrency cases (no tracing code; the
 * tests run it under LD_PRELOAD).
 *
 *   stress signals PORT N   N keep-alive requests on one connection while a
 *                           100 us interval timer fires; the SIGALRM handler
 *                           write()s to a pipe and send()s a request head
 *                           prefix on a second traced connection, then
 *                           checks errno is what it was (prints "errno-bad"
 *                           if not).  Prints "done <requests> <signals>".
 *   stress fork PORT N      16 threads each send N requests on their own
 *                           connection; the main thread fork()s 20 times
 *                           meanwhile, each child makes one request of its
 *                           own and leaves by _exit().  Prints
 *                           "done <requests> <children>".
 *
 * Responses are read with Content-Length framing.  Exit status 1 on error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int port;

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One request and its response (body "ok" from the recorder). */
static int request(int fd, const char *path)
{
	char req[256], buf[4096];
	size_t have = 0;
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	char *end;

	if (send_all(fd, req, (size_t)n))
		return -1;
	for (;;) {
		ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end && have >= (size_t)(end - buf) + 4 + 2)
			return 0;
	}
}

/* ---- signals ---- */

static int pipefd[2], sigconn;
static volatile sig_atomic_t nsig, bad_errno;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	nsig++;
	(void)!write(pipefd[1], "x", 1);
	/* A partial request head, sent from the handler on another
	 * connection (interrupting whatever hook the main flow is in). */
	(void)!send(sigconn, "X", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (errno != saved && errno != EAGAIN)
		bad_errno = errno; /* the value, for the report */
	errno = saved;
}

static void mode_signals(int n)
{
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	char drain[4096];
	int fd = dial(), i, ok = 0;

	sigconn = dial();
	if (pipe(pipefd))
		exit(1);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/sig/%d", i);
		if (request(fd, path) == 0)
			ok++;
		if (i % 64 == 0)
			(void)!read(pipefd[0], drain, sizeof(drain));
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (bad_errno)
		printf("errno-bad %d (%s)\n", (int)bad_errno, strerror(bad_errno));
	printf("done %d %d\n", ok, (int)nsig);
}

/* ---- fork ---- */

static int per_thread;
static int total_ok;

static void *sender(void *arg)
{
	int fd = dial(), i, ok = 0;
	char path[64];

	for (i = 0; i < per_thread; i++) {
		snprintf(path, sizeof(path), "/t%ld/%d", (long)(intptr_t)arg, i);
		ok += request(fd, path) == 0;
	}
	close(fd);
	__atomic_add_fetch(&total_ok, ok, __ATOMIC_RELAXED);
	return NULL;
}

static void mode_fork(int n)
{
	pthread_t t[16];
	int i, children = 0, st;

	per_thread = n;
	for (i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, sender, (void *)(intptr_t)i);
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			char path[32];
			int fd = dial();

			snprintf(path, sizeof(path), "/child/%d", i);
			_exit(request(fd, path) == 0 ? 0 : 3);
		}
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			children++;
		usleep(2000);
	}
	for (i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	printf("done %d %d\n", total_ok, children);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	port = atoi(argv[2]);
	if (!strcmp(argv[1], "signals"))
		mode_signals(atoi(argv[3]));
	else if (!strcmp(argv[1], "fork"))
		mode_fork(atoi(argv[3]));
	else
		return 2;
	return 0;
}
