# Issue 7 acceptance 3, 4 and 5, end to end with real programs:
#  - samplers: a caller at traceidratio 0 records nothing and its callee
#    (parentbased_always_on, the default) records nothing either, yet the
#    callee still gets the context, with flags 00; at ratio 0.25 a quarter
#    of 2000 requests are recorded, and caller and callee agree on which;
#  - span names stay low-cardinality: ids fold to {id}, TRACESHIM_ROUTES
#    templates win (and set http.route), url.path keeps the real path;
#  - privacy: credentials and signed-URL values never reach any exporter
#    (file, OTLP protobuf and JSON, Zipkin, Jaeger), TRACESHIM_PROPAGATE_TO
#    keeps our context away from other hosts.
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
SCHEDULE_DELAY=50 start_traced callee "$T/callee.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
URL="http://127.0.0.1:$PORT"

# --- 1. ratio 0 at the caller ------------------------------------------------
SVC=caller0 OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0 \
	traced python3 -c "import urllib.request as u; print(u.urlopen('$URL/headers?r=0').read().decode())" >"$T/h0.json"

# --- 2. ratio 0.25: 2000 requests on one keep-alive connection ---------------
SVC=caller25 OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.25 \
	traced python3 - "$PORT" >"$T/flags25" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(2000):
    c.request("GET", "/headers?q=%d" % i)
    h = dict((k.lower(), v) for k, v in json.loads(c.getresponse().read()))
    print(i, h["traceparent"])
PY
wait_spans 500 callee
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
callee = spans(T + "/spans-callee.jsonl")
got = [v for k, v in json.load(open(T + "/h0.json")) if k.lower() == "traceparent"]
assert len(got) == 1 and got[0].endswith("-00"), got
import os
assert not os.path.exists(T + "/spans-caller0.jsonl") or not spans(T + "/spans-caller0.jsonl")
assert not [s for s in callee if s["attrs"].get("url.query") == "r=0"], "the callee recorded an unsampled trace"
print("  ratio 0 at the caller: nothing recorded on either side, the callee still got the context (flags 00)")

sent = {}
for line in open(T + "/flags25"):
    i, tp = line.split()
    sent[int(i)] = tp
caller = spans(T + "/spans-caller25.jsonl")
sampled = {tp.split("-")[1] for tp in sent.values() if tp.endswith("-01")}
n = len(sampled)
assert 0.21 <= n / 2000 <= 0.29, n
assert {s["trace"] for s in caller} == sampled, "caller's spans are not the sampled traces"
mine = {s["trace"] for s in callee if s["attrs"].get("url.query", "").startswith("q=")}
assert mine == sampled, ("callee and caller disagree", len(mine), len(sampled))
print("  ratio 0.25: %d of 2000 requests sampled (%.3f); caller and callee recorded exactly those" % (n, n / 2000))
PY

# --- 3. names: ids folded, templates win --------------------------------------
PORT=$(free_port)
SCHEDULE_DELAY=50 start_traced names "$T/names.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
PORT2=$(free_port)
TRACESHIM_ROUTES='/status/{code}' SCHEDULE_DELAY=50 start_traced routes "$T/routes.log" \
	python3 "$ROOT/tests/integration/pyserver.py" "$PORT2"
for p in /users/123/orders/9f1c0a77e2b84d1b /users/456/orders/77aa3b9c01d2e4f5 /status/200 /status/404; do
	curl -s -o /dev/null "http://127.0.0.1:$PORT$p"
done
for p in /status/200 /status/503; do curl -s -o /dev/null "http://127.0.0.1:$PORT2$p"; done
wait_spans 6
stop_all
/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-names.jsonl")
users = [s for s in ss if s["attrs"]["url.path"].startswith("/users/")]
assert len(users) == 2 and {s["name"] for s in users} == {"GET /users/{id}/orders/{id}"}, [s["name"] for s in users]
assert {s["attrs"]["url.path"] for s in users} == {"/users/123/orders/9f1c0a77e2b84d1b", "/users/456/orders/77aa3b9c01d2e4f5"}
assert not [s for s in ss if "http.route" in s["attrs"]], "a guessed route set http.route"
rs = spans(T + "/spans-routes.jsonl")
assert {s["name"] for s in rs} == {"GET /status/{code}"} and {s["attrs"]["http.route"] for s in rs} == {"/status/{code}"}, rs
print("  /users/123/orders/9f1c... and /users/456/orders/77aa...: one name, GET /users/{id}/orders/{id}; url.path kept")
print("  TRACESHIM_ROUTES=/status/{code}: name GET /status/{code} and http.route")
PY

# --- 4. privacy in every exporter ---------------------------------------------
mkdir -p "$T/otlp" "$T/otlpj" "$T/zipkin" "$T/jaeger"
PO=$(free_port); PJ=$(free_port); PZ=$(free_port); PA=$(free_port)
for d in "otlp:$PO" "otlpj:$PJ" "zipkin:$PZ"; do
	/usr/bin/python3 "$ROOT/tests/integration/collector.py" "${d#*:}" "$T/${d%%:*}" ok >"$T/${d%%:*}.log" 2>&1 &
	PIDS+=("$!")
