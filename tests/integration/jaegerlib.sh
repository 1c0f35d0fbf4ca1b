# jaegerlib.sh - helpers for the Jaeger exporter tests (sourced after lib.sh).
#
# start_agent NAME [--v6]: a stand-in agent (jaeger_agent.py) recording to
#   $T/agent-NAME.bin; its port is in $AGENT_PORT.  Stopped with the rest.
# jtraced SVC CMD...: run CMD under the shim as service SVC, exporting to
#   the agent ($AGENT_HOST, default 127.0.0.1, port $AGENT_PORT) and to the
#   file $T/spans-SVC.jsonl side by side (OTEL_TRACES_EXPORTER=jaeger,file).
# wait_jaeger_spans N FILE...: wait until the recordings hold N spans.
JAEGERLIB="import sys; sys.path.insert(0, '$ROOT/tests/integration'); import jaegerlib; from spanlib import *"
# The IDL and generated code, fetched now so a failure says so plainly.
"$ROOT/scripts/jaeger-idl" >/dev/null || fail "cannot get the Jaeger IDL (scripts/jaeger-idl)"

start_agent() {
	local name=$1 log=$T/agent-$1.log
	shift
	: >"$log" # exists before the background job opens it
	/usr/bin/python3 "$ROOT/tests/integration/jaeger_agent.py" "$T/agent-$name.bin" "$@" >"$log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		AGENT_PORT=$(awk '/^ready/ {print $2}' "$log" 2>/dev/null || true)
		[ -n "$AGENT_PORT" ] && return 0
		sleep 0.05
	done
	cat "$log"
	fail "agent $name did not start"
}

jtraced() {
	local svc=$1 pre=$PRELOAD
	shift
	if [ -n "$SAN_RUNTIME" ] && [ "$(basename "$1")" = curl ]; then
		pre=$ROOT/build/libtraceshim.so # see traced() in lib.sh
	fi
	OTEL_SERVICE_NAME=$svc OTEL_TRACES_EXPORTER=jaeger,file TRACESHIM_FILE="$T/spans-$svc.jsonl" \
		OTEL_EXPORTER_JAEGER_AGENT_HOST=${AGENT_HOST:-127.0.0.1} OTEL_EXPORTER_JAEGER_AGENT_PORT=$AGENT_PORT \
		OTEL_BSP_SCHEDULE_DELAY=${SCHEDULE_DELAY:-100} LD_PRELOAD="$pre" "$@"
}

wait_jaeger_spans() {
	local n=$1
	shift
	for _ in $(seq 100); do
		/usr/bin/python3 -c "$JAEGERLIB
sys.exit(0 if len(jaegerlib.spans(*sys.argv[2:])) >= int(sys.argv[1]) else 1)" "$n" "$@" && return 0
		sleep 0.1
	done
	return 0
}
