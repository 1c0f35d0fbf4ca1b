# Issue 6 acceptance 4: misbehaving collectors.  Absent, accepting but
# never answering, answering 503 with Retry-After, answering 400, trickling
# bytes: the traced program's output and exit status are unchanged and its
# exit is delayed by at most TRACESHIM_SHUTDOWN_TIMEOUT; 400 is never
# retried; 429/502/503/504 are, after a jittered exponential backoff or the
# server's Retry-After; the queue (memory) stays bounded.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/export_lib.sh"

margin=400 # ms for process start-up and exit on a loaded 2-core machine

# run_timed LABEL BOUND_MS ENDPOINT SPANGEN-ARGS...: spangen with the otlp
# exporter; checks stdout and status, prints the elapsed ms.
run_timed() {
	local label=$1 bound=$2 ep=$3 start rc
	shift 3
	start=$(now_ms)
	set +e
	TRACESHIM_SHUTDOWN_TIMEOUT=$bound OTEL_EXPORTER_OTLP_ENDPOINT=$ep \
		OTEL_TRACES_EXPORTER=otlp "$SPANGEN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 0 ] || fail "$label: exit status $rc"
	grep -q '^pid [0-9]* spans [0-9]*$' "$T/out" && [ "$(wc -l <"$T/out")" = 1 ] ||
		fail "$label: stdout changed: $(cat "$T/out")"
	echo $(($(now_ms) - start))
}

# A real program: curl against an untraced server, output compared with
# an untraced run.
PORT=$(free_port)
start_untraced "$T/py.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
curl -sS "http://127.0.0.1:$PORT/status/201?a=1" -w ' %{http_code}\n' >"$T/curl.plain" 2>&1
curl_same() { # LABEL ENDPOINT BOUND
	local start ms rc
	start=$(now_ms)
	set +e
	TRACESHIM_SHUTDOWN_TIMEOUT=$3 OTEL_EXPORTER_OTLP_ENDPOINT=$2 \
		traced_exp otlp curl "$(command -v curl)" -sS "http://127.0.0.1:$PORT/status/201?a=1" \
		-w ' %{http_code}\n' >"$T/curl.shim" 2>"$T/curl.err"
	rc=$?
	set -e
	ms=$(($(now_ms) - start))
	[ "$rc" = 0 ] || fail "$1: curl exit $rc"
	cmp -s "$T/curl.plain" "$T/curl.shim" || fail "$1: curl output changed"
	[ "$ms" -le $(($3 + margin)) ] || fail "$1: traced curl took ${ms} ms, bound $3 ms"
	echo "$ms"
}

# --- absent: nobody listens ----------------------------------------------
ABSENT="http://127.0.0.1:$(free_port)"
ms=$(run_timed absent 1000 "$ABSENT" -n 10)
[ ! -s "$T/err" ] || { cat "$T/err"; fail "absent collector: stderr not empty at the default level"; }
[ "$ms" -le "$margin" ] || fail "absent collector: exit took ${ms} ms (a refused connection is not retried at exit)"
cms=$(curl_same absent "$ABSENT" 1000)
[ ! -s "$T/curl.err" ] || fail "absent collector: curl's stderr changed"
note "absent: exit after ${ms} ms, silent; curl output unchanged (${cms} ms)"
# A long-lived program whose batches fail while it runs: the reporter
# retries on its own thread; the program is not slowed and exits in time.
ms=$(run_timed absent-live 1000 "$ABSENT" -n 3000 -t 2 -s 1500)
[ "$ms" -le $((1500 + margin)) ] || fail "absent, live: exit after ${ms} ms (a backoff must end at exit)"
note "absent, batches failing while running: exit after ${ms} ms (1500 ms of work)"

