# Issue 7 acceptance 1 (and issue 5's gateway): a proxy that forwards its
# caller's B3 or Jaeger headers.  curl -> nginx reverse proxy -> backend,
# everything preloaded with OTEL_PROPAGATORS set to one format: nginx
# forwards the curl span's header; the shim in nginx writes its own client
# span id into it in place, so every request's trace is exactly curl
# client -> nginx server -> nginx client -> backend server, with 4
# concurrent clients on fresh and keep-alive upstream connections.
source "$(dirname "$0")/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/install-deps)"

for fmt in jaeger b3 b3multi; do
	export OTEL_PROPAGATORS=$fmt
	PB=$(free_port)
	start_traced "backend-$fmt" "$T/b-$fmt.log" python3 "$ROOT/tests/integration/pyserver.py" "$PB"
	PN=$(free_port)
	nginx_conf "$T/ngx-$fmt" "$T/nginx-$fmt.conf" "master_process on;
worker_processes 1;" "
	upstream pool {
		server 127.0.0.1:$PB;
		keepalive 8;
	}
	server {
		listen 127.0.0.1:$PN;
		location /fresh/ { proxy_pass http://127.0.0.1:$PB/; }
		location /pool/ {
			proxy_pass http://pool/;
			proxy_http_version 1.1;
			proxy_set_header Connection \"\";
		}
	}"
	OTEL_SERVICE_NAME=nginx OTEL_TRACES_EXPORTER=file TRACESHIM_FILE="$T/spans-nginx-$fmt.jsonl" \
		OTEL_BSP_SCHEDULE_DELAY=100 LD_PRELOAD="$PRELOAD" "$NGINX" -c "$T/nginx-$fmt.conf" -p "$T/ngx-$fmt" \
		>"$T/nginx-$fmt.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PN/fresh/status/204" && break
		sleep 0.05
	done
	for mode in fresh pool; do
		pids=()
		for i in 1 2 3 4; do
			SVC=curl-$fmt-$mode-$i traced curl -sS -o "$T/out-$fmt-$mode-$i.json" \
				"http://127.0.0.1:$PN/$mode/headers?f=$fmt&m=$mode&i=$i" &
			pids+=("$!")
		done
		wait "${pids[@]}"
	done
	extra=0
	if [ "$fmt" = jaeger ]; then
		# An untraced caller writing ids without leading zeros: nginx's
		# client span id is made as short, to fit the forwarded field.
		curl -sS -o "$T/out-jaeger-short.json" -H 'uber-trace-id: 3f2a:9c1:0:1' \
			"http://127.0.0.1:$PN/fresh/headers?f=short"
		extra=3
	fi
	round=$((${round:-0} + 1))
	total=$((${total:-0} + 35 + extra))
	wait_spans "$total" # 8 requests x 4 spans and the probe's 3
	stop_all
done
unset OTEL_PROPAGATORS

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
def hdrs(path, name):
    return [v for k, v in json.load(open(path)) if k.lower() == name.lower()]
for fmt in ("jaeger", "b3", "b3multi"):
    ss = spans(T + "/spans-backend-%s.jsonl" % fmt, T + "/spans-nginx-%s.jsonl" % fmt,
               T + "/spans-curl-%s-*.jsonl" % fmt)
    for mode in ("fresh", "pool"):
        for i in range(1, 5):
            q = "f=%s&m=%s&i=%d" % (fmt, mode, i)
            c = one(ss, service="curl-%s-%s-%d" % (fmt, mode, i), kind="client")
            trace = [s for s in ss if s["trace"] == c["trace"]]
            assert len(trace) == 4, (q, [(s["service"], s["kind"]) for s in trace])
            ns = one(trace, service="nginx", kind="server")
            nc = one(trace, service="nginx", kind="client")
            b = one(trace, service="backend-" + fmt, kind="server")
            child_of(ns, c); child_of(nc, ns); child_of(b, nc)
            assert b["attrs"]["url.query"] == q, (q, b["attrs"])
            out = T + "/out-%s-%s-%d.json" % (fmt, mode, i)
            assert not hdrs(out, "traceparent"), (q, "traceparent sent though not configured")
            if fmt == "jaeger":
                got = hdrs(out, "uber-trace-id")
                assert got == ["%s:%s:0:1" % (c["trace"], nc["span"])], (q, got, nc["span"])
            elif fmt == "b3":
                got = hdrs(out, "b3")
                assert got == ["%s-%s-1" % (c["trace"], nc["span"])], (q, got)
            else:
                assert hdrs(out, "X-B3-TraceId") == [c["trace"]], q
                assert hdrs(out, "X-B3-SpanId") == [nc["span"]], (q, hdrs(out, "X-B3-SpanId"))
                assert hdrs(out, "X-B3-Sampled") == ["1"], q
    if fmt == "jaeger":
        ns = one(ss, service="nginx", kind="server", attr_url__query="f=short")
        nc = one(ss, service="nginx", kind="client", parent=ns["span"])
        b = one(ss, service="backend-jaeger", kind="server", attr_url__query="f=short")
        assert ns["trace"] == "0" * 28 + "3f2a" and ns["parent"] == "00000000000009c1", ns
        child_of(b, nc)
        short = nc["span"].lstrip("0")
        assert len(short) == 3, nc["span"]
        got = hdrs(T + "/out-jaeger-short.json", "uber-trace-id")
        assert got == ["3f2a:%s:0:1" % short], (got, nc["span"])
        print("  jaeger: a forwarded short id (3f2a:9c1:0:1) gets a client span id of the same length")
    print("  %s: 8 requests (4 concurrent, fresh and pooled upstreams): curl -> nginx -> nginx client -> backend,"
          " the forwarded header carries nginx's client span id, once" % fmt)
PY
