# RELIABILITY 22 (and issue 2's bounded exit): a process ended by SIGTERM
# or SIGINT, whose default action runs no destructor, still delivers its
# queued spans, within TRACESHIM_SHUTDOWN_TIMEOUT, and dies of the same
# signal; the program sees the actions it set and only those, and an
# ignored signal stays ignored.
source "$(dirname "$0")/lib.sh"
SQ="$ROOT/$BUILD/tests/apps/sigquery"

# kill_after SIG MS CMD...: run CMD, send SIG after MS ms; prints the exit
# status the shell saw and how long the process took to die.
kill_after() {
	local sig=$1 ms=$2 pid t0 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep "$(echo "$ms / 1000" | bc -l)"
	t0=$(now_ms)
	kill -"$sig" "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo "$rc $(($(now_ms) - t0))"
}

# spangen makes its spans and sleeps; the schedule delay (5 s, the
# default) has not come: only the signal's flush can deliver them.  (A
# background job of a script starts with SIGINT ignored: env gives it
# the default back, as an interactive shell would.)
for sig in TERM INT; do
	read -r rc ms < <(kill_after "$sig" 300 env --default-signal=INT OTEL_TRACES_EXPORTER=file \
		TRACESHIM_FILE="$T/spans-$sig.jsonl" "$SPANGEN" -n 50 -s 5000)
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" = "$want" ] || fail "SIG$sig: exit status $rc, want $want (killed by the signal)"
	made=$(awk '/^pid/ {print $4}' "$T/out")
	n=$(grep -o '"spanId"' "$T/spans-$sig.jsonl" 2>/dev/null | wc -l)
	[ -n "$made" ] && [ "$made" -gt 0 ] && [ "$n" = "$made" ] || fail "SIG$sig: $n of ${made:-?} spans delivered"
	[ "$ms" -lt 1500 ] || fail "SIG$sig: took $ms ms to die"
	note "SIG$sig: all $n spans delivered, died of SIG$sig ($rc) in $ms ms"
done

# A program whose own handler was set with SA_RESETHAND, cleans up and
# raises the signal again, trusting the kernel's reset to the default (as
# node does): the handler runs and reads the default, the spans are
# delivered, the process dies of the signal.  SIGTERM's handler is an
# sa_handler, SIGINT's an sa_sigaction.
for sig in TERM INT; do
	read -r rc ms < <(kill_after "$sig" 300 env --default-signal=INT OTEL_TRACES_EXPORTER=file \
		TRACESHIM_FILE="$T/spans-R$sig.jsonl" "$SPANGEN" -R -n 50 -s 5000)
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" = "$want" ] || fail "SA_RESETHAND SIG$sig: exit status $rc, want $want"
	grep -qx "cleanup dfl" "$T/out" || fail "SA_RESETHAND SIG$sig: handler output [$(cat "$T/out")]"
	made=$(awk '/^pid/ {print $4}' "$T/out")
	n=$(grep -o '"spanId"' "$T/spans-R$sig.jsonl" 2>/dev/null | wc -l)
	[ -n "$made" ] && [ "$made" -gt 0 ] && [ "$n" = "$made" ] ||
		fail "SA_RESETHAND SIG$sig: $n of ${made:-?} spans delivered"
	note "SA_RESETHAND handler for SIG$sig: ran, read SIG_DFL, re-raised; all $n spans delivered, died of SIG$sig ($rc)"
done

# A stuck exporter (a FIFO nobody reads): death still within the bound.
mkfifo "$T/fifo"
read -r rc ms < <(kill_after TERM 300 env OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/fifo" \
	TRACESHIM_SHUTDOWN_TIMEOUT=500 "$SPANGEN" -n 50 -s 5000)
[ "$rc" = 143 ] || fail "stuck exporter: exit status $rc"
[ "$ms" -lt 1200 ] || fail "stuck exporter: took $ms ms (bound 500 ms)"
note "stuck exporter: died of SIGTERM in $ms ms (TRACESHIM_SHUTDOWN_TIMEOUT=500)"

# A real server stopped by kill.
PORT=$(free_port)
OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-srv.jsonl" LD_PRELOAD="$PRELOAD" \
	python3 -m http.server "$PORT" --bind 127.0.0.1 >"$T/srv.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done
curl -s -o /dev/null "http://127.0.0.1:$PORT/?second"
# The response ends with the server's close, which curl may see before
# the server thread has queued the span: let it finish.
sleep 0.3
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 143 ] || fail "http.server: exit status $rc"
n=$(grep -o '"spanId"' "$T/spans-srv.jsonl" 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || fail "http.server stopped by kill: $n spans"
note "python3 -m http.server stopped by kill: its $n server spans delivered"

# What the program sees and sets.
[ "$(LD_PRELOAD="$PRELOAD" "$SQ" query)" = dfl ] || fail "SIGTERM does not read as the default"
out=$(LD_PRELOAD="$PRELOAD" "$SQ" own) && rc=0 || rc=$?
[ "$out" = "$(printf 'previous dfl now handler\nhandled')" ] && [ "$rc" = 7 ] ||
	fail "the program's own handler: [$out] exit $rc"
read -r rc ms < <(kill_after TERM 300 env LD_PRELOAD="$PRELOAD" "$SQ" back 5000)
[ "$(cat "$T/out")" = "back to dfl" ] && [ "$rc" = 143 ] || fail "back to the default: [$(cat "$T/out")] exit $rc"
note "the program sees SIG_DFL; its own handler runs; set back to the default it dies of SIGTERM"
# Ignored by the parent: stays ignored, survives the signal.
out=$(LD_PRELOAD="$PRELOAD" bash -c "trap '' TERM; exec '$SQ' query")
[ "$out" = ign ] || fail "an ignored SIGTERM reads as $out"
LD_PRELOAD="$PRELOAD" bash -c "trap '' TERM; exec '$SQ' sleep 600" &
pid=$!
sleep 0.2
kill -TERM "$pid"
sleep 0.2
kill -0 "$pid" 2>/dev/null || fail "an ignored SIGTERM killed the process"
wait "$pid"
note "an inherited SIG_IGN stays ignored"
