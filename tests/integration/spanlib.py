"""Read exported OTLP/JSON span files and check trace structure.

Used by the integration tests: spans(files) returns a list of dicts with
the fields flattened (service, name, kind, trace, span, parent, start, end,
attrs, status) for simple assertions.
"""
import glob
import json

KIND = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _value(v):
    (k, x), = v.items()
    if k == "intValue":
        return int(x)
    if k == "arrayValue":
        return [_value(e) for e in x.get("values", [])]
    return x


def spans(*patterns):
    out = []
    for pat in patterns:
        for path in sorted(glob.glob(pat)):
            with open(path) as f:
                for line in f:
                    req = json.loads(line)
                    for rs in req["resourceSpans"]:
                        res = {a["key"]: _value(a["value"]) for a in rs["resource"]["attributes"]}
                        for ss in rs["scopeSpans"]:
                            for s in ss["spans"]:
                                out.append({
                                    "service": res.get("service.name"),
                                    "pid": res.get("process.pid"),
                                    "name": s["name"],
                                    "kind": KIND.get(s["kind"], s["kind"]),
                                    "trace": s["traceId"],
                                    "span": s["spanId"],
                                    "parent": s.get("parentSpanId", ""),
                                    "start": int(s["startTimeUnixNano"]),
                                    "end": int(s["endTimeUnixNano"]),
                                    "attrs": {a["key"]: _value(a["value"]) for a in s.get("attributes", [])},
                                    "status": s.get("status", {}).get("code", 0),
                                    "raw_attrs": s.get("attributes", []),
                                })
    return out


def one(ss, **kw):
    """The single span matching all key=value filters (attrs via attr_<key>)."""
    found = [s for s in ss if all(_match(s, k, v) for k, v in kw.items())]
    assert len(found) == 1, f"expected one span with {kw}, found {len(found)}: {[(s['service'], s['kind'], s['name']) for s in ss]}"
    return found[0]


def in_order(ss, **kw):
    """The spans matching all key=value filters (as one()), oldest first."""
    return sorted((s for s in ss if all(_match(s, k, v) for k, v in kw.items())),
                  key=lambda s: s["start"])


def _match(s, k, v):
    if k.startswith("attr_"):
        return s["attrs"].get(k[5:].replace("__", ".")) == v
    return s[k] == v


def child_of(c, p):
    assert c["trace"] == p["trace"], f"{c['name']} not in the trace of {p['name']}"
    assert c["parent"] == p["span"], f"{c['service']}/{c['name']} parent {c['parent']} is not {p['service']}/{p['name']} {p['span']}"


def inside(inner, outer, slack_ns=0):
    assert outer["start"] - slack_ns <= inner["start"] and inner["end"] <= outer["end"] + slack_ns, \
        f"{inner['name']} [{inner['start']},{inner['end']}] not inside {outer['name']} [{outer['start']},{outer['end']}]"


def proxy_chains(ss, T, proxy, mode):
    """lib.sh proxy_rounds' 16 requests in `mode`: each is one trace of
    exactly curl client -> `proxy` server -> `proxy` client -> backend
    server, the backend saw the query and got the proxy client's
    traceparent.  Returns the backend server spans."""
    backends = []
    for rnd in (1, 2):
        for i in range(1, 9):
            q = "m=%s&r=%d&i=%d" % (mode, rnd, i)
            c = one(ss, service="curl-%s-%d-%d" % (mode, rnd, i), kind="client")
            trace = [s for s in ss if s["trace"] == c["trace"]]
            assert len(trace) == 4, (q, [(s["service"], s["kind"]) for s in trace])
            ps = one(trace, service=proxy, kind="server")
            pc = one(trace, service=proxy, kind="client")
            b = one(trace, service="backend", kind="server")
            child_of(ps, c)
            child_of(pc, ps)
            child_of(b, pc)
            assert ps["attrs"]["url.query"] == q and b["attrs"]["url.query"] == q, (q, ps["attrs"], b["attrs"])
            with open(T + "/out-%s-%d-%d.json" % (mode, rnd, i)) as f:
                got = [v for k, v in json.load(f) if k.lower() == "traceparent"]
            assert got == ["00-%s-%s-01" % (pc["trace"], pc["span"])], (q, got)
            backends.append(b)
    return backends


def linked_within_traces(ss):
    """No span has a parent from another trace, and none is orphaned."""
    by_id = {s["span"]: s for s in ss}
    for s in ss:
        if s["parent"]:
            assert s["parent"] in by_id and by_id[s["parent"]]["trace"] == s["trace"], s
