# Responses that end with the connection, on either side:
#  - cut short inside a Content-Length body (a client that goes away in
#    the middle of a 64 MB download; a server that closes after 5000 of
#    100000 bytes): ERROR connection_closed, the status code and the body
#    bytes that did go by (the old build: no error, body size 0);
#  - delimited by the close (no Content-Length, the server calls close()):
#    complete, no error, its body bytes (the old build: 0).
source "$(dirname "$0")/lib.sh"

cat >"$T/cut.py" <<'PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])

def head(f):
    line = f.readline()
    while f.readline() not in (b"\r\n", b""):
        pass
    return line

if mode == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(8); print("ready", flush=True)
    while True:
        c, _ = s.accept(); f = c.makefile("rb")
        path = head(f).split()[1]
        try:
            if path == b"/big":        # 64 MB; the client leaves early
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n")
                for _ in range(1024):
                    c.sendall(b"x" * 65536)
            elif path == b"/short":    # 5000 of the 100000 announced
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 5000)
            elif path == b"/eof":      # delimited by the close
                c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"z" * 5000)
        except OSError:
            pass
        f.close(); c.close()
elif mode == "leave":  # read 1 MB of /big, then reset the connection
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    got = 0
    while got < 1 << 20:
        got += len(c.recv(65536))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    c.close()
else:  # client of /short or /eof: read until the server closes
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET /" + mode.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    print(len(data.split(b"\r\n\r\n", 1)[1]))
PY
SPORT=$(free_port)
start_traced cut-srv "$T/cut-srv.log" /usr/bin/python3 "$T/cut.py" server "$SPORT"
/usr/bin/python3 "$T/cut.py" leave "$SPORT"
[ "$(/usr/bin/python3 "$T/cut.py" eof "$SPORT")" = 5000 ] || fail "close-delimited body not read whole"
PPORT=$(free_port)
start_untraced "$T/plain.log" /usr/bin/python3 "$T/cut.py" server "$PPORT"
[ "$(SVC=cut-cli traced /usr/bin/python3 "$T/cut.py" short "$PPORT")" = 5000 ] || fail "short body not read"
[ "$(SVC=cut-cli2 traced /usr/bin/python3 "$T/cut.py" eof "$PPORT")" = 5000 ] || fail "close-delimited body not read"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
def err(s):
    return s["status"] == 2 and s["attrs"].get("error.type") == "connection_closed"
big = one(ss, service="cut-srv", attr_url__path="/big")
n = big["attrs"]["http.response.body.size"]
assert err(big) and big["attrs"]["http.response.status_code"] == 200, big
assert (1 << 20) <= n < 1 << 26, n
print("  server, client gone after 1 MB of 64 MB: ERROR connection_closed, status 200, %d body bytes sent" % n)
short = one(ss, service="cut-cli")
assert err(short) and short["attrs"]["http.response.status_code"] == 200, short
assert short["attrs"]["http.response.body.size"] == 5000, short["attrs"]
print("  client, server closed after 5000 of 100000 bytes: ERROR connection_closed, status 200, 5000 bytes")
for s in (one(ss, service="cut-srv", attr_url__path="/eof"), one(ss, service="cut-cli2")):
    assert s["status"] != 2 and "error.type" not in s["attrs"], s
    assert s["attrs"]["http.response.body.size"] == 5000, s["attrs"]
print("  close-delimited responses, server and client side: complete, 5000 body bytes, no error")
PY
