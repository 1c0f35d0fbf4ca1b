# Issue 5, scenario pubsub (seed 003): client (libcurl) -> server (epoll,
# HTTP) -> redis PUBLISH -> worker (SUBSCRIBE), against a real
# redis-server on a free port.  The HTTP part traces now: one trace per
# request, client -> server.  Redis spans come with a later issue; until
# then the RESP traffic of server and worker must pass through unchanged
# (the worker processes exactly the published jobs) and produce no HTTP
# span.  When Redis spans exist they may only hang below the server span
# (or start the worker's own traces); this test accepts them and keeps
# checking the HTTP tree.  Then: 20 requests, and redis stopped -> 503
# with the server span in error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
REDIS=$(command -v redis-server || echo /usr/bin/redis-server)
[ -x "$REDIS" ] || fail "redis-server is not installed (scripts/install-deps)"

CHECK=$(cat <<'PY'
def pubsub_traces(ss, n, client="client"):
    http = [s for s in ss if "http.request.method" in s["attrs"]]
    cs = sorted([s for s in http if s["service"] == client], key=lambda s: s["start"])
    assert len(cs) == n, (len(cs), n)
    for c in cs:
        assert c["kind"] == "client" and c["parent"] == "" and c["name"] == "GET /hello", c
        tr = [s for s in ss if s["trace"] == c["trace"]]
        srv = one(tr, service="server", kind="server")
        child_of(srv, c); inside(srv, c)
        by = {s["span"]: s for s in tr}
        for s in tr:
            if s is c or s is srv:
                continue
            assert "http.request.method" not in s["attrs"], s
            p = s
            while p["parent"] in by and by[p["parent"]] is not srv:
                p = by[p["parent"]]
            assert p["parent"] == srv["span"], ("a non-HTTP span outside the server's request", s)
    assert len(http) == 2 * n, [(s["service"], s["kind"], s["name"]) for s in http]
    return cs, len(ss) - len(http)
PY
)

# --- the demo -----------------------------------------------------------------
run_demo pubsub PUBSUB_PORT="$(free_port)" REDIS_PORT="$(free_port)" PUBSUB_REQUESTS=3
for i in 1 2 3; do
	grep -qx "hello: job $i published to 1 worker" "$T/demo-pubsub.out" || { cat "$T/demo-pubsub.out"; fail "job $i was not published to the worker"; }
	grep -q "worker: processed {\"job\":$i,\"path\":\"/hello\"" "$T/demo-pubsub.out" || { cat "$T/demo-pubsub.out"; fail "the worker did not process job $i"; }
done
[ "$(waterfall_rows "$T/demo-pubsub.out" | awk '$1 == "client" || $1 == "server"' | wc -l)" = 6 ] ||
	{ cat "$T/demo-pubsub.out"; fail "the waterfalls do not show 3 x client -> server"; }
/usr/bin/python3 - "$T/demo-pubsub/spans.jsonl" <<PY
$SPANLIB
$CHECK
cs, other = pubsub_traces(spans(sys.argv[1]), 3)
print("  demo: 3 jobs published and processed; 3 traces client -> server (%d Redis spans)" % other)
PY

# --- the services, directly -----------------------------------------------------
PR=$(free_port)
PS=$(free_port)
mkdir -p "$T/redis"
if [ -n "$SAN_RUNTIME" ]; then
	"$REDIS" --port "$PR" --bind 127.0.0.1 --save "" --appendonly no --dir "$T/redis" >"$T/redis.log" 2>&1 &
else # an unmodified redis-server under the shim: RESP only, passed through
	LD_PRELOAD="$PRELOAD" OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-redis.jsonl" \
		"$REDIS" --port "$PR" --bind 127.0.0.1 --save "" --appendonly no --dir "$T/redis" >"$T/redis.log" 2>&1 &
fi
RPID=$!
PIDS+=("$RPID")
for _ in $(seq 100); do
	listening "$PR" && break
	sleep 0.05
done
export REDIS_PORT=$PR PUBSUB_PORT=$PS
WORKER_DELAY_MS=1 start_traced worker "$T/worker.log" "$APPS/pubsub/worker"
start_traced server "$T/server.log" "$APPS/pubsub/server"
PUBSUB_REQUESTS=20 traced "$APPS/pubsub/client" >"$T/client.out" || fail "client: $(cat "$T/client.out")"
[ "$(grep -c '^hello: job [0-9]* published to 1 worker$' "$T/client.out")" = 20 ] || fail "client got: $(cat "$T/client.out")"
for _ in $(seq 100); do
	[ "$(grep -c '^worker: processed ' "$T/worker.log")" -ge 20 ] && break
	sleep 0.05
done
for i in $(seq 20); do
	grep -q "^worker: processed {\"job\":$i,\"path\":\"/hello\",\"published_ms\":[0-9]*} ($i so far)$" "$T/worker.log" ||
		fail "worker did not process job $i intact: $(cat "$T/worker.log")"
done
kill -TERM "$RPID"
wait "$RPID" || true
code=$(SVC=curl-down traced curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PS/hello")
[ "$code" = 503 ] || fail "redis down: the server answered $code"
wait_spans 42
stop_all
[ ! -s "$T/spans-redis.jsonl" ] || fail "redis-server (RESP only) produced spans"

/usr/bin/python3 - "$T" <<PY
$SPANLIB
$CHECK
T = sys.argv[1]
ss = [s for s in spans(T + "/spans-*.jsonl") if s["service"] != "curl-down"]
down = [s for s in spans(T + "/spans-*.jsonl") if s["service"] == "curl-down"]
srv_down = [s for s in ss if s["trace"] == down[0]["trace"]]
ss = [s for s in ss if s["trace"] != down[0]["trace"]]
cs, other = pubsub_traces(ss, 20)
assert len(srv_down) == 1 and srv_down[0]["attrs"]["http.response.status_code"] == 503 and srv_down[0]["status"] == 2, srv_down
print("  20 requests: 20 traces client -> server, 20 jobs processed intact (%d Redis spans); redis down: 503, span in error" % other)
PY
