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

proxy_rounds "http://127.0.0.1:$PH"
wait_spans 131 # 128 + the readiness probe's 3
stop_all
grep -i "alert\|error" "$T/haproxy.log" && fail "haproxy complained"

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
for mode in ("fresh", "pool"):
    ports = {b["attrs"]["network.peer.port"] for b in proxy_chains(ss, T, "haproxy", mode)}
    assert all(b["attrs"]["url.path"] == "/headers" for b in ss if b["service"] == "backend" and "m=" in b["attrs"].get("url.query", "")), "path not rewritten"
    # the two modes really differ: one upstream connection per request,
    # or fewer connections than requests
    assert (len(ports) == 16) if mode == "fresh" else (len(ports) < 16), (mode, len(ports))
    print("  %s upstream (%d upstream connections): 16 requests (8 concurrent x 2), each one trace"
          " curl -> haproxy -> haproxy client -> backend" % (mode, len(ports)))
linked_within_traces(ss)
assert len(ss) == 128 + 3, len(ss)
print("  131 spans, every parent link inside its own trace")
PY
