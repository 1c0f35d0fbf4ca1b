# TCP Fast Open clients connect by their first send: sendto() or
# sendmsg() with MSG_FASTOPEN and the server's address, on a socket that
# was never connect()ed, so when the request is written the socket has no
# peer yet (getpeername says ENOTCONN).  The client span takes its peer
# from the send's address:
#  - network.peer.address / network.peer.port, server.port and url.full
#    with the port (the old build: none of them, url.full without port);
#  - the traceparent is injected, the server span its child, and sendto
#    returns the application's byte count.
# Over IPv4 with sendto() and over IPv6 with sendmsg().  Loopback only.
source "$(dirname "$0")/lib.sh"

if [ $(( $(cat /proc/sys/net/ipv4/tcp_fastopen 2>/dev/null || echo 0) & 1 )) -eq 0 ]; then
	fail "this kernel has TCP Fast Open off for clients (net.ipv4.tcp_fastopen)"
fi
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
        b = self.headers.get("traceparent", "-").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a): pass
s = S(("::", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
PY
cat >"$T/cli.py" <<'PY'
import socket, sys
port, how = int(sys.argv[1]), sys.argv[2]
if how == "sendto":
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    req = b"GET /tfo4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    n = c.sendto(req, socket.MSG_FASTOPEN, ("127.0.0.1", port))
else:
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    req = b"GET /tfo6 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    n = c.sendmsg([req[:20], req[20:]], [], socket.MSG_FASTOPEN, ("::1", port))
assert n == len(req), (n, len(req))
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
for how in sendto sendmsg; do
	SVC=cli-$how traced /usr/bin/python3 "$T/cli.py" "$SP" "$how" >"$T/$how.out" || fail "the $how client failed"
	grep -q '^00-[0-9a-f]\{32\}-[0-9a-f]\{16\}-01$' "$T/$how.out" || fail "$how: the server saw traceparent [$(cat "$T/$how.out")]"
done
sleep 0.3
stop_all

/usr/bin/python3 - "$T" "$SP" <<PY
$SPANLIB
T, port = sys.argv[1], int(sys.argv[2])
ss = spans(T + "/spans-*.jsonl")
for how, path, peer in (("sendto", "/tfo4", "127.0.0.1"), ("sendmsg", "/tfo6", "::1")):
    cl = one(ss, service="cli-" + how)
    a = cl["attrs"]
    assert a.get("network.peer.address") == peer, (how, a)
    assert a.get("network.peer.port") == port, (how, a)
    assert a.get("server.port") == port, (how, a)
    assert a.get("url.full") == "http://localhost:%d%s" % (port, path), (how, a)
    sv = one(ss, service="srv", attr_url__path=path)
    child_of(sv, cl)
    tp = open(T + "/" + how + ".out").read().strip()
    assert tp == "00-%s-%s-01" % (cl["trace"], cl["span"]), (tp, cl)
print("  TCP Fast Open clients (sendto and sendmsg with MSG_FASTOPEN): peer, port and url.full"
      " from the send's address; the traceparent injected, the server span its child")
PY
