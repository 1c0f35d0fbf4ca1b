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

proxy_rounds "http://127.0.0.1:$PN"
wait_spans 131 # 128 + the readiness probe's 3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
for mode in ("fresh", "pool"):
    proxy_chains(ss, T, "nginx", mode)
    print("  %s upstream: 16 requests (8 concurrent x 2), each one trace curl -> nginx -> nginx client -> backend" % mode)
linked_within_traces(ss)
probe = [s for s in ss if (s["attrs"].get("url.path") or s["attrs"].get("url.full", "")).endswith("/status/204")]
assert len(probe) == 3, probe  # the readiness check: nginx server, client, backend
assert len(ss) == 128 + 3, len(ss)
print("  128 spans, every parent link inside its own trace")
PY
