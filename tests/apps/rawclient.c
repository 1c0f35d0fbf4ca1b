/*
 * rawclient - a plain HTTP client with unusual I/O patterns (no tracing
 * code; the tests run it under LD_PRELOAD).
 *
 *   rawclient dribble  PORT   request written one byte per send()
 *   rawclient iov      PORT   request in one sendmsg() of many iovecs,
 *                             zero-length ones and headers split across them
 *   rawclient pipeline PORT   three requests in one send()
 *   rawclient bigpost  PORT   4 MiB POST /sha256 through a non-blocking
 *                             socket with a 4 KiB SO_SNDBUF
 *   rawclient raw      PORT FILE  FILE's bytes in writes of varying size,
 *                             then read everything echoed back to stdout
 *   rawclient dup      PORT   request line through fd, headers through a
 *                             dup() of it, original closed, response first
 *                             peeked (MSG_PEEK) then read through the dup;
 *                             then a second request on a new socket that
 *                             reuses the closed descriptor number
 *   rawclient inherit  FD     request over an already connected,
 *                             inherited descriptor
 *   rawclient nullmsg  PORT   sendmsg/recvmsg with a NULL msghdr and
 *                             writev with zero iovecs on a connected
 *                             socket: prints each result and errno
 *   rawclient splice   PORT   one keep-alive connection: POST /sha256 whose
 *                             1 MiB body is spliced from a pipe; GET
 *                             /bytes/1048576 whose response head is read
 *                             with recv and its body spliced into a pipe
 *                             (prints "spliced <n>"); then a plain GET
 *   rawclient unseen   PORT HOW FILE  a keep-alive GET, then the socket
 *                             closed where no close() hook sees it (HOW:
 *                             fclose of an fdopen()ed stream, closefrom,
 *                             a raw close system call; or close_range),
 *                             FILE opened on the
 *                             same number and a request's text written to
 *                             it with write(); prints "<HOW> fd <n> wrote
 *                             <bytes>".  FILE "socketpair:OUT": a
 *                             socketpair takes the number instead, and
 *                             what its other end reads goes to OUT
 *   rawclient unseen-server HOW FILE  the same on the server side, in one
 *                             process: a request over loopback to itself,
 *                             answered, the accepted socket closed by HOW,
 *                             then FILE (a request's text) opened on its
 *                             number and read; prints "<HOW> fd <n> read
 *                             <bytes>"
 *
 *   rawclient rawclone PORT  a GET; a child made by syscall(SYS_clone)
 *                             makes one and leaves by _exit; another GET
 *   rawclient drop     PORT  GET /drop, read to EOF, close 300 ms later
 *   rawclient deep     PORT N  N pipelined GETs (one write each), their
 *                             responses, then one more GET
 *   rawclient threadexit PORT  a thread makes a GET and returns; main()
 *                             ends by pthread_exit()
 *   rawclient rawexit  PORT  as threadexit, the thread ending by the exit
 *                             system call (no glibc clean-up)
 *   rawclient keys     PORT  a GET, then thread-specific keys until none
 *                             is left: prints "keys N first K"
 *   rawclient sandbox  PORT  a GET, then a seccomp filter on every thread
 *                             that kills the process on open; 2.5 s
 *                             later a GET, then return from main
 *   rawclient twice    PORT USEC  a GET, USEC microseconds of sleep, a
 *                             GET, then return from main at once
 *
 * HTTP modes read every response (Content-Length framing) and print the
 * response bodies, one per line; bigpost also prints
 * "partial <n> eagain <n> sent <n>".  Exit status 1 on any I/O error.
 */
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int dial(int port, int sndbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("send");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Read one response; print its body on a line.  Bytes of a following
 * (pipelined) response stay in the buffer for the next call. */
static void read_response(int fd)
{
	static char buf[65536];
	static size_t have;
	char *end, *cl;
	long len;
	size_t used;

	for (;;) {
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			cl = strcasestr(buf, "content-length:");
			len = cl && cl < end ? strtol(cl + 15, NULL, 10) : 0;
			used = (size_t)(end + 4 - buf) + (size_t)len;
			if (have >= used)
				break;
		}
		ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);

		if (r <= 0) {
			fprintf(stderr, "response cut short\n");
			exit(1);
		}
		have += (size_t)r;
	}
	printf("%.*s\n", (int)len, end + 4);
	memmove(buf, buf + used, have - used);
	have -= used;
}

