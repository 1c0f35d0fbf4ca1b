# Issue 4 acceptance 1, 2, 4 and redirects: the curl CLI (unmodified,
# libcurl hooked) against a traced python server over HTTP and over HTTPS
# with a self-signed certificate.  One CLIENT span per request with the
# right url.full and status, the server receives exactly one traceparent
# (ours, injected above TLS for HTTPS), --parallel (multi API) makes one
# span per transfer with its own status and timing, refused and timed-out
# transfers are ERROR spans named by their CURLcode, and a followed
# redirect chain is one span per request, each with its own traceparent;
# a chunked upload's request body size is its payload's, on both sides.
source "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "openssl cannot make a certificate"
PORT=$(free_port)
SPORT=$(free_port)
DEAD=$(free_port)
SCHEDULE_DELAY=50 start_traced pyserver "$T/server.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
SCHEDULE_DELAY=50 start_traced pytls "$T/tls.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$SPORT" \
	--tls "$T/cert.pem" "$T/key.pem"
URL="http://127.0.0.1:$PORT"

# 1. plain HTTP, with credentials and a signed query to redact
SVC=curl traced curl -sS "http://alice:s3cret@127.0.0.1:$PORT/headers?x=1&Signature=abc" >"$T/h1.json"
# 2. HTTPS, self-signed (-k): the socket layer sees only ciphertext
SVC=curltls traced curl -sS -k "https://127.0.0.1:$SPORT/headers?tls=1" >"$T/h2.json"
# 3. --parallel: 10 transfers through the multi API
PAR=()
for i in 0 1 2 3 4; do PAR+=("$URL/sleep/$((100 + 100 * i))?p=$i"); done
for c in 200 201 404 500 503; do PAR+=("$URL/status/$c?p=$c"); done
START=$(now_ms)
SVC=curlpar traced curl -sS --parallel --parallel-immediate -o /dev/null -o /dev/null -o /dev/null \
	-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null "${PAR[@]}"
WALL=$(($(now_ms) - START))
# 4. refused, and timed out
SVC=curlref traced curl -sS "http://127.0.0.1:$DEAD/" 2>/dev/null && fail "connection to a closed port succeeded"
SVC=curltmo traced curl -sS -m 0.5 "$URL/sleep/3000" 2>/dev/null && fail "the transfer did not time out"
# ... and failing on an HTTP error (-f): the CURLcode is the error.type
SVC=curlfail traced curl -sS -f "$URL/status/404" 2>/dev/null && fail "-f on a 404 succeeded"
# 5. a followed redirect chain: 302, 302, 200
SVC=curlredir traced curl -sS -L "$URL/redirect/2" >"$T/redir.out"
# 6. the program's own traceparent: left alone, no span of ours
SVC=curlown traced curl -sS -H 'traceparent: 00-11111111111111111111111111111111-2222222222222222-01' \
	"$URL/headers?own=1" >"$T/h3.json"
# 7. every propagation format configured: each header once, our ids
SVC=curlfmt OTEL_PROPAGATORS=tracecontext,baggage,b3,b3multi,jaeger traced curl -sS "$URL/headers?fmt=1" >"$T/h4.json"
# 8. uploads sent chunked: a POST of a known size, a PUT from stdin
head -c 100000 /dev/urandom >"$T/up.bin"
SVC=curlup traced curl -sS -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.bin" \
	"$URL/len?chunked=1" >"$T/up1.out"
SVC=curlput traced curl -sS -T - "$URL/len?put=1" <"$T/up.bin" >"$T/up2.out"
# 7. user_agent.original: curl's own, -A, a header line, one removed
SVC=curlua0 traced curl -sS -o /dev/null "$URL/headers?ua=0"
SVC=curlua1 traced curl -sS -o /dev/null -A 'myagent/1' "$URL/headers?ua=1"
SVC=curlua2 traced curl -sS -o /dev/null -A 'myagent/1' -H 'User-Agent: hdr/2' "$URL/headers?ua=2"
SVC=curlua3 traced curl -sS -o /dev/null -H 'User-Agent:' "$URL/headers?ua=3"
wait_spans 41 # the timed-out request's server span ends 3 s in
stop_all

