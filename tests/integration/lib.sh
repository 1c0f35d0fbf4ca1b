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