static const char req_dribble[] =
	"GET /dribble?a=1 HTTP/1.1\r\nHost: localhost\r\nX-Test: dribble\r\n\r\n";

static void mode_dribble(int port)
{
	int fd = dial(port, 0);
	size_t i;

	for (i = 0; i < sizeof(req_dribble) - 1; i++)
		send_all(fd, req_dribble + i, 1);
	read_response(fd);
	close(fd);
}

static void mode_iov(int port)
{
	static char *parts[] = { "GET /iov HT", "", "TP/1.1\r\nHo", "st: local",
				 "host\r", "", "\nX-Test: io", "v\r\n", "\r",
				 "", "\n" };
	struct iovec iov[sizeof(parts) / sizeof(parts[0])];
	struct msghdr m = { .msg_iov = iov,
			    .msg_iovlen = sizeof(parts) / sizeof(parts[0]) };
	size_t i, total = 0;
	int fd = dial(port, 0);
	ssize_t w;

	for (i = 0; i < m.msg_iovlen; i++) {
		iov[i].iov_base = parts[i];
		iov[i].iov_len = strlen(parts[i]);
		total += iov[i].iov_len;
	}
	w = sendmsg(fd, &m, 0);
	if (w != (ssize_t)total) {
		fprintf(stderr, "sendmsg returned %zd of %zu\n", w, total);
		exit(1);
	}
	read_response(fd);
	close(fd);
}

static void mode_pipeline(int port)
{
	static const char reqs[] =
		"GET /p1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
		"GET /p2 HTTP/1.1\r\nHost: localhost\r\n\r\n"
		"GET /p3 HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int fd = dial(port, 0), i;
	ssize_t w = send(fd, reqs, sizeof(reqs) - 1, 0);

	if (w != (ssize_t)sizeof(reqs) - 1) {
		fprintf(stderr, "send returned %zd\n", w);
		exit(1);
	}
	for (i = 0; i < 3; i++)
		read_response(fd);
	close(fd);
}

/* GET /drop (the server closes without answering): read to the end of
 * the stream, print "eof", then keep the socket 300 ms before close(). */
static void mode_drop(int port)
{
	static const char req[] = "GET /drop HTTP/1.1\r\nHost: localhost\r\n\r\n";
	char buf[256];
	int fd = dial(port, 0);

	send_all(fd, req, sizeof(req) - 1);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("eof\n");
	fflush(stdout);
	usleep(300000);
	close(fd);
}

/* A GET, then a child made by syscall(SYS_clone) as fork (glibc's fork
 * handlers never run in it) makes a GET and leaves by _exit, then the
 * parent makes another. */
