# A proxy that forwards its caller's traceparent (issue 3, Injection: our
# client span id is written into it in place) and writes the request in
# small pieces, so that the 16 digits of the parent id are split across two
# or more sends at every offset.  A recorder (not traced) keeps what crossed
# the wire.  For every piece size and split point:
#  - every send() returns at most what it was asked to send, and the
#    pieces add up to the request (before the fix, a send holding the first
#    digits of the id counted all 16 as sent, and the old digits went out
#    after the new ones: the wire had more bytes than the program wrote);
#  - the recorded request is the program's, byte for byte, except the 16
#    digits of the parent id;
#  - those digits are the proxy's client span id, whose parent is the
#    proxy's server span, in the caller's trace.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/rec"
RP=$(free_port)
start_untraced "$T/rec.log" /usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RP" "$T/rec" http

cat >"$T/proxy.py" <<'PY'
import http.server, socket, sys, urllib.parse

port, rport = int(sys.argv[1]), int(sys.argv[2])

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        step, pad = int(q["step"][0]), int(q["pad"][0])
        req = ("GET /back?step=%d&pad=%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "X-Pad: %s\r\ntraceparent: %s\r\nX-After: yes\r\n"
               "Connection: close\r\n\r\n" % (step, pad, rport, "p" * pad,
                                              self.headers["traceparent"])).encode()
        s = socket.create_connection(("127.0.0.1", rport))
        off, bad = 0, []
        while off < len(req):
            piece = req[off:off + step]
            n = s.send(piece)
            if n <= 0 or n > len(piece):
                bad.append("send(%d bytes) returned %d" % (len(piece), n))
                break
            off += n
        s.settimeout(10)
        resp = b""
        while not bad and not resp.endswith(b"\r\n\r\nok"):
            d = s.recv(65536)
            if not d:
                break
            resp += d
        s.close()
        body = ("sent %d of %d %s" % (off, len(req), ";".join(bad))).encode()
        self.send_response(200 if not bad and resp.startswith(b"HTTP/1.1 200") else 502)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

s = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
print("ready", flush=True)
s.serve_forever()
PY
PP=$(free_port)
start_traced proxy "$T/proxy.log" /usr/bin/python3 "$T/proxy.py" "$PP" "$RP"

# Piece sizes, and pads that move the id's first digit over every offset
# of a piece.
CASES=""
for step in 1 2 3 5 8 13 16 17 40; do
	for pad in $(seq 0 $((step > 17 ? 16 : step - 1))); do CASES+="$step:$pad "; done
done
cat >"$T/client.py" <<'PY'
import sys, urllib.error, urllib.request
port = int(sys.argv[1])
for c in sys.argv[2:]:
    step, pad = c.split(":")
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/fwd?step=%s&pad=%s" % (port, step, pad)) as r:
            print(c, r.status, r.read().decode(), flush=True)
    except urllib.error.HTTPError as e:
        print(c, e.code, e.read().decode(), flush=True)
PY
# shellcheck disable=SC2086
SVC=client traced /usr/bin/python3 "$T/client.py" "$PP" $CASES >"$T/client.out" 2>&1 ||
	{ cat "$T/client.out"; fail "a forwarded request failed"; }
sleep 0.3
stop_all

/usr/bin/python3 - "$T" "$RP" "$PP" $CASES <<PY
$SPANLIB
import glob, re
T, rport, pport, cases = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
out = open(T + "/client.out").read().split("\n")
for c, line in zip(cases, out):
    step, pad = c.split(":")
    want = "%s 200 sent " % c
    assert line.startswith(want) and line.split()[3] == line.split()[5], "proxy: " + line
recs = {}
for path in glob.glob(T + "/rec/conn-*.bin"):
    b = open(path, "rb").read()
    m = re.match(rb"GET /back\?step=(\d+)&pad=(\d+) ", b)
    assert m, b[:80]
    recs["%s:%s" % (int(m.group(1)), int(m.group(2)))] = b
assert sorted(recs) == sorted(cases), (len(recs), len(cases))
ss = spans(T + "/spans-*.jsonl")
for c in cases:
    step, pad = map(int, c.split(":"))
    got = recs[c]
    i = got.index(b"\r\ntraceparent: ") + 15
    tp = got[i:i + 55].decode()
    srv = one(ss, service="proxy", kind="server", attr_url__query="step=%d&pad=%d" % (step, pad))
    cli = one(ss, service="proxy", kind="client",
              attr_url__full="http://127.0.0.1:%d/back?step=%d&pad=%d" % (rport, step, pad))
    curl = one(ss, service="client", kind="client",
               attr_url__full="http://127.0.0.1:%d/fwd?step=%d&pad=%d" % (pport, step, pad))
    # What the proxy wrote: the caller's traceparent.
    sent = ("GET /back?step=%d&pad=%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "X-Pad: %s\r\ntraceparent: 00-%s-%s-01\r\nX-After: yes\r\n"
            "Connection: close\r\n\r\n" % (step, pad, rport, "p" * pad, curl["trace"], curl["span"])).encode()
    assert len(got) == len(sent), (c, got, sent)
    assert got[:i + 36] == sent[:i + 36] and got[i + 52:] == sent[i + 52:], (c, got, sent)
    assert got.count(b"traceparent") == 1, (c, got)
    assert tp == "00-%s-%s-01" % (cli["trace"], cli["span"]), (c, tp, cli["span"])
    child_of(srv, curl)
    child_of(cli, srv)
print("  %d forwarded requests written in pieces of 1 to 40 bytes, the parent id split at"
      " every offset: every send returned at most its piece, the wire held the program's"
      " bytes with only the 16 id digits changed, and those are the proxy's client span" % len(cases))
PY
