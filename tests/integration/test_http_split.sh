# One connection, two threads: one writes the requests, another reads the
# responses (Java's HttpClient, Python programs with a reader thread, any
# client multiplexing a keep-alive connection), and on the server side one
# thread reads the requests while another writes the responses.  A
# response can then be read, on the other thread, while the send of its
# request is still in the shim: it must still be paired with that request.
# The old build lost the pairing within a few requests (the response was
# taken for one nobody sent, the connection then passed through
# untraced; other programs got every later span's status and size from
# the next response).
#  - every client span has its own response's status and body size, and
#    so does every server span;
#  - every server span is the child of the client span of its request.
# Loopback only.
source "$(dirname "$0")/lib.sh"

STATUS='(200, 201, 202, 203, 404, 500, 503)'
cat >"$T/srv.py" <<PY
# A server whose reader thread hands each request to a writer thread.
import queue, socket, sys, threading
STATUS = $STATUS
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(16)
print("ready", flush=True)
def serve(c):
    q = queue.Queue()
    def writer():
        while True:
            i = q.get()
            if i is None:
                return
            b = b"x" * (i % 97)
            c.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (STATUS[i % 7], len(b), b))
    t = threading.Thread(target=writer); t.start()
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                q.put(None); t.join(); c.close()
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        q.put(int(head.split(b" ")[1].rsplit(b"/", 1)[1]))
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat >"$T/cli.py" <<PY
# Each connection: a writer thread sends the next request once the reader
# thread has read the last response.
import socket, sys, threading
STATUS = $STATUS
port, n, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
bad = []
def one(k):
    c = socket.create_connection(("127.0.0.1", port))
    got = threading.Semaphore(0)
    def reader():
        buf = b""
        for i in range(n):
            while b"\r\n\r\n" not in buf:
                buf += c.recv(65536)
            head, buf = buf.split(b"\r\n\r\n", 1)
            st = int(head.split(b" ")[1])
            ln = int([l.split(b":")[1] for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length")][0])
            while len(buf) < ln:
                buf += c.recv(65536)
            buf = buf[ln:]
            if st != STATUS[i % 7] or ln != i % 97:
                bad.append((k, i, st, ln))
            got.release()
    t = threading.Thread(target=reader); t.start()
    for i in range(n):
        c.sendall(b"GET /%d/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % (k, i))
        got.acquire()
    t.join(); c.close()
ts = [threading.Thread(target=one, args=(k,)) for k in range(conns)]
[t.start() for t in ts]; [t.join() for t in ts]
assert not bad, bad[:5]
print("ok")
PY
N=400
C=3
SP=$(free_port)
start_traced srv "$T/srv.log" /usr/bin/python3 "$T/srv.py" "$SP"
SVC=cli traced /usr/bin/python3 "$T/cli.py" "$SP" "$N" "$C" >"$T/cli.out" 2>&1 || { cat "$T/cli.out"; fail "the client failed"; }
wait_spans $((2 * N * C))
stop_all

/usr/bin/python3 - "$T" "$N" "$C" "$SP" <<PY
$SPANLIB
T, n, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
STATUS = $STATUS
ss = spans(T + "/spans-*.jsonl")
cl = {s["attrs"]["url.full"].split(str(sys.argv[4]), 1)[1]: s for s in ss if s["service"] == "cli"}
sv = {s["attrs"]["url.path"]: s for s in ss if s["service"] == "srv"}
assert len(cl) == n * conns, ("client spans", len(cl), n * conns)
assert len(sv) == n * conns, ("server spans", len(sv), n * conns)
wrong = []
for path, c in sorted(cl.items()):
    i = int(path.rsplit("/", 1)[1])
    for s in (c, sv[path]):
        a = s["attrs"]
        if (a.get("http.response.status_code"), a.get("http.response.body.size", 0)) != (STATUS[i % 7], i % 97):
            wrong.append((s["service"], path, a.get("http.response.status_code"), a.get("http.response.body.size")))
    child_of(sv[path], c)
assert not wrong, ("%d of %d spans with another response's status or size" % (len(wrong), 2 * n * conns), wrong[:5])
print("  %d requests on %d connections, written and read by two threads on each side: every span"
      " with its own response's status and size, every server span the child of its client span"
      % (n * conns, conns))
PY

# A request whose body the server does not wait for: it answers 413 as soon
# as it has the head, and reads the body only 0.7 s later.  The client's
# writer thread is blocked in one send() of the head and the 4 MiB body
# meanwhile, and its reader thread reads the 413.  The read must not wait
# for the send: the old build held the connection's lock through the
# whole send, so the reader gave up on it after 50 ms and the span ended
# as connection_closed instead of with the 413.
cat >"$T/early_srv.py" <<'PY'
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(4)
print("ready", flush=True)
while True:
    c, _ = ls.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += c.recv(1)
    c.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig")
    time.sleep(0.7)
    buf = buf[buf.index(b"\r\n\r\n") + 4:]
    while len(buf) < 4 << 20 or b"\r\n\r\n" not in buf[4 << 20:]:
        d = c.recv(65536)
        if not d:
            break
        buf += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.close()
PY
cat >"$T/early_cli.py" <<'PY'
import socket, sys, threading, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
got = {}
def reader():
    buf = b""
    while not buf.endswith(b"big"):
        buf += c.recv(65536)
    got["413"] = time.monotonic()
    while not buf.endswith(b"ok"):
        buf += c.recv(65536)
t = threading.Thread(target=reader); t.start()
body = b"b" * (4 << 20)
req = b"POST /early HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(body) + body
if sys.argv[2] == "write":  # write(2) on a TCP_NODELAY socket
    import os
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mv = memoryview(req)
    while mv:
        mv = mv[os.write(c.fileno(), mv):]
else:
    c.sendall(req)
sent = time.monotonic()
c.sendall(b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n")
t.join(); c.close()
print("413 read %.3f s before the send of the body returned" % (sent - got["413"]))
PY
EP=$(free_port)
start_untraced "$T/early_srv.log" /usr/bin/python3 "$T/early_srv.py" "$EP"
for how in send write; do
	SVC=early-$how traced /usr/bin/python3 "$T/early_cli.py" "$EP" $how >"$T/early-$how.out" 2>&1 ||
		{ cat "$T/early-$how.out"; fail "the early client ($how) failed"; }
done
stop_all
for how in send write; do
/usr/bin/python3 - "$T" $how <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-early-%s.jsonl" % sys.argv[2])
post = one(ss, kind="client", attr_http__request__method="POST")
a = post["attrs"]
assert a.get("http.response.status_code") == 413 and a.get("error.type") == "413", a
# Ended while its body was still being sent: the size its Content-Length declared.
assert a.get("http.request.body.size") == 4 << 20, a
get = one(ss, kind="client", attr_http__request__method="GET")
assert get["attrs"].get("http.response.status_code") == 200, get["attrs"]
print("  %s: a 413 sent before the 4 MiB body was read, read by the client's reader thread while the"
      " writer was still in the call: the POST span has status 413 and the body size declared, the GET after it 200 ("
      % sys.argv[2] + open(T + "/early-%s.out" % sys.argv[2]).read().strip() + ")")
PY
done