grep -q arrived "$T/redir.out" || fail "redirect chain did not arrive"
/usr/bin/python3 - "$T" "$PORT" "$SPORT" "$DEAD" "$WALL" <<PY
$SPANLIB
import json
T, PORT, SPORT, DEAD, WALL = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ss = spans(T + "/spans-*.jsonl")
for x in ss:
    keys = [a["key"] for a in x["raw_attrs"]]
    assert len(keys) == len(set(keys)), ("an attribute twice", x["service"], keys)
def got_tp(path):
    return [v for k, v in json.load(open(path)) if k.lower() == "traceparent"]
def only(svc):
    return [s for s in ss if s["service"] == svc]

# 1. HTTP: one client span, exactly one traceparent (ours), server span its child
c, = only("curl")
assert c["kind"] == "client" and c["name"] == "GET", c
a = c["attrs"]
assert a["url.full"] == "http://REDACTED:REDACTED@127.0.0.1:%d/headers?x=1&Signature=REDACTED" % PORT, a["url.full"]
for k, v in {"http.request.method": "GET", "http.response.status_code": 200, "server.address": "127.0.0.1",
             "server.port": PORT, "network.protocol.version": "1.1", "network.peer.address": "127.0.0.1",
             "network.peer.port": PORT}.items():
    assert a.get(k) == v, (k, a.get(k))
assert c["status"] == 0 and "resend_count" not in str(a)
assert got_tp(T + "/h1.json") == ["00-%s-%s-01" % (c["trace"], c["span"])], got_tp(T + "/h1.json")
# The server's url.query is redacted too (privacy by default).
s = one(ss, service="pyserver", attr_url__query="x=1&Signature=REDACTED")
child_of(s, c)
inside(s, c)
print("  http: one client span, url.full redacted, one traceparent, server span its child")

# 2. HTTPS: the same above TLS
c, = only("curltls")
assert c["attrs"]["url.full"] == "https://127.0.0.1:%d/headers?tls=1" % SPORT, c["attrs"]
assert c["attrs"]["http.response.status_code"] == 200 and c["attrs"]["server.port"] == SPORT
assert got_tp(T + "/h2.json") == ["00-%s-%s-01" % (c["trace"], c["span"])], got_tp(T + "/h2.json")
assert not only("pytls"), "the TLS server's socket layer saw only ciphertext: no span"
print("  https (-k): one client span, the server got our traceparent")

# 3. --parallel: 10 spans, statuses and timings right, run concurrently
par = only("curlpar")
assert len(par) == 10 and all(p["kind"] == "client" for p in par), [(p["name"], p["attrs"].get("url.full")) for p in par]
for p in par:
    url = p["attrs"]["url.full"]
    q = url.split("?p=")[1]
    srv = one(ss, service="pyserver", attr_url__query="p=" + q)
    child_of(srv, p)
    inside(srv, p)
    if "/sleep/" in url:
        ms = int(url.split("/sleep/")[1].split("?")[0])
        assert p["attrs"]["http.response.status_code"] == 200 and p["status"] == 0
        assert p["end"] - p["start"] >= ms * 1000000, (url, p["end"] - p["start"])
        assert p["end"] - p["start"] < (ms + 3000) * 1000000, (url, p["end"] - p["start"])
    else:
        code = int(q)
        assert p["attrs"]["http.response.status_code"] == code, (url, p["attrs"])
        assert p["status"] == (2 if code >= 400 else 0), (url, p["status"])
        if code >= 400:
            assert p["attrs"]["error.type"] == str(code)
traces = {p["trace"] for p in par}
assert len(traces) == 10, "each transfer is its own trace"
first_end = min(p["end"] for p in par)
last_start = max(p["start"] for p in par)
assert last_start < first_end, "the parallel transfers overlap"
assert WALL < 1500, "the sleeps (1.5 s in all) ran concurrently: %d ms" % WALL
print("  --parallel: 10 spans, each containing its server span, statuses and durations right, overlapping")