# --- black hole: accepts, reads, never answers -----------------------------
start_collector "$T/bh" blackhole
for bound in 300 1000; do
	ms=$(run_timed blackhole $bound "http://127.0.0.1:$COLLECTOR_PORT" -n 10 -x exit)
	[ "$ms" -ge $((bound - 20)) ] || fail "blackhole: exit after ${ms} ms, before the ${bound} ms bound: did not wait"
	[ "$ms" -le $((bound + margin)) ] || fail "blackhole: exit after ${ms} ms, bound ${bound} ms"
	[ ! -s "$T/err" ] || { cat "$T/err"; fail "blackhole: stderr not empty"; }
	note "black hole, bound ${bound} ms: exit after ${ms} ms"
done
# The summary accounts for every span: those the deadline caught unsent.
set +e
TRACESHIM_LOG_LEVEL=info TRACESHIM_SHUTDOWN_TIMEOUT=300 OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" \
	OTEL_TRACES_EXPORTER=otlp "$SPANGEN" -n 10 -x exit >"$T/out" 2>"$T/err"
set -e
grep -q ' 0 exported, 0 dropped (queue full), 0 lost to export failures, [1-9][0-9]* unsent at the shutdown deadline' "$T/err" ||
	{ cat "$T/err"; fail "blackhole: the summary does not count the unsent spans"; }
note "black hole: $(grep -o '[0-9]* unsent' "$T/err") at the shutdown deadline, counted in the summary"
cms=$(curl_same blackhole "http://127.0.0.1:$COLLECTOR_PORT" 500)
note "black hole: curl output unchanged, exit after ${cms} ms (bound 500)"

# --- trickle: the reply arrives one byte every 0.3 s -----------------------
start_collector "$T/tr" trickle
ms=$(run_timed trickle 1000 "http://127.0.0.1:$COLLECTOR_PORT" -n 10 -x _exit)
[ "$ms" -ge 980 ] && [ "$ms" -le $((1000 + margin)) ] || fail "trickle: exit after ${ms} ms"
note "trickling collector: exit after ${ms} ms (bound 1000)"

# --- 400: refused, never retried, one warning -------------------------------
start_collector "$T/r400" status:400
ms=$(run_timed 400 1000 "http://127.0.0.1:$COLLECTOR_PORT" -n 1000 -t 1)
n=$(requests "$T/r400")
# 1000 spans, batches of 512 at most: 2 to 3 batches, one request each.
[ "$n" -ge 2 ] && [ "$n" -le 3 ] || fail "400: $n requests for at most 3 batches: retried?"
[ "$ms" -le "$margin" ] || fail "400: exit took ${ms} ms"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q '^traceshim: warning: OTLP export to .* was refused: HTTP 400' "$T/err" ||
	{ cat "$T/err"; fail "400: expected exactly one warning line"; }
cms=$(curl_same 400 "http://127.0.0.1:$COLLECTOR_PORT" 1000)
note "400: $n requests for $n batches (no retry), one warning, exit after ${ms} ms; curl unchanged"

# --- not HTTP/1.1 at all (the gRPC port by mistake): one warning -----------
start_collector "$T/h2" h2
ms=$(run_timed h2 1000 "http://127.0.0.1:$COLLECTOR_PORT" -n 1000)
[ "$ms" -le "$margin" ] || fail "h2: exit took ${ms} ms"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q 'does not answer HTTP/1.1 (a gRPC port?' "$T/err" ||
	{ cat "$T/err"; fail "h2: expected one warning"; }
note "an HTTP/2 (gRPC) endpoint: one warning, no retry, exit after ${ms} ms"

# --- 503 with Retry-After: 1 ---------------------------------------------
start_collector "$T/r503" status:503:1
ms=$(run_timed 503 2500 "http://127.0.0.1:$COLLECTOR_PORT" -n 10)
[ "$ms" -le $((2500 + margin)) ] || fail "503: exit took ${ms} ms, bound 2500"
/usr/bin/python3 - "$T/r503" <<'PY'
import glob, json, sys
t = sorted(json.load(open(p))["t"] for p in glob.glob(sys.argv[1] + "/req-*.json"))
assert len(t) == 3, "expected 3 attempts in 2.5 s with Retry-After: 1, got %d" % len(t)
gaps = [b - a for a, b in zip(t, t[1:])]
# (times are taken by the python collector: allow for its scheduling)
assert all(0.85 <= g <= 1.5 for g in gaps), gaps
print("  503 + Retry-After: 1: attempts %.2f s apart" % (sum(gaps) / len(gaps)))
PY
rm -rf "$T/r503"/req-*
ms=$(run_timed 503-bound 1000 "http://127.0.0.1:$COLLECTOR_PORT" -n 10)
[ "$ms" -le $((1000 + margin)) ] || fail "503: exit took ${ms} ms, bound 1000"
cms=$(curl_same 503 "http://127.0.0.1:$COLLECTOR_PORT" 1000)
note "503 + Retry-After within the 1000 ms bound: exit after ${ms} ms; curl unchanged (${cms} ms)"

