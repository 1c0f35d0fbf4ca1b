# Beside nginx, a second unmodified event-loop proxy: curl -> HAProxy (two
# threads, HTTP mode) -> backend, all preloaded, 8 concurrent clients, with
# a fresh upstream connection per request (option http-server-close) and
# with upstream connections shared by all clients (http-reuse always):
# every request's trace is exactly curl client -> haproxy server ->
# haproxy client -> backend server, the backend receives the haproxy
# client span's traceparent, and no span is linked to another request's.
source "$(dirname "$0")/lib.sh"
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || fail "haproxy is not installed (scripts/install-deps)"

PB=$(free_port)
start_traced backend "$T/b.log" python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PH=$(free_port)
cat >"$T/haproxy.cfg" <<CFG
global
	nbthread 2
	maxconn 256
defaults
	mode http
	timeout connect 5s
	timeout client 10s
	timeout server 10s
frontend fe
	bind 127.0.0.1:$PH
	use_backend pool if { path_beg /pool/ }
	default_backend fresh
backend fresh
	option http-server-close
	http-request replace-path /fresh(/.*) \1
	server b 127.0.0.1:$PB
backend pool
	http-reuse always
	http-request replace-path /pool(/.*) \1
	server b 127.0.0.1:$PB
CFG
OTEL_SERVICE_NAME=haproxy OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-haproxy.jsonl" \
	OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$HAPROXY" -db -f "$T/haproxy.cfg" \
	>"$T/haproxy.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PH/fresh/status/204" && break
	sleep 0.05
done

for mode in fresh pool; do
	for round in 1 2; do
		pids=()
		for i in $(seq 8); do
			SVC=curl-$mode-$round-$i traced curl -sS -o "$T/out-$mode-$round-$i.json" \
				"http://127.0.0.1:$PH/$mode/headers?m=$mode&r=$round&i=$i" &
			pids+=("$!")
		done
		wait "${pids[@]}"
	done
done
wait_spans 131 # 128 + the readiness probe's 3
stop_all
grep -i "alert\|error" "$T/haproxy.log" && fail "haproxy complained"

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
by_id = {s["span"]: s for s in ss}
for mode in ("fresh", "pool"):
    ports = set()
    for rnd in (1, 2):
        for i in range(1, 9):
            q = "m=%s&r=%d&i=%d" % (mode, rnd, i)
            c = one(ss, service="curl-%s-%d-%d" % (mode, rnd, i), kind="client")
            trace = [s for s in ss if s["trace"] == c["trace"]]
            assert len(trace) == 4, (q, [(s["service"], s["kind"]) for s in trace])
            hs = one(trace, service="haproxy", kind="server")
            hc = one(trace, service="haproxy", kind="client")
            b = one(trace, service="backend", kind="server")
            child_of(hs, c); child_of(hc, hs); child_of(b, hc)
            assert hs["attrs"]["url.query"] == q and b["attrs"]["url.query"] == q, (q, hs["attrs"], b["attrs"])
            assert b["attrs"]["url.path"] == "/headers", b["attrs"]
            got = [v for k, v in json.load(open(T + "/out-%s-%d-%d.json" % (mode, rnd, i))) if k.lower() == "traceparent"]
            assert got == ["00-%s-%s-01" % (hc["trace"], hc["span"])], (q, got)
            ports.add(b["attrs"]["network.peer.port"])
    # the two modes really differ: one upstream connection per request,
    # or fewer connections than requests
    assert (len(ports) == 16) if mode == "fresh" else (len(ports) < 16), (mode, len(ports))
    print("  %s upstream (%d upstream connections): 16 requests (8 concurrent x 2), each one trace"
          " curl -> haproxy -> haproxy client -> backend" % (mode, len(ports)))
for s in ss:
    if s["parent"]:
        assert s["parent"] in by_id and by_id[s["parent"]]["trace"] == s["trace"], s
assert len(ss) == 128 + 3, len(ss)
print("  131 spans, every parent link inside its own trace")
PY
