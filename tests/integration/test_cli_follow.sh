# Issue 5, `traceshim view --follow`: started before the file exists, it
# says it waits; lines written in pieces (a line cut mid-way) are read
# once complete; a trace is printed once no span came for the quiet
# period, and again, marked "updated", when more spans arrive; two files
# feed one trace; a truncated and rewritten file is read again without
# printing its spans twice; SIGINT prints what is pending and exits 0 at
# once.  Then against live services: the statuses trace appears while
# they run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
export TZ=UTC

/usr/bin/python3 - "$TRACESHIM" "$T" "$ROOT/tests/integration" <<'PY'
import os, select, signal, subprocess, sys, time
sys.path.insert(0, sys.argv[3])
from otlp_gen import *
ts, T = sys.argv[1], sys.argv[2]
a, b = T + "/f-a.jsonl", T + "/f-b.jsonl"
p = subprocess.Popen([ts, "view", "--follow", "--quiet-ms", "400", "-w", "100", a, b],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out = b""

def read_for(sec):
    global out
    end = time.time() + sec
    while time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], max(0, end - time.time()))
        if r:
            d = os.read(p.stdout.fileno(), 65536)
            if not d:
                return
            out += d

def read_until(cond, sec):
    end = time.time() + sec
    while not cond() and time.time() < end:
        read_for(0.1)

def traces():
    return [l for l in out.decode().splitlines() if l.startswith("trace ")]

t1, t2 = tid(1), tid(2)
read_for(0.6)
assert traces() == [], out
l1 = line("front", [span(t1, sid(1), None, "GET /one", 0, 50)])
with open(a, "w") as f:            # half a line, then the rest
    f.write(l1[:40]); f.flush()
    read_for(0.3)
    f.write(l1[40:] + "\n"); f.flush()
with open(b, "w") as f:
    f.write(line("back", [span(t1, sid(2), sid(1), "GET /two", 10, 40)]) + "\n")
read_for(0.2)
assert traces() == [], "printed before the quiet period: %r" % out
read_until(lambda: len(traces()) >= 1, 5)
assert len(traces()) == 1 and "2 spans, 2 services" in traces()[0], out
assert "updated" not in traces()[0]
print("  waits for missing files, joins pieces and files, prints after the quiet period")

with open(b, "a") as f:
    f.write(line("back", [span(t1, sid(3), sid(2), "GET /three", 20, 30)]) + "\n")
read_until(lambda: len(traces()) >= 2, 5)
assert len(traces()) == 2 and "3 spans" in traces()[1] and "(updated: 1 more span)" in traces()[1], out
# The file is rewritten from scratch with the spans it had: nothing new.
with open(b, "w") as f:
    f.write(line("back", [span(t1, sid(2), sid(1), "GET /two", 10, 40)]) + "\n")
read_for(1.0)
assert len(traces()) == 2, out
print("  more spans: printed again, marked updated; a rewritten file does not repeat spans")

with open(a, "a") as f:
    f.write(line("front", [span(t2, sid(9), None, "GET /pending", 0, 5)]) + "\n")
time.sleep(0.25)                   # read, but not quiet yet
p.send_signal(signal.SIGINT)
t0 = time.time()
rest, err = p.communicate(timeout=5)
out += rest
assert p.returncode == 0, (p.returncode, err)
assert time.time() - t0 < 1.0, "SIGINT took %.1f s" % (time.time() - t0)
assert len(traces()) == 3 and "GET /pending" in traces()[2], out
assert b"f-a.jsonl: No such file or directory; waiting for it" in err and b"f-b.jsonl" in err, err
assert err.count(b"waiting for it") == 2, err
print("  SIGINT: pending trace printed, exit 0 at once; each missing file mentioned once")
PY

# Live services: the trace shows up while they run.
PB=$(free_port)
PP=$(free_port)
BACKEND_PORT=$PB start_traced backend "$T/b.log" "$APPS/statuses/backend"
PROXY_PORT=$PP BACKEND_PORT=$PB start_traced proxy "$T/p.log" "$APPS/statuses/proxy"
"$TRACESHIM" view --follow --quiet-ms 300 "$T"/spans-backend.jsonl "$T"/spans-proxy.jsonl "$T"/spans-curl.jsonl \
	>"$T/live.txt" 2>"$T/live.err" &
FPID=$!
PIDS+=("$FPID")
SVC=curl traced curl -sS -o /dev/null "http://127.0.0.1:$PP/statuses"
for _ in $(seq 100); do
	grep -q '^trace .* 4 spans, 3 services' "$T/live.txt" && break
	sleep 0.1
done
grep -q '^trace .* 4 spans, 3 services' "$T/live.txt" || { cat "$T/live.txt" "$T/live.err"; fail "the live trace did not appear"; }
kill -INT "$FPID"
wait "$FPID" || fail "--follow exited $? on SIGINT"
stop_all
note "live: the statuses trace appeared while the services ran"