done
/usr/bin/python3 "$ROOT/tests/integration/jaeger_agent.py" "$T/jaeger/datagrams" --port "$PA" >"$T/jaeger.log" 2>&1 &
PIDS+=("$!")
for l in otlp otlpj zipkin jaeger; do
	for _ in $(seq 100); do grep -q ready "$T/$l.log" 2>/dev/null && break; sleep 0.05; done
done
PORT=$(free_port)
secret_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PO" OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$PZ/api/v2/spans"
	OTEL_EXPORTER_JAEGER_AGENT_PORT="$PA" OTEL_BSP_SCHEDULE_DELAY=50
	# header capture asked for the secrets too: they stay out
	OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS=Authorization,cookie,x-marker
	OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS=set-cookie,content-type
	OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS=authorization,Cookie,X-Marker
	OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS=content-type)
env "${secret_env[@]}" OTEL_TRACES_EXPORTER=otlp,zipkin,jaeger,file OTEL_SERVICE_NAME=server TRACESHIM_FILE="$T/priv-server.jsonl" \
	LD_PRELOAD="$PRELOAD" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PORT" >"$T/ps.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/ps.log" && break; sleep 0.05; done
# The caller: urllib (the socket layer) and curl (libcurl), both with user
# info and signed parameters; OTLP/JSON for this one.
SECRET_URL="http://bob:hunter2@127.0.0.1:$PORT/headers?X-Amz-Signature=0xdeadbeef&sig=s1gn4ture&page=2"
env "${secret_env[@]}" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PJ" OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
	OTEL_TRACES_EXPORTER=otlp,zipkin,jaeger,file OTEL_SERVICE_NAME=caller TRACESHIM_FILE="$T/priv-caller.jsonl" \
	LD_PRELOAD="$(if [ -n "$SAN_RUNTIME" ]; then echo "$ROOT/build/libtraceshim.so"; else echo "$PRELOAD"; fi)" \
	curl -sS -o /dev/null -H 'Authorization: Bearer tok3n' -H 'Cookie: session=c00kie' -H 'X-Marker: m4rk3r' \
	"$SECRET_URL" 2>"$T/curl-priv.err"
env "${secret_env[@]}" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PJ" OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
	OTEL_TRACES_EXPORTER=otlp,zipkin,jaeger,file OTEL_SERVICE_NAME=caller2 TRACESHIM_FILE="$T/priv-caller.jsonl" \
	LD_PRELOAD="$PRELOAD" URL="http://127.0.0.1:$PORT/headers?AWSAccessKeyId=AKIAEXAMPLE&Signature=zzsig&x=1" \
	AUTH='Basic dG9rM24=' COOKIE='session=c00kie' /usr/bin/python3 -c "
import os, urllib.request as u
# the secrets come from the environment: a program's own source text
# (python -c) is an argument no redaction can read
r = u.Request(os.environ['URL'], headers={'Authorization': os.environ['AUTH'], 'Cookie': os.environ['COOKIE'],
                                         'X-Marker': 'm4rk3r'})
u.urlopen(r).read()"
sleep 0.5
stop_all
for secret in hunter2 0xdeadbeef s1gn4ture tok3n c00kie AKIAEXAMPLE zzsig dG9rM24; do
	if grep -rqa -- "$secret" "$T/priv-server.jsonl" "$T/priv-caller.jsonl" "$T/otlp" "$T/otlpj" "$T/zipkin" "$T/jaeger"; then
		grep -rla -- "$secret" "$T/priv-server.jsonl" "$T/priv-caller.jsonl" "$T/otlp" "$T/otlpj" "$T/zipkin" "$T/jaeger" >&2
		fail "\"$secret\" reached an exporter"
	fi
done
for d in otlp otlpj zipkin jaeger; do
	[ -n "$(ls "$T/$d")" ] || fail "$d got nothing (the test would prove nothing)"
	# the captured header that may be recorded is there: capture was on
	grep -rqa m4rk3r "$T/$d" || fail "$d: the captured X-Marker header is missing"
done
grep -qa 'REDACTED:REDACTED@127.0.0.1' "$T/priv-caller.jsonl" || fail "the user info was not replaced"
grep -qa 'X-Amz-Signature=REDACTED' "$T/priv-caller.jsonl" || fail "the signature was not replaced"
grep -qa 'Signature=REDACTED' "$T/priv-server.jsonl" || fail "the server's url.query was not redacted"
note "user info, signed-URL values, Authorization and Cookie reach no exporter (file, OTLP protobuf and JSON, Zipkin, Jaeger), even with header capture asking for them (X-Marker, captured alongside, is there)"

# --- 5. TRACESHIM_PROPAGATE_TO ----------------------------------------------------
rec() {
	mkdir -p "$T/$1"
	RPORT=$(free_port)
	start_untraced "$T/$1.log" /usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RPORT" "$T/$1" http
}
rec pt
for allow in "localhost" "127.0.0.0/8" "example.com,*.internal"; do
	SVC=pt TRACESHIM_PROPAGATE_TO="$allow" traced python3 -c "
