# RELIABILITY 4 and 5 at the socket layer: a signal handler that write()s
# and send()s while hooks run (no deadlock, errno preserved, every request
# traced exactly once); fork() while 16 threads send (children that leave
# by _exit() deliver their spans, ids never repeat, every request carries
# exactly one traceparent).
source "$(dirname "$0")/lib.sh"
STRESS="$ROOT/$BUILD/tests/apps/stress"

mkdir -p "$T/rec"
RPORT=$(free_port)
start_untraced "$T/rec.log" /usr/bin/python3 "$ROOT/tests/integration/recorder.py" "$RPORT" "$T/rec" http

SVC=sig timeout 120 env OTEL_BSP_MAX_QUEUE_SIZE=8192 LD_PRELOAD="$PRELOAD" OTEL_SERVICE_NAME=sig \
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-sig.jsonl" "$STRESS" signals "$RPORT" 2000 >"$T/sig.out" ||
	fail "signals: exit $? (hang or crash)"
grep -q '^errno-bad' "$T/sig.out" && fail "errno changed under a signal handler"
read -r _ ok nsig <"$T/sig.out"
[ "$ok" = 2000 ] || fail "signals: $ok of 2000 requests answered"
[ "$nsig" -gt 100 ] || fail "signals: only $nsig signals arrived (test too weak)"
note "2000 requests with $nsig SIGALRM handlers sending meanwhile: no hang, errno preserved"

fork_run() {
	rm -f "$T/spans-fork.jsonl"
	timeout 120 env OTEL_BSP_MAX_QUEUE_SIZE=8192 LD_PRELOAD="$PRELOAD" OTEL_SERVICE_NAME=fork \
		OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-fork.jsonl" "$STRESS" fork "$RPORT" 50 >"$T/fork.out" ||
		fail "fork: exit $?"
	read -r _ ok children <"$T/fork.out"
	[ "$ok" = 800 ] && [ "$children" = 20 ] || fail "fork: $ok of 800 requests, $children of 20 children"
}
fork_run
# Sanitizer passes only: gcc 12's ASan allocator is not locked across
# fork(), so a child forked while another thread holds one of its size
# class locks deadlocks at its first allocation from that class (seen in
# the child's reporter, freeing a buffer into the quarantine, 1 run in 7
# to 20 on a loaded machine); its exit flush then gives up at the
# shutdown deadline and its one span is lost.  glibc's malloc is
# fork-safe: in plain builds a shortfall fails at once.  In sanitizer
# passes one second run, said aloud; a second shortfall fails.
n=$(grep -o '"spanId"' "$T/spans-fork.jsonl" | wc -l)
if [ "$n" != 820 ]; then
	[ -n "$SAN_RUNTIME" ] || fail "fork: $n of 820 spans"
	note "fork: $n of 820 spans (the sanitizer runtime's fork deadlock); running the fork scenario once more"
	fork_run
fi
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import glob, re
T = sys.argv[1]
TP = re.compile(rb"traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-01\r\n")
import os
# oldest first: a rerun's recordings of the same paths come last and win
recorded = [open(p, "rb").read() for p in sorted(glob.glob(T + "/rec/conn-*.bin"), key=os.path.getmtime)]
sent = {}
for raw in recorded:
    heads = [h for h in raw.split(b"\r\n\r\n") if h.startswith(b"GET ")]
    for h in heads:
        tps = TP.findall(h + b"\r\n\r\n")
        assert len(tps) == 1, h
        sent[h.split(b" ")[1].decode()] = tps[0][1].decode()

sig = spans(T + "/spans-sig.jsonl")
cs = [s for s in sig if s["kind"] == "client"]
assert len(cs) == 2000, len(cs)
assert {s["span"] for s in cs} == {sent["/sig/%d" % i] for i in range(2000)}
print("  signals: 2000 client spans, each matching the one traceparent its request carried")

fk = spans(T + "/spans-fork.jsonl")
assert len(fk) == 820, len(fk)
ids = [s["span"] for s in fk]
assert len(set(ids)) == 820, "span ids repeat across fork"
assert len({s["pid"] for s in fk}) == 21, "children's spans missing"
for path, sid in sent.items():
    if path.startswith("/t") or path.startswith("/child"):
        assert sid in set(ids), path
print("  fork x20 while 16 threads send: 820 spans from 21 processes, no id repeats, one traceparent per request")
PY
