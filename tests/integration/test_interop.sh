# RELIABILITY cases 2, 3, 6, 8 and 11: the shim next to custom allocators,
# another library's constructor running first, the process-spawning APIs,
# static binaries, vfork children sharing our memory, and an application
# that reuses every descriptor.
source "$(dirname "$0")/lib.sh"
CC=${CC:-cc}

# A calloc-interposing library of the classic kind: it finds the real
# allocator with dlsym (which itself calls calloc) and logs with write().
cat >"$T/callocwrap.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
static char early[65536];
static size_t early_used;
static void *(*real_calloc)(size_t, size_t);
static int resolving;
void *calloc(size_t n, size_t sz)
{
	if (!real_calloc) {
		if (resolving) { /* dlsym's own calloc: serve it from a static pool */
			void *p = early + early_used;
			early_used += (n * sz + 15) & ~(size_t)15;
			return p;
		}
		resolving = 1;
		real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
		resolving = 0;
		write(-1, "", 0); /* a libc call from inside the allocator */
	}
	return real_calloc(n, sz);
}
C
$CC -shared -fPIC -o "$T/libcallocwrap.so" "$T/callocwrap.c" -ldl

# A library whose constructor calls _exit before ours can run (it is
# loaded first and its constructor runs last-loaded-first... so make it a
# dependency of the program instead: its constructor runs before any
# preloaded library's).
cat >"$T/early.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
__attribute__((constructor)) static void early(void)
{
	static const char req[] = "GET /early HTTP/1.1\r\nHost: x\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[512];
	int fd;

	if (getenv("EARLY_EXIT"))
		_exit(42);
	if (!getenv("EARLY_PORT"))
		return;
	/* connect/send/recv/close from a constructor, before main */
	a.sin_port = htons((unsigned short)atoi(getenv("EARLY_PORT")));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    send(fd, req, sizeof(req) - 1, 0) == (ssize_t)sizeof(req) - 1)
		(void)!recv(fd, buf, sizeof(buf), 0);
	close(fd);
}
int early_dummy(void) { return 0; }
C
$CC -shared -fPIC -o "$T/libearly.so" "$T/early.c"
cat >"$T/prog.c" <<'C'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int early_dummy(void);
int main(void)
{
	char *argv[] = { "/bin/echo", "spawned", NULL };
	pid_t pid;
	int st;
	FILE *p;
	char line[64];

	early_dummy();
	pid = vfork();
	if (pid == 0) {
		execve("/nonexistent", argv, environ);
		_exit(9);
	}
	waitpid(pid, &st, 0);
	printf("vfork child exit %d\n", WEXITSTATUS(st));
	fflush(stdout);
	posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);
	waitpid(pid, &st, 0);
	printf("system %d\n", WEXITSTATUS(system("exit 3")));
	p = popen("echo popen", "r");
	if (p && fgets(line, sizeof(line), p))
		printf("%s", line);
	printf("pclose %d\n", p ? pclose(p) : -1);
	return 5;
}
C
$CC -o "$T/prog" "$T/prog.c" -L"$T" -learly -Wl,-rpath,"$T"

same() { # description, command...: same output and status with and without the shim
	local what=$1 rc1 rc2
	shift
	set +e
	timeout 30 "$@" >"$T/a.out" 2>"$T/a.err"
	rc1=$?
	timeout 30 env LD_PRELOAD="$SHIM_PRELOAD" "$@" >"$T/b.out" 2>"$T/b.err"
	rc2=$?
	set -e
	[ "$rc2" != 124 ] || fail "$what: hung under the shim"
	[ "$rc1" = "$rc2" ] || fail "$what: exit $rc1 without, $rc2 with the shim"
	cmp -s "$T/a.out" "$T/b.out" || { diff "$T/a.out" "$T/b.out"; fail "$what: stdout differs"; }
	cmp -s "$T/a.err" "$T/b.err" || { diff "$T/a.err" "$T/b.err"; fail "$what: stderr differs"; }
	note "$what: same output, exit $rc1"
}

SHIM_PRELOAD="$PRELOAD"
same "vfork+exec failure, posix_spawn, system, popen" "$T/prog"
EARLY_EXIT=1 same "a dependency's constructor calls _exit before ours" "$T/prog"

for order in "$T/libcallocwrap.so $LIB" "$LIB $T/libcallocwrap.so"; do
	SHIM_PRELOAD="${SAN_RUNTIME:+$SAN_RUNTIME }$order"
	same "calloc-interposer ($(basename "${order%% *}") first): python3" python3 -c 'print(sum(range(10)))'
	same "calloc-interposer: spawn APIs" "$T/prog"
