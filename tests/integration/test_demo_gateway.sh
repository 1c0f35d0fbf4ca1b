# Issue 5, scenario gateway (seed 001): curl -> unmodified Debian nginx
# (generated config, keep-alive upstream) -> app (prefork workers, plain
# socket client) -> webservice (epoll), all under the shim: one trace of
# 6 spans.  The app forwards none of its caller's headers, yet the
# webservice receives the context of the app's client span: the shim put
# it there.  Everything speaks the seed's Jaeger format
# (OTEL_PROPAGATORS=jaeger): every hop carries uber-trace-id and no
# traceparent.  Then directly: 8 concurrent clients through nginx, 8
# traces of 6 spans, served by several app workers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"
JAEGER=1

CHECK=$(cat <<PY
import json
JAEGER = $JAEGER
def context_header(headers):
    """(trace, span) named by the one trace-context header received."""
    got = {k.lower(): v for k, v in headers.items() if k.lower() in ("traceparent", "uber-trace-id")}
    assert len(got) == 1, headers
    if JAEGER:
        assert "uber-trace-id" in got, "the Jaeger propagator exists but traceparent was sent: %s" % headers
    if "traceparent" in got:
        v, t, s, f = got["traceparent"].split("-")
        assert v == "00" and f == "01", got
        return t, s
    t, s, _, f = got["uber-trace-id"].split(":")
    return t.rjust(32, "0"), s.rjust(16, "0")

def gateway_tree(ss, c):
    tr = [s for s in ss if s["trace"] == c["trace"]]
    assert len(tr) == 6, [(s["service"], s["kind"]) for s in tr]
    ns = one(tr, service="nginx", kind="server")
    nc = one(tr, service="nginx", kind="client")
    a = one(tr, service="app", kind="server")
    ac = one(tr, service="app", kind="client")
    w = one(tr, service="webservice", kind="server")
    child_of(ns, c); child_of(nc, ns); child_of(a, nc); child_of(ac, a); child_of(w, ac)
    inside(ac, a); inside(w, ac)
    assert a["attrs"]["url.path"] == "/api/quote" and w["attrs"]["url.path"] == "/quote"
    return a, ac, w
PY
)

# --- the demo -----------------------------------------------------------------
run_demo gateway GATEWAY_PORT="$(free_port)" APP_PORT="$(free_port)" WEBSERVICE_PORT="$(free_port)"
grep '^{"app":"php-application"' "$T/demo-gateway.out" >"$T/answer" || { cat "$T/demo-gateway.out"; fail "no answer from the app"; }
waterfall_rows "$T/demo-gateway.out" | awk '{print $1, $(NF-3), $(NF-2)}' >"$T/got"
printf '%s\n' "curl client 200" "nginx server 200" "nginx client 200" "app server 200" "app client 200" \
	"webservice server 200" | diff - "$T/got" || { cat "$T/demo-gateway.out"; fail "the waterfall is not curl -> nginx -> app -> webservice"; }
note "demo: the app's answer and a 6-row waterfall curl -> nginx -> nginx client -> app -> app client -> webservice"
/usr/bin/python3 - "$T/demo-gateway/spans.jsonl" "$T/answer" <<PY
$SPANLIB
$CHECK
ss = spans(sys.argv[1])
a, ac, w = gateway_tree(ss, one(ss, service="curl", kind="client"))
ans = json.load(open(sys.argv[2]))
hdrs = ans["quote"]["headers"]
assert context_header(hdrs) == (ac["trace"], ac["span"]), (hdrs, ac)
assert sorted(k.lower() for k in hdrs) == sorted(["host", "user-agent", "accept", "traceparent" if "traceparent" in {k.lower() for k in hdrs} else "uber-trace-id"]), hdrs
print("  demo spans: one trace of 6; the webservice got the app's client span as its parent context (%s),"
      " though the app forwards no header" % ("uber-trace-id" if JAEGER else "traceparent"))
PY

# --- the services, directly -----------------------------------------------------
export OTEL_PROPAGATORS=jaeger
PW=$(free_port)
PA=$(free_port)
PG=$(free_port)
WEBSERVICE_PORT=$PW start_traced webservice "$T/w.log" "$APPS/gateway/webservice"
APP_PORT=$PA WEBSERVICE_PORT=$PW APP_WORKERS=3 start_traced app "$T/a.log" "$APPS/gateway/app"
conf=$(GATEWAY_PORT=$PG APP_PORT=$PA "$ROOT/testapps/gateway/nginx-conf" "$T/ngx")
OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" OTEL_BSP_SCHEDULE_DELAY=100 \
	LD_PRELOAD="$PRELOAD" "$NGINX" -c "$conf" -p "$T/ngx" >"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	listening "$PG" && break
	sleep 0.05
done
listening "$PG" || { cat "$T/nginx.log" "$T/ngx/error.log"; fail "nginx did not start"; }
pids=()
for i in $(seq 8); do
	SVC=curl-$i traced curl -sS -o "$T/out-$i" "http://127.0.0.1:$PG/api/quote?symbol=S$i" &
	pids+=("$!")
done
wait "${pids[@]}"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PG/api/quote?symbol=%3Cscript%3E")
[ "$code" = 400 ] || fail "a bad symbol answered $code"
wait_spans 51
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
$CHECK
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
workers = set()
for i in range(1, 9):
    a, ac, w = gateway_tree(ss, one(ss, service="curl-%d" % i, kind="client"))
    ans = json.load(open(T + "/out-%d" % i))
    assert ans["quote"]["symbol"] == "S%d" % i, ans
    assert context_header(ans["quote"]["headers"]) == (ac["trace"], ac["span"])
    assert ans["worker"] == a["pid"], (ans["worker"], a["pid"])
    workers.add(a["pid"])
assert len(workers) >= 2, "one app worker served everything: %s" % workers
print("  8 concurrent clients through nginx: 8 traces of 6 spans, %d app workers, each webservice call"
      " carrying its own app client span" % len(workers))
PY
