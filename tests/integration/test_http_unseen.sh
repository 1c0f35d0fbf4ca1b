# An event-loop proxy serving one request the shim follows (A, slow) and,
# meanwhile, requests it cannot follow: a head over
# TRACESHIM_MAX_HEADER_BYTES (big cookies the proxy drops), HTTPS, and
# HTTP/2 without TLS.  nginx proxies each; the call it makes for such a
# request must not be taken for A's: its client span is a root (or none),
# never A's child in A's trace.  On the old build each was A's child.
# And a request carrying a traceparent of A's trace that names another
# caller (a fan-out sibling whose head was over the limit): nginx
# forwards that header; its call is not A's either (the old build wrote
# A's child span into it).  Loopback only.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "openssl cannot make a certificate"

PB=$(free_port)
start_traced backend "$T/b.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PN=$(free_port) PS=$(free_port) P2=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process on;
worker_processes 1;" "
	server {
		listen 127.0.0.1:$PN;
		listen 127.0.0.1:$PS ssl;
		listen 127.0.0.1:$P2 http2;
		ssl_certificate $T/cert.pem;
		ssl_certificate_key $T/key.pem;
		location / {
			proxy_pass http://127.0.0.1:$PB;
			proxy_set_header Cookie \"\";
		}
	}"
OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx.jsonl" \
	OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" \
	>"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PN/status/204" && break
	sleep 0.05
done

PAD=$(/usr/bin/python3 -c 'print("a" * 4000)')
BIG=(-H "Cookie: a=$PAD" -H "Cookie: b=$PAD" -H "Cookie: c=$PAD")
# slow A (traced curl, a trace of its own), then B while A is in flight
around() { # name, then curl arguments of B
	local name=$1 a
	shift
	SVC=curl-$name traced curl -sS -o /dev/null "http://127.0.0.1:$PN/sleep/1200?a=$name" &
	a=$!
	sleep 0.4
	curl -sS -o "$T/$name.out" "$@" || fail "$name: curl failed"
	wait "$a"
}
around big "${BIG[@]}" "http://127.0.0.1:$PN/status/200?b=big"
around tls -k "https://127.0.0.1:$PS/status/200?b=tls"
around h2c --http2-prior-knowledge "http://127.0.0.1:$P2/status/200?b=h2c"
# the sibling: A2 and B4 of one trace, their callers ...02 and ...01
X=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
curl -sS -o /dev/null -H "traceparent: 00-$X-0000000000000002-01" "http://127.0.0.1:$PN/sleep/1200?a=sibling" &
a=$!
sleep 0.4
curl -sS -o "$T/sib.out" -H "traceparent: 00-$X-0000000000000001-01" "${BIG[@]}" \
	"http://127.0.0.1:$PN/headers?b=sibling" || fail "sibling: curl failed"
wait "$a"
grep -q "00-$X-0000000000000001-01" "$T/sib.out" ||
	fail "the sibling's forwarded traceparent was changed: $(cat "$T/sib.out")"
sleep 0.4
stop_all

/usr/bin/python3 - "$T" "$X" <<PY
$SPANLIB
T, X = sys.argv[1], sys.argv[2]
ss = spans(T + "/spans-*.jsonl")
by_id = {s["span"]: s for s in ss}
def q(s):
    u = s["attrs"].get("url.full", "")
    return u.split("?", 1)[1] if "?" in u else s["attrs"].get("url.query", "")
for b in ("big", "tls", "h2c"):
    a_srv = one(ss, service="nginx", kind="server", attr_url__query="a=" + b)
    a_cli = [s for s in ss if s["service"] == "nginx" and s["kind"] == "client" and q(s) == "a=" + b]
    assert len(a_cli) == 1 and a_cli[0]["parent"] == a_srv["span"], (b, a_cli)
    b_cli = [s for s in ss if s["service"] == "nginx" and s["kind"] == "client" and q(s) == "b=" + b]
    for s in b_cli:
        assert s["parent"] == "" and s["trace"] != a_srv["trace"], (b, "linked to A", s)
    back = one(ss, service="backend", attr_url__query="b=" + b)
    assert back["trace"] != a_srv["trace"], (b, "backend span in A's trace")
a2 = one(ss, service="nginx", kind="server", attr_url__query="a=sibling")
assert a2["trace"] == X
wrong = [s for s in ss if s["parent"] == a2["span"] and q(s) == "b=sibling"]
assert not wrong, wrong
print("  calls for requests not followed (over the header limit, HTTPS, h2c) are not taken for"
      " the request in flight; a forwarded traceparent naming another caller is left as is")
PY
