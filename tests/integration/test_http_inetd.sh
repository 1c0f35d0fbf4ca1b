# An inetd-style service: the connection arrives as the program's stdin
# and stdout (two descriptors of one socket, inherited, never accepted by
# the program).  A service reads the request from fd 0 and writes the
# response to fd 1: one server span, the child of curl's, ended by the
# response's last byte, with its status and body size.
source "$(dirname "$0")/lib.sh"
# (Its reads and writes are the read(2)/write(2) calls the shim sees:
# stdio's own, inside glibc, are not interposable.)
cat >"$T/svc.py" <<'PYSVC'
import os, time
buf = b""
while b"\r\n\r\n" not in buf:
    d = os.read(0, 7)  # in small pieces, as a line reader would
    if not d:
        raise SystemExit(1)
    buf += d
target = buf.split(b" ")[1]
body = b"hello from inetd: " + target
head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
os.write(1, head)
os.write(1, body)
time.sleep(0.2)  # still running when curl has its answer
PYSVC
PORT=$(free_port)
SERVICE_PRELOAD="$PRELOAD" OTEL_SERVICE_NAME=inetd-svc OTEL_TRACES_EXPORTER=file \
	TRACESHIM_FILE="$T/spans-svc.jsonl" /usr/bin/python3 "$ROOT/tests/integration/inetd.py" "$PORT" \
	/usr/bin/python3 "$T/svc.py" >"$T/inetd.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/inetd.log" && break; sleep 0.05; done
for i in 1 2 3; do
	out=$(SVC=curl-$i traced curl -sS "http://127.0.0.1:$PORT/item/$i?x=$i")
	[ "$out" = "hello from inetd: /item/$i?x=$i" ] || fail "answer: [$out]"
done
wait_spans 6
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
svc = [s for s in ss if s["service"] == "inetd-svc"]
assert len(svc) == 3 and all(s["kind"] == "server" for s in svc), [(s["kind"], s["name"]) for s in svc]
for i in (1, 2, 3):
    c = one(ss, service="curl-%d" % i, kind="client")
    s = one(svc, attr_url__query="x=%d" % i)
    child_of(s, c)
    assert s["attrs"]["http.response.status_code"] == 200, s["attrs"]
    assert s["attrs"]["http.response.body.size"] == len("hello from inetd: /item/%d?x=%d" % (i, i)), s["attrs"]
    assert s["end"] <= c["end"], "the server span outlived the response (ended at exit, not at its last byte)"
print("  3 requests to a service on stdin/stdout: each one server span, child of curl's,"
      " status and body size from the response written on fd 1, ended by its last byte")
PY
