# Issue 4 acceptance 3, 5, 6 and libcurl loaded late: C programs using
# libcurl under the shim.
#  - curl_easy: the app's own header list is unchanged after every
#    transfer, still the app's, and nothing leaks (valgrind in the plain
#    pass, LeakSanitizer in the sanitizer pass); handles reused,
#    duplicated, reset;
#  - curl_multi: completion read, completion never read, removal before
#    completion, cleanup while in the multi handle, multi cleanup with a
#    transfer in it: one span each, nothing leaks;
#  - curl_threads: 8 threads making transfers at once;
#  - curl_events: curl_multi_socket_action driven by the app's poll() loop;
#  - curl_server: a C server calling another service with libcurl (easy
#    and multi API) while it handles a request: server span -> libcurl
#    client span -> downstream server span;
#  - a traced program that never uses libcurl does not have it mapped;
#  - libcurl dlopen'ed at run time: RTLD_GLOBAL (traced), and pycurl, a
#    Python extension whose libcurl (libcurl-gnutls) is private to it
#    (traced through the caller's scope).
source "$(dirname "$0")/lib.sh"
APPS="$ROOT/$BUILD/tests/apps"

PORT=$(free_port)
CPORT=$(free_port)
SCHEDULE_DELAY=50 start_traced pyserver "$T/server.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$PORT"
SCHEDULE_DELAY=50 start_traced csrv "$T/csrv.log" "$APPS/curl_server" "$CPORT"
URL="http://127.0.0.1:$PORT"

# leak_checked SVC APP ARGS...: run a libcurl app under the shim with a
# leak checker; its output goes to $T/SVC.out.
leak_checked() {
	local svc=$1
	shift
	if [ -n "$SAN_RUNTIME" ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=9 OTEL_SERVICE_NAME=$svc \
			OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-$svc.jsonl" LD_PRELOAD="$PRELOAD" \
			"$@" >"$T/$svc.out" 2>"$T/$svc.err" || { cat "$T/$svc.out" "$T/$svc.err"; fail "$svc: exit $? (leak or mismatch)"; }
	else
		OTEL_SERVICE_NAME=$svc OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-$svc.jsonl" \
			LD_PRELOAD="$PRELOAD" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect \
			--error-exitcode=9 "$@" >"$T/$svc.out" 2>"$T/$svc.err" ||
			{ cat "$T/$svc.out" "$T/$svc.err"; fail "$svc: exit $? (leak, memory error or mismatch)"; }
	fi
	[ ! -s "$T/$svc.err" ] || { cat "$T/$svc.err"; fail "$svc: unexpected diagnostics"; }
}

# 3. the app's list, and leaks
leak_checked easy "$APPS/curl_easy" "$URL/headers?e=1" "$URL/status/500?e=2"
[ "$(grep -c 'list unchanged' "$T/easy.out")" = 4 ] || { cat "$T/easy.out"; fail "curl_easy: list checks"; }
note "curl_easy: header list unchanged after 4 transfers, no leak"
leak_checked multi "$APPS/curl_multi" "$URL"
grep -q 'list unchanged' "$T/multi.out" || { cat "$T/multi.out"; fail "curl_multi: list changed"; }
note "curl_multi: every life cycle survived, list unchanged, no leak"

# 8 threads x 25 transfers at once, handles created, reused, cleaned up
SVC=threads traced "$APPS/curl_threads" "$URL/status/200" 8 25 >"$T/threads.out"
grep -qx "ok 200" "$T/threads.out" || { cat "$T/threads.out"; fail "curl_threads"; }

# the event-loop way: curl_multi_socket_action from the app's poll() loop
SVC=events traced "$APPS/curl_events" "$URL/sleep/300?ev=1" "$URL/headers?ev=2" "$URL/status/404?ev=3" >"$T/ev.out"
[ "$(grep -c '^done' "$T/ev.out")" = 3 ] || { cat "$T/ev.out"; fail "curl_events"; }

# 5. a C server calling out with libcurl while serving
curl -sS "http://127.0.0.1:$CPORT/call?url=$URL/headers?via=easy" >"$T/call1.out"
curl -sS "http://127.0.0.1:$CPORT/mcall?url=$URL/headers?via=multi" >"$T/call2.out"
# ... and as a proxy forwarding its caller's traceparent (the caller traced)
SVC=fwdcurl traced curl -sS "http://127.0.0.1:$CPORT/fcall?url=$URL/headers?via=fwd" >"$T/call3.out"
SVC=owncurl traced curl -sS -H "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" \
	"http://127.0.0.1:$CPORT/fcall?url=$URL/headers?via=foreign" >"$T/call4.out"
# ... and what travels with the request it serves (tracestate, baggage)
# goes on with its libcurl call
curl -sS -H "traceparent: 00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" \
	-H "tracestate: vendor=opaque" -H "baggage: user=alice" \
	"http://127.0.0.1:$CPORT/call?url=$URL/headers?via=extras" >"$T/call5.out"
for f in call1 call2 call3 call5; do [ "$(head -1 "$T/$f.out")" = 200 ] || fail "curl_server $f failed"; done

# 6. never using libcurl: never mapped
SVC=maps traced cat /proc/self/maps >"$T/maps1"
SVC=urllib traced /usr/bin/python3 -c "
import urllib.request
urllib.request.urlopen('$URL/status/200?u=1').read()
print(open('/proc/self/maps').read())" >"$T/maps2"
grep -q libtraceshim "$T/maps1" || fail "the shim was not loaded"
! grep -q libcurl "$T/maps1" "$T/maps2" || fail "libcurl mapped into a program that does not use it"
note "programs not using libcurl (cat, python urllib, traced) do not map it"

# libcurl loaded at run time
SVC=dlglobal traced "$APPS/dlcurl" global "$URL/headers?dl=global" >"$T/dl1.out"
SVC=dllocal traced "$APPS/dlcurl" local "$URL/headers?dl=local" >"$T/dl2.out"
grep -q "libcurl mapped: no" "$T/dl1.out" && grep -q "status 200" "$T/dl1.out" || { cat "$T/dl1.out"; fail "dlcurl global"; }
grep -q "status 200" "$T/dl2.out" || { cat "$T/dl2.out"; fail "dlcurl local"; }
SVC=pycurl traced /usr/bin/python3 -c "
import io, pycurl
b = io.BytesIO()
c = pycurl.Curl()
c.setopt(c.URL, '$URL/headers?py=1')
c.setopt(c.HTTPHEADER, ['X-Py: 1'])
c.setopt(c.WRITEDATA, b)
c.perform()
print(c.getinfo(c.RESPONSE_CODE))
c.close()
print(pycurl.version)" >"$T/py.out"
grep -q "^200" "$T/py.out" || { cat "$T/py.out"; fail "pycurl"; }
# two libcurl builds in one process: pycurl's private libcurl-gnutls, then
# the OpenSSL build loaded into the global scope and called from there
# (ctypes); pycurl's calls must keep going to its own
SVC=twocurl traced /usr/bin/python3 -c "
import ctypes, io, pycurl
def py(q):
    c = pycurl.Curl()
    c.setopt(c.URL, '$URL/status/200?two=' + q)
    c.setopt(c.WRITEDATA, io.BytesIO())
    c.perform()
    print(q, c.getinfo(c.RESPONSE_CODE))
    c.close()
py('py1')
ctypes.CDLL('libcurl.so.4', mode=ctypes.RTLD_GLOBAL)
g = ctypes.CDLL(None)
g.curl_easy_init.restype = ctypes.c_void_p
g.curl_easy_setopt.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]
g.curl_easy_perform.argtypes = [ctypes.c_void_p]
g.curl_easy_cleanup.argtypes = [ctypes.c_void_p]
h = g.curl_easy_init()
g.curl_easy_setopt(h, 10002, b'$URL/status/200?two=global')  # CURLOPT_URL
print('global', g.curl_easy_perform(h))
g.curl_easy_cleanup(h)
py('py2')" >"$T/two.out"
[ "$(grep -c -E '^(py1 200|global 0|py2 200)' "$T/two.out")" = 3 ] || { cat "$T/two.out"; fail "two libcurl builds"; }
wait_spans 454
stop_all

