# Issue 6, Jaeger: real traced programs (curl -> python3 http.server, both
# preloaded) export with OTEL_TRACES_EXPORTER=jaeger,file to a stand-in
# agent on a loopback UDP port.  Every datagram decodes with the code
# Apache Thrift generates from the published Jaeger IDL (both the Python
# and the C-accelerated decoder), and the Jaeger spans equal the file
# exporter's span by span: ids (traceIdHigh/Low against the W3C
# traceparent the server received), parent links and references,
# operation names, kinds, times, attributes with their types, status and
# error tags, scope tags, and the resource as the process.  Then the agent
# reached as "localhost" and over IPv6.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jaegerlib.sh"

start_agent v4
A4=$AGENT_PORT
PORT=$(free_port)
# The server exports to the agent too: its spans go through `env`, which
# sets the variables start_traced would otherwise override.
SCHEDULE_DELAY=50 start_traced pyserver "$T/server.log" env OTEL_TRACES_EXPORTER=jaeger,file \
	OTEL_EXPORTER_JAEGER_AGENT_HOST=127.0.0.1 OTEL_EXPORTER_JAEGER_AGENT_PORT="$A4" \
	python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
SERVER=$LAST_PID
URL="http://127.0.0.1:$PORT"

jtraced curl curl -sS "$URL/headers?x=1" -A "ts-jaeger/1.0" >"$T/h1.json"
jtraced curl5 curl -sS -o /dev/null -w '%{http_code}\n' "$URL/status/503" >"$T/code"
# A caller's context with a tracestate: the server span carries it.
curl -sS -o /dev/null -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
	-H 'tracestate: rojo=00f067aa0ba902b7' "$URL/status/200?up=1"
# The agent's host as a name, and over IPv6.
AGENT_HOST=localhost jtraced curlname curl -sS -o /dev/null "$URL/status/204"
start_agent v6 --v6
A6=$AGENT_PORT
AGENT_HOST='[::1]' jtraced curl6 curl -sS -o /dev/null "$URL/status/201"
AGENT_PORT=$A4

[ "$(cat "$T/code")" = 503 ] || fail "503 expected"
wait_spans 9
# The server's last spans leave at its exit.
kill -TERM "$SERVER"
wait "$SERVER" 2>/dev/null || true
nfile=$(cat "$T"/spans-*.jsonl | grep -o '"spanId"' | wc -l)
wait_jaeger_spans "$nfile" "$T/agent-v4.bin" "$T/agent-v6.bin"

/usr/bin/python3 - "$T" "$PORT" <<PY
$JAEGERLIB
import json
T, PORT = sys.argv[1], int(sys.argv[2])
ss = spans(T + "/spans-*.jsonl")
js4 = jaegerlib.spans(T + "/agent-v4.bin")
js6 = jaegerlib.spans(T + "/agent-v6.bin")
js = js4 + js6
by = {j["span"]: j for j in js}
assert len(by) == len(js), "a span was exported twice"
assert set(by) == {s["span"] for s in ss}, (sorted(by), sorted(s["span"] for s in ss))
assert {j["service"] for j in js6} == {"curl6"}, {j["service"] for j in js6}
assert "curl6" not in {j["service"] for j in js4}
print("  %d spans in %d datagrams (IPv4) + %d (IPv6), each once, the same set as the file" % (
    len(js), len(jaegerlib.datagrams(T + "/agent-v4.bin")), len(jaegerlib.datagrams(T + "/agent-v6.bin"))))

# Resources from the file, per process: the Jaeger process must match.
res = {}
import glob
for path in glob.glob(T + "/spans-*.jsonl"):
    for line in open(path):
        for rs in json.loads(line)["resourceSpans"]:
            attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
            res[int(attrs["process.pid"]["intValue"])] = attrs

def expect_tag(v):
    (k, x), = v.items()
    if k == "intValue":
        return ("LONG", int(x))
    if k == "boolValue":
        return ("BOOL", x)
    if k == "arrayValue":
        return ("STRING", json.dumps([e["stringValue"] for e in x["values"]], separators=(",", ":")))
    return ("STRING", x)

