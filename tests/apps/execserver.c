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
 * GET /system -> curl -sS -o /dev/null URL/system   by system(), in the
 *                server's own process; answers "status N"
 * GET /systemlong -> system(": xxx...") of a 131,000-byte command (the
 *                kernel takes one argument of up to 131,071)
 * GET /popen  -> curl -sS URL/popen     by popen(..., "r"), read whole
 * GET /popenenv -> env                  by popen("env", "r")
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

/* system() and popen(), in this process: what to answer, its length. */
static size_t shell(const char *target, const char *url, char *out,
		    size_t size)
{
	const char *pre = getenv("CHILD_PRELOAD");
	char cmd[8192], lp[4096] = "";
	size_t got = 0, n;
	FILE *f;

	if (pre && *pre)
		snprintf(lp, sizeof(lp), "LD_PRELOAD='%s' ", pre);
	if (!strcmp(target, "/system")) {
		snprintf(cmd, sizeof(cmd), "%scurl -sS -o /dev/null '%s'", lp,
			 url);
		return (size_t)snprintf(out, size, "status %d", system(cmd));
	}
	if (!strcmp(target, "/systemlong")) {
		static char big[131001];

		memset(big, 'x', sizeof(big) - 1);
		memcpy(big, ": ", 2);
		return (size_t)snprintf(out, size, "status %d", system(big));
	}
	if (!strcmp(target, "/popenenv"))
		snprintf(cmd, sizeof(cmd), "env");
	else
		snprintf(cmd, sizeof(cmd), "%scurl -sS '%s'", lp, url);
	f = popen(cmd, "r");
	if (!f)
		return (size_t)snprintf(out, size, "popen failed");
	while (got < size && (n = fread(out + got, 1, size - got, f)) > 0)
		got += n;
	pclose(f);
	return got;
}

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
	if (!strncmp(target, "/system", 7) || !strncmp(target, "/popen", 6)) {
		got = shell(target, req, out, sizeof(out));
		close(pipefd[0]);
		close(pipefd[1]);
		goto answer;
	}
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
answer:
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
