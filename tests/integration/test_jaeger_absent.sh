# Issue 6 acceptance 4, Jaeger: with no agent (nothing listening on the UDP
# port: the kernel answers ICMP port unreachable, a connected socket sees
# ECONNREFUSED), traced programs behave exactly as untraced ones: same
# output, stderr and exit status, exit within TRACESHIM_SHUTDOWN_TIMEOUT on
# every exit path, memory bounded however many spans are lost; the loss is
# noticed (info level only).  And a program that points every descriptor
# at a file of its own after the first export: nothing is written into it,
# and the exporter carries on with a socket of its own.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jaegerlib.sh"

DEAD=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
JENV="OTEL_TRACES_EXPORTER=jaeger OTEL_EXPORTER_JAEGER_AGENT_HOST=127.0.0.1 OTEL_EXPORTER_JAEGER_AGENT_PORT=$DEAD"
margin=400 # ms for process start-up and exit on a loaded 2-core machine

# 1. Exit bound, every exit path, output and status unchanged.
for timeout in 300 1000; do
	for how in return exit _exit _Exit; do
		start=$(now_ms)
		set +e
		env $JENV OTEL_BSP_SCHEDULE_DELAY=20 TRACESHIM_SHUTDOWN_TIMEOUT=$timeout \
			"$SPANGEN" -n 5000 -t 4 -x "$how" >"$T/out" 2>"$T/err"
		rc=$?
		set -e
		ms=$(($(now_ms) - start))
		[ "$rc" = 0 ] || fail "exit status $rc with the agent absent ($how)"
		grep -q '^pid [0-9]* spans 20000$' "$T/out" || fail "stdout changed ($how)"
		[ ! -s "$T/err" ] || { cat "$T/err"; fail "stderr not empty ($how)"; }
		[ "$ms" -le $((timeout + margin)) ] || fail "$how: exit took ${ms} ms, bound ${timeout} ms"
	done
	note "agent absent, TRACESHIM_SHUTDOWN_TIMEOUT=$timeout, return/exit/_exit/_Exit: status 0, output unchanged, last exit after ${ms} ms"
done

# 2. The loss is noticed: refusals counted, reported at the info level.
env $JENV OTEL_BSP_SCHEDULE_DELAY=20 TRACESHIM_LOG_LEVEL=info "$SPANGEN" -n 200 -s 300 >/dev/null 2>"$T/err"
grep -q "jaeger agent 127.0.0.1:$DEAD refuses datagrams" "$T/err" || { cat "$T/err"; fail "refusal not noticed"; }
grep -q "jaeger: .* datagrams, [1-9][0-9]* refusals" "$T/err" || { cat "$T/err"; fail "refusals not counted"; }
grep -q "lost to export failures" "$T/err" || { cat "$T/err"; fail "no summary line"; }
note "refusals noticed: $(grep -o 'jaeger: .*' "$T/err")"

# 3. Real programs, traced with the agent absent vs untraced.
PORT=$(free_port)
SCHEDULE_DELAY=50 start_traced pyserver "$T/server.log" env $JENV python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
CLOSED=$(free_port)
compare() { # name cmd... : same stdout, stderr, status traced and untraced
	local name=$1 pre=$PRELOAD
	shift
	if [ -n "$SAN_RUNTIME" ] && [ "$(basename "$1")" = curl ]; then pre=$ROOT/build/libtraceshim.so; fi
	set +e
	"$@" >"$T/u.out" 2>"$T/u.err"
	u=$?
	env $JENV OTEL_BSP_SCHEDULE_DELAY=20 LD_PRELOAD="$pre" "$@" >"$T/t.out" 2>"$T/t.err"
	t=$?
	set -e
	[ "$u" = "$t" ] || fail "$name: exit status $t traced, $u untraced"
	cmp -s "$T/u.out" "$T/t.out" || fail "$name: stdout differs"
	# curl's messages carry their own timing ("after 16 ms"): not ours.
	sed -i -E 's/after [0-9]+ ms/after N ms/' "$T/u.err" "$T/t.err"
	cmp -s "$T/u.err" "$T/t.err" || { diff "$T/u.err" "$T/t.err"; fail "$name: stderr differs"; }
}
compare curl-ok curl -sS -w '%{http_code}\n' "http://127.0.0.1:$PORT/status/200"
compare curl-503 curl -sS -f "http://127.0.0.1:$PORT/status/503"
compare curl-refused curl -sS "http://127.0.0.1:$CLOSED/"
compare python-urllib python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$PORT/status/200').read())"
compare sh sh -c 'echo out; echo err >&2; exit 3'
compare ls ls /usr
note "curl (200, 503 with -f, refused), python urllib, sh, ls: same output, stderr and status as untraced"

