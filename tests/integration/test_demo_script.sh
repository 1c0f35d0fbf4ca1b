# Issue 5, `make demo` robustness (scripts/demo): a port in use stops it
# before it starts anything, naming the variable to set; a service that
# dies at start is reported with its log and everything already started
# is stopped; Ctrl-C (SIGINT to its process group, as a terminal sends it)
# in the middle of a request stops every process it started within a
# second or two; an unknown scenario lists the valid ones.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"

# A port in use.
PB=$(free_port)
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("ready", flush=True); time.sleep(60)' "$PB" >"$T/holder.log" &
HOLDER=$!
PIDS+=("$HOLDER")
for _ in $(seq 100); do grep -q ready "$T/holder.log" && break; sleep 0.05; done
rc=0
PP=$(free_port)
BUILD=build DEMO_DIR="$T/d1" BACKEND_PORT=$PB PROXY_PORT=$PP "$ROOT/scripts/demo" >"$T/d1.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "busy port: exit $rc"
grep -q "demo: port $PB (backend, BACKEND_PORT) is in use by another program; stop it (see: ss -ltnp 'sport = :$PB') or choose another port: make demo DEMO=statuses BACKEND_PORT=$((PB + 1))" "$T/d1.out" ||
	{ cat "$T/d1.out"; fail "busy port message"; }
listening "$PP" && fail "the demo started the proxy although the backend's port was taken"
kill "$HOLDER"
note "a busy port: stopped before starting anything, with the variable to set"

# A service that dies at start: the backend already runs and is stopped.
P=$(free_port)
rc=0
BUILD=build DEMO_DIR="$T/d2" BACKEND_PORT=$P PROXY_PORT=$P "$ROOT/scripts/demo" statuses >"$T/d2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "demo: proxy exited at start (log above" "$T/d2.out" && grep -q "proxy: cannot listen on 127.0.0.1:$P: the port is in use" "$T/d2.out" ||
	{ cat "$T/d2.out"; fail "a service dying at start: exit $rc"; }
listening "$P" && fail "the backend was left running"
note "a service dying at start: its log shown, what was started stopped"

# Ctrl-C during the request (server-1 waits 3 s before answering).  The
# demo gets its own process group, with SIGINT at its default as under a
# terminal (bash starts background jobs with SIGINT ignored).
P1=$(free_port)
P2=$(free_port)
BUILD=build DEMO_DIR="$T/d3" SERVER1_PORT=$P1 SERVER2_PORT=$P2 SERVER1_DELAY_MS=3000 \
	setsid /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$ROOT/scripts/demo" hello >"$T/d3.out" 2>&1 &
DPID=$!
for _ in $(seq 200); do grep -q '^\$ curl' "$T/d3.out" && break; sleep 0.05; done
grep -q '^\$ curl' "$T/d3.out" || { cat "$T/d3.out"; fail "the hello demo did not get to its request"; }
sleep 0.3
t0=$(now_ms)
kill -INT -- "-$DPID"
rc=0
wait "$DPID" || rc=$?
took=$(($(now_ms) - t0))
[ "$rc" = 130 ] || { cat "$T/d3.out"; fail "Ctrl-C: exit $rc"; }
grep -q "demo: interrupted; stopping what it started" "$T/d3.out" || { cat "$T/d3.out"; fail "no interruption message"; }
[ "$took" -lt 5000 ] || fail "Ctrl-C took $took ms"
listening "$P1" && fail "server-1 left running"
listening "$P2" && fail "server-2 left running"
left=$(pgrep -g "$DPID" || true)
[ -z "$left" ] || fail "processes of the demo left: $(ps -o pid,args -p "$left")"
note "Ctrl-C mid-request: exit 130 in $took ms, nothing left running"

rc=0
BUILD=build "$ROOT/scripts/demo" nosuch >"$T/d4.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'unknown scenario "nosuch"; choose one of: statuses hello home gateway pubsub' "$T/d4.out" ||
	fail "unknown scenario: $(cat "$T/d4.out")"

# `make demo` itself (the plain build; no MAKEFLAGS of the make running
# the tests may leak in).
rc=0
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$ROOT" demo DEMO=home SANITIZER= BUILD=build \
	HOME_PORT="$(free_port)" HOME_MAX_DELAY_MS=10 DEMO_DIR="$T/d5" >"$T/d5.out" 2>&1 </dev/null || rc=$?
[ "$rc" = 0 ] && grep -qx 'Request done!' "$T/d5.out" && [ -s "$T/d5/spans.jsonl" ] || { cat "$T/d5.out"; fail "make demo DEMO=home: $rc"; }
note "make demo DEMO=home: the answer, the waterfall, the spans file"
