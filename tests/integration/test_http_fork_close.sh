# A child made by fork() while requests are in flight closes the
# descriptors it inherited and exits normally (a daemon, a subprocess
# closing what it does not need before it works): those requests are the
# parent's, which ends them.  The old build ended them in the child too,
# at its close(): copies of the parent's spans, with the same span ids,
# failed as connection_closed.
#  - a traced client forks while its request is in flight; the child
#    closes the socket, makes a request of its own, and exits;
#  - a traced server forks while it serves a request; the child closes
#    every inherited descriptor and exits;
# every span id is exported once, no span is connection_closed, and the
# child's own request is traced (its parent: the request its process was
# working for, as a fork child carries on its parent's context).
source "$(dirname "$0")/lib.sh"

cat >"$T/srv.py" <<'PY'
import http.server, os, sys, time

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/fork"):
            pid = os.fork()
            if pid == 0:
                os.closerange(3, 1024)
                sys.exit(0)  # a normal exit: atexit handlers, the shim's flush
            os.waitpid(pid, 0)
        time.sleep(0.05 if self.path.startswith("/slow") else 0)
        b = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b)

s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
PY
cat >"$T/cli.py" <<'PY'
import os, socket, sys, urllib.request
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
pid = os.fork()
if pid == 0:
    s.close()
    urllib.request.urlopen("http://127.0.0.1:%d/child" % port).read()
    sys.exit(0)
os.waitpid(pid, 0)
buf = b""
while not buf.endswith(b"ok"):
    buf += s.recv(1000)
s.close()
urllib.request.urlopen("http://127.0.0.1:%d/fork" % port).read()
print("done")
PY
P=$(free_port)
start_traced srv "$T/srv.log" /usr/bin/python3 "$T/srv.py" "$P"
SVC=cli traced /usr/bin/python3 "$T/cli.py" "$P" >"$T/cli.out" 2>&1 || { cat "$T/cli.out"; fail "the client failed"; }
wait_spans 6
sleep 0.3
stop_all

/usr/bin/python3 - "$T" "$P" <<PY
$SPANLIB
from collections import Counter
T, P = sys.argv[1], sys.argv[2]
ss = spans(T + "/spans-*.jsonl")
dup = [k for k, n in Counter(s["span"] for s in ss).items() if n > 1]
assert not dup, ("span ids exported twice", [(s["service"], s["pid"], s["name"], s["attrs"].get("error.type"))
                                            for s in ss if s["span"] in dup])
bad = [(s["service"], s["name"]) for s in ss if s["attrs"].get("error.type")]
assert not bad, ("failed spans", bad)
for path in ("/slow", "/child", "/fork"):
    c = one(ss, service="cli", kind="client", attr_url__full="http://127.0.0.1:%s%s" % (P, path))
    v = one(ss, service="srv", kind="server", attr_url__path=path)
    assert c["attrs"]["http.response.status_code"] == 200 and v["attrs"]["http.response.status_code"] == 200
    child_of(v, c)
kid = one(ss, service="cli", kind="client", attr_url__full="http://127.0.0.1:%s/child" % P)
parent = one(ss, service="cli", kind="client", attr_url__full="http://127.0.0.1:%s/slow" % P)
assert kid["pid"] != parent["pid"], "the child's request came from the child"
print("  a client and a server each forked a child mid-request that closed what it inherited and"
      " exited: %d spans, every id once, none failed; the child's own request traced" % len(ss))
PY
