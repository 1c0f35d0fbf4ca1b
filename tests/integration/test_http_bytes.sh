# Issue 3 acceptance 4 (and RELIABILITY 12-15, 18): byte exactness of
# context injection.  A recording server (not traced) captures what really
# crossed the wire; apart from exactly one injected traceparent line per
# request, every byte must be the application's, and the application must
# see return values that count only its own bytes.
source "$(dirname "$0")/lib.sh"
RAW="$ROOT/$BUILD/tests/apps/rawclient"

rec() { # mode [dir] -> starts a recorder writing $T/<dir> (default rec-<mode>), sets RPORT
	local dir=$T/${2:-rec-$1}
	mkdir -p "$dir"
	RPORT=$(free_port)
	start_untraced "$dir.log" /usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RPORT" "$dir" "$1"
}

rec http
HPORT=$RPORT
SVC=dribble traced "$RAW" dribble "$HPORT" >"$T/out-dribble"
SVC=iov traced "$RAW" iov "$HPORT" >"$T/out-iov"
SVC=pipeline traced "$RAW" pipeline "$HPORT" >"$T/out-pipeline"
SVC=bigpost traced "$RAW" bigpost "$HPORT" >"$T/out-bigpost"

rec echo
printf 'GET ' >"$T/random.bin"
head -c $((8 << 20)) /dev/urandom >>"$T/random.bin"
printf '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n' >"$T/resp.bin"
# A TLS 1.2 ClientHello record header and handshake start, then random.
printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' >"$T/tls.bin"
head -c 4000 /dev/urandom >>"$T/tls.bin"
printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' >"$T/h2.bin"
head -c 1000 /dev/urandom >>"$T/h2.bin"
for f in random resp tls h2; do
	SVC=raw-$f traced "$RAW" raw "$RPORT" "$T/$f.bin" >"$T/echo-$f.bin"
	cmp -s "$T/$f.bin" "$T/echo-$f.bin" || fail "$f: echoed bytes differ"
done
sleep 0.3
for f in random resp tls h2; do
	n=$(ls "$T/rec-echo" | wc -l)
	cat "$T"/rec-echo/conn-*.bin >/dev/null
done
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, hashlib, re
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")

def conn_bytes(d):
    return [open(p, "rb").read() for p in sorted(glob.glob(T + "/rec-%s/conn-*.bin" % d),
                                                   key=lambda p: int(p.split("-")[-1][:-4]))]

http = conn_bytes("http")
assert len(http) == 4, len(http)

def check(raw, original, service, n):
    found = TP.findall(raw)
    assert len(found) == n, (service, found)
    stripped = TP.sub(b"", raw)
    assert stripped == original, (service, stripped[:200], original[:200])
    # each injected line sits right before the empty line ending its head
    assert len(re.findall(rb"\r\n" + TP.pattern + rb"\r\n", raw)) == n, service
    cs = sorted([s for s in ss if s["service"] == service and s["kind"] == "client"], key=lambda s: (s["start"], s["end"]))
    assert len(cs) == n, (service, len(cs))
    assert [(c["trace"].encode(), c["span"].encode()) for c in cs] == found, (service, found)
    return cs