# --- 429, 502, 503, 504 then success: retried with jittered backoff ----------
gaps() { # DIR -> gaps between attempts in ms, space-separated
	/usr/bin/python3 -c '
import glob, json, sys
t = sorted(json.load(open(p))["t"] for p in glob.glob(sys.argv[1] + "/req-*.json"))
print(" ".join("%d" % round(1000 * (b - a)) for a, b in zip(t, t[1:])))' "$1"
}
for code in 429 502 503 504; do
	start_collector "$T/f$code" "first:3:$code"
	OTEL_BSP_SCHEDULE_DELAY=50 run_timed "first:3:$code" 1000 "http://127.0.0.1:$COLLECTOR_PORT" \
		-n 20 -s 2500 >/dev/null
	n=$(requests "$T/f$code")
	[ "$n" = 4 ] || fail "$code: $n attempts, expected 3 refused + 1 accepted"
	g=$(gaps "$T/f$code")
	set -- $g
	# Backoff 200 ms doubling, each wait drawn from [d/2, d]: waits of
	# 100-200, 200-400 and 400-800 ms, with room for a loaded machine
	# (the times are taken by the python collector).
	[ "$1" -ge 50 ] && [ "$1" -le 450 ] && [ "$2" -ge 150 ] && [ "$2" -le 700 ] &&
		[ "$3" -ge 300 ] && [ "$3" -le 1200 ] && [ "$3" -gt "$1" ] ||
		fail "$code: backoff gaps $g ms"
	eval "gaps_$code=\"$g\""
	kill "$COLLECTOR_PID"
	note "$code x3 then 200: delivered after retries $g ms apart"
done
[ "$gaps_429" != "$gaps_503" ] || [ "$gaps_502" != "$gaps_504" ] || fail "no jitter: the same waits every time"

# --- memory stays bounded, the application never waits ----------------------
rss() { # ENDPOINT EXPORTER -> max RSS in KiB of spangen making 400k spans
	/usr/bin/python3 - "$SPANGEN" "$1" "$2" <<'PY'
import os, resource, subprocess, sys
env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=sys.argv[2], OTEL_TRACES_EXPORTER=sys.argv[3],
           TRACESHIM_SHUTDOWN_TIMEOUT="300", TRACESHIM_LOG_LEVEL="info", OTEL_BSP_SCHEDULE_DELAY="50")
p = subprocess.run([sys.argv[1], "-n", "200000", "-t", "2"], env=env, capture_output=True, text=True)
assert p.returncode == 0, p
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.stderr.strip().splitlines()[-1])
PY
}
start_collector "$T/bh2" blackhole
read -r base _ < <(rss "http://127.0.0.1:$COLLECTOR_PORT" none)
read -r held line < <(rss "http://127.0.0.1:$COLLECTOR_PORT" otlp)
echo "$line" | grep -q 'dropped (queue full)' || fail "no summary line: $line"
dropped=$(echo "$line" | sed -n 's/.* \([0-9]*\) dropped (queue full).*/\1/p')
[ "$dropped" -gt 100000 ] || fail "black hole: only $dropped spans dropped: $line"
[ $((held - base)) -le 16384 ] || fail "black hole: max RSS $held KiB vs $base KiB without export"
note "400k spans into a black hole: ${held} KiB max RSS (${base} KiB without export), $dropped dropped and counted"
