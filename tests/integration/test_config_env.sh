# Acceptance: every configuration variable is honoured when valid, and an
# invalid value gets exactly one clear warning line and the default while
# the program runs unharmed.  Also: OTEL_SDK_DISABLED and secure-execution
# (setuid) processes are pure pass-through.
source "$(dirname "$0")/lib.sh"

# --- invalid values: one warning line each, defaults used, app unharmed --
bad=(
	"OTEL_SDK_DISABLED=maybe"
	"OTEL_TRACES_EXPORTER=jaegerz"
	"OTEL_TRACES_EXPORTER=file,bogus"
	"OTEL_BSP_SCHEDULE_DELAY=5s"
	"OTEL_BSP_SCHEDULE_DELAY=-1"
	"OTEL_BSP_MAX_QUEUE_SIZE=0"
	"OTEL_BSP_MAX_QUEUE_SIZE=99999999999999999999999"
	"OTEL_BSP_MAX_EXPORT_BATCH_SIZE=lots"
	"OTEL_BSP_EXPORT_TIMEOUT=1e3"
	"TRACESHIM_SHUTDOWN_TIMEOUT=forever"
	"TRACESHIM_LOG_LEVEL=verbose"
	"OTEL_RESOURCE_ATTRIBUTES=novalue"
	"OTEL_RESOURCE_ATTRIBUTES=k=%zz"
	"OTEL_SERVICE_NAME=$(head -c 300 /dev/zero | tr '\0' x)"
	# branch sampling:
	"OTEL_TRACES_SAMPLER=sometimes"
	"OTEL_TRACES_SAMPLER=jaeger_remote"
	"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=lots"
	"OTEL_ATTRIBUTE_COUNT_LIMIT=-1"
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT=1e3"
	"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=ten"
	"TRACESHIM_ROUTES=users/{id}"
	"TRACESHIM_ROUTES=/static/*/x"
	"TRACESHIM_REDACT_QUERY_PARAMS=api key"
	"TRACESHIM_PROPAGATE_TO=10.0.0.0/33"
	"TRACESHIM_PROPAGATE_TO=*.example.com,bad host"
)
for kv in "${bad[@]}"; do
	name=${kv%%=*}
	set +e
	env "$kv" LD_PRELOAD="$PRELOAD" sh -c 'echo out; exit 7' >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 7 ] || fail "$kv: exit status changed to $rc"
	[ "$(cat "$T/out")" = out ] || fail "$kv: stdout changed"
	# sh runs one process: exactly one line, naming the variable.
	[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; fail "$kv: expected one warning line"; }
	grep -q "^traceshim: warning: .*$name" "$T/err" || { cat "$T/err"; fail "$kv: warning does not name $name"; }
	note "$(cut -c1-110 "$T/err")"
done
# The sampler argument is only read with a ratio sampler: one line naming it.
for arg in 1.5 -0.1 0,25 abc; do
	env OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=$arg \
		LD_PRELOAD="$PRELOAD" sh -c 'echo out' >"$T/out" 2>"$T/err"
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q '^traceshim: warning: OTEL_TRACES_SAMPLER_ARG' "$T/err" ||
		{ cat "$T/err"; fail "OTEL_TRACES_SAMPLER_ARG=$arg: expected one warning line"; }
done
env OTEL_TRACES_SAMPLER_ARG=abc OTEL_TRACES_SAMPLER=always_on LD_PRELOAD="$PRELOAD" /bin/true 2>"$T/err"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "an argument always_on does not read was warned about"; }
note "OTEL_TRACES_SAMPLER_ARG: one warning per bad ratio, ignored where unused"
# A list variable warns once per bad entry, valid entries kept quietly.
env TRACESHIM_ROUTES="/ok/{id},nope,/fine/*,{x}" LD_PRELOAD="$PRELOAD" /bin/true 2>"$T/err"
[ "$(grep -c '^traceshim: warning: TRACESHIM_ROUTES' "$T/err")" = 2 ] && [ "$(wc -l <"$T/err")" = 2 ] ||
	{ cat "$T/err"; fail "TRACESHIM_ROUTES: expected two warning lines"; }
# ...and with the defaults in force, tracing still works.
env OTEL_BSP_MAX_QUEUE_SIZE=abc OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/d.jsonl" \
	"$SPANGEN" -n 100 >/dev/null 2>"$T/err"
$CHECK_JSON "$T/d.jsonl" --spans 100 >/dev/null || fail "defaults after a bad value: spans lost"

