# Unix stream sockets, the usual way a front proxy reaches an application
# server: curl -> nginx (TCP) -> a threaded python server on a Unix socket
# through an upstream keep-alive pool, and curl --unix-socket straight to
# it (libcurl).  All preloaded: one trace per request, the client spans
# name the socket path as the peer and claim no port.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

SOCK=$T/be.sock
start_traced backend "$T/b.log" python3 "$ROOT/tests/integration/pyserver.py" --unix "$SOCK"
PN=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process off;" "
	upstream app {
		server unix:$SOCK;
		keepalive 4;
	}
	server {
		listen 127.0.0.1:$PN;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection \"\";
		}
	}"
start_nginx() {
	OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" \
		OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" \
		>"$T/nginx.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		[ -f "$T/ngx/nginx.pid" ] && curl -s -o /dev/null "http://127.0.0.1:$PN/status/204" && return 0
		sleep 0.05
	done
	fail "nginx did not start"
}
start_nginx

pids=()
for i in $(seq 6); do
	SVC=curl-$i traced curl -sS -o "$T/out-$i.json" "http://127.0.0.1:$PN/headers?i=$i" &
	pids+=("$!")
done
wait "${pids[@]}"
SVC=direct traced curl -sS -o "$T/out-direct.json" --unix-socket "$SOCK" "http://app.local/headers?direct=1"
SVC=direct traced curl -sS -o /dev/null --unix-socket "$SOCK" "http://app.local/status/503" || true
wait_spans 24 # the probe's 3, 6 x 3, the direct 2 x 2 (+ nothing else)
stop_all

/usr/bin/python3 - "$T" "$SOCK" <<PY
$SPANLIB
import json
T, sock = sys.argv[1], sys.argv[2]
ss = spans(T + "/spans-*.jsonl")
by_id = {s["span"]: s for s in ss}
for i in range(1, 7):
    c = one(ss, service="curl-%d" % i, kind="client")
    trace = [s for s in ss if s["trace"] == c["trace"]]
    assert len(trace) == 4, [(s["service"], s["kind"]) for s in trace]
    ns = one(trace, service="nginx", kind="server")
    nc = one(trace, service="nginx", kind="client")
    b = one(trace, service="backend", kind="server")
    child_of(ns, c); child_of(nc, ns); child_of(b, nc)
    assert b["attrs"]["url.query"] == "i=%d" % i, b["attrs"]
    assert nc["attrs"].get("network.peer.address") == sock and "network.peer.port" not in nc["attrs"], nc["attrs"]
    assert "client.address" not in b["attrs"] and "network.peer.port" not in b["attrs"], b["attrs"]
    got = [v for k, v in json.load(open(T + "/out-%d.json" % i)) if k.lower() == "traceparent"]
    assert got == ["00-%s-%s-01" % (nc["trace"], nc["span"])], got
print("  curl -> nginx -> Unix-socket upstream (keep-alive pool), 6 concurrent: one trace each;"
      " nginx's client span names the socket path as its peer, no port")
d = [s for s in ss if s["service"] == "direct"]
assert len(d) == 2, d
for c in d:
    b = one(ss, kind="server", service="backend", parent=c["span"])
    assert c["trace"] == b["trace"]
    assert c["attrs"]["network.peer.address"] == sock and "network.peer.port" not in c["attrs"], c["attrs"]
err = one(d, attr_http__response__status_code=503)
assert err["status"] == 2, err
got = [v for k, v in json.load(open(T + "/out-direct.json")) if k.lower() == "traceparent"]
ok = one(d, attr_http__response__status_code=200)
assert got == ["00-%s-%s-01" % (ok["trace"], ok["span"])], got
print("  curl --unix-socket (libcurl): client and server spans in one trace, peer the socket path, 503 an error")
for s in ss:
    if s["parent"]:
        assert s["parent"] in by_id and by_id[s["parent"]]["trace"] == s["trace"], s
PY
