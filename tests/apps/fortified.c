/*
 * fortified - an HTTP client built with -D_FORTIFY_SOURCE=2 -O2, so glibc
 * routes its read() and recv() into fixed-size buffers through __read_chk
 * and __recv_chk.  The tests check those calls are traced.
 *
 *   fortified PORT PATH [HEADER_BYTES]
 * Sends GET PATH with an X-Pad header making the head HEADER_BYTES long
 * (when given), reads the response with recv() then read(), prints the
 * first bytes of the status line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static char req[1 << 17];
	char buf[4096], more[4096];
	int fd, n;
	size_t want, len, off = 0;
	ssize_t r, r2;

	if (argc < 3)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n",
		     argv[2]);
	want = argc > 3 ? (size_t)atol(argv[3]) : 0;
	len = (size_t)n;
	if (want > len + 12 && want < sizeof(req)) {
		/* "X-Pad: " + padding + "\r\n" + "\r\n" fills the head exactly. */
		memcpy(req + len, "X-Pad: ", 7);
		memset(req + len + 7, 'p', want - len - 11);
		len = want - 4;
		memcpy(req + len, "\r\n", 2);
		len += 2;
	}
	memcpy(req + len, "\r\n", 2);
	len += 2;
	while (off < len) {
		r = write(fd, req + off, len - off);
		if (r <= 0)
			return 1;
		off += (size_t)r;
	}
	/* Lengths unknown at compile time: glibc checks them at run time. */
	want = (size_t)(argc + 5);              /* 8 bytes: the status code */
	r = recv(fd, buf, want, MSG_WAITALL);   /* __recv_chk */
	want = sizeof(more) - (size_t)argc + 3;
	r2 = read(fd, more, want);              /* __read_chk */
	if (r <= 0 || r2 < 0)
		return 1;
	printf("%.*s\n", (int)r, buf);
	close(fd);
	return 0;
}
