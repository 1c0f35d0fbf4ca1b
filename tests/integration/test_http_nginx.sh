# Issue 3 acceptance 3: curl -> nginx reverse proxy -> backend, all
# preloaded, 8 concurrent clients, with fresh upstream connections and with
# an upstream keep-alive pool: every request's trace is exactly curl client
# -> nginx server -> nginx client -> backend server, and no span is linked
# to another request's.  nginx is one event-loop thread serving many
# clients; it forwards the caller's traceparent, which the shim rewrites
# with its own client span id.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

PB=$(free_port)
start_traced backend "$T/b.log" python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PN=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process on;
worker_processes 2;" "
	upstream pool {
		server 127.0.0.1:$PB;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:$PN;
		location /fresh/ { proxy_pass http://127.0.0.1:$PB/; }
		location /pool/ {
			proxy_pass http://pool/;
			proxy_http_version 1.1;
			proxy_set_header Connection \"\";
		}
	}"
TRACESHIM_LOG_LEVEL=${NGINX_LOG_LEVEL:-warn} OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" \
	OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" \
	>"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PN/fresh/status/204" && break
	sleep 0.05
done

for mode in fresh pool; do
	for round in 1 2; do
		pids=()
		for i in $(seq 8); do
			SVC=curl-$mode-$round-$i traced curl -sS -o "$T/out-$mode-$round-$i.json" \
				"http://127.0.0.1:$PN/$mode/headers?m=$mode&r=$round&i=$i" &
			pids+=("$!")
		done
		wait "${pids[@]}"
	done
done
wait_spans 131 # 128 + the readiness probe's 3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
by_id = {s["span"]: s for s in ss}
for mode in ("fresh", "pool"):
    for rnd in (1, 2):
        for i in range(1, 9):
            q = "m=%s&r=%d&i=%d" % (mode, rnd, i)
            c = one(ss, service="curl-%s-%d-%d" % (mode, rnd, i), kind="client")
            trace = [s for s in ss if s["trace"] == c["trace"]]
            ns = one(trace, service="nginx", kind="server")
            nc = one(trace, service="nginx", kind="client")
            b = one(trace, service="backend", kind="server")
            assert len(trace) == 4, (q, [(s["service"], s["kind"]) for s in trace])
            child_of(ns, c); child_of(nc, ns); child_of(b, nc)
            assert ns["attrs"]["url.query"] == q and b["attrs"]["url.query"] == q, (q, ns["attrs"], b["attrs"])
            got = [v for k, v in json.load(open(T + "/out-%s-%d-%d.json" % (mode, rnd, i))) if k.lower() == "traceparent"]
            assert got == ["00-%s-%s-01" % (nc["trace"], nc["span"])], (q, got)
    print("  %s upstream: 16 requests (8 concurrent x 2), each one trace curl -> nginx -> nginx client -> backend" % mode)
# No span anywhere has a parent from another trace, and nothing is orphaned.
for s in ss:
    if s["parent"]:
        assert s["parent"] in by_id and by_id[s["parent"]]["trace"] == s["trace"], s
probe = [s for s in ss if (s["attrs"].get("url.path") or s["attrs"].get("url.full", "")).endswith("/status/204")]
assert len(probe) == 3, probe  # the readiness check: nginx server, client, backend
assert len(ss) == 128 + 3, len(ss)
print("  128 spans, every parent link inside its own trace")
PY
