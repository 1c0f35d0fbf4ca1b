# Issue 6, Jaeger: a batch too big for one datagram is split.  3000 spans
# with three 400-byte attributes each (multi-byte UTF-8 and an invalid byte
# in every one) leave in one batch at exit: every datagram is at most
# 65,000 bytes, is a whole emitBatch message that Apache Thrift's code
# decodes, repeats the process, and is filled greedily; together they hold
# each span exactly once, equal to the file exporter's copy.  Then the
# same through fork: each child sends its own spans only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jaegerlib.sh"

start_agent split
OTEL_BSP_MAX_QUEUE_SIZE=8192 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=4096 OTEL_BSP_SCHEDULE_DELAY=60000 \
	TRACESHIM_SHUTDOWN_TIMEOUT=20000 OTEL_TRACES_EXPORTER=jaeger,file TRACESHIM_FILE="$T/spans-split.jsonl" \
	OTEL_EXPORTER_JAEGER_AGENT_HOST=127.0.0.1 OTEL_EXPORTER_JAEGER_AGENT_PORT="$AGENT_PORT" \
	"$SPANGEN" -n 3000 -B 3 -x exit >"$T/out"
grep -q '^pid [0-9]* spans 3000$' "$T/out" || fail "spangen output changed"
wait_jaeger_spans 3000 "$T/agent-split.bin"

/usr/bin/python3 - "$T" <<PY
$JAEGERLIB
T = sys.argv[1]
dg = jaegerlib.datagrams(T + "/agent-split.bin")
decoded = [jaegerlib.decode(d) for d in dg]
sizes = [len(d) for d in dg]
assert max(sizes) <= 65000, max(sizes)
assert len(dg) >= sum(sizes) // 65000 + 1, (len(dg), sum(sizes))
# One batch, filled greedily: every datagram but the last is nearly full
# (a span here is under 2 KB).
assert all(s > 65000 - 2048 for s in sizes[:-1]), sizes
assert [seq for seq, _ in decoded] == list(range(len(dg))), [seq for seq, _ in decoded]
assert all(b.process == decoded[0][1].process for _, b in decoded), "process not repeated"
js = jaegerlib.spans(T + "/agent-split.bin")
ss = spans(T + "/spans-split.jsonl")
assert len(js) == len(ss) == 3000, (len(js), len(ss))
by = {j["span"]: j for j in js}
assert len(by) == 3000 and set(by) == {s["span"] for s in ss}
for s in ss:
    j = by[s["span"]]
    assert jaegerlib.attrs(j) == s["attrs"], (jaegerlib.attrs(j), s["attrs"])
big = [s for s in ss if "spangen.big.0" in s["attrs"]]
assert len(big) == 2999 and all("\u00e9\u20ac" in s["attrs"]["spangen.big.2"] and "\ufffd" in s["attrs"]["spangen.big.2"] for s in big)
print("  3000 spans (%d bytes) in %d datagrams of %d..%d bytes, all <= 65000, greedy, decoded, equal to the file" % (
    sum(sizes), len(dg), min(sizes), max(sizes)))
PY

# Fork: 4 children x 500 spans, leaving by _exit(); each datagram holds one
# process's spans and names that process.
start_agent fork
OTEL_BSP_MAX_QUEUE_SIZE=4096 TRACESHIM_SHUTDOWN_TIMEOUT=20000 OTEL_TRACES_EXPORTER=jaeger,file \
	TRACESHIM_FILE="$T/spans-fork.jsonl" OTEL_EXPORTER_JAEGER_AGENT_HOST=127.0.0.1 \
	OTEL_EXPORTER_JAEGER_AGENT_PORT="$AGENT_PORT" "$SPANGEN" -n 500 -p 4 -B 1 -x _exit >"$T/out"
[ "$(grep -c '^pid' "$T/out")" = 4 ] || fail "spangen did not run 4 processes"
wait_jaeger_spans 2000 "$T/agent-fork.bin"
/usr/bin/python3 - "$T" <<PY
$JAEGERLIB
T = sys.argv[1]
js = jaegerlib.spans(T + "/agent-fork.bin")
ss = spans(T + "/spans-fork.jsonl")
assert len(js) == 2000 and len({j["span"] for j in js}) == 2000, len(js)
pid_of = {s["span"]: s["pid"] for s in ss}
assert all(j["pid"] == pid_of[j["span"]] for j in js), "a span was sent with another process"
assert len({j["pid"] for j in js}) == 4
print("  fork: 4 processes x 500 spans, each span once, each with its own process")
PY
