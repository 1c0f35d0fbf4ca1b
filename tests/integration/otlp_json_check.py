#!/usr/bin/env python3
"""Validate an OTLP/JSON lines file, field by field.

Each line must be one complete ExportTraceServiceRequest in the OTLP/JSON
encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
lowerCamelCase keys, ids as lowercase hex of the right length, enums as
integers, 64-bit integers as decimal strings.  Unknown keys are errors, as
they would be for a strict protobuf JSON parser.

usage: otlp_json_check.py FILE [--spans N] [--procs N] [--unique-ids]
Prints a one-line summary; exits 1 with the first problem found.
"""
import argparse
import json
import re
import sys

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DEC = re.compile(r"^-?[0-9]+$")


class Bad(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Bad(msg)


def keys(obj, allowed, where):
    need(isinstance(obj, dict), f"{where}: not an object")
    extra = set(obj) - set(allowed)
    need(not extra, f"{where}: unknown fields {sorted(extra)}")


def any_value(v, where):
    keys(v, {"stringValue", "intValue", "boolValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"}, where)
    need(len(v) == 1, f"{where}: AnyValue must hold exactly one value")
    (k, x), = v.items()
    if k == "stringValue":
        need(isinstance(x, str), f"{where}: stringValue not a string")
    elif k == "intValue":
        need(isinstance(x, str) and DEC.match(x), f"{where}: intValue must be a decimal string, got {x!r}")
    elif k == "boolValue":
        need(isinstance(x, bool), f"{where}: boolValue not a bool")
    elif k == "arrayValue":
        keys(x, {"values"}, where)
        for i, e in enumerate(x.get("values", [])):
            any_value(e, f"{where}[{i}]")
    return k, x


def attributes(lst, where):
    need(isinstance(lst, list), f"{where}: attributes not a list")
    out = {}
    for i, kv in enumerate(lst):
        keys(kv, {"key", "value"}, f"{where}[{i}]")
        need(isinstance(kv["key"], str) and kv["key"], f"{where}[{i}]: empty key")
        out[kv["key"]] = any_value(kv["value"], f"{where}[{i}].value")
    return out


def span(s, where):
    keys(s, {"traceId", "spanId", "parentSpanId", "traceState", "flags", "name", "kind",
             "startTimeUnixNano", "endTimeUnixNano", "attributes", "droppedAttributesCount",
             "events", "droppedEventsCount", "links", "droppedLinksCount", "status"}, where)
    need(HEX32.match(s["traceId"]) and s["traceId"] != "0" * 32, f"{where}: bad traceId {s['traceId']!r}")
    need(HEX16.match(s["spanId"]) and s["spanId"] != "0" * 16, f"{where}: bad spanId {s['spanId']!r}")
    if "parentSpanId" in s:
        need(HEX16.match(s["parentSpanId"]), f"{where}: bad parentSpanId")
    need(isinstance(s["name"], str) and s["name"], f"{where}: empty name")
    need(isinstance(s["kind"], int) and 0 <= s["kind"] <= 5, f"{where}: kind must be an integer 0-5")
    for t in ("startTimeUnixNano", "endTimeUnixNano"):
        need(isinstance(s[t], str) and DEC.match(s[t]), f"{where}: {t} must be a decimal string")
    need(int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]), f"{where}: ends before it starts")
    need(int(s["startTimeUnixNano"]) > 1_500_000_000 * 10**9, f"{where}: start time not a Unix time in ns")
    if "flags" in s:
        need(isinstance(s["flags"], int) and 0 <= s["flags"] < 2**32, f"{where}: bad flags")
    attrs = attributes(s.get("attributes", []), f"{where}.attributes")
    st = s.get("status", {})
    keys(st, {"code", "message"}, f"{where}.status")
    if "code" in st:
        need(st["code"] in (0, 1, 2), f"{where}: status.code must be 0, 1 or 2")
    return attrs


def check(path, args):
    spans, lines, pids, ids = 0, 0, set(), set()
    with open(path, "rb") as f:
        for no, raw in enumerate(f, 1):
            lines += 1
            need(raw.endswith(b"\n"), f"line {no}: not newline-terminated (torn write?)")
            try:
                req = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise Bad(f"line {no}: not one JSON document: {e}")
            keys(req, {"resourceSpans"}, f"line {no}")
            for ri, rs in enumerate(req["resourceSpans"]):
                w = f"line {no} resourceSpans[{ri}]"
                keys(rs, {"resource", "scopeSpans", "schemaUrl"}, w)
                keys(rs["resource"], {"attributes", "droppedAttributesCount"}, w + ".resource")
                res = attributes(rs["resource"]["attributes"], w + ".resource.attributes")
                for k in ("service.name", "process.pid", "telemetry.sdk.name", "telemetry.sdk.version"):
                    need(k in res, f"{w}: resource lacks {k}")
                need(res["process.pid"][0] == "intValue", f"{w}: process.pid must be an int")
                pids.add(res["process.pid"][1])
                for si, ss in enumerate(rs["scopeSpans"]):
                    keys(ss, {"scope", "spans", "schemaUrl"}, f"{w}.scopeSpans[{si}]")
                    need(ss["scope"].get("name") == "traceshim", f"{w}: scope name")
                    for k, s in enumerate(ss["spans"]):
                        span(s, f"{w}.spans[{k}]")
                        spans += 1
                        if args.unique_ids:
                            need(s["spanId"] not in ids, f"{w}: span id {s['spanId']} repeated")
                            ids.add(s["spanId"])
    if args.spans is not None:
        need(spans == args.spans, f"expected {args.spans} spans, found {spans}")
    if args.procs is not None:
        need(len(pids) == args.procs, f"expected spans from {args.procs} processes, found {len(pids)}")
    print(f"otlp_json_check: {path}: {lines} lines, {spans} spans, {len(pids)} processes: ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--spans", type=int)
    ap.add_argument("--procs", type=int)
    ap.add_argument("--unique-ids", action="store_true")
    args = ap.parse_args()
    try:
        check(args.file, args)
    except Bad as e:
        print(f"otlp_json_check: {args.file}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
