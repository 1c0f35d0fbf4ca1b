#!/usr/bin/env bash
# OTLP over gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc) to a collector built on
# grpcio, the gRPC project's own implementation: real programs' spans
# (traced curl -> traced python http.server) arrive whole, decoded by two
# independent protobuf decoders and equal to what the file exporter wrote;
# the headers variable arrives as call metadata; gzip; a call per batch on
# connections that do not break; gRPC statuses: a refusal is one warning
# and not retried, UNAVAILABLE is retried, a partial success is one
# warning; https:// with a private CA; a plain HTTP/1.1 port is one
# warning and the program unharmed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/export_lib.sh"
/usr/bin/python3 -c 'import grpc' 2>/dev/null || fail "python3-grpcio is missing (scripts/install-deps)"
GRPC_COLLECTOR="/usr/bin/python3 $ROOT/tests/integration/grpc_collector.py"

# start_grpc DIR MODE [tls:CERT:KEY]: as start_collector, with grpcio.
start_grpc() {
	COLLECTOR=$GRPC_COLLECTOR start_collector "$@"
}
export OTEL_EXPORTER_OTLP_PROTOCOL=grpc

# --- 1. real programs, metadata, two decoders ---------------------------
start_grpc "$T/g1" ok
# A path in the endpoint is not used (gRPC names its method itself).
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT/ignored/"
export OTEL_EXPORTER_OTLP_HEADERS='api-key=s3cr%3Dt%20v , x-tenant = a%2Cb'
traced_calls
wait_spans 7
sleep 0.3
stop_all
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS
grep -v "^ready$" "$T/server.log" && fail "server printed something"
decode_otlp "$T/g1" "$T/otlp1.jsonl"
$CHECK_JSON "$T/otlp1.jsonl" >/dev/null
same_spans "$T/otlp1.jsonl" "$T/spans-*.jsonl"
/usr/bin/python3 - "$T/g1" "$T/otlp1.jsonl" <<PY
$SPANLIB
import glob, json
reqs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/req-*.json")]
assert len(reqs) >= 4, len(reqs)
for r in reqs:
    h = {}
    for k, v in r["headers"]:
        h.setdefault(k, []).append(v)
    assert h["api-key"] == ["s3cr=t v"] and h["x-tenant"] == ["a,b"], h
    assert h["user-agent"][0].startswith("traceshim/"), h
ss = spans(sys.argv[2])
assert {s["service"] for s in ss} == {"curl", "pyserver"}
s = one(ss, service="pyserver", kind="server", attr_url__path="/headers")
child_of(s, one(ss, service="curl", kind="client", span=s["parent"]))
e = one(ss, service="pyserver", kind="server", attr_url__path="/status/503")
assert e["status"] == 2 and e["attrs"]["http.response.status_code"] == 503
print("%d calls, %d spans" % (len(reqs), len(ss)))
PY
[ $? = 0 ] || fail "gRPC export of real programs"
note "traced curl and python server over gRPC: every span decoded by both decoders, equal to the file exporter's; metadata from OTEL_EXPORTER_OTLP_HEADERS"

# --- 2. gzip, and many calls in a row ----------------------------------
start_grpc "$T/g2" ok
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2 OTEL_TRACES_EXPORTER=otlp,file TRACESHIM_FILE="$T/g2.jsonl" \
TRACESHIM_LOG_LEVEL=info "$SPANGEN" -n 20 >/dev/null 2>"$T/g2.err"
grep -q '20 spans created, 20 exported, 0 dropped (queue full), 0 lost' "$T/g2.err" || { cat "$T/g2.err"; fail "gzip, batches of 2: not all exported"; }
[ "$(requests "$T/g2")" = 10 ] || fail "gzip, batches of 2: $(requests "$T/g2") calls, expected 10"
decode_otlp "$T/g2" "$T/otlp2.jsonl"
same_spans "$T/otlp2.jsonl" "$T/g2.jsonl"
note "gzip (grpc-encoding), 10 calls in a row: 20 of 20 spans exported and decoded"

# --- 3. statuses ----------------------------------------------------------
start_grpc "$T/g3" status:3
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_BSP_MAX_EXPORT_BATCH_SIZE=5 \
OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info "$SPANGEN" -n 10 >/dev/null 2>"$T/g3.err"
[ "$(grep -c 'was refused: gRPC status 3 INVALID_ARGUMENT "no way → none"; the batch is dropped, not retried' "$T/g3.err")" = 1 ] ||
	{ cat "$T/g3.err"; fail "INVALID_ARGUMENT: expected one warning"; }
