# Issue 5, `traceshim view` (text): spans of one trace spread over three
# files (three processes) are joined into one tree, printed exactly as
# expected (ASCII and UTF-8), with bars placed on the trace's time line;
# a span whose parent is in no file is a root with a note; parent loops,
# duplicates, other producers' spellings (enum names, upper-case ids,
# numbers for 64-bit ints) and hostile text (escape sequences, newlines,
# bidi overrides, invalid UTF-8) are handled; malformed lines get one
# warning each (ten, then a count) and are skipped; colour only on a
# terminal and not with NO_COLOR; standard input, --trace, exit statuses;
# a 5000-span chain and 2000 traces in reasonable time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/demo_lib.sh"
export TZ=UTC
GEN="import sys; sys.path.insert(0, '$ROOT/tests/integration'); from otlp_gen import *"
cd "$T"

/usr/bin/python3 - <<PY
$GEN
t = tid(1)
open("a.jsonl", "w").write(line("curl", [span(t, sid(1), None, "GET /statuses", 0, 100, kind=3, attrs={"http.response.status_code": 200})]) + "\n")
open("b.jsonl", "w").write(line("proxy", [span(t, sid(2), sid(1), "GET /statuses", 10, 90, attrs={"http.response.status_code": 200}),
                                           span(t, sid(3), sid(2), "GET /status", 20, 60, kind=3, status=2, attrs={"http.response.status_code": 503})]) + "\n")
open("c.jsonl", "w").write(line("backend", [span(t, sid(4), sid(3), "GET /status", 30, 50, status=2, attrs={"http.response.status_code": 503})]))  # no final newline
PY

# --- one trace from three files, exactly ------------------------------------------
LC_ALL=C "$TRACESHIM" view -w 80 a.jsonl b.jsonl c.jsonl >out.txt
cat >want.txt <<'TXT'
trace 0abc0000000000000000000000000001  GET /statuses  4 spans, 3 services  100.0 ms  2023-11-14 22:13:20.000
  SERVICE  SPAN                  KIND      STATUS     DURATION |0      100.0 ms|
  curl     GET /statuses         client    200        100.0 ms |###############|
  proxy    `- GET /statuses      server    200         80.0 ms | ############# |
  proxy       `- GET /status     client    503 ERROR   40.0 ms |   ######      |
  backend        `- GET /status  server    503 ERROR   20.0 ms |    ####       |

TXT
diff want.txt out.txt || fail "ASCII waterfall differs"
LC_ALL=C.UTF-8 "$TRACESHIM" view -w 80 c.jsonl b.jsonl a.jsonl >out8.txt
sed -e 's/`- /└─ /; s/|/│/g; s/#/█/g' want.txt | diff - out8.txt || fail "UTF-8 waterfall differs (or depends on file order)"
note "three files, one trace, exact tree and bars (ASCII and UTF-8, any file order)"

# --- a missing parent ------------------------------------------------------------------
"$TRACESHIM" view -w 100 b.jsonl c.jsonl >orph.txt
grep -q '^  proxy    ^ GET /statuses ' orph.txt && grep -qF '^ proxy GET /statuses: parent span 1000000000000001 is not in these files; shown as a root' orph.txt ||
	{ cat orph.txt; fail "orphan not shown as a root with a note"; }
note "a span whose parent is in no file: a root, marked, with a note"

