/*
 * spangen - a test program with the whole shim linked in.
 *
 * It behaves like a preloaded process (our constructor, destructor and
 * _exit hooks are in it) but can make spans directly, which lets the
 * integration tests drive the pipeline, the exporters, fork handling and
 * the exit paths before any protocol hook exists.
 *
 *   spangen [-n spans] [-p procs] [-t threads] [-x exit|_exit|_Exit|return]
 *           [-s ms] [-a] [-v n] [-C victim] [-D dir] [-S] [-B n] [-R]
 *
 * Each of `procs` forked processes (or the process itself when procs is 0)
 * runs `threads` threads that each make `spans` spans: a server span, then
 * client children of it, with attributes of every type.  Children leave
 * by the chosen exit path; so does the parent, after waiting for them.
 * Prints one line per process: "pid <pid> spans <n>".  -s sleeps that many
 * ms before leaving (a long-lived process); -a prints "secure <AT_SECURE>".
 * -B n adds n big string attributes (400 bytes: ASCII, multi-byte UTF-8
 * and one invalid byte) to every client span, for the exporters' size
 * limits.
 *
 * Between two rounds of spans (single-process mode only):
 *   -v n       n vfork() children that leave by _exit() at once, one
 *              failing execve first: they share our memory and must not
 *              touch the reporter.
 *   -C victim  wait for an export, then point every descriptor 3..1023 at
 *              the file `victim`, as a program that closes and reuses all
 *              descriptors would: the exporter must notice its descriptor
 *              is gone and never write into the victim.
 * Before the first round:
 *   -D dir     chdir(dir): a relative TRACESHIM_FILE must not follow it.
 *   -S         put one end of a socketpair on fd 2 (a daemon whose stderr
 *              became a client connection), and at the end print
 *              "stderr-socket-bytes N": what the shim wrote into it.
 *   -R         handle SIGTERM (sa_handler) and SIGINT (sa_sigaction) with
 *              SA_RESETHAND, as node does: the handler prints "cleanup"
 *              and what SIGTERM's action now reads (dfl after the reset),
 *              then raises the signal again to die of it.
 */
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/span.h"

static long nspans = 10;
static int nthreads = 1;
static int nbig;

/* -B: big attribute values, different for each span and attribute. */
static void add_big(struct ts_span *s, long i)
{
	char key[32], val[400];
	int k, j;

	for (k = 0; k < nbig; k++) {
		for (j = 0; j < (int)sizeof(val); j++)
			val[j] = (char)('a' + (i + j + k) % 26);
		memcpy(val + 100, "\xc3\xa9\xe2\x82\xac", 5); /* e-acute, euro */
		val[200] = (char)0xff;                       /* not UTF-8 */
		snprintf(key, sizeof(key), "spangen.big.%d", k);
		ts_span_attr_str(s, key, strlen(key), val, sizeof(val));
	}
}

static void *make_spans(void *arg)
{
	struct ts_span server, child;
	struct ts_span_ctx ctx;
	long i;

	(void)arg;
	ts_span_start(&server, TS_KIND_SERVER, "GET /spangen", 12, NULL);
	ts_span_ctx_of(&server, &ctx);
	for (i = 1; i < nspans; i++) {
		ts_span_start(&child, TS_KIND_CLIENT, "GET", 3, &ctx);
		ts_span_add_str(&child, "http.request.method", "GET", 3);
		ts_span_add_str(&child, "url.full", "http://127.0.0.1/x?q=\"1\"",
				24);
		ts_span_add_int(&child, "http.response.status_code",
				i % 7 ? 200 : 503);
		ts_span_add_bool(&child, "spangen.odd", i & 1);
		add_big(&child, i);
		if (i % 7 == 0)
			ts_span_set_status(&child, TS_STATUS_ERROR, "503", 3);
		ts_span_end(&child);
	}
	if (nspans > 0) {
		ts_span_add_int(&server, "http.response.status_code", 200);
		ts_span_end(&server);
	}
	return NULL;
}

