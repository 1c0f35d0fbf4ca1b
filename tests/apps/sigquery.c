/*
 * sigquery - what a program sees of SIGTERM's action, and that what it
 * sets is what happens (run under the shim, which stands in for the
 * default action of SIGTERM and SIGINT).
 *
 *   sigquery query           print SIGTERM's action: dfl, ign or handler
 *   sigquery own             install a handler with signal(), print the
 *                            previous action and the current one, raise
 *                            SIGTERM: the handler prints "handled" and
 *                            the program exits 7
 *   sigquery back            sigaction() a handler, then SIG_DFL again,
 *                            print what sigaction reports, then sleep
 *                            until killed
 *   sigquery sleep MS        sleep (to be killed)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *name(void (*h)(int))
{
	return h == SIG_DFL ? "dfl" : h == SIG_IGN ? "ign" : "handler";
}

static const char *current(void)
{
	struct sigaction sa;

	if (sigaction(SIGTERM, NULL, &sa) != 0)
		return "error";
	return name(sa.sa_handler);
}

static void on_term(int sig)
{
	(void)sig;
	(void)!write(1, "handled\n", 8);
	_exit(7);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	void (*prev)(int);

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "query")) {
		printf("%s\n", current());
		return 0;
	}
	if (!strcmp(argv[1], "own")) {
		prev = signal(SIGTERM, on_term);
		printf("previous %s now %s\n", name(prev), current());
		raise(SIGTERM);
		return 1; /* not reached */
	}
	if (!strcmp(argv[1], "back")) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		printf("back to %s\n", current());
	}
	usleep((useconds_t)(argc > 2 ? atoi(argv[2]) : 5000) * 1000);
	return 0;
}
