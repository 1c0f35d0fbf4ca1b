/*
 * httpsink - a minimal, fast HTTP/1.1 sink for the export benchmarks.
 *
 *   httpsink PORT
 *
 * Listens on 127.0.0.1:PORT, reads requests framed by Content-Length on
 * any number of keep-alive connections (one thread each), discards the
 * bodies and answers "200 OK" with an empty body.  Prints "ready" when
 * listening; on SIGTERM prints "requests N bytes N" and exits.  Plain
 * program: the benchmarks never run it under the shim.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned long long nreq, nbytes;

#define CAP (1 << 20)

static void *serve(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	int fd = (int)(long)arg;
	char *buf = malloc(CAP + 1), *end, *cl;
	size_t len = 0, head, body, have, left;
	ssize_t n;

	for (;;) {
		while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
			if (len == CAP)
				goto out;
			n = read(fd, buf + len, CAP - len);
			if (n <= 0)
				goto out;
			len += (size_t)n;
		}
		head = (size_t)(end + 4 - buf);
		*end = '\0'; /* strcasestr stays inside the head */
		cl = strcasestr(buf, "\r\ncontent-length:");
		body = cl ? strtoul(cl + 17, NULL, 10) : 0;
		have = len - head;
		if (have >= body) {
			memmove(buf, buf + head + body, have - body);
			len = have - body;
		} else {
			for (left = body - have; left; left -= (size_t)n) {
				n = read(fd, buf, left < CAP ? left : CAP);
				if (n <= 0)
					goto out;
			}
			len = 0;
		}
		__atomic_add_fetch(&nreq, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&nbytes, head + body, __ATOMIC_RELAXED);
		if (write(fd, ok, sizeof(ok) - 1) < 0)
			break;
	}
out:
	free(buf);
	close(fd);
	return NULL;
}

static void on_term(int sig)
{
	char line[128];
	int n;

	(void)sig;
	n = snprintf(line, sizeof(line), "requests %llu bytes %llu\n",
		     __atomic_load_n(&nreq, __ATOMIC_RELAXED),
		     __atomic_load_n(&nbytes, __ATOMIC_RELAXED));
	if (write(1, line, (size_t)n) < 0)
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s, c, one = 1;
	pthread_t t;

	if (argc != 2)
		return 2;
	signal(SIGTERM, on_term);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64)) {
		perror("httpsink");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		pthread_create(&t, NULL, serve, (void *)(long)c);
		pthread_detach(t);
	}
}
