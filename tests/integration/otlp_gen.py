"""Write OTLP/JSON export requests for the traceshim view tests.

line(service, spans) -> one ExportTraceServiceRequest as a JSON line, the
way the file exporter writes it (ids hex, 64-bit ints as strings, enums as
integers).  span(...) builds one span dict; times are in milliseconds from
a fixed epoch so the expected bars are easy to compute.
"""
import json

EPOCH_NS = 1_700_000_000_000_000_000  # 2023-11-14 22:13:20 UTC


def tid(n):
    return "%032x" % (0xABC0000000000000000000000000000 + n)


def sid(n):
    return "%016x" % (0x1000000000000000 + n)


def span(trace, span_id, parent, name, start_ms, end_ms, kind=2, status=0, attrs=None, **extra):
    s = {
        "traceId": trace,
        "spanId": span_id,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(EPOCH_NS + int(start_ms * 1_000_000)),
        "endTimeUnixNano": str(EPOCH_NS + int(end_ms * 1_000_000)),
        "attributes": [kv(k, v) for k, v in (attrs or {}).items()],
        "status": {"code": status} if status else {},
    }
    if parent:
        s["parentSpanId"] = parent
    s.update(extra)
    return s


def kv(k, v):
    if isinstance(v, bool):
        return {"key": k, "value": {"boolValue": v}}
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    if isinstance(v, float):
        return {"key": k, "value": {"doubleValue": v}}
    if isinstance(v, list):
        return {"key": k, "value": {"arrayValue": {"values": [kv("", x)["value"] for x in v]}}}
    return {"key": k, "value": {"stringValue": v}}


def line(service, spans, pid=1):
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [kv("service.name", service), kv("process.pid", pid)]},
        "scopeSpans": [{"scope": {"name": "traceshim", "version": "0.1.0"}, "spans": spans}],
    }]}, separators=(",", ":"))
