# Issue 3 acceptance 2 and 6: a three-hop chain (client -> threaded server
# that calls another server -> server) is one trace of 4 spans; a
# fork-per-request server whose children leave by _exit() delivers every
# span, and no id repeats.
source "$(dirname "$0")/lib.sh"

PB=$(free_port)
start_traced backend "$T/b.log" python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PA=$(free_port)
start_traced frontend "$T/a.log" python3 "$ROOT/tests/integration/pyserver.py" "$PA"
PF=$(free_port)
start_traced forking "$T/f.log" python3 "$ROOT/tests/integration/pyserver.py" "$PF" --forking

SVC=curl traced curl -sS "http://127.0.0.1:$PA/call?url=http://127.0.0.1:$PB/headers" >"$T/chain.out"
[ "$(cat "$T/chain.out")" = 200 ] || fail "chain answered $(cat "$T/chain.out")"
# Two requests in flight in the frontend at once: A calls the backend twice
# in a row (the first call slow); B starts and completes during A's first
# call.  A's second call must still find A as its parent.
SVC=curlA traced curl -sS "http://127.0.0.1:$PA/call?url=http://127.0.0.1:$PB/sleep/400&url=http://127.0.0.1:$PB/status/201" >"$T/a.out" &
apid=$!
sleep 0.15
SVC=curlB traced curl -sS "http://127.0.0.1:$PA/status/202" >/dev/null
wait "$apid"
[ "$(cat "$T/a.out")" = "200,201" ] || fail "A answered $(cat "$T/a.out")"
# 20 requests to the forking server, 4 at a time.
for i in $(seq 20); do
	SVC=fcurl traced curl -sS -o /dev/null "http://127.0.0.1:$PF/status/200?i=$i" &
	batch+=("$!")
	if [ $((i % 4)) = 0 ]; then
		wait "${batch[@]}"
		batch=()
	fi
done
wait_spans 52
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
c = one(ss, service="curl", kind="client")
a = one(ss, service="frontend", kind="server", parent=c["span"])
ac = one(ss, service="frontend", kind="client", parent=a["span"])
b = one(ss, service="backend", kind="server", parent=ac["span"])
assert a["attrs"]["url.path"] == "/call" and a["name"] == "GET /call", a["attrs"]
child_of(a, c); child_of(ac, a); child_of(b, ac)
inside(a, c); inside(ac, a); inside(b, ac)
assert len({s["trace"] for s in (c, a, ac, b)}) == 1
assert ac["attrs"]["server.port"] == int("$PB") and ac["name"] == "GET"
assert ac["attrs"]["url.full"] == "http://127.0.0.1:$PB/headers", ac["attrs"]
print("  curl -> frontend -> backend: one trace, 4 spans, parents and nesting right")

ca = one(ss, service="curlA", kind="client")
sa = [s for s in ss if s["service"] == "frontend" and s["kind"] == "server" and s["parent"] == ca["span"]]
assert len(sa) == 1, sa
calls = sorted([s for s in ss if s["service"] == "frontend" and s["kind"] == "client" and s["trace"] == ca["trace"]], key=lambda s: s["start"])
assert [c["attrs"]["url.full"].split("$PB")[1] for c in calls] == ["/sleep/400", "/status/201"], [c["attrs"] for c in calls]
# curl's span comes from its libcurl (hooks/curl.c): url.full, not path/query
assert ca["attrs"]["url.full"].startswith("http://127.0.0.1:$PA/call?url=http://"), ca["attrs"]
for c in calls:
    child_of(c, sa[0])
cb = one(ss, service="curlB", kind="client")
sb = one(ss, service="frontend", kind="server", parent=cb["span"])
assert sb["end"] < calls[1]["start"], "B did not complete during A's first call (test too weak)"
print("  two requests in flight: the second downstream call of A still links to A after B completed")

fc = [s for s in ss if s["service"] == "fcurl"]
fs = [s for s in ss if s["service"] == "forking"]
assert len(fc) == 20 and len(fs) == 20, (len(fc), len(fs))
for s in fs:
    p = [c for c in fc if c["span"] == s["parent"]]
    assert len(p) == 1 and p[0]["trace"] == s["trace"], s
    assert p[0]["attrs"]["url.full"].endswith("?" + s["attrs"]["url.query"]), (p[0]["attrs"], s["attrs"])
pids = {s["pid"] for s in fs}
assert len(pids) >= 2, "requests were not handled in forked children"
ids = [s["span"] for s in ss]
assert len(ids) == len(set(ids)), "a span id repeats"
print("  forking server: 20 of 20 server spans from %d processes, each child of its curl, no id repeats" % len(pids))
PY
