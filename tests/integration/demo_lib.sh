# demo_lib.sh - helpers for the scenario and traceshim-command tests
# (sourced after lib.sh).
#
# APPS: the test applications of the build under test.  TRACESHIM: its
# traceshim command.  PLAIN_TRACESHIM: the plain build's, which the demo
# script and curl use in sanitizer passes (see lib.sh on curl).
APPS=$ROOT/$BUILD/testapps
TRACESHIM=$ROOT/$BUILD/traceshim
PLAIN_TRACESHIM=$ROOT/build/traceshim
for f in "$TRACESHIM" "$PLAIN_TRACESHIM" "$APPS/statuses/proxy"; do
	[ -x "$f" ] || fail "$f is missing (make tests; the plain build is needed in sanitizer passes)"
done

# tsrun ARGS...: `traceshim run ARGS` with the library under test; in a
# sanitizer pass the runtime goes first in LD_PRELOAD, which traceshim
# run keeps in front of the library.
tsrun() {
	if [ -n "$SAN_RUNTIME" ]; then
		LD_PRELOAD=$SAN_RUNTIME "$TRACESHIM" run "$@"
	else
		"$TRACESHIM" run "$@"
	fi
}

# listening PORT: true while something listens on 127.0.0.1:PORT.
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# run_demo SCENARIO VAR=PORT...: scripts/demo SCENARIO with those ports
# (always the plain build: the demo runs curl), output in $T/demo-SCENARIO.out,
# spans in $T/demo-SCENARIO/spans.jsonl.  Fails the test if the demo fails
# or leaves a port listening.
run_demo() {
	local sc=$1 kv port
	shift
	if ! env "$@" BUILD=build DEMO_DIR="$T/demo-$sc" "$ROOT/scripts/demo" "$sc" \
		>"$T/demo-$sc.out" 2>&1 </dev/null; then
		sed 's/^/  | /' "$T/demo-$sc.out"
		fail "scripts/demo $sc failed"
	fi
	for kv in "$@"; do
		port=${kv#*=}
		if listening "$port"; then
			fail "scripts/demo $sc left ${kv%%=*} $port listening"
		fi
	done
	[ -s "$T/demo-$sc/spans.jsonl" ] || fail "scripts/demo $sc left no spans file"
	[ -s "$T/demo-$sc/traces.html" ] || fail "scripts/demo $sc left no HTML page"
}

# waterfall_rows FILE: the span rows of the waterfalls in a demo output
# ("service name kind status"), one per line.
waterfall_rows() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^  (\S+)\s+[\s\u2502\u251c\u2514\u2500|`-]*(\S+ \S+)\s+(server|client|internal|producer|consumer)\s+(\S+).*\s(\d+(\.\d+)? (ns|\u00b5s|us|ms|s)) [\u2502|]", line)
    if m:
        print(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
PY
}
