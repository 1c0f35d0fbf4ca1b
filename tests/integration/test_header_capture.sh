# Issue 7: HTTP header capture, off by default, per header name with the
# OpenTelemetry variables OTEL_INSTRUMENTATION_HTTP_{SERVER,CLIENT}_
# CAPTURE_{REQUEST,RESPONSE}_HEADERS, on real programs:
#  - curl (libcurl) -> nginx (server and socket-level client) -> python
#    backend (socket-level server), with a python urllib caller too;
#  - names match in any case; every line of a repeated header is one
#    element of the string array http.{request,response}.header.<name>;
#  - Authorization and Cookie configured anyway are never recorded, and
#    the configuration says so on one line each;
#  - without the variables no header attribute exists;
#  - the arrays reach OTLP/protobuf intact (two independent decoders).
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/integration/export_lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

SREQ=OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS
SRESP=OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS
CREQ=OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS
CRESP=OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS

PB=$(free_port)
OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS=x-tenant,X-Forwarded-For,authorization \
OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS=Content-Type \
	SCHEDULE_DELAY=50 start_traced backend "$T/b.log" python3 "$ROOT/tests/integration/pyserver.py" "$PB"
PN=$(free_port)
nginx_conf "$T/ngx" "$T/nginx.conf" "master_process off;" "
	server {
		listen 127.0.0.1:$PN;
		location / {
			proxy_pass http://127.0.0.1:$PB/;
			proxy_set_header X-Forwarded-For 10.1.2.3;
			add_header X-Edge one;
			add_header X-Edge two;
		}
	}"
start_collector "$T/otlp" ok
env "$SREQ=X-TENANT,cookie" "$SRESP=x-edge,server,set-cookie" "$CREQ=x-forwarded-for,x-tenant" "$CRESP=content-type" \
	OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file,otlp TRACESHIM_FILE="$T/spans-nginx.jsonl" \
	OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_BSP_SCHEDULE_DELAY=50 \
	LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx.conf" -p "$T/ngx" >"$T/nginx.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$PN/status/204" && break
	sleep 0.05
done

# libcurl caller: two X-Tenant lines, a secret, a header "Name:" removing
# libcurl's own, and response capture through curl_easy_header().
OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS=x-tenant,Accept,authorization \
OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS=X-Edge,content-type SVC=curl \
	traced curl -sS -o "$T/curl.out" -H 'X-Tenant: acme' -H 'x-tenant: beta ' \
	-H 'Authorization: Bearer s3cr3t-t0ken' -H 'Accept:' -H 'Cookie: id=c00kie' \
	"http://127.0.0.1:$PN/headers?via=curl" 2>"$T/curl.err"
grep -q "CAPTURE_REQUEST_HEADERS: header \"authorization\" is never recorded" "$T/curl.err" || fail "curl: no warning"
# Socket-level caller (python urllib), straight to the backend.
OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_REQUEST_HEADERS=x-tenant \
OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS=content-type,Content-Length SVC=urllib traced python3 -c "
import urllib.request as u
r = u.Request('http://127.0.0.1:$PB/headers?via=urllib', headers={'X-Tenant': 'gamma'})
u.urlopen(r).read()"
# Off by default: the same request without the variables.
SVC=plain traced curl -sS -o /dev/null -H 'X-Tenant: acme' "http://127.0.0.1:$PN/headers?via=plain"
wait_spans 9
stop_all

grep -q "$SREQ: header \"authorization\" is never recorded; 1 name left out" "$T/b.log" ||
	{ cat "$T/b.log"; fail "no warning for a never-recorded header"; }
grep -q "$SRESP: header \"set-cookie\" is never recorded; 1 name left out" "$T/nginx.log" ||
	{ cat "$T/nginx.log"; fail "no warning for Set-Cookie"; }
note "Authorization, Cookie, Set-Cookie in a capture list: one warning each, left out"

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
def hdrs(s):
    return {k: v for k, v in s["attrs"].items() if ".header." in k}
curl = one(spans(T + "/spans-curl.jsonl"), kind="client")
assert hdrs(curl) == {"http.request.header.x-tenant": ["acme", "beta"],
                      "http.response.header.x-edge": ["one", "two"],
                      "http.response.header.content-type": ["application/json"]}, hdrs(curl)
print("  libcurl client: request lines as the app set them, response lines from libcurl, repeated ones in order")
ngx = spans(T + "/spans-nginx.jsonl")
srv = one(ngx, kind="server", attr_url__query="via=curl")
assert hdrs(srv) == {"http.request.header.x-tenant": ["acme", "beta"],
                     "http.response.header.x-edge": ["one", "two"],
                     "http.response.header.server": [srv["attrs"]["http.response.header.server"][0]]}, hdrs(srv)
assert srv["attrs"]["http.response.header.server"][0].startswith("nginx"), hdrs(srv)
cli = [s for s in ngx if s["kind"] == "client" and s["trace"] == curl["trace"]]
assert len(cli) == 1, cli
assert hdrs(cli[0]) == {"http.request.header.x-forwarded-for": ["10.1.2.3"],
                        "http.request.header.x-tenant": ["acme", "beta"],
                        "http.response.header.content-type": ["application/json"]}, hdrs(cli[0])
print("  nginx (socket layer) server and client spans: request and response headers, names in any case")
back = spans(T + "/spans-backend.jsonl")
b1 = one(back, attr_url__query="via=curl")
assert hdrs(b1) == {"http.request.header.x-tenant": ["acme", "beta"],
                    "http.request.header.x-forwarded-for": ["10.1.2.3"],
                    "http.response.header.content-type": ["application/json"]}, hdrs(b1)
b2 = one(back, attr_url__query="via=urllib")
assert hdrs(b2)["http.request.header.x-tenant"] == ["gamma"], hdrs(b2)
ul = one(spans(T + "/spans-urllib.jsonl"), kind="client")
assert hdrs(ul) == {"http.request.header.x-tenant": ["gamma"],
                    "http.response.header.content-type": ["application/json"],
                    "http.response.header.content-length": [ul["attrs"]["http.response.header.content-length"][0]]}, hdrs(ul)
assert int(ul["attrs"]["http.response.header.content-length"][0]) == ul["attrs"]["http.response.body.size"]
print("  python backend and urllib client (socket layer): the same")
plain = [s for s in spans(T + "/spans-plain.jsonl", T + "/spans-nginx.jsonl", T + "/spans-backend.jsonl")
         if s["trace"] == one(spans(T + "/spans-plain.jsonl"), kind="client")["trace"]]
assert len(plain) == 4, plain
assert [s for s in plain if s["service"] == "plain" and hdrs(s)] == [], "capture without being asked"
print("  not configured: no header attribute")
PY
for s in s3cr3t-t0ken c00kie; do
	grep -rqa -- "$s" "$T"/spans-*.jsonl "$T/otlp" && fail "\"$s\" was recorded"
done
note "Authorization and Cookie values recorded nowhere"
decode_otlp "$T/otlp" "$T/otlp.jsonl"
/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
dec = [s for s in spans(T + "/otlp.jsonl") if s["kind"] == "server" and s["attrs"].get("url.query") == "via=curl"]
assert len(dec) == 1 and dec[0]["attrs"]["http.response.header.x-edge"] == ["one", "two"], dec
print("  OTLP/protobuf: the arrays decode the same with the OpenTelemetry JS and python-protobuf decoders")
PY
