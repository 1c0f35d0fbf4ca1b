# lib.sh - shared helpers for the integration tests (sourced).
#
# Every test gets a private temporary directory ($T), removed on exit, and
# $PRELOAD: the value of LD_PRELOAD that loads the library under test (with
# the sanitizer runtime first for sanitizer builds).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
LIB="$ROOT/$BUILD/libtraceshim.so"
SPANGEN="$ROOT/$BUILD/tests/spangen"
CHECK_JSON="/usr/bin/python3 $ROOT/tests/integration/otlp_json_check.py"
# SAN_RUNTIME: the sanitizer runtime, which must come first in LD_PRELOAD.
SAN_RUNTIME=
if [ -n "${SANITIZER:-}" ]; then
	case $SANITIZER in
	*address*) SAN_RUNTIME="$(${CC:-cc} -print-file-name=libasan.so)" ;;
	*thread*) SAN_RUNTIME="$(${CC:-cc} -print-file-name=libtsan.so)" ;;
	esac
	# Programs we preload into were not built for leak checking.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
PRELOAD="${SAN_RUNTIME:+$SAN_RUNTIME }$LIB"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# No variable of ours may leak in from the caller's environment.
unset $(env | sed -n 's/^\(OTEL_[A-Z_]*\|TRACESHIM_[A-Z_]*\)=.*/\1/p') 2>/dev/null || true
unset TRACEPARENT TRACESTATE BAGGAGE # the environment carriers, read by the shim

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "  $*"
}

# now_ms: monotonic-enough wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# count_threads PID: number of threads of a live process.
count_threads() {
	ls "/proc/$1/task" | wc -l
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_traced NAME LOGFILE CMD...: run CMD in the background under the
# shim with service NAME and the file exporter writing $T/spans-NAME.jsonl;
# waits for it to print "ready" (or listen); the pid is in $LAST_PID.
# All started processes are killed when the test exits.
PIDS=()
start_traced() {
	local name=$1 log=$2
	shift 2
	OTEL_SERVICE_NAME=$name OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-$name.jsonl" \
		OTEL_BSP_SCHEDULE_DELAY=${SCHEDULE_DELAY:-100} LD_PRELOAD="$PRELOAD" "$@" >"$log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	wait_ready "$name" "$log"
}

# start_untraced LOG CMD...: the same for a peer the test talks to,
# started without the shim (a recorder, an echo server).
start_untraced() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	wait_ready "$(basename "$1")" "$log"
}

# wait_ready NAME LOG: until $LAST_PID prints "ready" in LOG; fails if it
# dies first or is not ready in 10 s.
wait_ready() {
	for _ in $(seq 200); do
		grep -q ready "$2" 2>/dev/null && return 0
		kill -0 "$LAST_PID" 2>/dev/null || { cat "$2"; fail "$1 died at start"; }
		sleep 0.05
	done
	cat "$2"
	fail "$1 did not become ready"
}

# stop_all: stop background services gracefully so their spans are flushed.
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
# KEEP_T=1 keeps the directory (spans, logs) for a post-mortem.
trap 'stop_all; if [ -n "${KEEP_T:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi' EXIT

# traced CMD...: run CMD under the shim (service from $SVC, default the command).
# curl hangs in glibc's setlocale lock with the ASan runtime preloaded, even
# without traceshim (ASan's own limitation), so in sanitizer passes curl
# loads the plain build of the library; the servers it talks to run the
# sanitized one.
traced() {
	local pre=$PRELOAD
	if [ -n "$SAN_RUNTIME" ] && [ "$(basename "$1")" = curl ]; then
		pre=$ROOT/build/libtraceshim.so
		[ -f "$pre" ] || fail "the plain build is needed for curl in sanitizer passes"
	fi
	OTEL_SERVICE_NAME=${SVC:-$(basename "$1")} OTEL_TRACES_EXPORTER=file \
		TRACESHIM_FILE="$T/spans-${SVC:-$(basename "$1")}.jsonl" LD_PRELOAD="$pre" "$@"
}

# wait_spans N [NAME]: wait until the span files (or only spans-NAME.jsonl)
# hold at least N spans (max 10 s).
wait_spans() {
	local files
	for _ in $(seq 100); do
		files=("$T"/spans-*.jsonl) # again each time: files appear late
		[ -n "${2:-}" ] && files=("$T/spans-$2.jsonl")
		[ "$(cat "${files[@]}" 2>/dev/null | grep -o '"spanId"' | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 0
}

# proxy_rounds BASE: the reverse-proxy scenario's clients: for each upstream
# mode (fresh, pool), 2 rounds of 8 concurrent traced curls of
# BASE/<mode>/headers?m=<mode>&r=<round>&i=<i>, service
# curl-<mode>-<round>-<i>, body in $T/out-<mode>-<round>-<i>.json; checked
# by spanlib's proxy_chains().
proxy_rounds() {
	local mode round i pids
	for mode in fresh pool; do
		for round in 1 2; do
			pids=()
			for i in $(seq 8); do
				SVC=curl-$mode-$round-$i traced curl -sS -o "$T/out-$mode-$round-$i.json" \
					"$1/$mode/headers?m=$mode&r=$round&i=$i" &
				pids+=("$!")
			done
			wait "${pids[@]}"
		done
	done
}

# nginx_conf DIR CONF FIRST_LINES BODY: write CONF, an nginx configuration
# for a test: in the foreground, its pid, log and temporary files in DIR,
# no access log; FIRST_LINES are main-context directives (processes),
# BODY goes inside http { } (upstreams, servers).  Run it with
# nginx -c CONF -p DIR.
nginx_conf() {
	mkdir -p "$1"
	cat >"$2" <<CONF
daemon off;
$3
user root;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
$4
}
CONF
}

SPANLIB="import sys; sys.path.insert(0, '$ROOT/tests/integration'); from spanlib import *"