# Valid and absent configuration prints nothing.
env OTEL_SDK_DISABLED=false OTEL_TRACES_EXPORTER=" File , none" OTEL_BSP_SCHEDULE_DELAY=100 \
	OTEL_BSP_MAX_QUEUE_SIZE=4096 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=64 OTEL_BSP_EXPORT_TIMEOUT=1000 \
	TRACESHIM_SHUTDOWN_TIMEOUT=500 TRACESHIM_LOG_LEVEL=warn OTEL_SERVICE_NAME=svc \
	OTEL_RESOURCE_ATTRIBUTES="a=b" TRACESHIM_FILE="$T/v.jsonl" OTEL_TRACES_EXPORTER=file \
	OTEL_TRACES_SAMPLER=ParentBased_TraceIdRatio OTEL_TRACES_SAMPLER_ARG=0.25 \
	OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=64 OTEL_ATTRIBUTE_COUNT_LIMIT=0 \
	OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT=" 100 " OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=0 \
	TRACESHIM_ROUTES="/users/{id}/orders/*, /static/*,/" TRACESHIM_REDACT_QUERY_PARAMS="api_key, token" \
	TRACESHIM_PROPAGATE_TO="*.example.com, 10.0.0.0/8:8080, [fd00::]/8, localhost" \
	LD_PRELOAD="$PRELOAD" /bin/true 2>"$T/err"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "valid configuration printed something"; }

# TRACESHIM_LOG_LEVEL=none and =error silence warnings.
for lvl in none error; do
	env TRACESHIM_LOG_LEVEL=$lvl OTEL_BSP_MAX_QUEUE_SIZE=abc LD_PRELOAD="$PRELOAD" /bin/true 2>"$T/err"
	[ ! -s "$T/err" ] || fail "TRACESHIM_LOG_LEVEL=$lvl still printed a warning"
done
note "TRACESHIM_LOG_LEVEL none/error silence warnings"

# --- valid values are honoured ------------------------------------------
# OTEL_BSP_MAX_EXPORT_BATCH_SIZE: with a long schedule delay everything is
# exported at exit, in batches of at most 7 spans per line.
env OTEL_BSP_MAX_EXPORT_BATCH_SIZE=7 OTEL_BSP_SCHEDULE_DELAY=60000 OTEL_TRACES_EXPORTER=file \
	TRACESHIM_FILE="$T/b.jsonl" "$SPANGEN" -n 50 >/dev/null
/usr/bin/python3 - "$T/b.jsonl" <<'PY'
import json, sys
sizes = [len(json.loads(l)["resourceSpans"][0]["scopeSpans"][0]["spans"]) for l in open(sys.argv[1])]
assert sum(sizes) == 50 and sizes[:-1] == [7] * 7 and sizes[-1] == 1, sizes
print("  OTEL_BSP_MAX_EXPORT_BATCH_SIZE=7: batches", sizes)
PY

# OTEL_BSP_SCHEDULE_DELAY: a live process exports within the delay...
env OTEL_BSP_SCHEDULE_DELAY=100 OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/s1.jsonl" \
	"$SPANGEN" -n 3 -s 3000 >/dev/null &
pid=$!
sleep 1
[ -s "$T/s1.jsonl" ] || fail "OTEL_BSP_SCHEDULE_DELAY=100: nothing exported after 1 s"
kill $pid; wait $pid 2>/dev/null || true
# ...and not before it (default 5000 ms).
env OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/s2.jsonl" "$SPANGEN" -n 3 -s 3000 >/dev/null &
pid=$!
sleep 1
[ ! -e "$T/s2.jsonl" ] || fail "default schedule delay: exported within 1 s"
kill -9 $pid; wait $pid 2>/dev/null || true
note "OTEL_BSP_SCHEDULE_DELAY honoured (100 ms exports, 5000 ms waits)"

# OTEL_BSP_MAX_QUEUE_SIZE: a burst larger than the queue is cut to it, and
# TRACESHIM_LOG_LEVEL=info reports the exact counts at exit.
env OTEL_BSP_MAX_QUEUE_SIZE=100 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=100 OTEL_BSP_SCHEDULE_DELAY=60000 \
	TRACESHIM_LOG_LEVEL=info OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/q.jsonl" \
	"$SPANGEN" -n 1000 >/dev/null 2>"$T/err"
exported=$(/usr/bin/python3 -c 'import json,sys; print(sum(len(json.loads(l)["resourceSpans"][0]["scopeSpans"][0]["spans"]) for l in open(sys.argv[1])))' "$T/q.jsonl")
grep -q "^traceshim: 1000 spans created, $exported exported, $((1000 - exported)) dropped (queue full), 0 lost" "$T/err" ||
	{ cat "$T/err"; fail "queue-size counts wrong (file has $exported spans)"; }