static void run(void)
{
	pthread_t tids[64];
	int i;

	for (i = 0; i < nthreads; i++)
		pthread_create(&tids[i], NULL, make_spans, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	printf("pid %d spans %ld\n", (int)getpid(), nspans * nthreads);
	fflush(stdout);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

static void vfork_children(int n)
{
	char *argv[] = { "/nonexistent/program", NULL };
	volatile int i; /* survives the vfork child's use of our frame */

	for (i = 0; i < n; i++) {
		pid_t pid = vfork();

		if (pid == 0) {
			if (i == 0)
				execve(argv[0], argv, NULL);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void reuse_all_fds(const char *victim)
{
	int fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644), i;

	sleep_ms(400); /* let the reporter export round one (delay 50 ms) */
	for (i = 3; i < 1024; i++)
		if (i != fd)
			dup2(fd, i);
}

static int leave(const char *how, int status)
{
	if (!strcmp(how, "_exit"))
		_exit(status);
	if (!strcmp(how, "_Exit"))
		_Exit(status);
	if (!strcmp(how, "exit"))
		exit(status);
	return status; /* "return": from main */
}

/* -R: clean up, then die of the signal, trusting the kernel's reset. */
static void on_oneshot(int sig)
{
	struct sigaction now;

	sigaction(sig, NULL, &now);
	if (now.sa_handler == SIG_DFL)
		(void)!write(1, "cleanup dfl\n", 12);
	else
		(void)!write(1, "cleanup handler\n", 16);
	raise(sig);
}

static void on_oneshot_info(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	on_oneshot(sig);
}

static void oneshot_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_oneshot;
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_sigaction = on_oneshot_info;
	sa.sa_flags = SA_RESETHAND | SA_SIGINFO;
	sigaction(SIGINT, &sa, NULL);
}

int main(int argc, char **argv)
{
	const char *how = "return";
	const char *victim = NULL, *dir = NULL;
	int sv[2] = { -1, -1 };
	bool sock_stderr = false;
	int procs = 0, c, i, vforks = 0;
	long pause_ms = 0;

	while ((c = getopt(argc, argv, "n:p:t:x:s:av:C:D:SB:R")) != -1) {
		switch (c) {
		case 'n': nspans = atol(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'x': how = optarg; break;
		case 's': pause_ms = atol(optarg); break;
		case 'v': vforks = atoi(optarg); break;
		case 'C': victim = optarg; break;
		case 'D': dir = optarg; break;
		case 'S': sock_stderr = true; break;
		case 'B': nbig = atoi(optarg); break;
		case 'R': oneshot_handlers(); break;
		case 'a':
			printf("secure %lu\n", getauxval(AT_SECURE));
			break;
		default:
			fprintf(stderr, "usage: spangen [-n spans] [-p procs] "
					"[-t threads] [-x exit|_exit|_Exit|return] "
					"[-s ms] [-a] [-v n] [-C victim] [-D dir] [-S] [-B n] [-R]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 64)
		nthreads = 1;
	if (dir && chdir(dir) != 0) {
		perror("chdir");
		return 1;
	}
	if (sock_stderr) {
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		dup2(sv[0], 2);
	}
	if (procs == 0) {
		run();
		if (vforks)
			vfork_children(vforks);
		if (victim)
			reuse_all_fds(victim);
		if (vforks || victim)
			run();
		if (pause_ms)
			sleep_ms(pause_ms);
		if (sock_stderr) {
			char buf[65536];
			ssize_t got;

			sleep_ms(300); /* schedule delay 50 ms: exports happened */
			got = read(sv[1], buf, sizeof(buf));
			printf("stderr-socket-bytes %zd\n", got < 0 ? (ssize_t)0 : got);
			fflush(stdout);
		}
		return leave(how, 0);
	}
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			run();
			return leave(how, 0);
		}
		if (pid < 0) {
			perror("fork");
			return 1;
		}
	}
	while (wait(NULL) > 0)
		;
	return leave(how, 0);
}
