# libcurl over HTTP/2 and TLS: curl --http2 -k -> nginx (TLS + HTTP/2,
# reverse proxy) -> python backend.  The traceparent goes in above TLS as
# an HTTP/2 header; nginx forwards it to the backend, whose server span is
# then the child of curl's span (nginx's socket layer sees only
# ciphertext on the client side, so it has no server span to rewrite the
# header with).  curl's span says HTTP/2, with the right status.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "openssl cannot make a certificate"
PB=$(free_port)
start_traced backend "$T/b.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PN=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process off;" "
	server {
		listen 127.0.0.1:$PN ssl http2;
		ssl_certificate $T/cert.pem;
		ssl_certificate_key $T/key.pem;
		location / { proxy_pass http://127.0.0.1:$PB; }
	}"
OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" \
	OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" \
	>"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -sk -o /dev/null "https://127.0.0.1:$PN/status/204" && break
	sleep 0.05
done

SVC=curlh2 traced curl -sS -k --http2 "https://127.0.0.1:$PN/headers?h2=1" >"$T/h.json"
SVC=curlh2b traced curl -sS -k --http2 -o /dev/null "https://127.0.0.1:$PN/status/503?h2=2"
wait_spans 6
stop_all

/usr/bin/python3 - "$T" "$PN" <<PY
$SPANLIB
import json
T, PN = sys.argv[1], int(sys.argv[2])
ss = spans(T + "/spans-*.jsonl")
c = one(ss, service="curlh2", kind="client")
assert c["attrs"]["network.protocol.version"] == "2", c["attrs"]
assert c["attrs"]["url.full"] == "https://127.0.0.1:%d/headers?h2=1" % PN and c["attrs"]["http.response.status_code"] == 200
tp = [v for k, v in json.load(open(T + "/h.json")) if k.lower() == "traceparent"]
assert tp == ["00-%s-%s-01" % (c["trace"], c["span"])], tp
b = one(ss, service="backend", kind="server", attr_url__query="h2=1")
child_of(b, c)
inside(b, c)
e = one(ss, service="curlh2b", kind="client")
assert e["attrs"]["http.response.status_code"] == 503 and e["status"] == 2 and e["attrs"]["error.type"] == "503"
assert not [s for s in ss if s["service"] == "nginx" and s["kind"] == "server"], "nginx saw only TLS"
print("  curl --http2 over TLS -> nginx -> backend: version 2, one traceparent (ours) forwarded, backend span its child")
PY
