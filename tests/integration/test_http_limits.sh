# RELIABILITY 9 and 17: a -D_FORTIFY_SOURCE=2 program's __recv_chk and
# __read_chk are traced; request heads of 1 KB, 8191, 8192, 8193 bytes and
# 64 KB: traced with exactly one injected line up to TRACESHIM_MAX_HEADER_BYTES
# (8192), passed through byte for byte and untraced above it.
source "$(dirname "$0")/lib.sh"
FORT="$ROOT/$BUILD/tests/apps/fortified"

mkdir -p "$T/rec"
RPORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RPORT" "$T/rec" http >"$T/rec.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$T/rec.log" && break; sleep 0.05; done

nm -D "$FORT" | grep -q __read_chk || fail "fortified test app does not use __read_chk"
nm -D "$FORT" | grep -q __recv_chk || fail "fortified test app does not use __recv_chk"
SVC=fort traced "$FORT" "$RPORT" /fortified >"$T/fort.out"
grep -q '^HTTP/1.1' "$T/fort.out" || fail "fortified client got no response"
for size in 1024 8191 8192 8193 65536; do
	SVC=size-$size traced "$FORT" "$RPORT" "/size/$size" "$size" >/dev/null
done
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, re
T = sys.argv[1]
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
rec = {}
for p in glob.glob(T + "/rec/conn-*.bin"):
    b = open(p, "rb").read()
    rec[b.split(b" ")[1].decode()] = b
ss = spans(T + "/spans-*.jsonl")
f = one(ss, service="fort", kind="client")
assert f["attrs"]["http.response.status_code"] == 200 and f["attrs"]["http.response.body.size"] == 2, f["attrs"]
assert TP.findall(rec["/fortified"]) == [(f["trace"].encode(), f["span"].encode())]
print("  -D_FORTIFY_SOURCE=2 client: response read through __recv_chk/__read_chk, span complete")
for size in (1024, 8191, 8192, 8193, 65536):
    raw = rec["/size/%d" % size]
    head = TP.sub(b"", raw)
    assert len(head) == size and head.endswith(b"\r\n\r\n"), (size, len(head))
    cs = [s for s in ss if s["service"] == "size-%d" % size]
    if size <= 8192:
        assert len(TP.findall(raw)) == 1 and len(cs) == 1, (size, len(cs))
    else:
        assert raw == head and not cs, (size, len(cs))
print("  heads of 1024, 8191, 8192 bytes traced; 8193 and 65536 passed through byte for byte, untraced")
PY
