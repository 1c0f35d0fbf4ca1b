# Acceptance: the file exporter writes OTLP/JSON lines that decode field by
# field; 8 processes appending 10k spans each to one file produce only
# whole lines, every span, and no repeated span id (ids differ across fork).
source "$(dirname "$0")/lib.sh"

# 8 forked children x 10,000 spans, children leave by _exit() (the fork-
# per-request pattern).  The queue is big enough that nothing is dropped.
OTEL_BSP_MAX_QUEUE_SIZE=16384 OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/s.jsonl" \
	"$SPANGEN" -n 10000 -p 8 -x _exit >"$T/out"
[ "$(grep -c '^pid' "$T/out")" = 8 ] || fail "spangen did not run 8 processes"
$CHECK_JSON "$T/s.jsonl" --spans 80000 --procs 8 --unique-ids
lines=$(wc -l <"$T/s.jsonl")
[ "$lines" -gt 8 ] || fail "expected many batch lines, got $lines (batching not exercised)"

# The same through every exit path, single process, threads included.
for how in return exit _exit _Exit; do
	rm -f "$T/e.jsonl"
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/e.jsonl" \
		"$SPANGEN" -n 200 -t 4 -x "$how" >/dev/null
	$CHECK_JSON "$T/e.jsonl" --spans 800 --procs 1 --unique-ids >/dev/null ||
		fail "exit path $how lost spans"
	note "exit path $how: 800 of 800 spans exported"
done

# Resource attributes from the environment arrive percent-decoded, and the
# service name follows OTEL_SERVICE_NAME.
rm -f "$T/r.jsonl"
OTEL_SERVICE_NAME=checkout OTEL_RESOURCE_ATTRIBUTES='deployment.environment=stage%2C1, team = a%20b' \
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/r.jsonl" "$SPANGEN" -n 2 >/dev/null
/usr/bin/python3 - "$T/r.jsonl" <<'PY'
import json, sys
req = json.loads(open(sys.argv[1]).readline())
attrs = {a["key"]: a["value"] for a in req["resourceSpans"][0]["resource"]["attributes"]}
assert attrs["service.name"] == {"stringValue": "checkout"}, attrs["service.name"]
assert attrs["deployment.environment"] == {"stringValue": "stage,1"}, attrs
assert attrs["team"] == {"stringValue": "a b"}, attrs
assert attrs["process.executable.name"] == {"stringValue": "spangen"}
args = [v["stringValue"] for v in attrs["process.command_args"]["arrayValue"]["values"]]
assert args[1:] == ["-n", "2"], args
print("  resource: service.name, percent-decoded attributes, command args: ok")
PY

# Without OTEL_SERVICE_NAME: unknown_service:<executable>.
rm -f "$T/r.jsonl"
OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/r.jsonl" "$SPANGEN" -n 1 >/dev/null
grep -q '"service.name","value":{"stringValue":"unknown_service:spangen"}' "$T/r.jsonl" ||
	fail "default service.name is not unknown_service:spangen"

# The console exporter: one readable line per span on stderr.
OTEL_TRACES_EXPORTER=console "$SPANGEN" -n 5 2>"$T/console" >/dev/null
[ "$(grep -c '^traceshim: span [0-9a-f]\{32\} [0-9a-f]\{16\} ' "$T/console")" = 5 ] ||
	{ cat "$T/console"; fail "console exporter did not print 5 span lines"; }
grep -q ' server "GET /spangen" .*ms UNSET http.response.status_code=200$' "$T/console" ||
	fail "console line for the server span is malformed"

# Several exporters at once.
OTEL_TRACES_EXPORTER=console,file TRACESHIM_FILE="$T/both.jsonl" "$SPANGEN" -n 3 2>"$T/console" >/dev/null
[ "$(grep -c '^traceshim: span' "$T/console")" = 3 ] || fail "console,file: console missing"
$CHECK_JSON "$T/both.jsonl" --spans 3 >/dev/null || fail "console,file: file missing"
note "console, file and both at once: ok"
