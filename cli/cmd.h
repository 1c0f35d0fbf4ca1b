/*
 * cmd.h - the subcommands of the traceshim command (cli/main.c
 * dispatches to them).  Each takes its argv (argv[0] is the command's
 * name) and returns the exit status: 0 done, 1 failed, 2 usage error.
 */
#ifndef TS_CLI_CMD_H
#define TS_CLI_CMD_H

int ts_cmd_run(int argc, char **argv);
int ts_cmd_view(int argc, char **argv);

/* "traceshim: CMD: unknown option ARG" plus a pointer to --help; 2. */
int ts_usage_error(const char *cmd, const char *arg);

#endif /* TS_CLI_CMD_H */
