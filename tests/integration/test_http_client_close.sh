# A client that closes its connection while a response's body is still
# coming, once it has the head, chose to stop reading (wget after a 404
# with "Connection: close", a streaming reader that read enough): its
# span has the status it got and is an error only by that status (the
# old build: ERROR connection_closed for all of them).  A connection the
# peer resets under the body, or closes before the head, stays an error;
# a read that fails by itself (EINVAL from MSG_OOB) is no reset.
source "$(dirname "$0")/lib.sh"

cat >"$T/srv.py" <<'PY'
import socket, struct, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
def serve(c):
    f = c.makefile("rb")
    line = f.readline()
    while f.readline() not in (b"\r\n", b""):
        pass
    path = line.split(b" ")[1]
    try:
        if path in (b"/big", b"/bigoob"):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8000000\r\n\r\n")
            c.sendall(b"x" * 8000000)
        elif path == b"/missing":
            c.sendall(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4000000\r\n\r\n")
            c.sendall(b"n" * 4000000)
        elif path == b"/reset":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"r" * 1000)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # /nohead: closed before any answer
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat >"$T/client.py" <<'PY'
import http.client, sys, time
port = int(sys.argv[1])
import socket
for path in ("/big", "/bigoob", "/missing", "/reset", "/nohead"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        if path == "/bigoob":  # a read that fails by itself: EINVAL
            try:
                c.sock.recv(1, socket.MSG_OOB | socket.MSG_DONTWAIT)
            except OSError as e:
                print(path, "oob", e.errno)
        if path == "/reset":
            time.sleep(0.2)  # the reset has come
            r.read()
        else:
            r.read(100)
        if path == "/missing":
            time.sleep(1.0)  # the close comes late (a Java client's unread error body)
        print(path, r.status, "stopped reading")
    except (OSError, http.client.HTTPException) as e:
        print(path, "failed", type(e).__name__)
    c.close()
PY
SP=$(free_port)
start_untraced "$T/srv.log" /usr/bin/python3 "$T/srv.py" "$SP"
SVC=client traced /usr/bin/python3 "$T/client.py" "$SP" >"$T/client.out"
grep -q '^/big 200 stopped reading$' "$T/client.out" && grep -q '^/bigoob oob 22$' "$T/client.out" &&
	grep -q '^/bigoob 200 stopped reading$' "$T/client.out" && grep -q '^/missing 404 stopped reading$' "$T/client.out" &&
	grep -q '^/reset failed' "$T/client.out" && grep -q '^/nohead failed' "$T/client.out" ||
	fail "client: $(cat "$T/client.out")"
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-client.jsonl")
big = one(ss, attr_url__full="http://127.0.0.1:$SP/big")
assert big["status"] == 0 and "error.type" not in big["attrs"], big
assert big["attrs"]["http.response.status_code"] == 200, big
assert 0 < big["attrs"]["http.response.body.size"] < 8000000, big
oob = one(ss, attr_url__full="http://127.0.0.1:$SP/bigoob")
assert oob["status"] == 0 and "error.type" not in oob["attrs"], oob
miss = one(ss, attr_url__full="http://127.0.0.1:$SP/missing")
assert miss["status"] == 2 and miss["attrs"]["error.type"] == "404", miss
# It ended with the last read, not at the close a second later.
assert miss["end"] - miss["start"] < 900000000, (miss["end"] - miss["start"], miss)
print("  closed while the body came: /big OK 200 (%d of 8000000 body bytes read), /missing ERROR 404,"
      " ended at its last read (%.1f ms), not at the close 1 s later"
      % (big["attrs"]["http.response.body.size"], (miss["end"] - miss["start"]) / 1e6))
print("  the same after a read that failed by itself (MSG_OOB with no urgent data: EINVAL): OK")
rst = one(ss, attr_url__full="http://127.0.0.1:$SP/reset")
assert rst["status"] == 2 and rst["attrs"]["error.type"] == "connection_closed", rst
nh = one(ss, attr_url__full="http://127.0.0.1:$SP/nohead")
assert nh["status"] == 2 and nh["attrs"]["error.type"] == "connection_closed", nh
assert "http.response.status_code" not in nh["attrs"], nh
print("  reset under the body, closed before the head: ERROR connection_closed")
PY
