# Issue 5, scenario statuses (seed 000, what `make demo` runs): the demo
# script prints the seed's exact answer and a 4-span waterfall (curl ->
# proxy -> proxy's client call -> backend) with durations, leaves the
# spans file and stops what it started; the spans form that one tree with
# right ids and parents.  Then the services directly: 8 concurrent
# clients and 3 keep-alive requests each get their own 4-span trace (the
# proxy reuses its backend connection), a stopped backend is reported as
# down, a busy port and a bad request get clear answers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"

ANSWER='{"data":[{"name":"backend","status":"up"},{"name":"proxy","status":"up"}]}'

# --- the demo -----------------------------------------------------------------
run_demo statuses PROXY_PORT="$(free_port)" BACKEND_PORT="$(free_port)"
grep -qxF "$ANSWER" "$T/demo-statuses.out" || { cat "$T/demo-statuses.out"; fail "the demo did not print the seed's answer"; }
waterfall_rows "$T/demo-statuses.out" >"$T/rows"
cat >"$T/want" <<'ROWS'
curl GET client 200
proxy GET /statuses server 200
proxy GET client 200
backend GET /status server 200
ROWS
awk '{NF -= 2; print}' "$T/rows" | diff "$T/want" - || { cat "$T/demo-statuses.out"; fail "the waterfall is not curl -> proxy -> proxy client -> backend"; }
[ "$(wc -l <"$T/rows")" = 4 ] || fail "waterfall has $(wc -l <"$T/rows") rows"
note "demo: the seed's answer and a 4-row waterfall with durations; spans file and page left; ports released"

/usr/bin/python3 - "$T/demo-statuses/spans.jsonl" <<PY
$SPANLIB
ss = spans(sys.argv[1])
assert len(ss) == 4, [(s["service"], s["name"]) for s in ss]
c = one(ss, service="curl", kind="client")
ps = one(ss, service="proxy", kind="server")
pc = one(ss, service="proxy", kind="client")
b = one(ss, service="backend", kind="server")
assert c["parent"] == "" and c["name"] == "GET"
child_of(ps, c); child_of(pc, ps); child_of(b, pc)
inside(ps, c); inside(pc, ps); inside(b, pc)
assert ps["attrs"]["url.path"] == "/statuses" and b["attrs"]["url.path"] == "/status"
assert all(s["attrs"]["http.response.status_code"] == 200 for s in ss)
assert len({s["span"] for s in ss}) == 4 and all(len(s["span"]) == 16 and len(s["trace"]) == 32 for s in ss)
print("  demo spans: one trace curl -> proxy -> proxy client -> backend, parents and nesting right")
PY

# --- the services, directly -----------------------------------------------------
PB=$(free_port)
PP=$(free_port)
BACKEND_PORT=$PB start_traced backend "$T/b.log" "$APPS/statuses/backend"
BPID=$LAST_PID
PROXY_PORT=$PP BACKEND_PORT=$PB start_traced proxy "$T/p.log" "$APPS/statuses/proxy"

pids=()
for i in $(seq 8); do
	SVC=curl-$i traced curl -sS -o "$T/out-$i" "http://127.0.0.1:$PP/statuses?i=$i" &
	pids+=("$!")
done
wait "${pids[@]}"
for i in $(seq 8); do
	[ "$(cat "$T/out-$i")" = "$ANSWER" ] || fail "client $i got $(cat "$T/out-$i")"
done
SVC=curl-ka traced curl -sS -o /dev/null -o /dev/null -o /dev/null \
	"http://127.0.0.1:$PP/statuses?k=1" "http://127.0.0.1:$PP/statuses?k=2" "http://127.0.0.1:$PP/statuses?k=3"
wait_spans 44

# A busy port: a clear message naming the variable to change.
if BACKEND_PORT=$PP "$APPS/statuses/backend" >"$T/busy.out" 2>&1; then
	fail "backend started on a busy port"
fi
grep -q "port is in use" "$T/busy.out" && grep -q "BACKEND_PORT=" "$T/busy.out" ||
	fail "busy port message: $(cat "$T/busy.out")"
# A malformed request gets 400 and the connection closed.
/usr/bin/python3 - "$PP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GARBAGE\r\n\r\n")
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
assert data.startswith(b"HTTP/1.1 400 "), data
PY
# The backend stops: the proxy reports it down.
kill -TERM "$BPID"
wait "$BPID" || true
SVC=curl-down traced curl -sS -o "$T/down" "http://127.0.0.1:$PP/statuses?down=1"
grep -qF '{"name":"backend","status":"down"}' "$T/down" || fail "backend down: $(cat "$T/down")"
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
for i in range(1, 9):
    c = one(ss, service="curl-%d" % i, kind="client")
    tr = [s for s in ss if s["trace"] == c["trace"]]
    assert len(tr) == 4, (i, [(s["service"], s["kind"]) for s in tr])
    ps = one(tr, service="proxy", kind="server")
    pc = one(tr, service="proxy", kind="client")
    b = one(tr, service="backend", kind="server")
    child_of(ps, c); child_of(pc, ps); child_of(b, pc)
    assert ps["attrs"]["url.query"] == "i=%d" % i, ps["attrs"]
print("  8 concurrent clients: 8 traces of 4 spans, none crossed")
ka = sorted([s for s in ss if s["service"] == "curl-ka"], key=lambda s: s["start"])
assert [s["attrs"]["url.full"].split("?")[1] for s in ka] == ["k=1", "k=2", "k=3"], ka
peers = set()
for c in ka:
    tr = [s for s in ss if s["trace"] == c["trace"]]
    assert len(tr) == 4, tr
    b = one(tr, service="backend", kind="server")
    peers.add(b["attrs"]["network.peer.port"])
assert len(peers) == 1, "the proxy did not reuse its backend connection: %s" % peers
print("  keep-alive: 3 requests, 3 traces, one upstream connection reused")
d = one(ss, service="curl-down", kind="client")
tr = [s for s in ss if s["trace"] == d["trace"]]
ps = one(tr, service="proxy", kind="server")
child_of(ps, d)
assert ps["attrs"]["http.response.status_code"] == 200 and not [s for s in tr if s["service"] == "backend"]
print("  backend stopped: reported down, the trace ends at the proxy")
PY