/usr/bin/python3 - "$T" "$PORT" <<PY
$SPANLIB
import json
T, PORT = sys.argv[1], int(sys.argv[2])
ss = spans(T + "/spans-*.jsonl")
def only(svc, kind=None):
    return [s for s in ss if s["service"] == svc and (kind is None or s["kind"] == kind)]

# curl_easy: 4 transfers, 4 spans, each with the downstream server its child
easy = sorted(only("easy"), key=lambda s: s["start"])
assert [s["attrs"]["http.response.status_code"] for s in easy] == [200, 500, 200, 200], [s["attrs"] for s in easy]
assert easy[1]["status"] == 2 and easy[1]["attrs"]["error.type"] == "500"
for s in easy:
    srv = [x for x in ss if x["service"] == "pyserver" and x["parent"] == s["span"]]
    assert len(srv) == 1, s["attrs"]["url.full"]
print("  curl_easy: 4 spans (reused, duplicated, reset handle), each the parent of its server span")

# curl_multi: one span per transfer, the right outcome
m = {s["attrs"]["url.full"].split("?m=")[1]: s for s in only("multi")}
assert sorted(m) == ["a", "a2", "b", "c", "d", "e"], sorted(m)
for k, code in (("a", 200), ("a2", 202), ("d", 201)):
    assert m[k]["attrs"]["http.response.status_code"] == code and m[k]["status"] == 0, (k, m[k]["attrs"])
for k in "bce":
    assert m[k]["status"] == 2 and m[k]["attrs"]["error.type"] == "cancelled", (k, m[k]["attrs"])
    assert "http.response.status_code" not in m[k]["attrs"]
d = m["d"]
# D was removed 300 ms after it completed, A2 added after that
assert m["a2"]["start"] - d["end"] >= 290e6, "D ends when it completed, not when it was removed: %d" % (m["a2"]["start"] - d["end"])
srv = one(ss, service="pyserver", attr_url__query="m=d")
child_of(srv, d)
inside(srv, d)
print("  curl_multi: done, unread, reused, removed, cleaned up, multi cleanup: one span each, D timed by libcurl")

