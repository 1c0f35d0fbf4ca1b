# Issue 5, scenario home (seed 002): one thread-per-connection server that
# calls itself.  /home streams "Request started", calls /async from a
# second thread it does not wait for, calls /service (which calls /db),
# then "Request done!".  The demo shows a 10-span tree: curl -> /home ->
# {/async client -> /async -> /db client -> /db, /service client ->
# /service -> /db client -> /db}; the /async branch is linked through the
# context the new thread inherited.  Then 4 concurrent /home requests:
# 4 such trees, none crossed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"

CHECK=$(cat <<'PY'
def home_tree(ss, c):
    tr = [s for s in ss if s["trace"] == c["trace"]]
    assert len(tr) == 10, [(s["kind"], s["name"]) for s in tr]
    h = one(tr, kind="server", name="GET /home")
    child_of(h, c)
    for branch in ("/async", "/service"):
        bc = one([c for c in tr if c["attrs"].get("url.full", "").endswith(branch)], kind="client")
        bs = one(tr, kind="server", attr_url__path=branch)
        child_of(bc, h); child_of(bs, bc)
        dc = [s for s in tr if s["kind"] == "client" and s["parent"] == bs["span"]]
        assert len(dc) == 1 and dc[0]["attrs"]["url.full"].endswith("/db"), dc
        ds = one(tr, kind="server", parent=dc[0]["span"])
        assert ds["attrs"]["url.path"] == "/db"
        inside(dc[0], bs); inside(ds, dc[0]); inside(bs, bc)
    inside(one([c for c in tr if c["attrs"].get("url.full", "").endswith("/service")], kind="client"), h)
    assert all(s["service"] == "home" for s in tr if s is not c)
    return h
PY
)

run_demo home HOME_PORT="$(free_port)" HOME_MAX_DELAY_MS=30
grep -qx 'Request started' "$T/demo-home.out" && grep -qx 'Request done!' "$T/demo-home.out" ||
	{ cat "$T/demo-home.out"; fail "the demo did not print the seed's answer"; }
[ "$(waterfall_rows "$T/demo-home.out" | wc -l)" = 10 ] || { cat "$T/demo-home.out"; fail "the waterfall does not have 10 rows"; }
note "demo: Request started / Request done! and a 10-row waterfall"
/usr/bin/python3 - "$T/demo-home/spans.jsonl" <<PY
$SPANLIB
$CHECK
ss = spans(sys.argv[1])
assert len(ss) == 10
home_tree(ss, one(ss, service="curl", kind="client"))
print("  demo spans: /home -> /async (second thread) and /service, each -> /db; parents and nesting right")
PY

PH=$(free_port)
HOME_PORT=$PH HOME_MAX_DELAY_MS=40 start_traced home "$T/home.log" "$APPS/home/home"
pids=()
for i in $(seq 4); do
	SVC=curl-$i traced curl -sS -D "$T/head-$i" -o "$T/out-$i" "http://127.0.0.1:$PH/home?i=$i" &
	pids+=("$!")
done
wait "${pids[@]}"
for i in $(seq 4); do
	[ "$(cat "$T/out-$i")" = "$(printf 'Request started\nRequest done!')" ] || fail "client $i got $(cat "$T/out-$i")"
	grep -qi '^transfer-encoding: chunked' "$T/head-$i" || fail "/home was not streamed chunked"
done
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PH/nothing")
[ "$code" = 404 ] || fail "/nothing answered $code"
wait_spans 41
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
$CHECK
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
for i in range(1, 5):
    h = home_tree(ss, one(ss, service="curl-%d" % i, kind="client"))
    assert h["attrs"]["url.query"] == "i=%d" % i
assert len(ss) == 41, len(ss)
print("  4 concurrent /home requests: 4 trees of 10 spans, none crossed")
PY
