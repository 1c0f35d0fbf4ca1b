/*
 * run.c - `traceshim run`: run a program with the shim preloaded.
 *
 * Finds libtraceshim.so by absolute path (never through the loader's
 * search path, which a program's RPATH or the working directory could
 * bend), adds it to LD_PRELOAD after whatever is already there (a
 * sanitizer runtime must stay first), sets the OTEL_* / TRACESHIM_*
 * variables the options ask for, and execs the command: the program
 * keeps our pid, its arguments, stdio and exit status.
 *
 * Library lookup, first readable one wins:
 *   $TRACESHIM_LIBRARY
 *   <dir of this executable>/libtraceshim.so             (the build tree)
 *   <dir of this executable>/../lib/traceshim/libtraceshim.so (installed)
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const char run_usage[] =
	"usage: traceshim run [options] [--] COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND with libtraceshim.so preloaded: its HTTP traffic becomes\n"
	"OpenTelemetry spans, with no change to the program.\n"
	"\n"
	"options:\n"
	"  -s, --service NAME     service.name of its spans (OTEL_SERVICE_NAME)\n"
	"  -e, --exporter LIST    where spans go: otlp, file, console, none, or a\n"
	"                         comma list (OTEL_TRACES_EXPORTER)\n"
	"  -f, --file PATH        file for the file exporter (TRACESHIM_FILE, made\n"
	"                         absolute); implies --exporter file unless given\n"
	"  -h, --help             this help\n"
	"\n"
	"Every other OTEL_* and TRACESHIM_* variable in the environment is passed\n"
	"on as it is.  The library is looked up as $TRACESHIM_LIBRARY, then next\n"
	"to this program (the build tree), then in ../lib/traceshim/ (installed).\n"
	"\n"
	"examples:\n"
	"  traceshim run --service backend --file spans.jsonl -- ./backend\n"
	"  traceshim run -s curl -e console -- curl -s http://localhost:8080/\n";

/* Path of the library; false (message printed) when there is none. */
static bool find_library(char *out, size_t size)
{
	const char *env = getenv("TRACESHIM_LIBRARY");
	char exe[PATH_MAX], dir[PATH_MAX], a[PATH_MAX + 32], b[PATH_MAX + 48];

	if (env && *env) {
		if (!realpath(env, out) || access(out, R_OK)) {
			fprintf(stderr, "traceshim: run: TRACESHIM_LIBRARY=%s: %s; "
				"unset it or point it at libtraceshim.so\n", env,
				strerror(errno));
			return false;
		}
		return true;
	}
	if (!realpath("/proc/self/exe", exe)) {
		fprintf(stderr, "traceshim: run: cannot find my own path "
			"(/proc/self/exe: %s); set TRACESHIM_LIBRARY=/path/to/"
			"libtraceshim.so\n", strerror(errno));
		return false;
	}
	snprintf(dir, sizeof(dir), "%s", dirname(exe));
	snprintf(a, sizeof(a), "%s/libtraceshim.so", dir);
	snprintf(b, sizeof(b), "%s/../lib/traceshim/libtraceshim.so", dir);
	if (!access(a, R_OK) && realpath(a, out))
		return true;
	if (!access(b, R_OK) && realpath(b, out))
		return true;
	fprintf(stderr, "traceshim: run: cannot find libtraceshim.so (looked "
		"for %s and %s); build it with `make`, install it with `make "
		"install`, or set TRACESHIM_LIBRARY=/path/to/libtraceshim.so\n",
		a, b);
	(void)size;
	return false;
}

/* LD_PRELOAD: the current entries minus any traceshim, then lib. */
static char *preload_value(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t cap = strlen(lib) + (old ? strlen(old) : 0) + 2, len = 0;
	char *out = malloc(cap), *copy, *tok, *save;
	const char *base;

	if (!out)
		return NULL;
	out[0] = '\0';
	if (old && (copy = strdup(old))) {
		for (tok = strtok_r(copy, ": ", &save); tok;
		     tok = strtok_r(NULL, ": ", &save)) {
			base = strrchr(tok, '/');
			if (!strcmp(base ? base + 1 : tok, "libtraceshim.so"))
				continue;
			len += (size_t)snprintf(out + len, cap - len, "%s%s",
						len ? ":" : "", tok);
		}
		free(copy);
	}
	snprintf(out + len, cap - len, "%s%s", len ? ":" : "", lib);
	return out;
}

/* --file made absolute, its directory checked; NULL (message) if bad. */
static char *spans_path(const char *f)
{
	char cwd[PATH_MAX], *abs, *d, *dir;
	size_t n;

	if (f[0] == '/') {
		abs = strdup(f);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			fprintf(stderr, "traceshim: run: getcwd: %s\n",
				strerror(errno));
			return NULL;
		}
		n = strlen(cwd) + strlen(f) + 2;
		if ((abs = malloc(n)))
			snprintf(abs, n, "%s/%s", cwd, f);
	}
	if (!abs || !(d = strdup(abs)))
		return NULL;
	dir = dirname(d);
	if (access(dir, W_OK)) {
		fprintf(stderr, "traceshim: run: --file %s: cannot write in "
			"%s (%s); create the directory or choose another path\n",
			f, dir, strerror(errno));
		free(d);
		free(abs);
		return NULL;
	}
	free(d);
	return abs;
}

int ts_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "exporter", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = NULL, *exporter = NULL, *file = NULL;
	char lib[PATH_MAX], *pre, *path = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:e:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': service = optarg; break;
		case 'e': exporter = optarg; break;
		case 'f': file = optarg; break;
		case 'h': fputs(run_usage, stdout); return 0;
		default:
			return ts_usage_error("run", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "traceshim: run: no command given; e.g. "
			"traceshim run --service web -- ./server (see "
			"traceshim run --help)\n");
		return 2;
	}
	if ((service && !*service) || (exporter && !*exporter) ||
	    (file && !*file)) {
		fprintf(stderr, "traceshim: run: an option has an empty value "
			"(see traceshim run --help)\n");
		return 2;
	}
	if (!find_library(lib, sizeof(lib)))
		return 1;
	if (strpbrk(lib, ": ")) {
		fprintf(stderr, "traceshim: run: %s contains ':' or ' ', which "
			"LD_PRELOAD cannot carry; install traceshim under a "
			"path without them\n", lib);
		return 1;
	}
	if (file && !(path = spans_path(file)))
		return 1;
	if (!(pre = preload_value(lib)) || setenv("LD_PRELOAD", pre, 1) ||
	    (service && setenv("OTEL_SERVICE_NAME", service, 1)) ||
	    (exporter && setenv("OTEL_TRACES_EXPORTER", exporter, 1)) ||
	    (path && !exporter && setenv("OTEL_TRACES_EXPORTER", "file", 1)) ||
	    (path && setenv("TRACESHIM_FILE", path, 1))) {
		fprintf(stderr, "traceshim: run: cannot set the environment: "
			"%s\n", strerror(errno));
		return 1;
	}
	execvp(argv[optind], argv + optind);
	c = errno;
	fprintf(stderr, "traceshim: run: cannot run %s: %s\n", argv[optind],
		c == ENOENT ? "command not found" : strerror(c));
	return c == ENOENT ? 127 : 126;
}