import urllib.request as u
u.urlopen('http://localhost:$RPORT/x?allow=$allow').read()" >/dev/null
done
# The same through libcurl (curl's CLI), and a redirect from a host that
# may have context to one that may not (127.0.0.2 is loopback too): the
# second request must not carry the first one's traceparent.
for allow in "localhost" "127.0.0.0/8" "example.com,*.internal"; do
	SVC=pt-curl TRACESHIM_PROPAGATE_TO="$allow" traced curl -sS -o /dev/null \
		"http://localhost:$RPORT/x?c=curl&allow=$allow"
done
# Through a forward proxy (the recorder stands in for one): the peer is
# the proxy, whose address the pattern matches, but the request goes to
# the URL's host, which decides.  Raw sockets (urllib's absolute-form
# request) and libcurl (-x, and http_proxy from the environment); the
# last two: a URL host in the block, and a name reached directly (the
# peer's address counts there).
A=127.0.0.0/8
SVC=pt TRACESHIM_PROPAGATE_TO="$A" traced python3 -c "
import urllib.request as u
o = u.build_opener(u.ProxyHandler({'http': 'http://127.0.0.1:$RPORT'}))
o.open('http://external.test/x?c=proxy&allow=$A').read()
o.open('http://127.0.0.5/x?c=proxy-ip&allow=$A').read()" >/dev/null
SVC=pt-curl TRACESHIM_PROPAGATE_TO="$A" traced curl -sS -o /dev/null -x "http://127.0.0.1:$RPORT" \
	"http://external.test/x?c=curl-proxy&allow=$A"
SVC=pt-curl http_proxy="http://127.0.0.1:$RPORT" TRACESHIM_PROPAGATE_TO="$A" traced curl -sS -o /dev/null \
	"http://external.test/x?c=curl-env-proxy&allow=$A"
SVC=pt-curl TRACESHIM_PROPAGATE_TO="$A" traced curl -sS -o /dev/null -x "http://127.0.0.1:$RPORT" \
	"http://127.0.0.5/x?c=curl-proxy-ip&allow=$A"
SVC=pt-curl TRACESHIM_PROPAGATE_TO="$A" traced curl -sS -o /dev/null --resolve "internal.test:$RPORT:127.0.0.1" \
	"http://internal.test:$RPORT/x?c=curl-peer&allow=$A"
GPORT=$(free_port)
/usr/bin/python3 -c "
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header('Location', 'http://127.0.0.2:$RPORT/x?c=redirected&allow=127.0.0.1')
        self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
print('ready', flush=True)
http.server.HTTPServer(('127.0.0.1', $GPORT), H).serve_forever()" >"$T/goto.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/goto.log" && break; sleep 0.05; done
# The recorder listens on 127.0.0.1 only: a relay on 127.0.0.2 reaches it.
/usr/bin/python3 -c "
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.2', $RPORT)); s.listen(4); print('ready', flush=True)
def pipe(a, b):
    while True:
        d = a.recv(65536)
        if not d: b.shutdown(socket.SHUT_WR); return
        b.sendall(d)
while True:
    c, _ = s.accept(); u = socket.create_connection(('127.0.0.1', $RPORT))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()" >"$T/relay.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/relay.log" && break; sleep 0.05; done
SVC=pt-redir TRACESHIM_PROPAGATE_TO="127.0.0.1" traced curl -sS -L -o /dev/null "http://127.0.0.1:$GPORT/start" ||
	fail "curl -L through the redirect failed"
sleep 0.3
stop_all
/usr/bin/python3 - "$T" <<PY
import glob
T = "$T"
got = {}
for p in glob.glob(T + "/pt/conn-*.bin"):
    b = open(p, "rb").read()
    if b:
        q = b.split(b" ")[1].split(b"?")[1].decode()
        got[q] = b"traceparent:" in b.lower()
want = {"allow=localhost": True, "allow=127.0.0.0/8": True, "allow=example.com,*.internal": False}
want.update({"c=curl&" + k: v for k, v in want.items()})
want["c=redirected&allow=127.0.0.1"] = False
want.update({"c=proxy&allow=127.0.0.0/8": False, "c=proxy-ip&allow=127.0.0.0/8": True,
             "c=curl-proxy&allow=127.0.0.0/8": False, "c=curl-env-proxy&allow=127.0.0.0/8": False,
             "c=curl-proxy-ip&allow=127.0.0.0/8": True, "c=curl-peer&allow=127.0.0.0/8": True})
assert got == want, sorted(set(got.items()) ^ set(want.items()))
print("  TRACESHIM_PROPAGATE_TO: context only to the hosts listed (by name or by the peer's address),"
      " raw sockets and libcurl alike; a redirect to a host left out carries none; through a forward"
      " proxy (absolute-form requests, curl -x, http_proxy) the URL's host decides, not the proxy's address")
PY
