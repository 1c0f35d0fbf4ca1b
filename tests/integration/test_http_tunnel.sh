# CONNECT tunnels: curl -> a traced CONNECT proxy -> backend, plain HTTP
# through the tunnel (curl -p) and HTTPS.  After the proxy's 200 the
# connection is a tunnel both ways: the proxy's span is "CONNECT" alone,
# the bytes in the tunnel are never taken for requests of the proxy's
# (no span, no header rewritten), and the caller's context crosses the
# tunnel untouched: the backend's span is the child of curl's.
source "$(dirname "$0")/lib.sh"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "openssl cannot make a certificate"
PB=$(free_port)
start_traced backend "$T/b.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PT=$(free_port)
start_traced tlsbackend "$T/t.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PT" \
	--tls "$T/cert.pem" "$T/key.pem"
PP=$(free_port)
start_traced proxy "$T/p.log" /usr/bin/python3 "$ROOT/tests/integration/connect_proxy.py" "$PP" "$T/heads.log"

SVC=plain traced curl -sS -p -x "http://127.0.0.1:$PP" "http://127.0.0.1:$PB/headers?via=tunnel" >"$T/plain.json"
SVC=tls traced curl -sS -k -x "http://127.0.0.1:$PP" "https://127.0.0.1:$PT/headers?via=tls" >"$T/tls.json"
# An untraced client: the plain HTTP in its tunnel carries no context, so
# nothing would stop the proxy taking it for a request of its own (the
# old build injected a traceparent into it and made a client span).
curl -sS -p -x "http://127.0.0.1:$PP" "http://127.0.0.1:$PB/headers?via=untraced" >"$T/untraced.json"
wait_spans 6
sleep 0.3
stop_all

/usr/bin/python3 - "$T" "$PB" "$PT" <<PY
$SPANLIB
import json
T, PB, PT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ss = spans(T + "/spans-*.jsonl")
px = [s for s in ss if s["service"] == "proxy"]
assert len(px) == 3 and all(s["kind"] == "server" and s["name"] == "CONNECT" for s in px), \
    [(s["kind"], s["name"], s["attrs"].get("url.path")) for s in px]
assert all("url.path" not in s["attrs"] and s["attrs"]["http.response.status_code"] == 200 for s in px), px
print("  the proxy: one SERVER span per tunnel, named CONNECT, no url.path; nothing for the bytes inside")
c = one(ss, service="plain", kind="client")
b = one(ss, service="backend", kind="server", attr_url__query="via=tunnel")
child_of(b, c)
got = [v for k, v in json.load(open(T + "/plain.json")) if k.lower() == "traceparent"]
assert got == ["00-%s-%s-01" % (c["trace"], c["span"])], got
assert b["attrs"]["url.query"] == "via=tunnel", b["attrs"]
print("  plain HTTP through the tunnel: curl's traceparent arrives as curl sent it, backend span its child")
c = one(ss, service="tls", kind="client")
got = [v for k, v in json.load(open(T + "/tls.json")) if k.lower() == "traceparent"]
assert got == ["00-%s-%s-01" % (c["trace"], c["span"])], got
assert not [s for s in ss if s["service"] == "tlsbackend"], "the TLS backend's socket layer saw only ciphertext"
print("  HTTPS through the tunnel: the TLS bytes intact, curl's traceparent inside them")
got = [v for k, v in json.load(open(T + "/untraced.json")) if k.lower() == "traceparent"]
assert got == [], got
print("  an untraced client's plain HTTP through the tunnel: nothing injected, no client span of the proxy's")
heads = open(T + "/heads.log", "rb").read()
assert heads.count(b"CONNECT ") == 3, heads
PY
