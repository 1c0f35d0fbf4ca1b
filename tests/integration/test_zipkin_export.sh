# Issue 6 acceptance 2: Zipkin v2 exports of real programs (traced curl ->
# traced python http.server, the server calling itself) validate against
# the Zipkin v2 model and map, field by field, to the spans the file
# exporter wrote: kind, localEndpoint.serviceName, remoteEndpoint,
# microsecond timestamps and durations, string tags, otel.status_code and
# error.  Also: several exporters at once (zipkin, otlp and file).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/export_lib.sh"

start_collector "$T/zk" ok
ZK=$COLLECTOR_PORT
start_collector "$T/ot" ok
export OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$ZK/api/v2/spans"
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT"
PORT=$(free_port)
start_traced_exp zipkin,otlp,file pyserver "$T/server.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
URL="http://127.0.0.1:$PORT"
traced_exp zipkin,file curl "$(command -v curl)" -sS -o /dev/null "$URL/headers?q=%22x%22"
traced_exp zipkin,file curl5 "$(command -v curl)" -sS -o /dev/null "$URL/status/503"
traced_exp zipkin,file curlcall "$(command -v curl)" -sS -o /dev/null "$URL/call?url=$URL/status/404"
# An IPv6 peer: remoteEndpoint.ipv6.
PORT6=$(free_port)
/usr/bin/python3 - "$PORT6" >"$T/v6.log" 2>&1 <<'PY' &
import http.server, socket, sys
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
srv = S(("::1", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
PY
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/v6.log" && break; sleep 0.05; done
traced_exp zipkin,file curl6 "$(command -v curl)" -sS -o /dev/null "http://[::1]:$PORT6/v6"
wait_spans 9
sleep 0.3
stop_all

for f in "$T"/zk/req-*.json; do
	grep -q '"path": "/api/v2/spans"' "$f" && grep -q '"Content-Type", "application/json"' "$f" ||
		{ cat "$f"; fail "zipkin request line or content type"; }
done
/usr/bin/python3 "$ROOT/tests/integration/zipkin_check.py" "$T/zk/req-*.bin" "$T/spans-*.jsonl"
/usr/bin/python3 - "$T" <<'PY'
import glob, json, sys
T = sys.argv[1]
zs = [s for f in glob.glob(T + "/zk/req-*.bin") for s in json.load(open(f))]
def one(**kw):
    f = [s for s in zs if all(s.get(k) == v for k, v in kw.items())]
    assert len(f) == 1, (kw, len(f))
    return f[0]
c = [s for s in zs if s["localEndpoint"]["serviceName"] == "curl" and s.get("kind") == "CLIENT"]
assert len(c) == 1
c = c[0]
assert c["remoteEndpoint"]["serviceName"] == "127.0.0.1" and c["remoteEndpoint"]["ipv4"] == "127.0.0.1", c
srv = [s for s in zs if s.get("parentId") == c["id"]][0]
assert srv["kind"] == "SERVER" and srv["localEndpoint"]["serviceName"] == "pyserver"
assert srv["remoteEndpoint"].get("ipv4") == "127.0.0.1" and "serviceName" not in srv["remoteEndpoint"], srv
assert srv["tags"]["http.response.status_code"] == "200" and srv["tags"]["url.query"] == 'q=%22x%22'
e = [s for s in zs if s["localEndpoint"]["serviceName"] == "curl5"][0]
assert e["tags"]["otel.status_code"] == "ERROR" and "error" in e["tags"], e["tags"]
ok = [s for s in zs if s.get("kind") == "SERVER" and s["tags"].get("url.path") == "/headers"][0]
assert "otel.status_code" not in ok["tags"] and "error" not in ok["tags"]
v6 = [s for s in zs if s["localEndpoint"]["serviceName"] == "curl6"][0]
assert v6["remoteEndpoint"]["ipv6"] == "::1" and v6["remoteEndpoint"]["port"] > 0, v6
print("  curl->server: CLIENT remoteEndpoint 127.0.0.1, SERVER remoteEndpoint the client; "
      "503 tagged ERROR with an error tag; IPv6 peer in remoteEndpoint.ipv6")
PY
# The server exported to three exporters at once: OTLP got the same spans.
decode_otlp "$T/ot" "$T/otlp.jsonl"
same_spans "$T/otlp.jsonl" "$T/spans-pyserver.jsonl"
note "zipkin,otlp,file at once: OTLP and file agree"
