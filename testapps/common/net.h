/*
 * net.h - sockets, configuration and shutdown for the test applications.
 *
 * Configuration comes from the environment, with the seed documents'
 * numbers as defaults: <NAME>_PORT for the port a service listens on or
 * calls, <NAME>_HOST for the host it calls (default 127.0.0.1), and
 * BIND_ADDR for the address every server listens on (default 127.0.0.1:
 * a demo does not offer itself to the network unless asked).
 *
 * A bad value, or a port somebody else holds, ends the program at
 * start-up with one line that names the problem and the fix.
 *
 * Threads: ta_prog, ta_stopping and the signal set-up belong to main();
 * the I/O helpers are thread-safe.
 */
#ifndef TA_NET_H
#define TA_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The program's name in messages ("backend"); set by ta_init(). */
extern const char *ta_prog;

/* Set by SIGTERM/SIGINT once ta_init() ran: finish and exit cleanly. */
extern volatile sig_atomic_t ta_stopping;

/* Name the program, make stdout line-buffered, ignore SIGPIPE, and turn
 * SIGTERM/SIGINT into ta_stopping (without SA_RESTART, so blocking calls
 * return EINTR). */
void ta_init(const char *prog);

/* Print "prog: message" on stderr and exit(code). */
void ta_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Print "prog: message" on stderr. */
void ta_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Environment helpers: value of `var`, or the default. */
int ta_env_port(const char *var, int dflt);
const char *ta_env_str(const char *var, const char *dflt);
long ta_env_long(const char *var, long dflt, long min, long max);

/*
 * A listening TCP socket on BIND_ADDR:<port from port_var>.  Exits with a
 * clear message when the port is taken or cannot be used.  The port
 * actually bound is stored in *port.
 */
int ta_listen(const char *port_var, int dflt_port, int *port);

/* A connected TCP socket to host:port (each address tried), or -errno. */
int ta_connect(const char *host, int port, int timeout_ms);

/* Write all of buf; false on error (errno set). Retries EINTR. */
bool ta_write_all(int fd, const void *buf, size_t len);

/* Block SIGTERM/SIGINT in the calling thread (threads that must not take
 * them from main()); returns the old mask in *old. */
void ta_block_stop_signals(sigset_t *old);

/* Sleep ms milliseconds (restarted after signals unless stopping). */
void ta_sleep_ms(long ms);

#endif /* TA_NET_H */