static void mode_rawclone(int port)
{
	static const char r1[] = "GET /parent-1 HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char r2[] = "GET /raw-child HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char r3[] = "GET /parent-2 HTTP/1.1\r\nHost: localhost\r\n\r\n";
	const char *reqs[] = { r1, r2, r3 };
	int i, fd, st;
	long pid = 0;

	for (i = 0; i < 3; i++) {
		if (i == 1) {
			pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
			if (pid < 0) {
				perror("clone");
				exit(1);
			}
			if (pid > 0) {
				waitpid((pid_t)pid, &st, 0);
				printf("child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
				continue;
			}
		}
		fd = dial(port, 0);
		send_all(fd, reqs[i], strlen(reqs[i]));
		read_response(fd);
		close(fd);
		if (i == 1)
			_exit(7);
	}
}

/* N pipelined GETs /d0.. each in a write of its own, their responses,
 * then GET /after on the same connection. */
static void mode_deep(int port, int n)
{
	char req[64];
	int fd = dial(port, 0), i, len;

	for (i = 0; i < n; i++) {
		len = snprintf(req, sizeof(req),
			       "GET /d%d HTTP/1.1\r\nHost: localhost\r\n\r\n", i);
		send_all(fd, req, (size_t)len);
	}
	for (i = 0; i < n; i++)
		read_response(fd);
	send_all(fd, "GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n",
		 strlen("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n"));
	read_response(fd);
	close(fd);
}

/* Body byte i: text that looks like HTTP, so an injector must not touch it. */
static char body_byte(size_t i)
{
	static const char pat[] = "GET / HTTP/1.1\r\ntraceparent: x\r\n\r\n";

	return pat[i % (sizeof(pat) - 1)];
}

static void mode_bigpost(int port)
{
	const size_t body = 4u << 20;
	char head[128], *msg;
	size_t hlen, total, off = 0, partial = 0, eagain = 0, i;
	int fd = dial(port, 4096);
	struct pollfd pf = { .fd = fd, .events = POLLOUT };

	hlen = (size_t)snprintf(head, sizeof(head),
				"POST /sha256 HTTP/1.1\r\nHost: localhost\r\n"
				"Content-Length: %zu\r\n\r\n",
				body);
	total = hlen + body;
	msg = malloc(total);
	memcpy(msg, head, hlen);
	for (i = 0; i < body; i++)
		msg[hlen + i] = body_byte(i);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (off < total) {
		size_t want = total - off > 65536 ? 65536 : total - off;
		ssize_t w = send(fd, msg + off, want, 0);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			eagain++;
			poll(&pf, 1, 5000);
			continue;
		}
		if (w <= 0 || (size_t)w > want) {
			fprintf(stderr, "send returned %zd for %zu\n", w, want);
			exit(1);
		}
		partial += (size_t)w < want;
		off += (size_t)w;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	printf("partial %zu eagain %zu sent %zu\n", partial, eagain, off);
	read_response(fd);
	free(msg);
	close(fd);
}

/* Copy everything echoed back to stdout, concurrently with the writes
 * (an echo peer stops reading once our receive buffer is full). */
static void *echo_reader(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	return NULL;
}

static void mode_raw(int port, const char *file)
{
	int in = open(file, O_RDONLY), fd = dial(port, 0);
	struct stat st;
	pthread_t reader;
	char *data;
	size_t off = 0, step = 1;

	if (in < 0 || fstat(in, &st) != 0) {
		perror(file);
		exit(1);
	}
	data = malloc((size_t)st.st_size + 1);
	if (read(in, data, (size_t)st.st_size) != st.st_size) {
		perror("read");
		exit(1);
	}
	pthread_create(&reader, NULL, echo_reader, &fd);
	/* Writes of 1, 2, 4, ... 64 KiB bytes, cycling. */
	while (off < (size_t)st.st_size) {
		size_t n = (size_t)st.st_size - off < step ? (size_t)st.st_size - off
							    : step;
		ssize_t w = write(fd, data + off, n);

		if (w <= 0) {
			perror("write");
			exit(1);
		}
		off += (size_t)w;
		step = step >= 65536 ? 1 : step * 2;
	}
	shutdown(fd, SHUT_WR);
	pthread_join(reader, NULL);
	free(data);
	close(fd);
	close(in);
}

/* Peek at the whole response first: the parser must see it once. */
static void peek_then_read(int fd)
{
	char buf[4096];
	ssize_t r;

	do
		r = recv(fd, buf, sizeof(buf), MSG_PEEK);
	while (r > 0 && !memmem(buf, (size_t)r, "ok", 2));
	read_response(fd);
}

static void mode_dup(int port)
{
	static const char line[] = "GET /dup HTTP/1.1\r\n";
	static const char rest[] = "Host: localhost\r\nX-Test: dup\r\n\r\n";
	int fd = dial(port, 0), fd2 = dup(fd), fd3;

	send_all(fd, line, sizeof(line) - 1);
	close(fd);
	send_all(fd2, rest, sizeof(rest) - 1);
	peek_then_read(fd2);
	/* The lowest free number is the closed `fd`: state must not leak. */
	fd3 = dial(port, 0);
	if (fd3 != fd)
		fprintf(stderr, "note: descriptor %d not reused (%d)\n", fd, fd3);
	send_all(fd3, "GET /reuse HTTP/1.1\r\nHost: localhost\r\n\r\n", 40);
	read_response(fd3);
	close(fd2);
	close(fd3);
}

static void mode_inherit(int fd)
{
	static const char req[] =
		"GET /inherited HTTP/1.1\r\nHost: localhost\r\n\r\n";

	send_all(fd, req, sizeof(req) - 1);
	read_response(fd);
	close(fd);
}

static void mode_nullmsg(int port)
{
	int fd = dial(port, 0);
	ssize_t r;

	errno = 0;
	r = sendmsg(fd, NULL, 0);
	printf("sendmsg %zd %s\n", r, strerror(errno));
	errno = 0;
	r = recvmsg(fd, NULL, MSG_DONTWAIT);
	printf("recvmsg %zd %s\n", r, strerror(errno));
	errno = 0;
	r = writev(fd, NULL, 0);
	printf("writev %zd %s\n", r, strerror(errno));
	close(fd);
}

/* The bytes of a pipe, all of them, into fd by splice(). */
static void splice_out(int pipe_r, int fd, size_t n)
{
	while (n) {
		ssize_t w = splice(pipe_r, NULL, fd, NULL, n, SPLICE_F_MORE);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("splice out");
			exit(1);
		}
		n -= (size_t)w;
	}
}

