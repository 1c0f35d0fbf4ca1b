# Acceptance: with a stuck exporter, exit is delayed by at most
# TRACESHIM_SHUTDOWN_TIMEOUT, on every exit path, and the program's output
# and exit status are unchanged.
#
# The stuck exporter is real: TRACESHIM_FILE names a FIFO.  With no reader
# the reporter blocks in open(); with a reader that never reads it blocks
# in write() once the pipe is full.
source "$(dirname "$0")/lib.sh"

mkfifo "$T/fifo"
margin=400 # ms for process start-up and exit on a loaded 2-core machine

run_timed() { # timeout_ms how -> prints elapsed ms; checks output
	local start end rc
	start=$(now_ms)
	set +e
	TRACESHIM_SHUTDOWN_TIMEOUT=$1 OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/fifo" \
		"$SPANGEN" -n 3000 -x "$2" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	end=$(now_ms)
	[ "$rc" = 0 ] || fail "exit status $rc with a stuck exporter ($2)"
	grep -q '^pid [0-9]* spans 3000$' "$T/out" || fail "stdout changed ($2)"
	[ ! -s "$T/err" ] || { cat "$T/err"; fail "stderr not empty ($2)"; }
	echo $((end - start))
}

for timeout in 300 1000; do
	for how in return exit _exit; do
		ms=$(run_timed "$timeout" "$how")
		# At least the timeout: the flush really waited for the exporter
		# (so the bound, not luck, ended it); at most timeout + margin.
		[ "$ms" -ge $((timeout - 20)) ] || fail "$how: exit after ${ms} ms, before the ${timeout} ms bound: flush did not wait"
		[ "$ms" -le $((timeout + margin)) ] || fail "$how: exit took ${ms} ms, bound is ${timeout} ms"
		note "no reader, TRACESHIM_SHUTDOWN_TIMEOUT=$timeout, $how: exit after ${ms} ms"
	done
done

# Default bound (1000 ms) when the variable is unset.
start=$(now_ms)
OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/fifo" "$SPANGEN" -n 10 >/dev/null
ms=$(($(now_ms) - start))
[ "$ms" -ge 980 ] && [ "$ms" -le $((1000 + margin)) ] || fail "default bound: exit after ${ms} ms"
note "default bound: exit after ${ms} ms"

# A reader that holds the FIFO open and never reads: write() blocks.
sleep 30 <"$T/fifo" &
holder=$!
ms=$(run_timed 300 exit)
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
[ "$ms" -le $((300 + margin)) ] || fail "blocked write: exit took ${ms} ms"
note "reader that never reads, bound 300: exit after ${ms} ms"

# TRACESHIM_SHUTDOWN_TIMEOUT=0: do not wait at all.
ms=$(run_timed 0 exit)
[ "$ms" -le "$margin" ] || fail "timeout 0: exit took ${ms} ms"
note "bound 0: exit after ${ms} ms"

# Exit right after a scheduled export: the span that ended while that
# export ran is exported too (the stop must not take the drain it
# interrupted for the last one).  A GET, a sleep of about the schedule
# delay, a GET, return from main.
PORT=$(free_port)
start_traced pysrv "$T/pysrv.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
for us in 97000 99000 100000 100500 101000 102000 104000; do
	rm -f "$T/twice.jsonl"
	OTEL_BSP_SCHEDULE_DELAY=100 OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/twice.jsonl" \
		TRACESHIM_LOG_LEVEL=info LD_PRELOAD="$PRELOAD" \
		"$ROOT/$BUILD/tests/apps/rawclient" twice "$PORT" "$us" >"$T/twice.out" 2>"$T/twice.err" ||
		fail "rawclient twice failed"
	grep -q '2 spans created, 2 exported' "$T/twice.err" || { cat "$T/twice.err"; fail "exit $us us after an export: a span was not exported"; }
	n=$(grep -o '"spanId"' "$T/twice.jsonl" | wc -l)
	[ "$n" = 2 ] || fail "exit $us us after an export: $n spans in the file"
done
note "exit at 97-104 ms with a 100 ms schedule: both spans exported every time"

# timed_rawclient NAME MODE: rawclient MODE PORT under the shim, spans
# to $T/NAME.jsonl, output in $T/NAME.out, killed after 30 s; sets rc
# (its exit status) and el (ms it ran).
timed_rawclient() {
	rm -f "$T/$1.jsonl"
	rc=0
	t0=$(now_ms)
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/$1.jsonl" LD_PRELOAD="$PRELOAD" \
		timeout --foreground -s KILL 30 "$ROOT/$BUILD/tests/apps/rawclient" "$2" "$PORT" >"$T/$1.out" 2>&1 ||
		rc=$?
	el=$(($(now_ms) - t0))
}

# main() ends by pthread_exit() and its worker thread by returning: the
# process ends with its last thread, exit status 0, as without the shim.
# The old build's reporter thread kept it alive for ever (and unkillable
# but by SIGKILL: no thread left could take a signal).
timed_rawclient texit threadexit
[ "$rc" = 0 ] || { cat "$T/texit.out"; fail "a program whose threads all ended by pthread_exit or return: exit status $rc after $el ms"; }
n=$(grep -o '"spanId"' "$T/texit.jsonl" | wc -l)
[ "$n" = 1 ] || fail "pthread_exit: $n spans in the file"
# At once: the last thread's end wakes the reporter (the build before the
# thread count looked once a second, and ended it 1 s or more after
# the start, of which the worker takes 100 ms).
[ "$el" -lt 900 ] || fail "pthread_exit: the process ended $el ms after its start"
note "main() by pthread_exit, its thread by return: the process ended (status 0, after $el ms), its span exported"

# The same, its thread ending by the exit system call, which no count
# sees: the reporter's once-a-second look at /proc finds the end.
timed_rawclient rawexit rawexit
[ "$rc" = 0 ] || { cat "$T/rawexit.out"; fail "a thread ended by SYS_exit, main by pthread_exit: exit status $rc after $el ms"; }
[ "$el" -lt 5000 ] || fail "a thread ended by SYS_exit: the process ended $el ms after its start"
note "its thread ended by the exit system call instead: status 0 after $el ms"

# The program's thread-specific keys are all its own (the shim takes
# none): as many, from the same first one, as without the shim.
want=$("$ROOT/$BUILD/tests/apps/rawclient" keys "$PORT" | grep '^key')
got=$(OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/keys.jsonl" LD_PRELOAD="$PRELOAD" \
	"$ROOT/$BUILD/tests/apps/rawclient" keys "$PORT" | grep '^key')
[ "$got" = "$want" ] || fail "thread-specific keys: \"$got\" under the shim, \"$want\" without"
note "thread-specific keys: \"$got\", as without the shim"

# A program that sandboxes itself (a seccomp filter on every thread that
# kills it on any open): the shim opens nothing on a schedule.  The build
# before the thread count read /proc/self/stat once a second and the
# filter killed the program (SIGSYS, status 159).
OTEL_BSP_SCHEDULE_DELAY=100 timed_rawclient sandbox sandbox
[ "$rc" = 0 ] || { cat "$T/sandbox.out"; fail "a program under a seccomp filter that kills on open: exit status $rc"; }
n=$(grep -o '"spanId"' "$T/sandbox.jsonl" | wc -l)
[ "$n" = 2 ] || fail "seccomp sandbox: $n spans in the file"
note "a seccomp filter that kills on open, 2.5 s under it: status 0, both spans exported"
