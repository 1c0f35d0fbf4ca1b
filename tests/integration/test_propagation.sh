# Issue 7 acceptance 1 and 2: propagation formats end to end.
#  - The W3C trace-context test suite's cases (tests/integration/
#    w3c_harness.py, the suite's protocol: the harness calls a service
#    that calls the harness back) against an unmodified python server
#    under the shim with the default propagators.
#  - Each other format from an untraced caller continues the trace with
#    the right ids (64-bit B3 / Jaeger ids padded to 128 bits), and a
#    service configured with every format injects them all, consistent
#    with traceparent, with the caller's baggage.
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
SCHEDULE_DELAY=50 start_traced w3c "$T/w3c.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
/usr/bin/python3 "$ROOT/tests/integration/w3c_harness.py" "http://127.0.0.1:$PORT/call" >"$T/w3c.out" 2>&1 ||
	{ cat "$T/w3c.out"; fail "W3C trace-context cases failed"; }
note "$(tail -1 "$T/w3c.out")"
stop_all

# Every format: the service extracts from the untraced caller's headers and
# injects all formats into its own call to the recorder.
PORT=$(free_port)
OTEL_PROPAGATORS=tracecontext,baggage,b3,b3multi,jaeger SCHEDULE_DELAY=50 \
	start_traced all "$T/all.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
/usr/bin/python3 - "$PORT" "$T" <<'PY'
import http.client, http.server, json, sys, threading, urllib.parse
port, T = int(sys.argv[1]), sys.argv[2]
got = {}
class CB(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        got[self.path] = [[k, v] for k, v in self.headers.items()]
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
cb = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CB)
threading.Thread(target=cb.serve_forever, daemon=True).start()
cases = {
    "b3single": [["b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"]],
    "b3single64": [["b3", "463ac35c9f6413ad-a2fb4a1d1a96d312-d"]],
    "b3multi": [["X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124"],
                ["X-B3-SpanId", "0020000000000001"], ["X-B3-Sampled", "1"]],
    "jaeger": [["uber-trace-id", "3f2a:9c1:0:1"], ["uberctx-tenant", "acme"]],
    "w3c": [["traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
            ["tracestate", "congo=t61rcWkgMzE"], ["baggage", "userId=alice,isProduction=false"]],
}
for name, hs in cases.items():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("GET", "/call?case=%s&url=%s" % (name, urllib.parse.quote(
        "http://127.0.0.1:%d/cb/%s" % (cb.server_address[1], name), safe="")))
    for k, v in hs:
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse(); r.read(); c.close()
    assert r.status == 200, (name, r.status)
json.dump(got, open(T + "/callbacks.json", "w"))
PY
wait_spans 10 all # a server and a client span per case
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
ss = spans(T + "/spans-all.jsonl")
got = json.load(open(T + "/callbacks.json"))
def hdr(h, name):
    v = [x for k, x in h if k.lower() == name.lower()]
    assert len(v) <= 1, (name, v)
    return v[0] if v else None

want = {  # case: (trace id, parent span id, sampled, debug)
    "b3single": ("80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1", True, False),
    "b3single64": ("0000000000000000463ac35c9f6413ad", "a2fb4a1d1a96d312", True, True),
    "b3multi": ("463ac35c9f6413ad48485a3953bb6124", "0020000000000001", True, False),
    "jaeger": ("00000000000000000000000000003f2a", "00000000000009c1", True, False),
    "w3c": ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", True, False),
}
for case, (trace, parent, sampled, debug) in want.items():
    srv = [s for s in ss if s["kind"] == "server" and
           s["attrs"].get("url.query", "").startswith("case=%s&" % case)]
    assert len(srv) == 1, (case, len(srv))
    srv = srv[0]
    assert srv["trace"] == trace and srv["parent"] == parent, (case, srv["trace"], srv["parent"])
    cl = [s for s in ss if s["kind"] == "client" and s["parent"] == srv["span"]]
    assert len(cl) == 1, (case, cl)
    cl = cl[0]
    h = got["/cb/" + case]
    tp = hdr(h, "traceparent")
    assert tp == "00-%s-%s-%s" % (trace, cl["span"], "01" if sampled else "00"), (case, tp)
    short = trace[:16] == "0" * 16
    t16 = trace[16:] if short else trace
    assert hdr(h, "b3") == "%s-%s-%s" % (t16, cl["span"], "d" if debug else "1"), (case, hdr(h, "b3"))
    assert hdr(h, "X-B3-TraceId") == t16 and hdr(h, "X-B3-SpanId") == cl["span"], case
    if debug:
        assert hdr(h, "X-B3-Flags") == "1" and hdr(h, "X-B3-Sampled") is None, case
    else:
        assert hdr(h, "X-B3-Sampled") == "1", case
    assert hdr(h, "uber-trace-id") == "%s:%s:0:%s" % (t16, cl["span"], "3" if debug else "1"), \
        (case, hdr(h, "uber-trace-id"))
    print("  %s: continued (trace %s, parent %s), all formats injected with the client span's ids"
          % (case, trace, parent))
w3c = got["/cb/w3c"]
assert hdr(w3c, "tracestate") == "congo=t61rcWkgMzE", w3c
assert hdr(w3c, "baggage") == "userId=alice,isProduction=false", w3c
assert hdr(w3c, "uberctx-userId") == "alice" or hdr(w3c, "uberctx-userid") == "alice", w3c
jg = got["/cb/jaeger"]
assert hdr(jg, "baggage") == "tenant=acme" and hdr(jg, "uberctx-tenant") == "acme", jg
assert hdr(got["/cb/b3single"], "baggage") is None
print("  tracestate and baggage (W3C and uberctx-*) carried to the outgoing call")
PY
