# Programs a traced server starts while it serves a request get the
# request's context in their environment (OpenTelemetry's environment
# carriers), so the calls they make join its trace (the old build: a new
# trace for each).  A threaded python server runs, inside a request:
#  - curl by subprocess (vfork and execve), by a shell (shell=True: the
#    shell passes the variables on), by os.posix_spawn, and through perl's
#    system() (fork and execvp): every curl client span is the child of
#    that request's server span, in its trace;
#  - env by subprocess: its environment is the server's with TRACEPARENT
#    (and the request's TRACESTATE) in place of the stale ones the server
#    was started with; nothing else differs;
#  - outside any request (at start-up): the environment is passed as it is;
#  - a C server that forks per request and runs curl by execl and execlp,
#    and env by execle with an environment of its own: the same;
#  - that server's system() and popen(), whose shell libc starts without
#    an exec we see: the same (the command is prefixed with the shell's
#    own assignments), a quote in the tracestate kept.
source "$(dirname "$0")/lib.sh"

cat >"$T/srv.py" <<'PY'
import http.server, os, socketserver, subprocess, sys
EP, CHILD = sys.argv[2], sys.argv[3]
ENV = dict(os.environ, OTEL_SERVICE_NAME="child", TRACESHIM_FILE=CHILD,
           LD_PRELOAD=os.environ.get("CHILD_PRELOAD") or os.environ["LD_PRELOAD"])
URL = "http://127.0.0.1:%s/" % EP
open(sys.argv[4], "wb").write(subprocess.run(["env"], env=ENV, capture_output=True).stdout)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/sub":
            out = subprocess.run(["curl", "-sS", URL + "sub"], env=ENV, capture_output=True).stdout
        elif p == "/shell":
            out = subprocess.run("curl -sS %sshell | cat" % URL, shell=True, env=ENV, capture_output=True).stdout
        elif p == "/pspawn":
            pid = os.posix_spawn("/usr/bin/curl", ["curl", "-sS", "-o", "/dev/null", URL + "pspawn"], ENV)
            out = b"status %d" % os.waitpid(pid, 0)[1]
        elif p == "/perl":
            out = subprocess.run(["perl", "-e", 'system("curl", "-sS", "%sperl")' % URL], env=ENV,
                                 capture_output=True).stdout
        else:  # /env
            out = subprocess.run(["env"], env=ENV, capture_output=True).stdout
        self.send_response(200); self.send_header("Content-Length", str(len(out))); self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a): pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", int(sys.argv[1])), H); print("ready", flush=True); s.serve_forever()
PY
EP=$(free_port)
start_untraced "$T/echo.log" /usr/bin/python3 "$ROOT/tests/integration/echo_headers.py" "$EP"
SP=$(free_port)
# The programs started get the plain build in sanitizer passes (curl hangs
# with the ASan runtime preloaded: see traced() in lib.sh).
export CHILD_PRELOAD=
[ -n "$SAN_RUNTIME" ] && CHILD_PRELOAD=$ROOT/build/libtraceshim.so
# Stale carriers in the server's own environment: replaced inside requests.
TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-01 TRACESTATE=stale=1 BAGGAGE=stale=1 \
	start_traced srv "$T/srv.log" /usr/bin/python3 "$T/srv.py" "$SP" "$EP" "$T/spans-child.jsonl" "$T/env-outside"
for p in sub shell pspawn perl; do
	curl -sS -o "$T/out-$p" "http://127.0.0.1:$SP/$p?r=$p" || fail "GET /$p"
done
curl -sS -o "$T/env-inside" -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
	-H 'tracestate: k=v' "http://127.0.0.1:$SP/env"
# An old-style C server: fork, then execl / execlp / execle.
XP=$(free_port)
# Stale carriers again: system() and popen() must replace them too.
TRACEPARENT=00-33333333333333333333333333333333-4444444444444444-01 TRACESTATE=stale=2 BAGGAGE=stale=2 \
	start_traced execsrv "$T/exec.log" "$ROOT/$BUILD/tests/apps/execserver" "$XP" "http://127.0.0.1:$EP"