grep -q '10 spans created, 0 exported, 0 dropped (queue full), 10 lost' "$T/g3.err" || { cat "$T/g3.err"; fail "INVALID_ARGUMENT: counts"; }
[ "$(requests "$T/g3")" = 2 ] || fail "INVALID_ARGUMENT was retried: $(requests "$T/g3") calls for 2 batches"
start_grpc "$T/g4" first:2:14
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 10 >/dev/null 2>"$T/g4.err"
grep -q '10 spans created, 10 exported' "$T/g4.err" || { cat "$T/g4.err"; fail "UNAVAILABLE twice: not retried to success"; }
grep -q 'answered gRPC status 14 UNAVAILABLE; retrying' "$T/g4.err" || { cat "$T/g4.err"; fail "UNAVAILABLE: no note"; }
[ "$(requests "$T/g4")" = 3 ] || fail "UNAVAILABLE twice: $(requests "$T/g4") calls, expected 3"
start_grpc "$T/g5" partial
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_BSP_MAX_EXPORT_BATCH_SIZE=10 \
OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info "$SPANGEN" -n 30 >/dev/null 2>"$T/g5.err"
[ "$(grep -c 'accepted a batch only in part: 3 spans rejected: "bad span"' "$T/g5.err")" = 1 ] ||
	{ cat "$T/g5.err"; fail "partial success: expected one warning"; }
[ "$(requests "$T/g5")" = 3 ] || fail "partial success was retried"
start_grpc "$T/g5b" bigpartial
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 5 >/dev/null 2>"$T/g5b.err"
grep -q 'accepted a batch only in part: 3 spans rejected: "span rejected: attribute too long span' "$T/g5b.err" ||
	{ cat "$T/g5b.err"; fail "partial success with a long message: no warning"; }
# RESOURCE_EXHAUSTED with a RetryInfo: retried, after the delay it names.
start_grpc "$T/g5c" retryinfo:1:8:700
t0=$(now_ms)
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 5 >/dev/null 2>"$T/g5c.err"
el=$(($(now_ms) - t0))
grep -q '5 spans created, 5 exported' "$T/g5c.err" || { cat "$T/g5c.err"; fail "RESOURCE_EXHAUSTED with RetryInfo: not retried"; }
[ "$(requests "$T/g5c")" = 2 ] || fail "RESOURCE_EXHAUSTED with RetryInfo: $(requests "$T/g5c") calls, expected 2"
/usr/bin/python3 - "$T/g5c" <<'PY' || fail "RESOURCE_EXHAUSTED with RetryInfo: the retry did not wait the 700 ms asked"
import json, sys
t = [json.load(open("%s/req-%d.json" % (sys.argv[1], i)))["t"] for i in (1, 2)]
assert 0.65 <= t[1] - t[0] < 2.0, t[1] - t[0]
print("  retried %.0f ms after RESOURCE_EXHAUSTED with a RetryInfo of 700 ms" % ((t[1] - t[0]) * 1000))
PY
start_grpc "$T/g5d" status:8
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$COLLECTOR_PORT" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 5 >/dev/null 2>"$T/g5d.err"
[ "$(requests "$T/g5d")" = 1 ] || fail "RESOURCE_EXHAUSTED without RetryInfo was retried"
note "INVALID_ARGUMENT: one warning (its UTF-8 message whole), not retried; UNAVAILABLE twice: retried, 10 of 10 exported; partial success: one warning, a long message cut, not lost; RESOURCE_EXHAUSTED retried after its RetryInfo's delay only when it has one"

# --- 3b. the connection dropped in the middle of a call ------------------
# A proxy in front of the collector closes the first connection after
# reading the call (a collector restarting): gRPC calls that UNAVAILABLE,
# retried on a new connection.
start_grpc "$T/g8" ok
cat >"$T/dropper.py" <<'PY'
import socket, sys, threading
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", 0))
lst.listen(8)
print(lst.getsockname()[1], flush=True)
first = True
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = lst.accept()
    if first:
        first = False
        c.recv(65536)
        c.close()
        continue
    u = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
/usr/bin/python3 "$T/dropper.py" "$COLLECTOR_PORT" >"$T/dropper.port" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$T/dropper.port" ] && break; sleep 0.05; done
# (Exported while the program runs: at exit a failed connection is not
# retried, so that a machine without a collector does not delay exits.)
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$T/dropper.port")" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
OTEL_BSP_SCHEDULE_DELAY=100 "$SPANGEN" -n 5 -s 1500 >/dev/null 2>"$T/g8.err"
grep -q '5 spans created, 5 exported' "$T/g8.err" || { cat "$T/g8.err"; fail "a call whose connection dropped: not retried"; }
[ "$(requests "$T/g8")" = 1 ] || fail "dropped connection: $(requests "$T/g8") calls reached the collector, expected 1"
note "the first connection closed mid-call: retried on a new one, 5 of 5 exported"