for s in ss:
    j = by[s["span"]]
    for k in ("trace", "parent", "name", "kind", "service", "pid"):
        assert j[k] == s[k], (k, j[k], s[k])
    assert j["start_us"] == s["start"] // 1000, (j["start_us"], s["start"])
    assert j["start_us"] + j["duration_us"] == s["end"] // 1000
    assert j["flags"] == 1
    assert j["references"] == ([(0, s["trace"], s["parent"])] if s["parent"] else []), j["references"]
    # Attributes: same keys, values and types.
    want = {a["key"]: expect_tag(a["value"]) for a in s["raw_attrs"]}
    got = {k: v for k, v in j["tags"].items() if k not in jaegerlib.MAPPED}
    assert got == want, (s["name"], got, want)
    t = j["tags"]
    assert t["span.kind"] == ("STRING", s["kind"]), t.get("span.kind")
    if s["status"] == 2:
        assert t["otel.status_code"] == ("STRING", "ERROR") and t["error"] == ("BOOL", True), t
    elif s["status"] == 1:
        assert t["otel.status_code"] == ("STRING", "OK") and "error" not in t
    else:
        assert "otel.status_code" not in t and "error" not in t, t
    assert t["otel.scope.name"] == t["otel.library.name"] == ("STRING", "traceshim")
    assert t["otel.scope.version"] == t["otel.library.version"]
    # The process is the resource: service.name as serviceName, the rest as tags.
    r = res[s["pid"]]
    assert j["service"] == r["service.name"]["stringValue"]
    assert j["process"] == {k: expect_tag(v) for k, v in r.items() if k != "service.name"}, (j["process"], r)
print("  every span equal to the file's: ids, parents, references, names, kinds, times (us), "
      "typed attributes, status, scope, process")

# curl -> server: the traceparent the server received names the curl span,
# and traceIdHigh/Low are the two halves of its trace id.
c = one(js, service="curl", kind="client")
sv = [j for j in js if j["service"] == "pyserver" and j["parent"] == c["span"]]
assert len(sv) == 1, sv
sv = sv[0]
tp = [v for k, v in json.load(open(T + "/h1.json")) if k.lower() == "traceparent"]
assert tp == ["00-%s-%s-01" % (c["trace"], c["span"])], tp
assert sv["trace"] == c["trace"] and c["parent"] == "" and c["references"] == []
assert sv["start_us"] >= c["start_us"] and sv["start_us"] + sv["duration_us"] <= c["start_us"] + c["duration_us"]
assert sv["name"] == "GET /headers" and sv["tags"]["url.query"] == ("STRING", "x=1")
assert sv["tags"]["http.response.status_code"] == ("LONG", 200)
assert sv["tags"]["user_agent.original"] == ("STRING", "ts-jaeger/1.0")
assert c["tags"]["server.port"] == ("LONG", PORT)
print("  curl -> server: traceparent %s = traceIdHigh/Low + client spanId; server span inside the client's" % tp[0])

# 503: ERROR on both sides.
c = one(js, service="curl5", kind="client")
sv = [j for j in js if j["service"] == "pyserver" and j["parent"] == c["span"]][0]
for x in (c, sv):
    assert x["tags"]["otel.status_code"] == ("STRING", "ERROR") and x["tags"]["error"] == ("BOOL", True), x["tags"]
    assert x["tags"]["http.response.status_code"] == ("LONG", 503)
print("  503: otel.status_code=ERROR and error=true on both sides")

# The untraced caller's context and tracestate.
sv = [j for j in js if j["tags"].get("url.query") == ("STRING", "up=1")][0]
assert sv["trace"] == "0af7651916cd43dd8448eb211c80319c" and sv["parent"] == "b7ad6b7169203331"
assert sv["references"] == [(0, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")]
assert sv["tags"]["w3c.tracestate"] == ("STRING", "rojo=00f067aa0ba902b7"), sv["tags"]
print("  remote parent as parentSpanId and CHILD_OF; tracestate as w3c.tracestate")

# Each process numbers its messages from 0.
for pid in {j["pid"] for j in js}:
    seqs = sorted({j["seqid"] for j in js if j["pid"] == pid})
    assert seqs == list(range(len(seqs))), (pid, seqs)
print("  agent reached by name (localhost) and over IPv6; message seqids 0.. per process")
PY
