# Issue 3 acceptance 1, 5, 7, 8: python3 http.server (threaded) called by
# curl and by python urllib, everything preloaded: client and server spans
# in one trace with the right parents and attributes; an existing
# traceparent is never duplicated; incoming context from an untraced caller
# is continued and an invalid one starts a new trace; 5xx is an error on
# both sides with an integer status code.
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
SCHEDULE_DELAY=50 start_traced pyserver "$T/server.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
URL="http://127.0.0.1:$PORT"

# 1. curl -> server: the server received exactly one traceparent, ours.
SVC=curl traced curl -sS "$URL/headers?x=1" -A "ts-test/1.0" >"$T/h1.json"
# 2. urllib -> server
SVC=urllib traced python3 -c "import urllib.request as u; print(u.urlopen('$URL/headers').read().decode())" >"$T/h2.json"
# 3. 5xx
SVC=curl5 traced curl -sS -o /dev/null -w '%{http_code}\n' "$URL/status/503" >"$T/code"
# 4. an untraced caller's traceparent is continued; an invalid one is not
curl -sS -o /dev/null -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' "$URL/status/200?up=1"
curl -sS -o /dev/null -H 'traceparent: 00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01' "$URL/status/200?up=2"
# 5. a traced curl whose request already carries a traceparent of another trace
SVC=curlown traced curl -sS -H 'TraceParent: 00-11111111111111111111111111111111-2222222222222222-01' "$URL/headers" >"$T/h3.json"
# 6. a response without Content-Length, delimited by the server closing
SVC=curlclose traced curl -sS "$URL/nolength" >"$T/nolength.out"
# 7. handlers that spawn a process (python's subprocess uses vfork: the
# child closes and dups descriptors on the server's memory), three
# requests on one connection, the first calling on after spawning
SVC=curlspawn traced curl -sS "$URL/spawn?url=$URL/status/200%3Fvia%3Dspawn" "$URL/spawn" "$URL/spawn" >"$T/spawn.out"
wait_spans 19
stop_all

[ "$(cat "$T/code")" = 503 ] || fail "503 expected"
/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
def got_tp(path):
    return [v for k, v in json.load(open(path)) if k.lower() == "traceparent"]

# curl -> server
c = one(ss, service="curl", kind="client")
s = one(ss, service="pyserver", kind="server", attr_url__query="x=1")
child_of(s, c)
inside(s, c)
assert c["parent"] == "", "curl's span is a root"
tp = got_tp(T + "/h1.json")
assert tp == ["00-%s-%s-01" % (c["trace"], c["span"])], tp
for k, v in {"http.request.method": "GET", "url.path": "/headers", "url.scheme": "http",
             "http.response.status_code": 200, "network.protocol.version": "1.1",
             "server.address": "127.0.0.1", "user_agent.original": "ts-test/1.0"}.items():
    assert s["attrs"].get(k) == v, (k, s["attrs"].get(k))
assert s["attrs"]["client.address"] == "127.0.0.1"
assert isinstance(s["attrs"]["network.peer.port"], int)
assert s["name"] == "GET /headers", s["name"]
assert c["attrs"]["http.response.status_code"] == 200 and c["attrs"]["server.port"] == int("$PORT")
print("  curl -> python server: one trace, parent ok, attributes ok")

# urllib -> server
c = one(ss, service="urllib", kind="client")
s = [x for x in ss if x["service"] == "pyserver" and x["parent"] == c["span"]]
assert len(s) == 1, s
inside(s[0], c)
assert got_tp(T + "/h2.json") == ["00-%s-%s-01" % (c["trace"], c["span"])]
print("  urllib -> python server: one trace")

# 5xx: error on both sides, integer status
c = one(ss, service="curl5", kind="client")
s = one(ss, service="pyserver", kind="server", attr_url__path="/status/503")
child_of(s, c)
for x in (c, s):
    assert x["status"] == 2 and x["attrs"]["http.response.status_code"] == 503, x
    assert [a for a in x["raw_attrs"] if a["key"] == "http.response.status_code"][0]["value"] == {"intValue": "503"}
print("  503: ERROR on both sides, status code an integer")

# incoming context from an untraced caller
s = one(ss, service="pyserver", attr_url__query="up=1")
assert s["trace"] == "0af7651916cd43dd8448eb211c80319c" and s["parent"] == "b7ad6b7169203331", s
s = one(ss, service="pyserver", attr_url__query="up=2")
assert s["trace"] != "0af7651916cd43dd8448eb211c80319c" and s["parent"] == "", "invalid traceparent must start a new trace"
print("  untraced caller's context continued; invalid one starts a new trace")

# the program's own traceparent: untouched, not duplicated, no client span
assert got_tp(T + "/h3.json") == ["00-11111111111111111111111111111111-2222222222222222-01"], got_tp(T + "/h3.json")
assert not [x for x in ss if x["service"] == "curlown" and x["kind"] == "client"]
print("  existing traceparent kept once, no client span")

# close-delimited response: both spans end, status 200, body counted
c = one(ss, service="curlclose", kind="client")
s = one(ss, service="pyserver", kind="server", attr_url__path="/nolength")
child_of(s, c)
inside(s, c)
n = len(open(T + "/nolength.out", "rb").read())
assert c["status"] == 0 and s["status"] == 0, (c["status"], s["status"])
assert c["attrs"]["http.response.body.size"] == n == s["attrs"]["http.response.body.size"], (n, c["attrs"], s["attrs"])
print("  response delimited by close: both spans complete, %d body bytes on both sides" % n)

# spawning handlers: every request on the connection traced and linked
cs = sorted([x for x in ss if x["service"] == "curlspawn"], key=lambda x: x["start"])
sv = sorted([x for x in ss if x["service"] == "pyserver" and x["kind"] == "server" and x["attrs"]["url.path"] == "/spawn"],
            key=lambda x: x["start"])
assert len(cs) == 3 and len(sv) == 3, (len(cs), len(sv))
for c, s in zip(cs, sv):
    child_of(s, c)
    inside(s, c)
    assert s["attrs"]["http.response.status_code"] == 200 and s["status"] == 0, s
down = one(ss, service="pyserver", kind="client")
child_of(down, sv[0])
child_of(one(ss, service="pyserver", kind="server", attr_url__query="via=spawn"), down)
print("  handlers spawning /bin/true (vfork): 3 requests on one connection, 3 linked server spans,"
      " the call made after spawning linked too")
PY
