# Bodies sent with sendfile(), the way lighttpd sends a spooled response
# (the chunk-size line written, the chunk's data sent from a file, its
# CRLF written), on keep-alive connections:
#  - a traced server answering /chunked with two chunks of file data each
#    sent by sendfile, and /cl with a Content-Length body by sendfile:
#    curl gets every byte, each server span is 200, not an error, with the
#    body's size, a child of curl's span (the old build: ERROR
#    connection_closed and a size of 0 for /chunked, and the requests
#    after it lost);
#  - a traced client posting chunked bodies whose data goes by sendfile,
#    twice on one connection to a traced server: both client spans have
#    the body's size, both requests carry their context (the old build:
#    none for the second, and no span).
source "$(dirname "$0")/lib.sh"

head -c 300000 /dev/urandom >"$T/data.bin"
cat >"$T/sfserver.py" <<'PY'
import os, socket, sys
f = os.open(sys.argv[2], os.O_RDONLY)
n = os.fstat(f).st_size
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
def send_file(c, off, end):
    while off < end:
        off += os.sendfile(c.fileno(), f, off, end - off)
while True:
    c, _ = s.accept()
    fp = c.makefile("rb")
    while True:
        line = fp.readline()
        if not line:
            break
        path = line.split(b" ")[1]
        while fp.readline() not in (b"\r\n", b""):
            pass
        if path == b"/cl":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            send_file(c, 0, n)
            continue
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for a, b in ((0, n // 2), (n // 2, n)):
            c.sendall(b"%x\r\n" % (b - a))
            send_file(c, a, b)
            c.sendall(b"\r\n")
        c.sendall(b"0\r\n\r\n")
    c.close()
PY
cat >"$T/sfclient.py" <<'PY'
import hashlib, os, socket, sys
f = os.open(sys.argv[2], os.O_RDONLY)
n = os.fstat(f).st_size
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
fp = c.makefile("rb")
for p in (b"/sha256", b"/sha256"):
    c.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" % p)
    for a, b in ((0, n // 3), (n // 3, n)):
        c.sendall(b"%x\r\n" % (b - a))
        off = a
        while off < b:
            off += os.sendfile(c.fileno(), f, off, b - off)
        c.sendall(b"\r\n")
    c.sendall(b"0\r\n\r\n")
    status = fp.readline()
    length = 0
    while True:
        h = fp.readline()
        if h in (b"\r\n", b""):
            break
        if h.lower().startswith(b"content-length:"):
            length = int(h.split(b":")[1])
    print(status.split(b" ")[1].decode(), fp.read(length).decode(), flush=True)
PY

SP=$(free_port)
start_traced sfserver "$T/sfserver.log" /usr/bin/python3 "$T/sfserver.py" "$SP" "$T/data.bin"
SVC=curl traced curl -sS -o "$T/o1" -o "$T/o2" -o "$T/o3" -o "$T/o4" \
	"http://127.0.0.1:$SP/chunked" "http://127.0.0.1:$SP/cl" "http://127.0.0.1:$SP/chunked" \
	"http://127.0.0.1:$SP/cl"
for o in o1 o2 o3 o4; do
	cmp -s "$T/$o" "$T/data.bin" || fail "$o: the body curl got differs"
done
PP=$(free_port)
start_traced pyserver "$T/py.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PP"
SVC=sfclient traced /usr/bin/python3 "$T/sfclient.py" "$PP" "$T/data.bin" >"$T/client.out"
sha=$(sha256sum "$T/data.bin" | cut -d' ' -f1)
[ "$(cat "$T/client.out")" = "200 $sha
200 $sha" ] || fail "sfclient: $(cat "$T/client.out")"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
srv = in_order(ss, service="sfserver")
cli = in_order(ss, service="curl")
assert [s["attrs"]["url.path"] for s in srv] == ["/chunked", "/cl", "/chunked", "/cl"], srv
for s, c in zip(srv, cli):
    assert s["status"] == 0 and "error.type" not in s["attrs"], s
    assert s["attrs"]["http.response.status_code"] == 200, s
    assert s["attrs"]["http.response.body.size"] == 300000, s
    child_of(s, c)
print("  4 responses on one connection, chunk data and Content-Length bodies sent by sendfile:"
      " 4 server spans, 200, body size 300000, each a child of curl's span")
sc = in_order(ss, service="sfclient")
ps = in_order(ss, service="pyserver")
assert len(sc) == 2 and len(ps) == 2, (sc, ps)
for c, p in zip(sc, ps):
    assert c["attrs"].get("http.request.body.size") == 300000, c
    assert c["attrs"]["http.response.status_code"] == 200 and c["status"] == 0, c
    child_of(p, c)
    assert p["attrs"].get("http.request.body.size") == 300000, p
print("  2 chunked POSTs on one connection, their data sent by sendfile: both client spans with"
      " body size 300000, both servers' spans their children")
PY