# No collector at all, at the default log level: nothing on the
# program's stderr (a machine without one is a normal state).
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(free_port)" OTEL_TRACES_EXPORTER=otlp \
	"$SPANGEN" -n 3 >"$T/g9.out" 2>"$T/g9.err"
[ ! -s "$T/g9.err" ] || { cat "$T/g9.err"; fail "no collector: the program's stderr got something"; }
grep -q '^pid [0-9]* spans 3$' "$T/g9.out" || fail "no collector: the program's output changed"
note "no collector listening: the program's stderr stays empty"

# A child forked right after the parent's first span (when the reporter
# has announced its libcurl set-up) exits at once, not 2 s later.
PORT=$(free_port)
start_untraced "$T/pyf.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
cat >"$T/forkexit.py" <<'PY'
import os, sys, time, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/headers" % sys.argv[1]).read()
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    sys.exit(0)
os.waitpid(pid, 0)
print("%d" % ((time.monotonic() - t0) * 1000))
PY
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(free_port)" OTEL_TRACES_EXPORTER=otlp LD_PRELOAD="$PRELOAD" \
	/usr/bin/python3 "$T/forkexit.py" "$PORT" >"$T/fe.out" 2>"$T/fe.err"
ms=$(cat "$T/fe.out")
[ -n "$ms" ] && [ "$ms" -lt 1000 ] || { cat "$T/fe.err"; fail "a child forked after the first span took ${ms:-?} ms to exit"; }
note "a child forked right after the first span exited in $ms ms"

# --- 4. https:// with a private CA -----------------------------------------
make_cert # $T/cert.pem, $T/key.pem
start_grpc "$T/g6" ok "tls:$T/cert.pem:$T/key.pem"
OTEL_EXPORTER_OTLP_ENDPOINT="https://127.0.0.1:$COLLECTOR_PORT" OTEL_EXPORTER_OTLP_CERTIFICATE="$T/cert.pem" \
OTEL_BSP_MAX_EXPORT_BATCH_SIZE=10 OTEL_TRACES_EXPORTER=otlp,file TRACESHIM_FILE="$T/g6.jsonl" TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 30 >/dev/null 2>"$T/g6.err"
grep -q '30 spans created, 30 exported' "$T/g6.err" || { cat "$T/g6.err"; fail "gRPC over TLS: not exported"; }
decode_otlp "$T/g6" "$T/otlp6.jsonl"
same_spans "$T/otlp6.jsonl" "$T/g6.jsonl"
note "https:// (TLS, ALPN h2) with OTEL_EXPORTER_OTLP_CERTIFICATE: 30 of 30 delivered and decoded"

# --- 5. grpc pointed at an OTLP/HTTP port ------------------------------------
# (it answers HTTP/2's preface as the collector's Go HTTP/1.1 server
# does: "400 Bad Request", then closes)
cat >"$T/h1.py" <<'PY'
import socket
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(8)
print(lst.getsockname()[1], flush=True)
while True:
    c, _ = lst.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
              b"Connection: close\r\n\r\n400 Bad Request: unsupported protocol version")
    c.close()
PY
/usr/bin/python3 "$T/h1.py" >"$T/h1.port" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$T/h1.port" ] && break; sleep 0.05; done
PORT=$(cat "$T/h1.port")
start=$(now_ms)
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$PORT" OTEL_TRACES_EXPORTER=otlp TRACESHIM_LOG_LEVEL=info \
	"$SPANGEN" -n 5 >"$T/g7.out" 2>"$T/g7.err"
ms=$(($(now_ms) - start))
grep -q '^pid [0-9]* spans 5$' "$T/g7.out" || fail "gRPC to an HTTP/1.1 port: the program's output changed"
[ "$(grep -c '^traceshim: warning: gRPC export to .*: the server answered nothing HTTP/2 can read, or closed the connection (an OTLP/HTTP port?' "$T/g7.err")" = 1 ] ||
	{ cat "$T/g7.err"; fail "gRPC to an HTTP/1.1 port: expected one warning"; }
grep -q '5 spans created, 0 exported.* 5 lost' "$T/g7.err" || { cat "$T/g7.err"; fail "gRPC to an HTTP/1.1 port: counts"; }
[ "$ms" -le 3000 ] || fail "gRPC to an HTTP/1.1 port: exit took $ms ms"
note "grpc to an OTLP/HTTP port: one warning, spans counted as lost, exit after $ms ms"
