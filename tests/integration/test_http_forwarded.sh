# client.address of a server span behind a proxy is the client the proxy
# names (the conventions: "the client address behind any intermediaries"),
# network.peer.address the proxy itself:
#  - an untraced nginx with proxy_set_header X-Forwarded-For
#    $proxy_add_x_forwarded_for in front of a traced python server, called
#    by a traced curl that says it forwards for 203.0.113.9 (a documentation
#    address: nothing is sent there): the server span names 203.0.113.9;
#  - Forwarded (RFC 7239) with a quoted IPv6 address and port: that address;
#  - an obfuscated Forwarded identifier, junk in X-Forwarded-For, no header:
#    the peer (the old build always named the peer).
source "$(dirname "$0")/lib.sh"

BP=$(free_port)
start_traced backend "$T/backend.log" /usr/bin/python3 "$ROOT/tests/integration/pyserver.py" "$BP"
NP=$(free_port)
nginx_conf "$T/ng" "$T/ng/nginx.conf" "master_process off;" "
	server {
		listen 127.0.0.1:$NP;
		location / {
			proxy_pass http://127.0.0.1:$BP;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		}
	}"
nginx -c "$T/ng/nginx.conf" -p "$T/ng" &
PIDS+=("$!")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NP/status/200" && break; sleep 0.05; done

SVC=curl traced curl -sS -o "$T/h1.json" -H 'X-Forwarded-For: 203.0.113.9' "http://127.0.0.1:$NP/headers?via=nginx"
B=http://127.0.0.1:$BP
SVC=curl traced curl -sS -o /dev/null -H 'Forwarded: for="[2001:DB8:cafe::17]:4711";proto=http' "$B/headers?via=fwd6"
SVC=curl traced curl -sS -o /dev/null -H 'Forwarded: for=_hidden' "$B/headers?via=hidden"
SVC=curl traced curl -sS -o /dev/null -H 'X-Forwarded-For: <script>' "$B/headers?via=junk"
SVC=curl traced curl -sS -o /dev/null "$B/headers?via=none"
sleep 0.3
stop_all

/usr/bin/python3 - "$T" <<PY
$SPANLIB
import json
T = sys.argv[1]
got = json.load(open(T + "/h1.json"))
xff = {k.lower(): v for k, v in got}.get("x-forwarded-for")
assert xff == "203.0.113.9, 127.0.0.1", got
ss = spans(T + "/spans-backend.jsonl")
by = {s["attrs"].get("url.query"): s for s in ss if s["kind"] == "server"}
want = {"via=nginx": "203.0.113.9", "via=fwd6": "2001:db8:cafe::17", "via=hidden": "127.0.0.1",
        "via=junk": "127.0.0.1", "via=none": "127.0.0.1"}
assert {q: by[q]["attrs"].get("client.address") for q in want} == want, \
    {q: by[q]["attrs"] for q in by}
assert all(by[q]["attrs"].get("network.peer.address") == "127.0.0.1" for q in want), [by[q]["attrs"] for q in by]
cli = spans(T + "/spans-curl.jsonl")
assert by["via=nginx"]["trace"] == one(cli, attr_url__full="http://127.0.0.1:$NP/headers?via=nginx")["trace"]
print("  behind nginx (X-Forwarded-For \"203.0.113.9, 127.0.0.1\"): client.address 203.0.113.9,"
      " network.peer.address 127.0.0.1, one trace with the curl span")
print("  Forwarded for=\"[2001:DB8:cafe::17]:4711\": 2001:db8:cafe::17; an obfuscated one, junk, none: the peer")
PY