static void mode_splice(int port)
{
	const size_t body = 1u << 20;
	static char chunk[65536], head[4096];
	size_t off = 0, hl = 0, got = 0, len;
	int fd = dial(port, 0), pp[2];
	char *cl;

	if (pipe(pp) != 0) {
		perror("pipe");
		exit(1);
	}
	len = (size_t)snprintf(head, sizeof(head),
			       "POST /sha256 HTTP/1.1\r\nHost: localhost\r\n"
			       "Content-Length: %zu\r\n\r\n", body);
	send_all(fd, head, len);
	while (off < body) {
		size_t n = body - off < sizeof(chunk) ? body - off : sizeof(chunk), i;

		for (i = 0; i < n; i++)
			chunk[i] = body_byte(off + i);
		if (write(pp[1], chunk, n) != (ssize_t)n) {
			perror("write pipe");
			exit(1);
		}
		splice_out(pp[0], fd, n);
		off += n;
	}
	read_response(fd);

	send_all(fd, "GET /bytes/1048576 HTTP/1.1\r\nHost: localhost\r\n\r\n",
		 strlen("GET /bytes/1048576 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
	while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4)) {
		if (hl + 1 >= sizeof(head) || recv(fd, head + hl, 1, 0) != 1) {
			fprintf(stderr, "response head cut short\n");
			exit(1);
		}
		hl++;
	}
	head[hl] = '\0';
	cl = strcasestr(head, "content-length:");
	len = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
	while (got < len) {
		size_t want = len - got < sizeof(chunk) ? len - got : sizeof(chunk);
		ssize_t r = splice(fd, NULL, pp[1], NULL, want, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || read(pp[0], chunk, (size_t)r) != r) {
			perror("splice in");
			exit(1);
		}
		got += (size_t)r;
	}
	printf("spliced %zu\n", got);

	send_all(fd, "GET /after-splice HTTP/1.1\r\nHost: localhost\r\n\r\n",
		 strlen("GET /after-splice HTTP/1.1\r\nHost: localhost\r\n\r\n"));
	read_response(fd);
	close(fd);
}

static void close_unseen(int fd, const char *how);

static const char req_unseen[] =
	"GET /written-to-a-file HTTP/1.1\r\nHost: localhost\r\n\r\n";