for p in execl execlp execle system systemlong popen; do
	curl -sS -o "$T/out-$p" "http://127.0.0.1:$XP/$p" || fail "GET /$p"
done
# A tracestate with a quote: the shell gets it back exactly.
curl -sS -o "$T/out-popenenv" -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' \
	-H "tracestate: q=it's" "http://127.0.0.1:$XP/popenenv" || fail "GET /popenenv"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
T = sys.argv[1]
ss = spans(T + "/spans-*.jsonl")
srv = {s["attrs"]["url.query"][2:]: s for s in ss if s["service"] == "srv" and s["kind"] == "server"
       and s["attrs"].get("url.query", "").startswith("r=")}
kids = [s for s in ss if s["service"] == "child"]
for p in ("sub", "shell", "pspawn", "perl"):
    k = one(kids, attr_url__full="http://127.0.0.1:$EP/" + p)
    assert k["trace"] == srv[p]["trace"] and k["parent"] == srv[p]["span"], (p, k, srv[p])
    if p != "pspawn":
        got = open(T + "/out-" + p).read()
        assert "traceparent: 00-%s-%s-01" % (k["trace"], k["span"]) in got, (p, got)
print("  curl started inside a request by subprocess, a shell, posix_spawn and perl's system():"
      " each client span a child of the request's server span")
def env(p):
    return dict(l.split("=", 1) for l in open(p).read().splitlines() if "=" in l)
out, inside = env(T + "/env-outside"), env(T + "/env-inside")
assert out.get("TRACEPARENT") == "00-11111111111111111111111111111111-2222222222222222-01", out
e = one(ss, service="srv", kind="server", attr_url__path="/env")
assert e["trace"] == "0af7651916cd43dd8448eb211c80319c", e
want = dict(out, TRACEPARENT="00-%s-%s-01" % (e["trace"], e["span"]), TRACESTATE="k=v")
del want["BAGGAGE"]  # the request brought none
assert inside == want, sorted(set(inside.items()) ^ set(want.items()))
xs = [s for s in ss if s["service"] == "execsrv"]
for p in ("execl", "execlp"):
    sv = one(xs, kind="server", attr_url__path="/" + p)
    k = one(xs, kind="client", attr_url__full="http://127.0.0.1:$EP/" + p)
    child_of(k, sv)
sv = one(xs, kind="server", attr_url__path="/execle")
assert open(T + "/out-execle").read().splitlines() == \
    ["X_ONLY=1", "TRACEPARENT=00-%s-%s-01" % (sv["trace"], sv["span"])], open(T + "/out-execle").read()
for p in ("system", "popen"):
    sv = one(xs, kind="server", attr_url__path="/" + p)
    k = one(xs, kind="client", attr_url__full="http://127.0.0.1:$EP/" + p)
    child_of(k, sv)
assert open(T + "/out-system").read() == "status 0", open(T + "/out-system").read()
# A command the prefix would make too long for the kernel runs unchanged.
assert open(T + "/out-systemlong").read() == "status 0", open(T + "/out-systemlong").read()
got = open(T + "/out-popen").read()
assert "traceparent: 00-%s-%s-01" % (k["trace"], k["span"]) in got, got
sv = one(xs, kind="server", attr_url__path="/popenenv")
pe = env(T + "/out-popenenv")
assert sv["trace"] == "0af7651916cd43dd8448eb211c80319c", sv
assert pe.get("TRACEPARENT") == "00-%s-%s-01" % (sv["trace"], sv["span"]), pe
assert pe.get("TRACESTATE") == "q=it's" and "BAGGAGE" not in pe, pe
print("  the same server's system() and popen() (the shell libc starts): curl's spans the requests'"
      " children; the shell's environment has the request's TRACEPARENT and TRACESTATE (q=it's),"
      " the stale ones and BAGGAGE gone")
print("  a C server that forks and runs curl by execl and execlp: curl's spans the requests' children;"
      " execle's own environment {X_ONLY=1} gets TRACEPARENT and nothing else")
print("  inside a request the environment is the server's with TRACEPARENT and TRACESTATE of the request"
      " (stale ones replaced, BAGGAGE gone); outside, as it was")
PY
