/*
 * execserver - a plain HTTP/1.0 server that runs a program for each
 * request, the way old C services do: fork, then execl / execlp / execle
 * in the child, wait, answer with what the child printed.
 *
 *   execserver PORT URL
 *
 * GET /execl  -> curl -sS URL/execl     by execl("/usr/bin/curl", ...)
 * GET /execlp -> curl -sS URL/execlp    by execlp("curl", ...)
 * GET /execle -> env                    by execle("/usr/bin/env", ...)
 *                with the environment {"X_ONLY=1", NULL}
 * Prints "ready" when listening; one request per connection.  Plain
 * program: no tracing code.  CHILD_PRELOAD, when set, becomes the
 * programs' LD_PRELOAD.  Loopback only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void serve(int c, const char *url)
{
	char req[4096], target[2048], out[65536];
	size_t len = 0, got = 0;
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	while (len < sizeof(req) - 1 &&
	       (n = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (sscanf(req, "GET %2047s", target) != 1 || pipe(pipefd))
		return;
	snprintf(req, sizeof(req), "%s%s", url, target);
	pid = fork();
	if (pid == 0) {
		char *env[] = { "X_ONLY=1", NULL };

		const char *pre = getenv("CHILD_PRELOAD");

		/* (the test's: the plain library in sanitizer passes) */
		if (pre && *pre)
			setenv("LD_PRELOAD", pre, 1);
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		if (!strcmp(target, "/execlp"))
			execlp("curl", "curl", "-sS", req, (char *)NULL);
		else if (!strcmp(target, "/execle"))
			execle("/usr/bin/env", "env", (char *)NULL, env);
		else
			execl("/usr/bin/curl", "curl", "-sS", req, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (got < sizeof(out) &&
	       (n = read(pipefd[0], out + got, sizeof(out) - got)) > 0)
		got += (size_t)n;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	len = (size_t)snprintf(req, sizeof(req),
			       "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n",
			       got);
	if (write(c, req, len) < 0 || write(c, out, got) < 0)
		return;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s, c, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: execserver PORT URL\n");
		return 2;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 8)) {
		perror("execserver");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		serve(c, argv[2]);
		close(c);
	}
}
