# Messages whose lines end in a bare LF (RFC 9112 section 2.2 lets a
# recipient take it for CRLF; nginx, Apache, Go, python and curl do), as
# hand-written services print them:
#  - a traced "legacy" server answering with bare-LF heads (kept-alive
#    with Content-Length, delimited by close, a 503) to a traced curl: one
#    trace per request, status codes on both sides, the 503 an ERROR (the
#    old build ended every one of these spans without a status);
#  - a traced client writing bare-LF requests (one with a body, two on one
#    connection) to an untraced nginx that answers with the traceparent it
#    received: the injected header reaches it and names the client span
#    (the old build injected nothing and made no span);
#  - a server answering with a header line folded onto the next ones
#    (obs-fold, RFC 9112 section 5.2, which old servers send) to a traced
#    curl, twice on one connection: both requests traced on both sides
#    (the old build refused the head and passed the connection through,
#    so the second request had no span and no traceparent).
source "$(dirname "$0")/lib.sh"

cat >"$T/legacy.py" <<'PY'
import socket, sys, threading
mode, port = sys.argv[1], int(sys.argv[2])

def head(f):
    lines = [f.readline()]
    while lines[-1] not in (b"\r\n", b"\n", b""):
        lines.append(f.readline())
    return b"".join(lines)

def serve(c):
    f = c.makefile("rb", buffering=0)
    while True:
        h = head(f)
        if not h.strip():
            break
        path = h.split()[1]
        if path.startswith(b"/fold"):
            c.sendall(b"HTTP/1.1 200 OK\r\nX-Old: a,\r\n  b\r\n\tc\r\nContent-Length: 3\r\n\r\nok\n")
        elif path.startswith(b"/ka"):
            c.sendall(b"HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 3\n\nok\n")
        elif path == b"/err":
            c.sendall(b"HTTP/1.1 503 Busy\nContent-Length: 0\n\n")
        else:  # HTTP/1.0 style: the body ends at close
            c.sendall(b"HTTP/1.0 200 OK\nContent-Type: text/plain\n\nbye\n")
            break
    c.close()

def response(f):
    h = head(f)
    n = [int(l.split(b":")[1]) for l in h.split(b"\n") if l.lower().startswith(b"content-length:")]
    return h, f.read(n[0]) if n else b""

if mode == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(8); print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
else:  # the client, against nginx echoing $http_traceparent
    c = socket.create_connection(("127.0.0.1", port))
    f = c.makefile("rb", buffering=0)
    c.sendall(b"POST /one HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello")
    h1, b1 = response(f)
    c.sendall(b"GET /two?q=1 HTTP/1.1\nHost: x\nUser-Agent: legacy/1\n\n")
    h2, b2 = response(f)
    c.close()
    assert h1.startswith(b"HTTP/1.1 200") and h2.startswith(b"HTTP/1.1 200"), (h1, h2)
    print(b1.decode())
    print(b2.decode())
PY

# A traced legacy server and a traced curl.
SP=$(free_port)
start_traced legacy "$T/srv.log" /usr/bin/python3 "$T/legacy.py" server "$SP"
U=http://127.0.0.1:$SP
out=$(SVC=curl traced curl -sS "$U/ka1" "$U/ka2")
[ "$out" = "$(printf 'ok\nok')" ] || fail "curl through bare-LF answers got: $out"
[ "$(SVC=curl traced curl -sS "$U/close")" = bye ] || fail "close-delimited answer differs"
SVC=curl traced curl -sS -o /dev/null "$U/err"
out=$(SVC=fold traced curl -sS "$U/fold1" "$U/fold2")
[ "$out" = "$(printf 'ok\nok')" ] || fail "curl through folded answers got: $out"

# A traced bare-LF client and an untraced nginx.
NP=$(free_port)
nginx_conf "$T/ng" "$T/ng/nginx.conf" "master_process off;" "
	server {
		listen 127.0.0.1:$NP;
		location / { return 200 \"\$http_traceparent\"; }
	}"
nginx -c "$T/ng/nginx.conf" -p "$T/ng" &
PIDS+=("$!")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NP/" && break; sleep 0.05; done
SVC=rawcli traced /usr/bin/python3 "$T/legacy.py" client "$NP" >"$T/echo.txt" || fail "bare-LF client failed"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
fold = in_order(ss, service="fold")
fsrv = [s for s in in_order(ss, service="legacy") if s["attrs"].get("url.path", "").startswith("/fold")]
assert [(c["attrs"].get("url.full"), c["attrs"].get("http.response.status_code")) for c in fold] == \
    [("http://127.0.0.1:$SP/fold1", 200), ("http://127.0.0.1:$SP/fold2", 200)], [c["attrs"] for c in fold]
assert [s["attrs"].get("http.response.status_code") for s in fsrv] == [200, 200], [s["attrs"] for s in fsrv]
for c, s in zip(fold, fsrv):
    child_of(s, c)
    assert c["attrs"].get("http.response.body.size") == 3, c["attrs"]
print("  a server answering with obs-folded header lines, twice on one connection: both requests traced,"
      " client and server, one trace each")
srv = [s for s in in_order(ss, service="legacy") if not s["attrs"].get("url.path", "").startswith("/fold")]
cli = in_order(ss, service="curl")
want = [("GET", "/ka1", 200), ("GET", "/ka2", 200), ("GET", "/close", 200), ("GET", "/err", 503)]
for side, got in (("server", srv), ("client", cli)):
    assert [(s["attrs"].get("http.request.method"),
             s["attrs"].get("url.path", s["attrs"].get("url.full", "").replace("http://127.0.0.1:$SP", "")),
             s["attrs"].get("http.response.status_code")) for s in got] == want, \
        (side, [(s["name"], s["attrs"], s["status"]) for s in got])
    assert [s["status"] for s in got] == [0, 0, 0, 2], (side, [s["status"] for s in got])
for c, s in zip(cli, srv):
    assert s["trace"] == c["trace"] and s["parent"] == c["span"], (c, s)
    assert c["start"] <= s["start"] and s["end"] <= c["end"] + 1000000, (c, s)
assert [c["attrs"].get("http.response.body.size") for c in cli][:3] == [3, 3, 4], [c["attrs"] for c in cli]
print("  traced legacy server answering with bare-LF heads (kept-alive, close-delimited, 503), traced curl:"
      " 4 traces of client -> server span, status codes on both sides, the 503 an ERROR")
raw = in_order(ss, service="rawcli")
assert [(s["name"], s["attrs"].get("http.response.status_code")) for s in raw] == \
    [("POST", 200), ("GET", 200)], [(s["name"], s["attrs"]) for s in raw]
assert raw[1]["attrs"].get("url.full") == "http://x:$NP/two?q=1" and raw[1]["attrs"].get("user_agent.original") == "legacy/1", raw[1]["attrs"]
echo = open(T + "/echo.txt").read().split()
assert echo == ["00-%s-%s-01" % (s["trace"], s["span"]) for s in raw], (echo, [(s["trace"], s["span"]) for s in raw])
print("  traced client writing bare-LF requests (a POST with a body, then a GET, one connection) to an untraced nginx:"
      " the traceparent nginx received names each client span")
PY
