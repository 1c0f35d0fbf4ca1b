/*
 * cmd.c - what the subcommands share (see cmd.h).
 */
#include <stdio.h>

#include "cmd.h"

int ts_usage_error(const char *cmd, const char *arg)
{
	fprintf(stderr, "traceshim: %s: unknown option or missing value: %s "
		"(see traceshim %s --help)\n", cmd, arg ? arg : "?", cmd);
	return 2;
}