static void mode_unseen(int port, const char *how, const char *path)
{
	static const char req[] = "GET /unseen HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int fd = dial(port, 0), out;
	ssize_t w;

	send_all(fd, req, sizeof(req) - 1);
	read_response(fd);
	close_unseen(fd, how);
	if (!strncmp(path, "socketpair:", 11)) {
		/* A socketpair takes the number; what the other end reads is
		 * saved to the file. */
		char got[256];
		int sp[2], f;
		ssize_t r;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0 || sp[0] != fd) {
			fprintf(stderr, "%s: socketpair not on fd %d\n", how, fd);
			exit(1);
		}
		w = write(sp[0], req_unseen, sizeof(req_unseen) - 1);
		close(sp[0]);
		f = open(path + 11, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		while ((r = read(sp[1], got, sizeof(got))) > 0)
			if (write(f, got, (size_t)r) != r)
				exit(1);
		close(f);
		close(sp[1]);
		printf("%s fd %d wrote %zd\n", how, fd, w);
		return;
	}
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out != fd) {
		fprintf(stderr, "%s: file on fd %d, not the socket's %d\n", how,
			out, fd);
		exit(1);
	}
	w = write(out, req_unseen, sizeof(req_unseen) - 1);
	printf("%s fd %d wrote %zd\n", how, out, w);
	close(out);
}

/* Close fd where no close() hook sees it, or by close_range. */
static void close_unseen(int fd, const char *how)
{
	if (!strcmp(how, "fclose"))
		fclose(fdopen(fd, "r+"));
	else if (!strcmp(how, "closefrom"))
		closefrom(fd);
	else if (!strcmp(how, "close_range"))
		close_range((unsigned)fd, ~0u, 0);
	else if (!strcmp(how, "syscall"))
		syscall(SYS_close, fd);
	else
		exit(2);
}

static void mode_unseen_server(const char *how, const char *path)
{
	static const char req[] = "GET /served HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	char buf[4096];
	size_t have = 0;
	ssize_t r, total = 0;
	int ls = socket(AF_INET, SOCK_STREAM, 0), cl, sv, f;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(ls, 1) != 0 || getsockname(ls, (struct sockaddr *)&a, &al)) {
		perror("listen");
		exit(1);
	}
	cl = dial(ntohs(a.sin_port), 0);
	sv = accept(ls, NULL, NULL);
	if (sv < 0) {
		perror("accept");
		exit(1);
	}
	send_all(cl, req, sizeof(req) - 1);
	while (have < 4 || !memmem(buf, have, "\r\n\r\n", 4)) {
		r = read(sv, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			fprintf(stderr, "request cut short\n");
			exit(1);
		}
		have += (size_t)r;
	}
	send_all(sv, resp, sizeof(resp) - 1);
	read_response(cl);
	close_unseen(sv, how);
	f = open(path, O_RDONLY);
	if (f != sv) {
		fprintf(stderr, "%s: file on fd %d, not the socket's %d\n", how,
			f, sv);
		exit(1);
	}
	while ((r = read(f, buf, sizeof(buf))) > 0)
		total += r;
	printf("%s fd %d read %zd\n", how, f, total);
	close(f);
	close(cl);
	close(ls);
}

static void mode_twice(int port, const char *usec)
{
	static const char req[] = "GET /twice HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int i, fd;

	for (i = 0; i < 2; i++) {
		if (i)
			usleep((useconds_t)atoi(usec));
		fd = dial(port, 0);
		send_all(fd, req, sizeof(req) - 1);
		read_response(fd);
		close(fd);
	}
}

static void *threadexit_worker(void *arg)
{
	static const char req[] = "GET /threadexit HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int fd = dial(*(int *)arg, 0);

	send_all(fd, req, sizeof(req) - 1);
	read_response(fd);
	close(fd);
	usleep(100000);
	return NULL;
}

/* A thread that ends by the exit system call (no glibc clean-up). */
static void *rawexit_worker(void *arg)
{
	static const char req[] = "GET /rawexit HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int fd = dial(*(int *)arg, 0);

	send_all(fd, req, sizeof(req) - 1);
	read_response(fd);
	close(fd);
	usleep(100000);
	for (;;)
		syscall(SYS_exit, 0);
	return NULL;
}

static void mode_rawexit(int port)
{
	static int p;
	pthread_t t;

	p = port;
	if (pthread_create(&t, NULL, rawexit_worker, &p))
		exit(1);
	pthread_exit(NULL);
}

