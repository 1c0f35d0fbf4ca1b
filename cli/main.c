/*
 * main.c - the traceshim command: `traceshim run` and `traceshim view`.
 *
 * A small tool beside the library: it never runs inside the traced
 * program (run execs it with the library preloaded; view reads what the
 * file exporter wrote).
 */
#include <stdio.h>
#include <string.h>

#include "../preload/common.h"
#include "cmd.h"

static const char usage[] =
	"usage: traceshim COMMAND [ARGS...]\n"
	"\n"
	"Zero-code distributed tracing: run unmodified programs under the\n"
	"traceshim preload library and look at the traces they produce.\n"
	"\n"
	"commands:\n"
	"  run [options] -- CMD ARGS...   run a program under the shim\n"
	"  view [options] FILE...         print the traces of OTLP/JSON span\n"
	"                                 files as trees, or write an HTML page\n"
	"  help [COMMAND]                 this help, or a command's\n"
	"  version                        print the version\n"
	"\n"
	"`traceshim COMMAND --help` describes each command.\n";

int main(int argc, char **argv)
{
	static char help[] = "--help";
	char *hargv[] = { NULL, help, NULL };
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(cmd, "run"))
		return ts_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "view"))
		return ts_cmd_view(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		if (argc > 2 && !strcmp(argv[2], "run"))
			return hargv[0] = argv[2], ts_cmd_run(2, hargv);
		if (argc > 2 && !strcmp(argv[2], "view"))
			return hargv[0] = argv[2], ts_cmd_view(2, hargv);
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("traceshim %s\n", TS_VERSION);
		return 0;
	}
	fprintf(stderr, "traceshim: unknown command \"%s\"; the commands are "
		"run and view (see traceshim --help)\n", cmd);
	return 2;
}