check(http[0], b"GET /dribble?a=1 HTTP/1.1\r\nHost: localhost\r\nX-Test: dribble\r\n\r\n", "dribble", 1)
print("  request dribbled byte by byte: one traceparent, other bytes unchanged")
check(http[1], b"GET /iov HTTP/1.1\r\nHost: localhost\r\nX-Test: iov\r\n\r\n", "iov", 1)
print("  one sendmsg of 11 iovecs (empty ones, split lines): one traceparent")
p = b"".join(b"GET /p%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i for i in (1, 2, 3))
cs = check(http[2], p, "pipeline", 3)
assert len({c["span"] for c in cs}) == 3 and [c["attrs"]["url.full"].rsplit("/", 1)[1] for c in cs] == ["p1", "p2", "p3"]
assert all(c["name"] == "GET" for c in cs)
assert all(c["attrs"]["http.response.status_code"] == 200 for c in cs)
print("  3 pipelined requests in one send: 3 client spans, 3 distinct traceparents")

out = open(T + "/out-bigpost").read().split("\n")
partial, eagain, sent = (int(x) for x in out[0].split()[1::2])
pat = b"GET / HTTP/1.1\r\ntraceparent: x\r\n\r\n"
body = (pat * ((4 << 20) // len(pat) + 1))[: 4 << 20]
assert partial > 0 and eagain > 0, out[0]
assert sent == len(b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4194304\r\n\r\n") + len(body), out[0]
assert out[1] == hashlib.sha256(body).hexdigest(), "server's SHA-256 of the body differs"
raw = http[3]
assert raw.count(b"traceparent: 00-") == 1, "injected into the body"
c = check(raw[: raw.index(b"\r\n\r\n") + 4], b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4194304\r\n\r\n", "bigpost", 1)[0]
assert c["attrs"]["http.request.body.size"] == 4 << 20, c["attrs"]
print("  4 MiB POST, non-blocking, 4 KiB SO_SNDBUF: %d partial writes, %d EAGAIN, body SHA-256 matches" % (partial, eagain))

echo = conn_bytes("echo")
for i, f in enumerate(["random", "resp", "tls", "h2"]):
    assert echo[i] == open(T + "/%s.bin" % f, "rb").read(), f + ": recorded bytes differ"
    assert not [s for s in ss if s["service"] == "raw-" + f], f + ": spans for a non-HTTP stream"
print("  8 MiB random starting with 'GET ', Redis RESP, TLS ClientHello, HTTP/2 preface: byte for byte, no spans")
PY

# --- descriptors: dup, MSG_PEEK, reuse of a closed number, inheritance ---
stop_all
rec http rec-fd
SVC=dup traced "$RAW" dup "$RPORT" >"$T/out-dup" 2>"$T/err-dup"
# Invalid arguments get the real call's error, not a crash of ours.
"$RAW" nullmsg "$RPORT" >"$T/null-plain"
SVC=null traced "$RAW" nullmsg "$RPORT" >"$T/null-traced"
cmp -s "$T/null-plain" "$T/null-traced" || { diff "$T/null-plain" "$T/null-traced"; fail "NULL msghdr: results differ"; }
grep -q '^sendmsg -1 Bad address$' "$T/null-traced" || fail "sendmsg(NULL) did not fail with EFAULT"
note "NULL msghdr and empty writev: same results and errno as without the shim"
# A socket connected before the shim was loaded in this process (the
# parent python is not traced) and inherited across exec.
/usr/bin/python3 - "$RPORT" "$RAW" "$PRELOAD" "$T" <<'PY'
import os, socket, sys
port, raw, preload, T = sys.argv[1:]
s = socket.create_connection(("127.0.0.1", int(port)))
fd = s.detach()
os.set_inheritable(fd, True)
env = dict(os.environ, LD_PRELOAD=preload, OTEL_SERVICE_NAME="inherit",
           OTEL_TRACES_EXPORTER="file", TRACESHIM_FILE=T + "/spans-inherit.jsonl")
pid = os.fork()
if pid == 0:
    os.execve(raw, [raw, "inherit", str(fd)], env)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
sleep 0.3
stop_all
/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, re
T = sys.argv[1]
ss = spans(T + "/spans-dup.jsonl", T + "/spans-inherit.jsonl")
# url.full without the port the request went to (Host names none: the
# URL names the connection's port, server.port's)
def url(s):
    return s["attrs"].get("url.full", "").replace(":%s/" % s["attrs"].get("server.port"), "/", 1)
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
conns = {}
for p in glob.glob(T + "/rec-fd/conn-*.bin"):
    b = open(p, "rb").read()
    if b:  # the nullmsg connections send nothing
        conns[b.split(b" ")[1]] = b
d, = [s for s in ss if s["service"] == "dup" and s["kind"] == "client" and url(s) == "http://localhost/dup"]
assert TP.findall(conns[b"/dup"]) == [(d["trace"].encode(), d["span"].encode())]
assert TP.sub(b"", conns[b"/dup"]) == b"GET /dup HTTP/1.1\r\nHost: localhost\r\nX-Test: dup\r\n\r\n"
assert d["attrs"]["http.response.status_code"] == 200 and d["attrs"]["http.response.body.size"] == 2, d["attrs"]
print("  dup'd descriptor: one connection state, one traceparent; MSG_PEEK then recv: response parsed once")
r, = [s for s in ss if s["service"] == "dup" and s["kind"] == "client" and url(s) == "http://localhost/reuse"]
assert r["trace"] != d["trace"] and TP.findall(conns[b"/reuse"]) == [(r["trace"].encode(), r["span"].encode())]
print("  reused descriptor number: fresh state, its own span")
i = one(ss, service="inherit", kind="client")
assert url(i) == "http://localhost/inherited" and TP.findall(conns[b"/inherited"]) == [(i["trace"].encode(), i["span"].encode())]
print("  inherited connected socket: classified lazily, traced")
PY

# --- splice: a body spliced out of a pipe, a response body spliced into one
stop_all
rec http rec-splice
SVC=splice traced "$RAW" splice "$RPORT" >"$T/out-splice"
sleep 0.3
stop_all
/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, hashlib, re
T = sys.argv[1]
ss = sorted([s for s in spans(T + "/spans-splice.jsonl") if s["kind"] == "client"], key=lambda s: s["start"])
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
conns = [open(p, "rb").read() for p in glob.glob(T + "/rec-splice/conn-*.bin")]
assert len(conns) == 1, len(conns)
pat = b"GET / HTTP/1.1\r\ntraceparent: x\r\n\r\n"
body = (pat * ((1 << 20) // len(pat) + 1))[: 1 << 20]
want = (b"POST /sha256 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n" + body +
        b"GET /bytes/1048576 HTTP/1.1\r\nHost: localhost\r\n\r\n" +
        b"GET /after-splice HTTP/1.1\r\nHost: localhost\r\n\r\n")
found = TP.findall(conns[0])
assert TP.sub(b"", conns[0]) == want, "spliced stream: bytes differ"
assert len(ss) == 3 and [(c["trace"].encode(), c["span"].encode()) for c in ss] == found, (len(ss), found)
out = open(T + "/out-splice").read().split("\n")
assert out[0] == hashlib.sha256(body).hexdigest() and out[1] == "spliced 1048576" and out[2] == "ok", out
a = [c["attrs"] for c in ss]
assert a[0]["http.request.body.size"] == 1 << 20 and a[0]["http.response.status_code"] == 200, a[0]
assert a[1]["http.response.body.size"] == 1 << 20 and a[1]["http.response.status_code"] == 200, a[1]
assert a[2]["url.full"].endswith("/after-splice") and a[2]["http.response.body.size"] == 2, a[2]
print("  1 MiB body spliced from a pipe, 1 MiB response body spliced into one, then a plain request on the"
      " same connection: 3 client spans, 3 traceparents, every other byte the application's, sizes counted")
PY

# --- descriptors closed past the close() hook, then reused for a file ---
# A socket closed by fclose() of its stdio stream, by closefrom(),
# close_range() or a raw close system call, its number reused by open(): a
# request's text written to the file stays the application's, byte for
# byte.
stop_all
rec http rec-unseen
for how in fclose closefrom close_range syscall; do
	SVC=unseen-$how traced "$RAW" unseen "$RPORT" "$how" "$T/file-$how.txt" >"$T/out-unseen-$how" ||
		fail "$how: rawclient failed"
	# the number taken by a socketpair instead (node.js closes with a raw
	# close system call and gives a child's stdin such a socket)
	SVC=unseen-pair-$how traced "$RAW" unseen "$RPORT" "$how" "socketpair:$T/pair-$how.txt" \
		>"$T/out-unseen-pair-$how" || fail "$how: rawclient (socketpair) failed"
done
# The server side: the accepted socket closed unseen, a file holding a
# request opened on its number and read: no server span for the file.
printf 'GET /read-from-a-file HTTP/1.1\r\nHost: localhost\r\n\r\n' >"$T/request.txt"
for how in fclose closefrom close_range; do
	SVC=unseen-server-$how traced "$RAW" unseen-server "$how" "$T/request.txt" >"$T/out-unseen-server-$how" ||
		fail "$how: rawclient unseen-server failed"
done
sleep 0.3
stop_all
/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, re
T = sys.argv[1]
# url.full without the port the request went to (Host names none: the
# URL names the connection's port, server.port's)
def url(s):
    return s["attrs"].get("url.full", "").replace(":%s/" % s["attrs"].get("server.port"), "/", 1)
for how in ("fclose", "closefrom", "close_range"):
    out = open(T + "/out-unseen-server-" + how).read().split("\n")
    assert out[1].startswith(how + " fd ") and out[1].endswith(" read 51"), out
    ss = spans(T + "/spans-unseen-server-%s.jsonl" % how)
    got = sorted((s["kind"], s["attrs"].get("url.path") or url(s)) for s in ss)
    assert got == [("client", "http://localhost/served"), ("server", "/served")], (how, got)
print("  accepted socket closed by fclose(), closefrom(), close_range(); a file holding a request read on its"
      " number: no span for it")
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
want = b"GET /written-to-a-file HTTP/1.1\r\nHost: localhost\r\n\r\n"
conns = [open(p, "rb").read() for p in glob.glob(T + "/rec-unseen/conn-*.bin")]
assert len(conns) == 8 and all(len(TP.findall(c)) == 1 for c in conns), conns
for how in ("fclose", "closefrom", "close_range", "syscall"):
    for kind, svc, got in (("file", "unseen-" + how, "/file-%s.txt" % how),
                           ("socketpair", "unseen-pair-" + how, "/pair-%s.txt" % how)):
        out = open(T + "/out-" + svc).read().split("\n")
        assert out[1].startswith(how + " fd ") and out[1].endswith(" wrote %d" % len(want)), out
        got = open(T + got, "rb").read()
        assert got == want, (how, kind, got)
        cs = [s for s in spans(T + "/spans-%s.jsonl" % svc) if s["kind"] == "client"]
        assert [url(c) for c in cs] == ["http://localhost/unseen"], (how, kind, cs)
print("  socket closed by fclose(), closefrom(), close_range(), a raw close system call; its number reused by a file"
      " or a socketpair: the request written there byte for byte, the socket's request traced")
PY

# --- more requests in flight than the queue holds (4) ---
# 7 pipelined requests, then one more after their responses: the 3 behind
# the queue go untraced and carry no traceparent (none names a span that
# does not exist), and tracing resumes for the next request.  Client side
# against the recorder, server side in a traced python server.
stop_all
rec http rec-deep
SVC=deep traced "$RAW" deep "$RPORT" 7 >"$T/out-deep" || fail "rawclient deep failed"
PPORT=$(free_port)
start_traced pydeep "$T/pydeep.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PPORT"
"$RAW" deep "$PPORT" 7 >"$T/out-deep-srv" || fail "rawclient deep (untraced, to python) failed"
# A server that closes without answering: the client span ends at the
# end of the stream, not when the program closes the socket 300 ms later.
SVC=drop traced "$RAW" drop "$PPORT" >"$T/out-drop" || fail "rawclient drop failed"
# A child made by a raw clone system call (no fork handlers ran in it):
# it passes through, the parent traces on.
SVC=rawclone traced "$RAW" rawclone "$PPORT" >"$T/out-rawclone" || fail "rawclient rawclone failed"
sleep 0.3
stop_all
/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, re
T = sys.argv[1]
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
raw = [open(p, "rb").read() for p in glob.glob(T + "/rec-deep/conn-*.bin")]
assert len(raw) == 1, len(raw)
heads = raw[0].split(b"\r\n\r\n")[:-1]
assert len(heads) == 8, len(heads)
cs = {c["attrs"]["url.full"].rsplit("/", 1)[1]: c for c in spans(T + "/spans-deep.jsonl") if c["kind"] == "client"}
traced = ["d0", "d1", "d2", "d3", "after"]
assert sorted(cs) == sorted(traced), sorted(cs)
for h in heads:
    path = h.split(b" ")[1][1:].decode()
    found = TP.findall(h + b"\r\n")
    if path in traced:
        assert found == [(cs[path]["trace"].encode(), cs[path]["span"].encode())], (path, found)
        assert cs[path]["attrs"]["http.response.status_code"] == 200, cs[path]
    else:
        assert found == [], (path, h)
sv = sorted(s["attrs"]["url.path"] for s in spans(T + "/spans-pydeep.jsonl") if s["kind"] == "server" and s["attrs"]["url.path"][:2] in ("/d", "/a") and s["attrs"]["url.path"] != "/drop")
assert sv == ["/after", "/d0", "/d1", "/d2", "/d3"], sv
print("  7 pipelined requests: 4 traced, the 3 behind the queue carry no traceparent and make no span;"
      " the next request traced again (client and server side)")
out = open(T + "/out-rawclone").read().split("\n")
assert "child 7" in out, out
rc = sorted(c["attrs"]["url.full"].rsplit("/", 1)[1] for c in spans(T + "/spans-rawclone.jsonl") if c["kind"] == "client")
assert rc == ["parent-1", "parent-2"], rc
hs = {s["attrs"]["url.path"]: s for s in spans(T + "/spans-pydeep.jsonl") if s["kind"] == "server"}
assert hs["/raw-child"]["parent"] == "" and hs["/parent-2"]["parent"] != "", hs
print("  a child made by syscall(SYS_clone): its request passes through untraced; the parent's are traced")
c = one(spans(T + "/spans-drop.jsonl"), kind="client")
ms = (c["end"] - c["start"]) / 1e6
assert c["status"] == 2 and c["attrs"].get("error.type") and ms < 150, (ms, c)
print("  server closed without answering: the client span ends at the end of the stream (%.1f ms, %s),"
      " not at close() 300 ms later" % (ms, c["attrs"]["error.type"]))
PY
