# Issue 5, `traceshim run`: runs the program itself (same pid, arguments,
# stdin, exit status, death by signal) with the library preloaded by
# absolute path after any LD_PRELOAD entries already there (a sanitizer
# runtime stays first, an older traceshim entry is replaced), and the
# variables its options ask for (--file made absolute, implying the file
# exporter).  The spans of a traced server and client join up.  Errors
# name the problem and the fix.  `make install PREFIX=...` puts the
# command in bin/ and the library in lib/traceshim/, where the installed
# command finds it, also after the tree was moved; `make uninstall`
# removes both.  --help works on every command.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
LIBREAL=$(realpath "$ROOT/$BUILD/libtraceshim.so")

# --- help and usage errors --------------------------------------------------------
for c in "--help" "help" "run --help" "view --help" "help run" "help view"; do
	# shellcheck disable=SC2086
	"$TRACESHIM" $c >"$T/help" 2>&1 || fail "traceshim $c exited $?"
	grep -q '^usage: traceshim' "$T/help" || fail "traceshim $c: $(cat "$T/help")"
done
"$TRACESHIM" version | grep -qE '^traceshim [0-9]+\.[0-9]+' || fail "traceshim version"
expect_fail() { # STATUS PATTERN CMD...: CMD fails with STATUS and says PATTERN on stderr
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, not $want: $(cat "$T/err")"
	grep -q -- "$pat" "$T/err" || fail "$*: message without \"$pat\": $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -le 1 ] || fail "$*: more than one line: $(cat "$T/err")"
}
rc=0
"$TRACESHIM" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "^usage: traceshim COMMAND" "$T/err" || fail "bare traceshim: $rc $(cat "$T/err")"
expect_fail 2 'unknown command "frobnicate"; the commands are run and view' "$TRACESHIM" frobnicate
expect_fail 2 "unknown option or missing value: --bogus (see traceshim run --help)" "$TRACESHIM" run --bogus -- true
expect_fail 2 "no command given" "$TRACESHIM" run --service x
expect_fail 2 "empty value" "$TRACESHIM" run --service "" -- true
expect_fail 127 "cannot run no-such-program-here: command not found" "$TRACESHIM" run -- no-such-program-here
expect_fail 1 "cannot write in /nonexistent-dir" "$TRACESHIM" run --file /nonexistent-dir/s.jsonl -- true
expect_fail 1 "TRACESHIM_LIBRARY=/nope/libtraceshim.so: No such file or directory; unset it" \
	env TRACESHIM_LIBRARY=/nope/libtraceshim.so "$TRACESHIM" run -- true
note "help on every command; usage errors and bad paths get one line naming the fix"

# --- what the program gets ------------------------------------------------------------
# Any real library will do as an earlier LD_PRELOAD entry.
LIBM=$(realpath "$(${CC:-cc} -print-file-name=libm.so.6)")
[ -f "$LIBM" ] || fail "cannot find libm.so.6 to preload"
mkdir -p "$T/wd/sub"
cd "$T/wd"
rc=0
LD_PRELOAD="${SAN_RUNTIME:+$SAN_RUNTIME:}$ROOT/build/libtraceshim.so $LIBM" \
	"$TRACESHIM" run --service "my svc" --file sub/spans.jsonl -- \
	sh -c 'printf "%s\n" "$LD_PRELOAD" "$OTEL_SERVICE_NAME" "$OTEL_TRACES_EXPORTER" "$TRACESHIM_FILE" "$#" "$1" "$$"; read l; echo "in:$l"; exit 7' \
	sh "two words" <<<"stdin line" >"$T/env.out" || rc=$?