done

jemalloc=$(ls /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 2>/dev/null || true)
if [ -n "$jemalloc" ] && [ -z "${SANITIZER:-}" ]; then
	SHIM_PRELOAD="$jemalloc $PRELOAD"
	same "jemalloc preloaded first: python3" python3 -c 'print(len(bytearray(10**6)))'
	SHIM_PRELOAD="$PRELOAD $jemalloc"
	same "jemalloc preloaded after: ls" ls -la /usr
fi

# A dependency's constructor makes an HTTP request before main(): it works
# and is traced (the shim initialises on first use if its own constructor
# has not run yet).
mkdir -p "$T/rec"
RPORT=$(free_port)
start_untraced "$T/rec.log" /usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RPORT" "$T/rec" http
SHIM_PRELOAD="$PRELOAD"
EARLY_PORT=$RPORT same "a dependency's constructor does HTTP before main" "$T/prog"
rc=0
EARLY_PORT=$RPORT OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/early.jsonl" LD_PRELOAD="$PRELOAD" "$T/prog" >/dev/null || rc=$?
[ "$rc" = 5 ] || fail "prog exited $rc, expected its own 5"
grep -c '"stringValue":"http://[^"]*/early"' "$T/early.jsonl" | grep -qx 1 || fail "constructor's request not traced"
# Three connections: the plain run (none), and two runs under the shim (one each).
[ "$(grep -c '^traceparent: 00-' "$T/rec/conn-1.bin")" = 0 ] &&
	[ "$(grep -c '^traceparent: 00-' "$T/rec/conn-2.bin")" = 1 ] &&
	[ "$(grep -c '^traceparent: 00-' "$T/rec/conn-3.bin")" = 1 ] ||
	fail "constructor's request: expected one traceparent per traced run on the wire"
note "constructor request before main: one traceparent on the wire, one span"

# A static binary ignores LD_PRELOAD: it must simply run unchanged.
printf '#include <stdio.h>\nint main(void){puts("static");return 4;}\n' >"$T/st.c"
if $CC -static -o "$T/static" "$T/st.c" 2>/dev/null; then
	SHIM_PRELOAD="$PRELOAD"
	same "static binary" "$T/static"
else
	fail "cannot build a static test binary (libc6-dev missing?)"
fi

# vfork children share our memory: their _exit must not stop the parent's
# reporter.  20 of them between two rounds of spans; all 400 spans arrive.
OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/v.jsonl" "$SPANGEN" -n 100 -t 2 -v 20 >/dev/null
$CHECK_JSON "$T/v.jsonl" --spans 400 >/dev/null || fail "spans lost after vfork children exited"
note "20 vfork children: parent's spans all exported"

# Every descriptor 3..1023 pointed at a victim file after the first export:
# the victim stays empty and the second round still reaches the span file.
OTEL_BSP_SCHEDULE_DELAY=50 OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/c.jsonl" \
	"$SPANGEN" -n 100 -C "$T/victim" >/dev/null
[ ! -s "$T/victim" ] || fail "span bytes were written into the application's file"
$CHECK_JSON "$T/c.jsonl" --spans 200 >/dev/null || fail "exporter did not recover after fd reuse"
note "all descriptors reused: victim untouched, exporter reopened its file"

# A relative TRACESHIM_FILE stays where the program started after chdir().
mkdir "$T/start" "$T/elsewhere"
(cd "$T/start" && OTEL_TRACES_EXPORTER=file TRACESHIM_FILE=rel.jsonl "$SPANGEN" -n 4 -D "$T/elsewhere" >/dev/null)
[ -s "$T/start/rel.jsonl" ] && [ ! -e "$T/elsewhere/rel.jsonl" ] ||
	fail "relative TRACESHIM_FILE followed chdir()"
note "relative TRACESHIM_FILE resolved at start-up, not after chdir()"

# stderr replaced by a socket after start-up: console lines and warnings
# must not go into what is now a client connection.
out=$(OTEL_BSP_SCHEDULE_DELAY=50 OTEL_TRACES_EXPORTER=console "$SPANGEN" -n 5 -S 2>/dev/null)
echo "$out" | grep -q '^stderr-socket-bytes 0$' || fail "shim wrote into a socket on fd 2: $out"
note "console exporter skips a socket that replaced stderr"