# threads: 200 spans, each the parent of its server span
th = only("threads")
assert len(th) == 200 and len({s["span"] for s in th}) == 200, len(th)
by_parent = {s["parent"]: s for s in ss if s["service"] == "pyserver"}
for s in th:
    srv = by_parent.get(s["span"])
    assert srv and s["attrs"]["url.full"].endswith("?" + srv["attrs"]["url.query"]), s["attrs"]["url.full"]
print("  8 threads x 25 transfers: 200 spans, each the parent of its own server span, lists unchanged")

# socket_action: one span per transfer, the server span its child (so
# exactly one traceparent reached it), timed right
ev = {s["attrs"]["url.full"].split("?ev=")[1]: s for s in only("events")}
assert sorted(ev) == ["1", "2", "3"], sorted(ev)
for k, code in (("1", 200), ("2", 200), ("3", 404)):
    assert ev[k]["attrs"]["http.response.status_code"] == code
    srv = one(ss, service="pyserver", attr_url__query="ev=" + k)
    child_of(srv, ev[k])
    inside(srv, ev[k])
assert ev["1"]["end"] - ev["1"]["start"] >= 300e6 and ev["2"]["end"] < ev["1"]["end"]
print("  curl_multi_socket_action event loop: 3 concurrent spans, each the parent of its server span")

# 5. server span -> libcurl client span -> downstream server span
for via, path in (("easy", "/call"), ("multi", "/mcall")):
    srv = one(ss, service="csrv", kind="server", attr_url__path=path,
              attr_url__query="url=http://127.0.0.1:%d/headers?via=%s" % (PORT, via))
    cli = [c for c in only("csrv", "client") if c["attrs"]["url.full"].endswith("via=" + via)]
    assert len(cli) == 1, [c["attrs"] for c in only("csrv", "client")]
    child_of(cli[0], srv)
    inside(cli[0], srv)
    down = one(ss, service="pyserver", attr_url__query="via=" + via)
    child_of(down, cli[0])
    inside(down, cli[0])
# the proxy: our span id written into the forwarded traceparent, once
fc = one(ss, service="fwdcurl", kind="client")
srv = one(ss, service="csrv", kind="server", parent=fc["span"])
cli = [c for c in only("csrv", "client") if c["attrs"]["url.full"].endswith("via=fwd")]
assert len(cli) == 1
child_of(cli[0], srv)
down = one(ss, service="pyserver", attr_url__query="via=fwd")
child_of(down, cli[0])
# the csrv forwarded a traceparent of a trace it serves (the caller's,
# which csrv's server span continues): so the same holds for "foreign"
srv2 = one(ss, service="csrv", kind="server", attr_url__query="url=http://127.0.0.1:%d/headers?via=foreign" % PORT)
assert srv2["trace"] == "0af7651916cd43dd8448eb211c80319c"
cli2 = [c for c in only("csrv", "client") if c["attrs"]["url.full"].endswith("via=foreign")]
assert len(cli2) == 1
child_of(cli2[0], srv2)
# tracestate and baggage of the request served travel on
srv3 = one(ss, service="csrv", kind="server", attr_url__query="url=http://127.0.0.1:%d/headers?via=extras" % PORT)
cli3 = [c for c in only("csrv", "client") if c["attrs"]["url.full"].endswith("via=extras")]
assert len(cli3) == 1 and srv3["trace"] == "5bf92f3577b34da6a3ce929d0e0e4736"
child_of(cli3[0], srv3)
got = json.loads(open(T + "/call5.out").read().split("\n", 1)[1])
got = [(k.lower(), v) for k, v in got]
assert [v for k, v in got if k == "traceparent"] == ["00-%s-%s-01" % (cli3[0]["trace"], cli3[0]["span"])], got
assert [v for k, v in got if k == "tracestate"] == ["vendor=opaque"], got
assert [v for k, v in got if k == "baggage"] == ["user=alice"], got
assert len(only("csrv", "client")) == 5, "the socket layer made no second client span"
print("  C server: server span -> libcurl span -> downstream server span, easy and multi API, and as a proxy")

# loaded at run time
g, = only("dlglobal")
assert g["attrs"]["url.full"].endswith("dl=global") and g["attrs"]["http.response.status_code"] == 200
child_of(one(ss, service="pyserver", attr_url__query="dl=global"), g)
assert not only("dllocal"), "a private dlsym handle to libcurl bypasses every interposer"
p, = only("pycurl")
assert p["attrs"]["url.full"].endswith("py=1") and p["attrs"]["http.response.status_code"] == 200
child_of(one(ss, service="pyserver", attr_url__query="py=1"), p)
two = {s["attrs"]["url.full"].split("?two=")[1]: s for s in only("twocurl")}
assert sorted(two) == ["global", "py1", "py2"], sorted(two)
for k, s in two.items():
    child_of(one(ss, service="pyserver", attr_url__query="two=" + k), s)
print("  libcurl dlopen'ed RTLD_GLOBAL, pycurl's private libcurl-gnutls, and both builds in one process: traced")
PY