cd "$ROOT"
[ "$rc" = 7 ] || fail "exit status $rc, not 7"
mapfile -t got <"$T/env.out"
[ "${got[0]}" = "${SAN_RUNTIME:+$SAN_RUNTIME:}$LIBM:$LIBREAL" ] || fail "LD_PRELOAD=${got[0]}"
[ "${got[1]}" = "my svc" ] && [ "${got[2]}" = file ] || fail "service/exporter: ${got[1]} / ${got[2]}"
[ "${got[3]}" = "$T/wd/sub/spans.jsonl" ] || fail "TRACESHIM_FILE=${got[3]}"
[ "${got[4]}" = 1 ] && [ "${got[5]}" = "two words" ] || fail "arguments: ${got[4]} ${got[5]}"
[ "${got[7]}" = "in:stdin line" ] || fail "stdin: ${got[7]}"
rc=0
tsrun -- sh -c 'kill -TERM $$' 2>/dev/null || rc=$?
[ "$rc" = 143 ] || fail "death by SIGTERM gave exit status $rc"
out=$(tsrun --exporter console -- sh -c 'echo $OTEL_TRACES_EXPORTER')
[ "$out" = console ] || fail "--exporter: $out"
# The shell prints its pid, then execs traceshim, which must exec sh.
pid=$(sh -c 'echo $$; exec env "$1" "$0" run -- sh -c "echo \$\$"' "$TRACESHIM" "LD_PRELOAD=$SAN_RUNTIME")
[ "$(echo "$pid" | wc -l)" = 2 ] && [ "$(echo "$pid" | sort -u | wc -l)" = 1 ] ||
	fail "the program did not keep traceshim's pid: $pid"
note "the program is exec'd: pid, args, stdin, exit status and signal death kept; LD_PRELOAD = earlier entries, then the absolute library; --file absolute"

# --- traced programs, end to end ------------------------------------------------------------
PORT=$(free_port)
export OTEL_BSP_SCHEDULE_DELAY=100
# exec: $! must be the server itself, or stop_all would leave it running.
(
	[ -n "$SAN_RUNTIME" ] && export LD_PRELOAD=$SAN_RUNTIME
	exec "$TRACESHIM" run --service pyweb --file "$T/run-spans.jsonl" -- \
		/usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
) >"$T/py.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do grep -q ready "$T/py.log" && break; sleep 0.05; done
curl_run=$TRACESHIM
[ -n "$SAN_RUNTIME" ] && curl_run=$PLAIN_TRACESHIM
"$curl_run" run -s curl -f "$T/run-spans.jsonl" -- curl -sS -o /dev/null "http://127.0.0.1:$PORT/status/200"
for _ in $(seq 100); do [ "$(grep -o '"spanId"' "$T/run-spans.jsonl" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
stop_all
/usr/bin/python3 - "$T/run-spans.jsonl" <<PY
$SPANLIB
ss = spans(sys.argv[1])
c = one(ss, service="curl", kind="client")
s = one(ss, service="pyweb", kind="server")
child_of(s, c)
print("  traceshim run: python http.server and curl traced into one file, server span child of curl's")
PY

# --- make install / uninstall --------------------------------------------------------------
# With the plain build, whatever pass this is (no MAKEFLAGS of the make
# running the tests may leak in: SANITIZER=... would change the build).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$ROOT" "$@" SANITIZER= BUILD=build; }
mk install PREFIX="$T/prefix" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
[ -x "$T/prefix/bin/traceshim" ] && [ -f "$T/prefix/lib/traceshim/libtraceshim.so" ] || fail "make install layout: $(find "$T/prefix")"
out=$("$T/prefix/bin/traceshim" run -- sh -c 'echo $LD_PRELOAD')
[ "$out" = "$T/prefix/lib/traceshim/libtraceshim.so" ] || fail "installed traceshim preloads $out"
mv "$T/prefix" "$T/moved"
out=$("$T/moved/bin/traceshim" run -- sh -c 'echo $LD_PRELOAD')
[ "$out" = "$T/moved/lib/traceshim/libtraceshim.so" ] || fail "moved install preloads $out"
rm "$T/moved/lib/traceshim/libtraceshim.so"
expect_fail 1 "cannot find libtraceshim.so (looked for $T/moved/bin/libtraceshim.so and $T/moved/bin/../lib/traceshim/libtraceshim.so)" \
	"$T/moved/bin/traceshim" run -- true
mk install PREFIX="$T/prefix" >/dev/null 2>&1
mk uninstall PREFIX="$T/prefix" >/dev/null 2>&1
[ -z "$(find "$T/prefix" -type f)" ] || fail "make uninstall left $(find "$T/prefix" -type f)"
note "make install: bin/traceshim finds lib/traceshim/libtraceshim.so, also moved; a missing library is named; make uninstall"