# 4. refused and timed out
c, = only("curlref")
assert c["status"] == 2 and c["attrs"]["error.type"] == "CURLE_COULDNT_CONNECT", c["attrs"]
assert c["attrs"]["url.full"] == "http://127.0.0.1:%d/" % DEAD and "http.response.status_code" not in c["attrs"]
c, = only("curltmo")
assert c["status"] == 2 and c["attrs"]["error.type"] == "CURLE_OPERATION_TIMEDOUT", c["attrs"]
assert 400e6 <= c["end"] - c["start"] < 2000e6, c["end"] - c["start"]
c, = only("curlfail")
assert c["status"] == 2 and c["attrs"]["error.type"] == "CURLE_HTTP_RETURNED_ERROR", c["attrs"]
assert c["attrs"]["http.response.status_code"] == 404
print("  refused: CURLE_COULDNT_CONNECT; timeout: CURLE_OPERATION_TIMEDOUT; -f on 404: CURLE_HTTP_RETURNED_ERROR")

# 5. redirects: one span per request, siblings in one trace, each with its
#    own traceparent (the server span of each hop is its child)
hops = sorted(only("curlredir"), key=lambda s: s["start"])
assert [h["attrs"]["http.response.status_code"] for h in hops] == [302, 302, 200], [h["attrs"] for h in hops]
assert [h["attrs"].get("http.request.resend_count") for h in hops] == [None, 1, 2]
assert [h["attrs"]["url.full"] for h in hops] == ["http://127.0.0.1:%d/redirect/%d" % (PORT, n) for n in (2, 1, 0)]
assert len({h["trace"] for h in hops}) == 1 and all(h["parent"] == "" for h in hops)
for n, h in zip((2, 1, 0), hops):
    child_of(one(ss, service="pyserver", attr_url__path="/redirect/%d" % n), h)
for a, b in zip(hops, hops[1:]):
    assert a["end"] <= b["start"], "attempts follow each other"
print("  redirect chain: 3 spans (302, 302, 200), resend_count 1 and 2, each server hop the child of its own span")

# 7. formats
c, = only("curlfmt")
got = {}
for k, v in json.load(open(T + "/h4.json")):
    got.setdefault(k.lower(), []).append(v)
t, sp = c["trace"], c["span"]
for k, v in {"traceparent": "00-%s-%s-01" % (t, sp), "b3": "%s-%s-1" % (t, sp), "x-b3-traceid": t,
             "x-b3-spanid": sp, "x-b3-sampled": "1"}.items():
    assert got.get(k) == [v], (k, got.get(k))
assert len(got.get("uber-trace-id", [])) == 1 and got["uber-trace-id"][0].startswith("%s:%s:" % (t, sp)), got
child_of(one(ss, service="pyserver", attr_url__query="fmt=1"), c)
print("  OTEL_PROPAGATORS=tracecontext,baggage,b3,b3multi,jaeger: every header once, with our span's ids")

# 8. chunked uploads: the payload's size on both sides, or none on the
#    client when libcurl counted the chunks' framing and knew no size
assert open(T + "/up1.out").read() == "100000" and open(T + "/up2.out").read() == "100000"
c, = only("curlup")
s = one(ss, service="pyserver", attr_url__query="chunked=1")
child_of(s, c)
assert c["attrs"].get("http.request.body.size") == 100000, c["attrs"]
assert s["attrs"].get("http.request.body.size") == 100000, s["attrs"]
c, = only("curlput")
s = one(ss, service="pyserver", attr_url__query="put=1")
child_of(s, c)
assert "http.request.body.size" not in c["attrs"], c["attrs"]
assert s["attrs"].get("http.request.body.size") == 100000, s["attrs"]
print("  chunked uploads: POST of 100000 bytes counted 100000 on both sides; PUT from stdin: the server's 100000, no client figure")

# 6. own traceparent
assert got_tp(T + "/h3.json") == ["00-11111111111111111111111111111111-2222222222222222-01"], got_tp(T + "/h3.json")
assert not only("curlown")
print("  the program's own traceparent: sent once, unchanged, no span of ours")

# 7. user_agent.original, as the server received it
import subprocess
ver = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
for i, want in enumerate(["curl/" + ver, "myagent/1", "hdr/2", None]):
    c, = only("curlua%d" % i)
    s = one(ss, service="pyserver", attr_url__query="ua=%d" % i)
    assert c["attrs"].get("user_agent.original") == want == s["attrs"].get("user_agent.original"), \
        (i, want, c["attrs"], s["attrs"])
print("  user_agent.original on curl's spans: its own, -A, a User-Agent line over -A, none when removed")
PY
