# Connections switched to another protocol (101), with the new protocol's
# bytes sent right behind the Upgrade request, before the 101 (what an
# eager WebSocket or h2c client may do), and bytes that look like HTTP:
#  - traced server: one span, GET /ws (101); what it echoes is what was
#    sent; the bytes behind the request are no request (the old build made
#    a span "POST /fake" of them);
#  - traced client: one span; the request carries one traceparent line,
#    the bytes behind it go out as they were (nothing injected into them);
#  - an upgrade the server declines (426) on a kept-alive connection: the
#    next request is traced as usual.
source "$(dirname "$0")/lib.sh"

cat >"$T/ws.py" <<'PY'
import socket, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])
EXTRA = b"POST /fake HTTP/1.1\r\nHost: z\r\nContent-Length: 3\r\n\r\nabc" + bytes(range(256)) * 8
UP = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"

def head(f):
    lines = [f.readline()]
    while lines[-1] not in (b"\r\n", b""):
        lines.append(f.readline())
    return b"".join(lines)

def serve(c, log):
    f = c.makefile("rb", buffering=0)
    while True:
        h = head(f)
        if not h.strip():
            return
        if log:
            log.write(h); log.flush()
        path = h.split()[1]
        if path == b"/ws":
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while True:  # the tunnel: echo
                b = c.recv(65536)
                if not b:
                    return
                if log:
                    log.write(b); log.flush()
                c.sendall(b)
        elif path == b"/nows":
            c.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")

def read_exact(c, n):
    data = b""
    while len(data) < n:
        b = c.recv(n - len(data))
        assert b, "connection closed early"
        data += b
    return data

if mode == "server":
    log = open(sys.argv[3], "wb") if len(sys.argv) > 3 else None
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(8); print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, log), daemon=True).start()
else:
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(UP + EXTRA)  # one write: the request and what follows it
    f = c.makefile("rb", buffering=0)
    assert head(f).startswith(b"HTTP/1.1 101")
    assert read_exact(c, len(EXTRA)) == EXTRA, "echo differs"
    c.close()
    c = socket.create_connection(("127.0.0.1", port))
    f = c.makefile("rb", buffering=0)
    c.sendall(b"GET /nows HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    assert head(f).startswith(b"HTTP/1.1 426")
    c.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head(f).startswith(b"HTTP/1.1 200") and read_exact(c, 3) == b"ok\n"
    c.close()
    print("client done")
PY
SP=$(free_port)
start_traced ws-srv "$T/srv.log" /usr/bin/python3 "$T/ws.py" server "$SP"
[ "$(/usr/bin/python3 "$T/ws.py" client "$SP")" = "client done" ] || fail "untraced client against the traced server failed"
PP=$(free_port)
start_untraced "$T/plain.log" /usr/bin/python3 "$T/ws.py" server "$PP" "$T/received.bin"
[ "$(SVC=ws-cli traced /usr/bin/python3 "$T/ws.py" client "$PP")" = "client done" ] || fail "traced client failed"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import re
T = sys.argv[1]
sys.path.insert(0, T)
ss = spans(T + "/spans-*.jsonl")
srv = in_order(ss, service="ws-srv")
assert [(s["name"], s["attrs"].get("http.response.status_code")) for s in srv] == \
    [("GET /ws", 101), ("GET /nows", 426), ("GET /after", 200)], [(s["name"], s["attrs"]) for s in srv]
print("  traced server: the bytes behind an Upgrade request are no request (GET /ws 101, one span);"
      " after a declined upgrade (426) the next request is traced")
cli = in_order(ss, service="ws-cli")
assert [s["attrs"].get("http.response.status_code") for s in cli] == [101, 426, 200], [s["attrs"] for s in cli]
got = open(T + "/received.bin", "rb").read()
tps = re.findall(rb"traceparent: 00-[0-9a-f]{32}-([0-9a-f]{16})-01\r\n", got)
assert tps == [c["span"].encode() for c in cli], (tps, [c["span"] for c in cli])
plain = re.sub(rb"traceparent: [^\r]*\r\n", b"", got)
UP = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
EXTRA = b"POST /fake HTTP/1.1\r\nHost: z\r\nContent-Length: 3\r\n\r\nabc" + bytes(range(256)) * 8
assert plain.startswith(UP + EXTRA), "the bytes behind the Upgrade request were changed"
print("  traced client: one traceparent per request, the bytes written behind the Upgrade request sent as they were")
PY