[ "$exported" -le 200 ] || fail "queue of 100 let $exported spans through a burst"
note "OTEL_BSP_MAX_QUEUE_SIZE=100: $(cat "$T/err")"
# With no exporter nothing is owed at the deadline: the line says so.
env TRACESHIM_LOG_LEVEL=info OTEL_TRACES_EXPORTER=none "$SPANGEN" -n 3000 >/dev/null 2>"$T/err"
# (How many the 2048-span queue drops depends on how fast its reporter
# empties it: none, or hundreds on a loaded machine.)
grep -qxE "traceshim: 3000 spans created, none exported \(no exporter\), [0-9]+ dropped \(queue full\)" "$T/err" ||
	{ cat "$T/err"; fail "OTEL_TRACES_EXPORTER=none: exit line"; }
note "OTEL_TRACES_EXPORTER=none: $(cat "$T/err")"

# Attribute limits: spangen's client spans carry 4 attributes, url.full
# among them; a count limit of 2 keeps 2 and counts 2 dropped, a length
# limit of 10 characters cuts url.full.
env OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=2 OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=10 \
	OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/l.jsonl" "$SPANGEN" -n 5 >/dev/null
$CHECK_JSON "$T/l.jsonl" --spans 5 >/dev/null || fail "attribute limits: invalid OTLP/JSON"
/usr/bin/python3 - "$T/l.jsonl" <<'PY'
import json, sys
spans = [s for l in open(sys.argv[1]) for rs in json.loads(l)["resourceSpans"]
         for ss in rs["scopeSpans"] for s in ss["spans"]]
clients = [s for s in spans if s["kind"] == 3]
assert len(clients) == 4, len(clients)
for s in clients:
    attrs = {a["key"]: a["value"] for a in s["attributes"]}
    assert len(attrs) == 2 and s.get("droppedAttributesCount") == 2, s
    assert attrs["url.full"]["stringValue"] == "http://127", attrs
print("  OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=2, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=10: honoured")
PY

# OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true: nothing written.
for kv in OTEL_TRACES_EXPORTER=none OTEL_SDK_DISABLED=true OTEL_SDK_DISABLED=TRUE; do
	env "$kv" TRACESHIM_FILE="$T/none.jsonl" "$SPANGEN" -n 10 >/dev/null 2>"$T/err"
	[ ! -e "$T/none.jsonl" ] && [ ! -s "$T/err" ] || fail "$kv: something was exported"
done
env OTEL_SDK_DISABLED=true OTEL_TRACES_EXPORTER=console "$SPANGEN" -n 10 >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] || fail "OTEL_SDK_DISABLED=true: console exporter ran"
note "none / OTEL_SDK_DISABLED=true: nothing exported"

# --- secure execution: a setuid program is never traced ------------------
# Sanitizer runtimes refuse to run setuid (LeakSanitizer needs ptrace), so
# this part runs in the plain build's pass only.
if [ -n "${SANITIZER:-}" ]; then
	note "setuid check skipped: sanitizer runtimes do not run setuid"
	exit 0
fi
mkdir -m 755 "$T/suid"
chmod 755 "$T"
cp "$SPANGEN" "$T/suid/spangen"
if [ "$(id -u)" = 0 ] && chown nobody "$T/suid/spangen" && chmod 4755 "$T/suid/spangen"; then
	env OTEL_TRACES_EXPORTER=console OTEL_BSP_MAX_QUEUE_SIZE=oops "$T/suid/spangen" -a -n 5 >"$T/out" 2>"$T/err"
	grep -q '^secure 1$' "$T/out" || fail "setuid copy did not run with AT_SECURE (mount nosuid?)"
	grep -q '^pid [0-9]* spans 5$' "$T/out" || fail "setuid program output changed"
	[ ! -s "$T/err" ] || { cat "$T/err"; fail "setuid program was traced or warned"; }
	# The same binary without the setuid bit does trace (the test is live).
	chmod 755 "$T/suid/spangen"
	env OTEL_TRACES_EXPORTER=console "$T/suid/spangen" -a -n 5 >"$T/out" 2>"$T/err"
	grep -q '^secure 0$' "$T/out" && [ "$(grep -c '^traceshim: span' "$T/err")" = 5 ] ||
		fail "non-setuid copy did not trace"
	note "AT_SECURE process: untraced, silent, output unchanged"
else
	fail "cannot make a setuid test binary (need root)"
fi