/* A GET, then every thread-specific key there is: "keys N first K". */
static void mode_keys(int port)
{
	static const char req[] = "GET /keys HTTP/1.1\r\nHost: localhost\r\n\r\n";
	pthread_key_t k, first = 0;
	int fd = dial(port, 0), n = 0;

	send_all(fd, req, sizeof(req) - 1);
	read_response(fd);
	close(fd);
	while (pthread_key_create(&k, NULL) == 0) {
		if (!n++)
			first = k;
		if (pthread_getspecific(k) != NULL)
			printf("key %u is not empty\n", (unsigned)k);
	}
	printf("keys %d first %u\n", n, (unsigned)first);
}

/* main() ends by pthread_exit(): the process ends with its last thread. */
static void mode_threadexit(int port)
{
	static int p;
	pthread_t t;

	p = port;
	if (pthread_create(&t, NULL, threadexit_worker, &p))
		exit(1);
	pthread_exit(NULL);
}

/*
 * A program that sandboxes itself once it is running, as daemons do: a
 * seccomp filter on every thread (TSYNC, so the reporter's too) that
 * kills the process on any open.  A GET before, one after 2.5 s.
 */
static void mode_sandbox(int port)
{
	static const char req[] = "GET /sandbox HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 3, 0),
#ifdef SYS_open
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 2, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 2, 0),
#endif
#ifdef SYS_openat2
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 1, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 1, 0),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = dial(port, 0);
		send_all(fd, req, sizeof(req) - 1);
		read_response(fd);
		close(fd);
		if (i)
			break;
		usleep(300000); /* a first export: the file is open */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_TSYNC, &prog)) {
			perror("seccomp");
			exit(3);
		}
		usleep(2500000);
	}
}

int main(int argc, char **argv)
{
	int port;

	if (argc < 3) {
		fprintf(stderr, "usage: rawclient dribble|iov|pipeline|bigpost|raw|dup|nullmsg|splice PORT [FILE]\n"
				"       rawclient unseen PORT fclose|closefrom|close_range|syscall FILE\n"
				"       rawclient twice PORT USEC | deep PORT N | drop PORT | rawclone PORT\n"
				"       rawclient threadexit|rawexit|sandbox|keys PORT\n"
				"       rawclient unseen-server fclose|closefrom|close_range|syscall FILE\n"
				"       rawclient inherit FD\n");
		return 2;
	}
	port = atoi(argv[2]);
	if (!strcmp(argv[1], "dribble"))
		mode_dribble(port);
	else if (!strcmp(argv[1], "iov"))
		mode_iov(port);
	else if (!strcmp(argv[1], "pipeline"))
		mode_pipeline(port);
	else if (!strcmp(argv[1], "bigpost"))
		mode_bigpost(port);
	else if (!strcmp(argv[1], "raw") && argc > 3)
		mode_raw(port, argv[3]);
	else if (!strcmp(argv[1], "dup"))
		mode_dup(port);
	else if (!strcmp(argv[1], "inherit"))
		mode_inherit(port);
	else if (!strcmp(argv[1], "nullmsg"))
		mode_nullmsg(port);
	else if (!strcmp(argv[1], "splice"))
		mode_splice(port);
	else if (!strcmp(argv[1], "rawclone"))
		mode_rawclone(port);
	else if (!strcmp(argv[1], "drop"))
		mode_drop(port);
	else if (!strcmp(argv[1], "deep") && argc > 3)
		mode_deep(port, atoi(argv[3]));
	else if (!strcmp(argv[1], "twice") && argc > 3)
		mode_twice(port, argv[3]);
	else if (!strcmp(argv[1], "threadexit"))
		mode_threadexit(port);
	else if (!strcmp(argv[1], "sandbox"))
		mode_sandbox(port);
	else if (!strcmp(argv[1], "rawexit"))
		mode_rawexit(port);
	else if (!strcmp(argv[1], "keys"))
		mode_keys(port);
	else if (!strcmp(argv[1], "unseen-server") && argc > 3)
		mode_unseen_server(argv[2], argv[3]);
	else if (!strcmp(argv[1], "unseen") && argc > 4)
		mode_unseen(port, argv[3], argv[4]);
	else
		return 2;
	return 0;
}
