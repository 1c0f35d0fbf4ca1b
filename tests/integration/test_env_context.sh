# The process's context from its environment (OpenTelemetry's environment
# carriers: TRACEPARENT, TRACESTATE, BAGGAGE), as a script or CI step
# starts a traced command inside its own trace:
#  - a traced curl started with them: its client span is a child of the
#    TRACEPARENT span, and the request carries that trace, the tracestate
#    and the baggage (the old build started a new trace);
#  - a traced server started with them: its server spans still follow
#    their requests (a request without context starts a new trace), and a
#    call made inside a request is that request's child;
#  - threads that program starts: their calls are children of it too;
#  - an invalid TRACEPARENT: one warning, a new trace; with
#    OTEL_PROPAGATORS=b3 it is not read at all.
source "$(dirname "$0")/lib.sh"

EP=$(free_port)
start_untraced "$T/echo.log" /usr/bin/python3 "$ROOT/tests/integration/echo_headers.py" "$EP"
ENV_TRACE=0af7651916cd43dd8448eb211c80319c
ENV_SPAN=b7ad6b7169203331
TP=00-$ENV_TRACE-$ENV_SPAN-01

TRACEPARENT=$TP TRACESTATE='vendor=a, other=b' BAGGAGE='user=42' SVC=curl-env \
	traced curl -sS -o "$T/got1" "http://127.0.0.1:$EP/one"
TRACEPARENT=00-zz-nothex-01 SVC=curl-bad traced curl -sS -o "$T/got2" "http://127.0.0.1:$EP/two" 2>"$T/bad.err"
TRACEPARENT=$TP OTEL_PROPAGATORS=b3 SVC=curl-b3 traced curl -sS -o "$T/got3" "http://127.0.0.1:$EP/three"
# Threads the program starts outside any request find the context by
# themselves (pthread_create hands them nothing).
TRACEPARENT=$TP SVC=threads-env traced "$ROOT/$BUILD/tests/apps/curl_threads" "http://127.0.0.1:$EP/t" 4 3 >"$T/threads.out"
grep -qx "ok 12" "$T/threads.out" || fail "curl_threads: $(cat "$T/threads.out")"

# A traced server with the variables: /headers answers by itself, /call
# calls the echo server from inside its request.
SP=$(free_port)
TRACEPARENT=$TP start_traced pyserver "$T/srv.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$SP"
curl -sS -o /dev/null "http://127.0.0.1:$SP/headers"
curl -sS -o /dev/null "http://127.0.0.1:$SP/call?url=http://127.0.0.1:$EP/inner"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
def hdrs(p):
    return dict(l.split(": ", 1) for l in open(p).read().splitlines() if ": " in l)
ss = spans(T + "/spans-*.jsonl")
c = one(ss, service="curl-env")
assert c["trace"] == "$ENV_TRACE" and c["parent"] == "$ENV_SPAN", c
h = hdrs(T + "/got1")
assert h.get("traceparent") == "00-$ENV_TRACE-%s-01" % c["span"], h
assert h.get("tracestate") == "vendor=a,other=b" and h.get("baggage") == "user=42", h
print("  curl started with TRACEPARENT/TRACESTATE/BAGGAGE: its span is the TRACEPARENT span's child;"
      " the request carries that trace, tracestate vendor=a,other=b, baggage user=42")
bad = one(ss, service="curl-bad")
assert bad["parent"] == "" and bad["trace"] != "$ENV_TRACE", bad
err = open(T + "/bad.err").read().strip().splitlines()
assert len(err) == 1 and "TRACEPARENT" in err[0] and "ignored" in err[0], err
b3 = one(ss, service="curl-b3")
assert b3["parent"] == "" and b3["trace"] != "$ENV_TRACE", b3
th = [s for s in ss if s["service"] == "threads-env"]
assert len(th) == 12 and all(s["trace"] == "$ENV_TRACE" and s["parent"] == "$ENV_SPAN" for s in th), th
print("  4 threads of a program started with TRACEPARENT: all 12 client spans are its children")
print("  an invalid TRACEPARENT: one warning (%s), a new trace; OTEL_PROPAGATORS=b3: not read" % err[0])
srv = [s for s in ss if s["service"] == "pyserver"]
solo = one(srv, kind="server", attr_url__path="/headers")
call = one(srv, kind="server", attr_url__path="/call")
inner = one(srv, kind="client")
assert solo["parent"] == "" and solo["trace"] != "$ENV_TRACE", solo
assert call["parent"] == "" and call["trace"] != "$ENV_TRACE", call
assert inner["trace"] == call["trace"] and inner["parent"] == call["span"], (inner, call)
print("  a server started with TRACEPARENT: its server spans follow their requests (new traces),"
      " the call made inside one is that request's child")
PY