# 4. Memory bounded: ten times the spans, all lost, about the same peak.
hwm() { # spans -> peak RSS in kB of a process making them, agent absent
	env $JENV OTEL_BSP_SCHEDULE_DELAY=20 "$SPANGEN" -n "$1" -t 2 -s 1500 >"$T/hwm.out" &
	local pid=$!
	for _ in $(seq 400); do grep -q '^pid' "$T/hwm.out" && break; sleep 0.05; done
	awk '/VmHWM/ {print $2}' "/proc/$pid/status"
	wait "$pid"
}
small=$(hwm 20000)
big=$(hwm 200000)
[ "$big" -le $((small + 8192)) ] || fail "peak RSS grew from ${small} kB (40k spans) to ${big} kB (400k spans)"
note "memory bounded: peak RSS ${small} kB for 40k spans, ${big} kB for 400k spans"

# 5. Every descriptor pointed at the application's file after the first
# export: the victim stays empty, the second round reaches the agent.
start_agent live
OTEL_TRACES_EXPORTER=jaeger,file TRACESHIM_FILE="$T/spans-victim.jsonl" OTEL_BSP_SCHEDULE_DELAY=50 \
	OTEL_EXPORTER_JAEGER_AGENT_HOST=127.0.0.1 OTEL_EXPORTER_JAEGER_AGENT_PORT="$AGENT_PORT" \
	"$SPANGEN" -n 100 -C "$T/victim" >/dev/null
[ ! -s "$T/victim" ] || fail "span bytes were written into the application's file"
wait_jaeger_spans 200 "$T/agent-live.bin"
/usr/bin/python3 - "$T" <<PY
$JAEGERLIB
js = jaegerlib.spans(sys.argv[1] + "/agent-live.bin")
assert len(js) == 200 and len({j["span"] for j in js}) == 200, len(js)
PY
note "all descriptors reused: victim untouched, both rounds (200 spans) reached the agent"

# 6. Nonsense in the jaeger variables: one warning naming the variable,
# the default used, the program unharmed.
for kv in "OTEL_EXPORTER_JAEGER_AGENT_HOST=not a host" "OTEL_EXPORTER_JAEGER_AGENT_HOST=[::1" \
	"OTEL_EXPORTER_JAEGER_AGENT_HOST=http://agent:6831" "OTEL_EXPORTER_JAEGER_AGENT_PORT=99999" \
	"OTEL_EXPORTER_JAEGER_AGENT_PORT=6831/udp" "OTEL_EXPORTER_JAEGER_PROTOCOL=grpc"; do
	set +e
	env OTEL_TRACES_EXPORTER=jaeger "$kv" LD_PRELOAD="$PRELOAD" sh -c 'echo out; exit 7' >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 7 ] || fail "$kv: exit status changed to $rc"
	[ "$(cat "$T/out")" = out ] || fail "$kv: stdout changed"
	[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; fail "$kv: expected one warning line"; }
	grep -q "^traceshim: warning: ${kv%%=*}=" "$T/err" || { cat "$T/err"; fail "$kv: warning does not name the variable"; }
	note "$(cut -c1-120 "$T/err")"
done
