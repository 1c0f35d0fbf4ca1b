# A thread inherits its creator's context only while the creator's
# request is in flight.  A threaded server hands each request's downstream
# call to a ThreadPoolExecutor whose threads are made lazily, by whichever
# request first needs one, and then serve the later requests: no call may
# be linked to another request's server span (the old build linked every
# later call to the request that made the thread).  A thread started for
# one request (threading.Thread, joined before the response) still links
# its call to that request.
source "$(dirname "$0")/lib.sh"

cat >"$T/pool.py" <<'PY'
import http.server, socketserver, sys, threading, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, back = int(sys.argv[1]), int(sys.argv[2])
pool = ThreadPoolExecutor(max_workers=2)

def call(tag):
    urllib.request.urlopen("http://127.0.0.1:%d/back?%s" % (back, tag)).read()

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        tag = self.path.split("?", 1)[1]
        if self.path.startswith("/pool"):
            pool.submit(call, tag).result()
        else:  # a thread of its own for this request
            t = threading.Thread(target=call, args=(tag,)); t.start(); t.join()
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

s = S(("127.0.0.1", port), H); print("ready", flush=True); s.serve_forever()
PY
cat >"$T/back.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        print(self.path.split("?", 1)[1], self.headers.get("traceparent", "-"), flush=True)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
print("ready", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
BP=$(free_port)
start_untraced "$T/back.log" /usr/bin/python3 "$T/back.py" "$BP"
AP=$(free_port)
start_traced pool "$T/pool.log" /usr/bin/python3 "$T/pool.py" "$AP" "$BP"
for i in $(seq 8); do
	curl -sS -o /dev/null "http://127.0.0.1:$AP/pool?p$i" || fail "request $i failed"
done
for i in 1 2; do
	curl -sS -o /dev/null "http://127.0.0.1:$AP/thread?t$i" || fail "request t$i failed"
done
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-pool.jsonl")
srv = {s["attrs"]["url.query"]: s for s in ss if s["kind"] == "server"}
cli = {s["span"]: s for s in ss if s["kind"] == "client"}
assert len(srv) == 10 and len(cli) == 10, (len(srv), len(cli))
seen = [l.split() for l in open(T + "/back.log") if not l.startswith("ready")]
assert len(seen) == 10, seen
linked = 0
for tag, tp in seen:
    c = cli[tp.split("-")[2]]             # every traceparent names an exported span
    if c["parent"]:
        assert c["parent"] == srv[tag]["span"], (tag, "linked to another request")
        linked += 1
assert all(cli[tp.split("-")[2]]["parent"] == srv[tag]["span"] for tag, tp in seen if tag.startswith("t")), \
    "a thread started for its request no longer links its call"
print("  pool threads made by an earlier request: none of 8 calls linked to another request (%d linked, to"
      " their own); threads started for their request: both calls linked" % (linked - 2))
PY
