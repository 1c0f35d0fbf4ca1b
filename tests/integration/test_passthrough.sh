# Acceptance: ordinary programs run under LD_PRELOAD with identical stdout,
# stderr and exit status; a process that traces nothing writes no span file
# and starts no thread (even with the file exporter selected).
source "$(dirname "$0")/lib.sh"

cmds=(
	"ls -la / | grep -v ' proc$'"
	"sh -c 'echo hi | wc -c'"
	"/bin/true"
	"/bin/false"
	"sh -c 'echo to-stderr >&2; exit 3'"
	"python3 -c 'print(1)'"
	"python3 -c 'import os; print(len(os.listdir(\"/proc/self/task\")))'"
	"sh -c 'ls /proc/self/task | wc -l'"
	"env -u LD_PRELOAD sh -c 'echo \$LD_PRELOAD-unset'"
)
cd "$T"
# run_pair CMD: run it without and with the shim; 0 when all three match.
run_pair() {
	set +e
	bash -c "$1" >plain.out 2>plain.err
	plain_rc=$?
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans.jsonl" \
		LD_PRELOAD="$PRELOAD" bash -c "$1" >shim.out 2>shim.err
	shim_rc=$?
	set -e
	[ "$plain_rc" = "$shim_rc" ] && cmp -s plain.out shim.out && cmp -s plain.err shim.err
}
for c in "${cmds[@]}"; do
	# `ls -la /` sees other processes create and remove files in /tmp
	# between the two runs: a difference must repeat to count.
	for try in 1 2 3; do
		run_pair "$c" && break
		sleep 0.2
	done
	[ "$plain_rc" = "$shim_rc" ] || fail "$c: exit $plain_rc without, $shim_rc with the shim"
	cmp -s plain.out shim.out || { diff plain.out shim.out | head; fail "$c: stdout differs"; }
	cmp -s plain.err shim.err || { diff plain.err shim.err | head; fail "$c: stderr differs"; }
	note "same output and exit status ($plain_rc): $c"
done
[ ! -e "$T/spans.jsonl" ] || fail "a span file was created by programs that traced nothing"
[ ! -e "$T/traceshim-spans.jsonl" ] || fail "default span file created"

# The reporter thread: none in a process that made no span.  python3
# prints its own thread count from inside the preloaded process.
n=$(LD_PRELOAD="$PRELOAD" python3 -c 'import os; print(len(os.listdir("/proc/self/task")))')
[ "$n" = 1 ] || fail "a traced process that made no span has $n threads"
note "no span file, no thread"
