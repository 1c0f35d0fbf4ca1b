# IPv4 peers of dual-stack (IPv6, V6ONLY off) sockets, as node.js and
# many servers listen: their addresses are IPv4's, on both sides.
#  - a traced python server on an IPv6 socket, called by curl over IPv4:
#    client.address and network.peer.address 127.0.0.1 (the old build:
#    ::ffff:127.0.0.1);
#  - a traced client connecting an IPv6 socket to ::ffff:127.0.0.1: its
#    span's network.peer.address 127.0.0.1.
# Loopback only: the server binds ::ffff:127.0.0.1.
source "$(dirname "$0")/lib.sh"

cat >"$T/srv.py" <<'PY'
import http.server, socket, socketserver, sys
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = self.client_address[0].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a): pass
s = S(("::ffff:127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
PY
cat >"$T/cli.py" <<'PY'
import socket, sys
c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
c.connect(("::ffff:127.0.0.1", int(sys.argv[1])))
c.sendall(b"GET /mapped HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    data += d
print(data.split(b"\r\n\r\n", 1)[1].decode())
PY
SP=$(free_port)
start_traced srv "$T/srv.log" /usr/bin/python3 "$T/srv.py" "$SP"
SVC=curl traced curl -sS -o "$T/curl.out" "http://127.0.0.1:$SP/v4"
SVC=cli traced /usr/bin/python3 "$T/cli.py" "$SP" >"$T/cli.out"
# What the server itself was told: the mapped form (nothing changed).
[ "$(cat "$T/curl.out")" = "::ffff:127.0.0.1" ] && [ "$(cat "$T/cli.out")" = "::ffff:127.0.0.1" ] ||
	fail "the server saw $(cat "$T/curl.out") / $(cat "$T/cli.out")"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
for path in ("/v4", "/mapped"):
    sv = one(ss, service="srv", attr_url__path=path)
    assert sv["attrs"]["client.address"] == "127.0.0.1", sv
    assert sv["attrs"]["network.peer.address"] == "127.0.0.1", sv
cl = one(ss, service="cli")
assert cl["attrs"]["network.peer.address"] == "127.0.0.1", cl
assert cl["attrs"]["network.peer.port"] == $SP, cl
sv = one(ss, service="srv", attr_url__path="/mapped")
child_of(sv, cl)
print("  a dual-stack server's IPv4 callers and a client's mapped peer: 127.0.0.1, not ::ffff:127.0.0.1;"
      " the application still sees the mapped form")
PY