# --- malformed input, other producers, hostile text ---------------------------------------
/usr/bin/python3 - <<PY
$GEN
import json
t2, t3, t4 = tid(2), tid(3), tid(4)
with open("mixed.jsonl", "w") as f:
    f.write("this is not json\n")
    f.write('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00\n')  # cut line
    f.write('{"hello":"world"}\n')
    f.write("\n")
    # bad ids next to a good span: only the good one is kept
    f.write(line("svc", [span("xyz", sid(9), None, "bad", 0, 1), span(t2, "0" * 16, None, "zero id", 0, 1),
                         span(t2, sid(20), None, "GET /ok", 0, 10)]) + "\n")
    # another producer's spelling: enum names, upper-case ids, numbers for 64-bit ints
    o = json.loads(line("other", [span(t2.upper(), sid(21).upper(), sid(20).upper(), "child", 2, 8)]))
    sp = o["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    sp["kind"] = "SPAN_KIND_CLIENT"; sp["status"] = {"code": "STATUS_CODE_ERROR", "message": "boom"}
    sp["startTimeUnixNano"] = int(sp["startTimeUnixNano"]); sp["endTimeUnixNano"] = int(sp["endTimeUnixNano"])
    f.write(json.dumps(o) + "\n")
    # the same spans again (a file read twice): kept once
    f.write(line("svc", [span(t2, sid(20), None, "GET /ok", 0, 10)]) + "\n")
    # hostile text: escape sequences, a newline, a bidi override, invalid UTF-8 (as \\u escapes JSON allows)
    f.write(line("ev\x1b[2Jil", [span(t3, sid(30), None, "GET /\x1b[31mred\x1b]0;title\x07\nnext\u202eevil", 0, 5,
                                     attrs={"http.response.status_code": 200})]) + "\n")
    # a parent loop
    f.write(line("loop", [span(t4, sid(40), sid(41), "a", 0, 4), span(t4, sid(41), sid(40), "b", 1, 3)]) + "\n")
PY
"$TRACESHIM" view -w 100 mixed.jsonl >mixed.txt 2>mixed.err || fail "view exited $? on mixed input"
[ "$(grep -c '^traceshim: view: warning: mixed.jsonl:[0-9]*: ' mixed.err)" = 4 ] || { cat mixed.err; fail "warnings"; }
grep -q 'mixed.jsonl:1: skipped a malformed line (offset 0: unexpected character)' mixed.err &&
	grep -q 'mixed.jsonl:3: skipped a malformed line (no "resourceSpans" array' mixed.err &&
	grep -q 'mixed.jsonl:5: skipped 2 spans with an invalid traceId, spanId or parentSpanId' mixed.err ||
	{ cat mixed.err; fail "warnings do not name line and reason"; }
[ "$(grep -c '^trace ' mixed.txt)" = 3 ] || { cat mixed.txt; fail "expected 3 traces"; }
grep -q "^  other    \`- child  *client    ERROR " mixed.txt || grep -q "^  other    └─ child  *client    ERROR " mixed.txt ||
	{ cat mixed.txt; fail "the other producer's span is not a child, client, in error"; }
grep -q '^trace 0abc0000000000000000000000000002  GET /ok  2 spans' mixed.txt || { cat mixed.txt; fail "duplicates not dropped"; }
! grep -q $'\x1b' mixed.txt || fail "an escape sequence from span text reached the terminal"
! grep -q $'\u202e' mixed.txt || fail "a bidi override reached the terminal"
grep -q '^trace 0abc0000000000000000000000000003  GET /?\[31mred?\]0;title??next?evil  1 span' mixed.txt || { cat -v mixed.txt; fail "hostile name not neutralised as expected"; }
grep -q 'its parent links form a loop; shown as a root' mixed.txt && grep -qE '^  loop  +(`-|└─) b' mixed.txt ||
	{ cat mixed.txt; fail "parent loop"; }
note "malformed lines warned (line and reason) and skipped; bad ids dropped; enum names, upper-case ids, numeric ints; duplicates once; escapes neutralised; loops broken"

/usr/bin/python3 -c "
for i in range(25): print('garbage', i)
" >bad.jsonl
cat a.jsonl >>bad.jsonl
"$TRACESHIM" view bad.jsonl >/dev/null 2>bad.err
[ "$(grep -c 'skipped a malformed line' bad.err)" = 10 ] && grep -q 'bad.jsonl: 25 malformed lines skipped in all' bad.err ||
	{ cat bad.err; fail "warnings not capped at 10 with a total"; }

# --- colour -----------------------------------------------------------------------------------
ptyrun() { # run the view on a pseudo-terminal; its output on stdout
	/usr/bin/python3 - "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
"$TRACESHIM" view a.jsonl b.jsonl c.jsonl | grep -q $'\x1b' && fail "colour in a pipe"
ptyrun "$TRACESHIM" view a.jsonl b.jsonl c.jsonl | grep -q $'\x1b\\[31m503 ERROR' || fail "no colour on a terminal"
NO_COLOR=1 ptyrun "$TRACESHIM" view a.jsonl b.jsonl c.jsonl | grep -q $'\x1b' && fail "colour despite NO_COLOR"
"$TRACESHIM" view --color=always a.jsonl | grep -q $'\x1b' || fail "--color=always"
NO_COLOR=1 ptyrun "$TRACESHIM" view --color always a.jsonl | grep -q $'\x1b' || fail "--color always with NO_COLOR"
note "colour on a terminal only, NO_COLOR honoured, --color=always|never"

# --- inputs, filters, exit statuses -------------------------------------------------------------
cat a.jsonl b.jsonl | "$TRACESHIM" view - c.jsonl | grep -q '^trace .* 4 spans, 3 services' || fail "standard input"
"$TRACESHIM" view --trace 0ABC0000000000000000000000000002 mixed.jsonl 2>/dev/null | grep -c '^trace ' | grep -qx 1 || fail "--trace"
rc=0; "$TRACESHIM" view --trace ffff a.jsonl 2>err || rc=$?
[ "$rc" = 1 ] && grep -q 'no trace id starts with ffff' err || fail "--trace without a match: $rc $(cat err)"
rc=0; "$TRACESHIM" view 2>err || rc=$?
[ "$rc" = 2 ] && grep -q 'no span files given' err || fail "no files: $rc"
rc=0; "$TRACESHIM" view nothere.jsonl a.jsonl >out 2>err || rc=$?
[ "$rc" = 1 ] && grep -q 'cannot read nothere.jsonl: No such file or directory' err && grep -q '^trace ' out ||
	fail "missing file: $rc $(cat err)"
: >empty.jsonl
rc=0; "$TRACESHIM" view empty.jsonl 2>err || rc=$?
[ "$rc" = 1 ] && grep -q 'no spans found' err || fail "empty file: $rc $(cat err)"
rc=0; "$TRACESHIM" view --width 5 a.jsonl 2>err || rc=$?
[ "$rc" = 2 ] && grep -q -- '--width 5: give a number of columns' err || fail "bad --width: $rc"
rc=0; "$TRACESHIM" view --follow --html x.html a.jsonl 2>err || rc=$?
[ "$rc" = 2 ] || fail "--follow with --html: $rc"
note "standard input, --trace, missing/empty files and bad options: clear messages and exit statuses"

# --- size ------------------------------------------------------------------------------------------
/usr/bin/python3 - <<PY
$GEN
t = tid(5)
spans = [span(t, sid(100000 + i), sid(100000 + i - 1) if i else None, "hop %d" % i, i, 10000 - i) for i in range(5000)]
open("deep.jsonl", "w").write(line("deep", spans) + "\n")
with open("many.jsonl", "w") as f:
    for k in range(2000):
        t = tid(10000 + k)
        f.write(line("m", [span(t, sid(5 * k + j + 1), sid(5 * k + 1) if j else None, "s%d" % j, j, 10) for j in range(5)]) + "\n")
PY
start=$(now_ms)
"$TRACESHIM" view deep.jsonl >deep.txt || fail "deep chain"
"$TRACESHIM" view many.jsonl >many.txt || fail "many traces"
took=$(($(now_ms) - start))
[ "$(grep -c '^  deep ' deep.txt)" = 5000 ] && [ "$(grep -c '^trace ' many.txt)" = 2000 ] || fail "sizes"
grep -q '^  deep  .*hop 4999 ' deep.txt || fail "the deepest span is missing"
note "a 5000-span parent chain and 2000 traces: ${took} ms"
