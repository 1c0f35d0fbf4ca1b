# export_lib.sh - helpers for the network exporter tests (sourced after
# lib.sh).
#
# start_collector DIR MODE [tls:CERT:KEY]: run tests/integration/collector.py
#   (or the command in COLLECTOR, which takes the same arguments)
#   on a free loopback port recording into DIR; sets COLLECTOR_PORT and
#   COLLECTOR_PID (stopped with the other background processes).
# decode_otlp DIR OUT: every recorded request body of DIR, gunzip'ed when
#   its Content-Encoding says so, decoded by the OpenTelemetry JS protobuf
#   code into OUT as OTLP/JSON lines (one per request, in arrival order),
#   and again by python3-protobuf with the published .proto files into
#   OUT.py; both decodings must agree span for span.
# requests DIR: number of requests recorded in DIR.
COLLECTOR="/usr/bin/python3 $ROOT/tests/integration/collector.py"
"$ROOT/scripts/install-npm-tools" || fail "cannot install the npm decoders (scripts/install-npm-tools)"

# traced_calls: a traced python http.server (exporters otlp,file) on a
#   free port, called by traced curl for /headers?x=1, /status/503 and a
#   /call that calls /status/201 back, 0.3 s apart (separate batches);
#   sets PORT and URL.
traced_calls() {
	local path
	PORT=$(free_port)
	start_traced_exp otlp,file pyserver "$T/server.log" python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
	URL="http://127.0.0.1:$PORT"
	for path in "headers?x=1" "status/503" "call?url=$URL/status/201"; do
		traced_exp otlp,file curl "$(command -v curl)" -sS -o /dev/null "$URL/$path"
		sleep 0.3
	done
}

# make_cert: a self-signed certificate for 127.0.0.1 (its own CA), in
#   $T/cert.pem with its key in $T/key.pem.
make_cert() {
	cat >"$T/ssl.cnf" <<'CNF'
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = 127.0.0.1
[ext]
subjectAltName = IP:127.0.0.1
basicConstraints = critical,CA:TRUE
CNF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 2 -config "$T/ssl.cnf" 2>/dev/null
}

start_collector() {
	local dir=$1 mode=$2
	mkdir -p "$dir"
	COLLECTOR_PORT=$(free_port)
	$COLLECTOR "$COLLECTOR_PORT" "$dir" "$mode" ${3:-} >"$dir.log" 2>&1 &
	COLLECTOR_PID=$!
	PIDS+=("$COLLECTOR_PID")
	for _ in $(seq 100); do
		grep -q ready "$dir.log" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$dir.log"
	fail "collector ($mode) did not start"
}

requests() {
	ls "$1" 2>/dev/null | grep -c '^req-[0-9]*\.json$' || true
}

decode_otlp() {
	/usr/bin/python3 - "$1" "$2" "$ROOT/tests/integration/otlp_decode.js" <<'PY'
import glob, gzip, json, subprocess, sys
d, out, js = sys.argv[1:4]
plain = []
for meta in sorted(glob.glob(d + "/req-*.json"), key=lambda p: int(p.split("req-")[-1].split(".")[0])):
    m = json.load(open(meta))
    body = open(meta[:-5] + ".bin", "rb").read()
    enc = [v for k, v in m["headers"] if k.lower() == "content-encoding"]
    if enc == ["gzip"]:
        body = gzip.decompress(body)
    open(meta[:-5] + ".plain", "wb").write(body)
    plain.append(meta[:-5] + ".plain")
with open(out, "w") as f:
    if plain and subprocess.run(["node", js] + plain, stdout=f).returncode:
        sys.exit(1)
with open(out + ".py", "w") as f:
    py = js.replace("otlp_decode.js", "otlp_pydecode.py")
    if plain and subprocess.run(["/usr/bin/python3", py] + plain, stdout=f).returncode:
        sys.exit(1)
PY
	same_spans "$2" "$2.py" >/dev/null || fail "the two protobuf decoders disagree"
}

# start_traced_exp EXPORTERS NAME LOG CMD...: like start_traced, with the
# exporter list EXPORTERS (file output still in $T/spans-NAME.jsonl).
start_traced_exp() {
	local exp=$1 name=$2 log=$3
	shift 3
	OTEL_SERVICE_NAME=$name OTEL_TRACES_EXPORTER=$exp TRACESHIM_FILE="$T/spans-$name.jsonl" \
		OTEL_BSP_SCHEDULE_DELAY=${SCHEDULE_DELAY:-100} LD_PRELOAD="$PRELOAD" "$@" >"$log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	for _ in $(seq 200); do
		grep -q ready "$log" 2>/dev/null && return 0
		kill -0 "$LAST_PID" 2>/dev/null || { cat "$log"; fail "$name died at start"; }
		sleep 0.05
	done
	cat "$log"
	fail "$name did not become ready"
}

# traced_exp EXPORTERS SVC CMD...: like traced, with the exporter list.
traced_exp() {
	local exp=$1 svc=$2 pre=$PRELOAD
	shift 2
	if [ -n "$SAN_RUNTIME" ] && [ "$(basename "$1")" = curl ]; then
		pre=$ROOT/build/libtraceshim.so # see traced() in lib.sh
	fi
	OTEL_SERVICE_NAME=$svc OTEL_TRACES_EXPORTER=$exp TRACESHIM_FILE="$T/spans-$svc.jsonl" \
		LD_PRELOAD="$pre" "$@"
}

# same_spans A B: the span files (globs) A and B hold the same spans.
same_spans() {
	/usr/bin/python3 - "$1" "$2" <<PY
$SPANLIB
a, b = spans(sys.argv[1]), spans(sys.argv[2])
for x in a + b:
    x.pop("raw_attrs")
key = lambda s: s["span"]
a.sort(key=key); b.sort(key=key)
assert len(a) == len(b), "%d spans decoded, %d in the files" % (len(a), len(b))
for x, y in zip(a, b):
    assert x == y, "span differs:\n  decoded %s\n  file    %s" % (x, y)
print("  %d spans, every field equal" % len(a))
PY
}
