#!/usr/bin/env python3
"""The W3C trace-context test suite's cases, run against a traced service.

usage: w3c_harness.py SERVICE_URL

The W3C suite (github.com/w3c/trace-context, test/test.py) drives a
"vendor service": the harness sends it a request with some traceparent /
tracestate headers and asks it to call the harness back; the callback's
headers show what the service propagated.  This is the same protocol with
our own harness: SERVICE_URL is pyserver.py's /call endpoint, which calls
each ?url= with urllib (the shim does all the propagating), and every case
of test.py is checked with the expectation test.py states for it (strict
level 2).  Prints one line per case; exits 1 if any failed.  Loopback only.
"""
import http.client
import http.server
import re
import sys
import threading
import urllib.parse

TP_RE = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
got = {}
lock = threading.Lock()


class CB(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with lock:
            got[self.path] = list(self.headers.items())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


cb = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CB)
threading.Thread(target=cb.serve_forever, daemon=True).start()
CB_BASE = "http://127.0.0.1:%d" % cb.server_address[1]
service = urllib.parse.urlsplit(sys.argv[1])
seq = [0]


def call(headers, count=1):
    """Send headers to the service, asking for `count` callbacks; returns
    the callbacks' header lists."""
    paths = []
    for _ in range(count):
        seq[0] += 1
        paths.append("/cb/%d" % seq[0])
    q = "&".join("url=" + urllib.parse.quote(CB_BASE + p, safe="") for p in paths)
    conn = http.client.HTTPConnection(service.hostname, service.port, timeout=10)
    conn.putrequest("GET", service.path + "?" + q, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 200, r.status
    with lock:
        return [got.pop(p) for p in paths]


def traceparent(hdrs):
    tps = [v for k, v in hdrs if k.lower() == "traceparent"]
    assert len(tps) == 1, "expected one traceparent, got %r" % tps
    m = TP_RE.match(tps[0])
    assert m, "invalid traceparent %r" % tps[0]
    return m.group(2), m.group(3)


def tracestate(hdrs):
    """The members of every tracestate header, as the suite's Tracestate
    class reads them: a dict, raising KeyError for missing keys."""
    out = {}
    for k, v in hdrs:
        if k.lower() != "tracestate":
            continue
        for m in v.split(","):
            m = m.strip(" \t")
            if m:
                key, _, val = m.partition("=")
                out[key] = val
    return out


def one(headers):
    h = call(headers)[0]
    return traceparent(h), tracestate(h)


T = "12345678901234567890123456789012"
P = "1234567890123456"
TP = "00-%s-%s-01" % (T, P)
TP0 = "00-%s-%s-00" % (T, P)
cases = []


def case(fn):
    cases.append(fn)
    return fn


def same_trace(value, name="traceparent"):
    (t, p), _ = one([[name, value]])
    assert t == T, "trace id %s not continued from %r" % (t, value)
    assert p != P, "parent id not replaced"


def new_trace(value, name="traceparent"):
    (t, _), _ = one([[name, value]])
    assert t not in (T, "0" * 32, T[1:] + "3"), "trace continued from invalid %r" % value


@case
def test_both_traceparent_and_tracestate_missing():
    one([])


@case
def test_traceparent_included_tracestate_missing():
    same_trace(TP)


@case
def test_traceparent_duplicated():
    (t, _), _ = one([["traceparent", "00-%s1-%s-01" % (T[:-1], P)],
                     ["traceparent", TP]])
    assert t not in (T, T[:-1] + "1")


@case
def test_traceparent_header_name():
    new_trace(TP, "trace-parent")
    new_trace(TP, "trace.parent")


@case
def test_traceparent_header_name_valid_casing():
    for name in ("TraceParent", "TrAcEpArEnT", "TRACEPARENT"):
        same_trace(TP, name)


@case
def test_traceparent_version_0x00():
    new_trace(TP + ".")
    new_trace(TP + "-what-the-future-will-be-like")


@case
def test_traceparent_version_0xcc():
    same_trace("cc" + TP[2:])
    same_trace("cc" + TP[2:] + "-what-the-future-will-be-like")
    new_trace("cc" + TP[2:] + ".what-the-future-will-be-like")


@case
def test_traceparent_version_0xff():
    new_trace("ff" + TP[2:])


@case
def test_traceparent_version_illegal_characters():
    new_trace(".0" + TP[2:])
    new_trace("0." + TP[2:])


@case
def test_traceparent_version_too_long():
    new_trace("000" + TP[2:])
    new_trace("0000" + TP[2:])


@case
def test_traceparent_version_too_short():
    new_trace("0" + TP[2:])


@case
def test_traceparent_trace_id_all_zero():
    new_trace("00-%s-%s-01" % ("0" * 32, P))


@case
def test_traceparent_trace_id_illegal_characters():
    new_trace("00-.%s-%s-01" % (T[1:], P))
    new_trace("00-%s.-%s-01" % (T[:-1], P))


@case
def test_traceparent_trace_id_too_long():
    new_trace("00-%s3-%s-01" % (T, P))


@case
def test_traceparent_trace_id_too_short():
    new_trace("00-%s-%s-01" % (T[:-1], P))


@case
def test_traceparent_parent_id_all_zero():
    new_trace("00-%s-%s-01" % (T, "0" * 16))


@case
def test_traceparent_parent_id_illegal_characters():
    new_trace("00-%s-.%s-01" % (T, P[1:]))
    new_trace("00-%s-%s.-01" % (T, P[:-1]))


@case
def test_traceparent_parent_id_too_long():
    new_trace("00-%s-%s7-01" % (T, P))


@case
def test_traceparent_parent_id_too_short():
    new_trace("00-%s-%s-01" % (T, P[:-1]))


@case
def test_traceparent_trace_flags_illegal_characters():
    new_trace("00-%s-%s-.0" % (T, P))
    new_trace("00-%s-%s-0." % (T, P))


@case
def test_traceparent_trace_flags_too_long():
    new_trace("00-%s-%s-001" % (T, P))


@case
def test_traceparent_trace_flags_too_short():
    new_trace("00-%s-%s-1" % (T, P))


@case
def test_traceparent_ows_handling():
    for v in (" " + TP, "\t" + TP, TP + " ", TP + "\t", "\t " + TP + " \t"):
        same_trace(v)


@case
def test_tracestate_included_traceparent_missing():
    _, ts1 = one([["tracestate", "foo=1"]])
    _, ts2 = one([["tracestate", "foo=1,bar=2"]])
    assert len(ts1) == len(ts2), (ts1, ts2)


@case
def test_tracestate_included_traceparent_included():
    (t, _), ts = one([["traceparent", TP0], ["tracestate", "foo=1,bar=2"]])
    assert t == T and ts["foo"] == "1" and ts["bar"] == "2", ts


@case
def test_tracestate_header_name():
    for name in ("trace-state", "trace.state"):
        _, ts = one([["traceparent", TP0], [name, "foo=1"]])
        assert "foo" not in ts, ts


@case
def test_tracestate_header_name_valid_casing():
    for name in ("TraceState", "TrAcEsTaTe", "TRACESTATE"):
        _, ts = one([["traceparent", TP0], [name, "foo=1"]])
        assert ts.get("foo") == "1", ts


@case
def test_tracestate_empty_header():
    (t, _), ts = one([["traceparent", TP0], ["tracestate", ""]])
    assert t == T and not ts, ts
    for hs in ([["tracestate", "foo=1"], ["tracestate", ""]],
               [["tracestate", ""], ["tracestate", "foo=1"]]):
        (t, _), ts = one([["traceparent", TP0]] + hs)
        assert t == T and ts.get("foo") == "1", ts


@case
def test_tracestate_multiple_headers_different_keys():
    h = call([["traceparent", TP0], ["tracestate", "foo=1,bar=2"],
              ["tracestate", "rojo=1,congo=2"], ["tracestate", "baz=3"]])[0]
    s = ",".join(v for k, v in h if k.lower() == "tracestate")
    order = [s.index(x) for x in ("foo=1", "bar=2", "rojo=1", "congo=2", "baz=3")]
    assert order == sorted(order), s


@case
def test_tracestate_duplicated_keys():
    for hs in ([["tracestate", "foo=1,foo=1"]], [["tracestate", "foo=1,foo=2"]],
               [["tracestate", "foo=1"], ["tracestate", "foo=1"]],
               [["tracestate", "foo=1"], ["tracestate", "foo=2"]]):
        (t, _), ts = one([["traceparent", TP0]] + hs)
        assert t == T and "foo" not in ts, (hs, ts)


@case
def test_tracestate_all_allowed_characters():
    key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
    value = "".join(map(chr, list(range(0x20, 0x2C)) + list(range(0x2D, 0x3D)) +
                        list(range(0x3E, 0x7F))))
    for k in (key, key + "@a-z0-9_-*/"):
        _, ts = one([["traceparent", TP0], ["tracestate", k + "=" + value]])
        assert ts.get(k) == value, ts


@case
def test_tracestate_ows_handling():
    for v in ("foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"):
        _, ts = one([["traceparent", TP0], ["tracestate", v]])
        assert (ts.get("foo"), ts.get("bar"), ts.get("baz")) == ("1", "2", "3"), ts
    for v in (" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"):
        (t, _), ts = one([["traceparent", TP0], ["tracestate", v]])
        assert t == T and ts.get("foo") == "1", (v, ts)


@case
def test_tracestate_key_illegal_characters():
    for v, k in (("foo =1", "foo "), ("FOO=1", "FOO"), ("foo.bar=1", "foo.bar")):
        _, ts = one([["traceparent", TP0], ["tracestate", v]])
        assert k not in ts, ts


@case
def test_tracestate_key_illegal_vendor_format():
    for v in ("foo@=1,bar=2", "@foo=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"):
        _, ts = one([["traceparent", TP0], ["tracestate", v]])
        assert "bar" not in ts, (v, ts)


@case
def test_tracestate_member_count_limit():
    lines = [",".join("bar%02d=%02d" % (i, i) for i in range(a, b))
             for a, b in ((1, 11), (11, 21), (21, 31), (31, 33))]
    _, ts = one([["traceparent", TP0]] + [["tracestate", l] for l in lines])
    assert ts.get("bar01") == "01" and len(ts) == 32, ts
    lines[-1] += ",bar33=33"
    _, ts = one([["traceparent", TP0]] + [["tracestate", l] for l in lines])
    assert "bar01" not in ts, ts


@case
def test_tracestate_key_length_limit():
    def ts_with(second):
        return one([["traceparent", TP0], ["tracestate", "foo=1"], ["tracestate", second]])[1]
    assert ts_with("z" * 256 + "=1").get("foo") == "1"
    assert "foo" not in ts_with("z" * 257 + "=1")
    assert ts_with("t" * 241 + "@" + "v" * 14 + "=1").get("foo") == "1"
    assert "foo" not in ts_with("t" * 242 + "@v=1")
    assert "foo" not in ts_with("t@" + "v" * 15 + "=1")


@case
def test_tracestate_value_illegal_characters():
    _, ts = one([["traceparent", TP0], ["tracestate", "foo=bar=baz"]])
    assert "foo" not in ts
    _, ts = one([["traceparent", TP0], ["tracestate", "foo=,bar=3"]])
    assert "foo" not in ts and "bar" not in ts


@case
def test_multiple_requests_with_valid_traceparent():
    tps = [traceparent(h) for h in call([["traceparent", TP]], 3)]
    assert {t for t, _ in tps} == {T} and len({p for _, p in tps}) == 3, tps


@case
def test_multiple_requests_without_traceparent():
    tps = [traceparent(h) for h in call([], 3)]
    assert len({p for _, p in tps}) == 3, tps


@case
def test_multiple_requests_with_illegal_traceparent():
    tps = [traceparent(h) for h in call([["traceparent", "00-%s-%s-01" % ("0" * 32, P)]], 3)]
    assert "0" * 32 not in {t for t, _ in tps} and len({p for _, p in tps}) == 3, tps


failed = 0
for fn in cases:
    try:
        fn()
        print("PASS", fn.__name__)
    except Exception as e:  # noqa: BLE001 - report every case
        failed += 1
        print("FAIL", fn.__name__ + ":", repr(e))
print("%d of %d W3C trace-context cases passed" % (len(cases) - failed, len(cases)))
sys.exit(1 if failed else 0)
