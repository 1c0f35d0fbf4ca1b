# A caller fans out: requests of one trace, each from a span of its own,
# served at once by one nginx worker (an event loop) that forwards the
# caller's traceparent upstream.  Each upstream call is the child of its
# own request's server span, told apart by the caller's span id in the
# forwarded header (the old build took the first request of the trace it
# found: the sibling's, for about half of them).  And a B3 fan-out the same
# way.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

PB=$(free_port)
start_untraced "$T/b.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PN=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process off;" "
	server {
		listen 127.0.0.1:$PN;
		location / { proxy_pass http://127.0.0.1:$PB; }
	}"
OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" \
	OTEL_PROPAGATORS=tracecontext,b3multi OTEL_BSP_SCHEDULE_DELAY=100 \
	LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" >"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PN/status/204" && break
	sleep 0.05
done

# 4 rounds of 4 concurrent requests of one trace, each from its own span;
# the backend sleeps so that they overlap in nginx.
/usr/bin/python3 - "$PN" "$T" <<'PY'
import json, sys, threading, urllib.request
port, T = int(sys.argv[1]), sys.argv[2]
out = []
def one(fmt, trace, span, tag):
    h = {"traceparent": "00-%s-%s-01" % (trace, span)} if fmt == "w3c" else \
        {"X-B3-TraceId": trace, "X-B3-SpanId": span, "X-B3-Sampled": "1"}
    r = urllib.request.Request("http://127.0.0.1:%d/sleep/150?%s" % (port, tag), headers=h)
    urllib.request.urlopen(r).read()
    out.append((fmt, trace, span, tag))
for rnd in range(4):
    fmt = "w3c" if rnd < 2 else "b3"
    trace = "%032x" % (0x4bf92f3577b34da6a3ce929d0e0e4700 + rnd)
    ts = [threading.Thread(target=one, args=(fmt, trace, "%016x" % (0xa1 + 16 * rnd + i), "r%d-%d" % (rnd, i)))
          for i in range(4)]
    [t.start() for t in ts]; [t.join() for t in ts]
json.dump(out, open(T + "/sent.json", "w"))
PY
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
ss = [s for s in spans(T + "/spans-nginx.jsonl") if "/sleep/" in (s["attrs"].get("url.path") or s["attrs"].get("url.full", ""))]
srv = {s["attrs"]["url.query"]: s for s in ss if s["kind"] == "server"}
cli = [s for s in ss if s["kind"] == "client"]
sent = json.load(open(T + "/sent.json"))
assert len(srv) == 16 and len(cli) == 16, (len(srv), len(cli))
byid = {s["span"]: s for s in ss}
for fmt, trace, span, tag in sent:
    s = srv[tag]
    assert s["trace"] == trace and s["parent"] == span, (tag, s["parent"], span)
    mine = [c for c in cli if c["attrs"]["url.full"].endswith("?" + tag)]
    assert len(mine) == 1, (tag, len(mine))
    assert mine[0]["parent"] == s["span"], (tag, "linked to", byid.get(mine[0]["parent"], {}).get("attrs", {}).get("url.query"))
print("  4 x 4 concurrent requests of one trace (traceparent, then X-B3-*) through one nginx worker:"
      " each upstream call the child of its own request")
PY
