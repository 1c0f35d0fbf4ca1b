/*
 * net.c - sockets, configuration and shutdown for the test applications
 * (see net.h).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "net.h"

const char *ta_prog = "app";
volatile sig_atomic_t ta_stopping;

static void on_stop(int sig)
{
	(void)sig;
	ta_stopping = 1;
}

void ta_init(const char *prog)
{
	struct sigaction sa;

	ta_prog = prog;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop; /* no SA_RESTART: accept() & co. see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void __attribute__((format(printf, 1, 0)))
vlog(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: ", ta_prog);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void ta_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(code);
}

void ta_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

const char *ta_env_str(const char *var, const char *dflt)
{
	const char *v = getenv(var);

	return v && *v ? v : dflt;
}

long ta_env_long(const char *var, long dflt, long min, long max)
{
	const char *v = getenv(var);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max)
		ta_die(2, "%s=\"%s\" is not a number from %ld to %ld", var, v,
		       min, max);
	return n;
}

int ta_env_port(const char *var, int dflt)
{
	const char *v = getenv(var);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < 0 || n > 65535)
		ta_die(2, "%s=\"%s\" is not a port number (1-65535)", var, v);
	return (int)n;
}

static void listen_failed(const char *port_var, const char *addr, int port,
			  int err)
{
	if (err == EADDRINUSE)
		ta_die(1,
		       "cannot listen on %s:%d: the port is in use by another "
		       "program (see: ss -ltnp 'sport = :%d'); stop it or choose "
		       "another port, e.g. %s=%d",
		       addr, port, port, port_var, port + 1);
	if (err == EACCES)
		ta_die(1,
		       "cannot listen on %s:%d: ports below 1024 need root; "
		       "choose another port, e.g. %s=%d",
		       addr, port, port_var, port + 8000);
	if (err == EADDRNOTAVAIL)
		ta_die(1,
		       "cannot listen on %s:%d: BIND_ADDR=%s is not an address "
		       "of this machine; unset it to use 127.0.0.1",
		       addr, port, addr);
	ta_die(1, "cannot listen on %s:%d: %s", addr, port, strerror(err));
}

int ta_listen(const char *port_var, int dflt_port, int *port)
{
	const char *addr = ta_env_str("BIND_ADDR", "127.0.0.1");
	struct addrinfo hints = { 0 }, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char svc[16];
	int fd, one = 1, err;

	*port = ta_env_port(port_var, dflt_port);
	snprintf(svc, sizeof(svc), "%d", *port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((err = getaddrinfo(addr, svc, &hints, &ai)))
		ta_die(2, "BIND_ADDR=\"%s\" is not a numeric IPv4 or IPv6 "
		       "address (%s)", addr, gai_strerror(err));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		ta_die(1, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128))
		listen_failed(port_var, addr, *port, errno);
	freeaddrinfo(ai);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		*port = ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* connect() with a timeout: non-blocking connect, poll, back to blocking. */
static int connect_timed(int fd, const struct sockaddr *sa, socklen_t len,
			 int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL), err = 0, r;
	socklen_t el = sizeof(err);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	r = connect(fd, sa, len);
	if (r && errno != EINPROGRESS)
		return -errno;
	if (r) {
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR && !ta_stopping);
		if (r <= 0)
			return r ? -errno : -ETIMEDOUT;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err)
			return -err;
	}
	fcntl(fd, F_SETFL, fl);
	return 0;
}

int ta_connect(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints = { 0 }, *ai, *a;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	char svc[16];
	int fd = -1, err = -ECONNREFUSED, one = 1;

	snprintf(svc, sizeof(svc), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, svc, &hints, &ai))
		return -EHOSTUNREACH;
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = connect_timed(fd, a->ai_addr, a->ai_addrlen, timeout_ms);
		if (!err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return err;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

bool ta_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR && !ta_stopping)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

void ta_block_stop_signals(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

void ta_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !ta_stopping)
		;
}
