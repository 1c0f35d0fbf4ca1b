#!/usr/bin/env python3
"""Validate Zipkin v2 JSON span lists and compare them with OTLP spans.

The model is Zipkin's v2 API (zipkin2-api.yaml, definitions ListOfSpans,
Span, Endpoint, Annotation, Tags), checked strictly: a list of objects, no
unknown fields, every field of its declared type, traceId 16 or 32 and
id/parentId 16 lowercase hex characters, kind one of the four enum
values, tags a string-to-string map, ports 1-65535.  Then each span is
compared with the same span as the file exporter wrote it (OTLP/JSON),
following the OpenTelemetry specification's Zipkin mapping.

usage: zipkin_check.py BODY_FILES_GLOB OTLP_JSON_GLOB
"""
import glob
import ipaddress
import json
import re
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from spanlib import spans  # noqa: E402

HEX = re.compile(r"^[0-9a-f]+$")
SPAN_FIELDS = {"traceId": str, "name": str, "parentId": str, "id": str, "kind": str,
               "timestamp": int, "duration": int, "debug": bool, "shared": bool,
               "localEndpoint": dict, "remoteEndpoint": dict, "annotations": list, "tags": dict}
ENDPOINT_FIELDS = {"serviceName": str, "ipv4": str, "ipv6": str, "port": int}
KINDS = {"CLIENT", "SERVER", "PRODUCER", "CONSUMER"}


def need(cond, msg):
    if not cond:
        raise SystemExit("zipkin_check: " + msg)


def typed(obj, fields, where):
    need(isinstance(obj, dict), f"{where}: not an object")
    for k, v in obj.items():
        need(k in fields, f"{where}: unknown field {k!r}")
        t = fields[k]
        ok = isinstance(v, t) and not (t is int and isinstance(v, bool))
        need(ok, f"{where}.{k}: {v!r} is not of type {t.__name__}")


def endpoint(e, where):
    typed(e, ENDPOINT_FIELDS, where)
    if "ipv4" in e:
        need(isinstance(ipaddress.ip_address(e["ipv4"]), ipaddress.IPv4Address), f"{where}.ipv4")
    if "ipv6" in e:
        need(isinstance(ipaddress.ip_address(e["ipv6"]), ipaddress.IPv6Address), f"{where}.ipv6")
    if "port" in e:
        need(1 <= e["port"] <= 65535, f"{where}.port out of range")


def validate(span, where):
    typed(span, SPAN_FIELDS, where)
    for k in ("traceId", "id"):
        need(k in span, f"{where}: {k} is required")
    need(16 <= len(span["traceId"]) <= 32 and len(span["traceId"]) in (16, 32) and HEX.match(span["traceId"]),
         f"{where}: traceId {span['traceId']!r}")
    for k in ("id", "parentId"):
        if k in span:
            need(len(span[k]) == 16 and HEX.match(span[k]), f"{where}: {k} {span[k]!r}")
    if "kind" in span:
        need(span["kind"] in KINDS, f"{where}: kind {span['kind']!r}")
    for k in ("timestamp", "duration"):
        if k in span:
            need(span[k] >= 1, f"{where}: {k} must be positive")
    for k in ("localEndpoint", "remoteEndpoint"):
        if k in span:
            endpoint(span[k], f"{where}.{k}")
    for k, v in span.get("tags", {}).items():
        need(isinstance(v, str), f"{where}.tags[{k!r}] is not a string")


def tag_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return json.dumps(v)
    return str(v)


def compare(z, o, where):
    kinds = {"server": "SERVER", "client": "CLIENT", "producer": "PRODUCER", "consumer": "CONSUMER"}
    need(z["traceId"] == o["trace"] and z["id"] == o["span"], f"{where}: ids")
    need(z.get("parentId", "") == o["parent"], f"{where}: parentId")
    need(z["name"] == o["name"], f"{where}: name")
    need(z.get("kind") == kinds.get(o["kind"]), f"{where}: kind {z.get('kind')} for {o['kind']}")
    need(z["timestamp"] == o["start"] // 1000, f"{where}: timestamp")
    need(z["duration"] == max(1, (o["end"] - o["start"]) // 1000), f"{where}: duration")
    need(z["localEndpoint"] == {"serviceName": o["service"]}, f"{where}: localEndpoint")
    tags = dict(z["tags"])
    for k, v in o["attrs"].items():
        need(tags.pop(k, None) == tag_value(v), f"{where}: tag {k}")
    need(tags.pop("otel.scope.name") == "traceshim", f"{where}: otel.scope.name")
    tags.pop("otel.scope.version")
    status = {0: None, 1: "OK", 2: "ERROR"}[o["status"]]
    need(tags.pop("otel.status_code", None) == status, f"{where}: otel.status_code")
    if status == "ERROR":
        need("error" in tags, f"{where}: error tag missing for an ERROR span")
        tags.pop("error")
    tags.pop("otel.dropped_attributes_count", None)
    need(not tags, f"{where}: unexpected tags {tags}")
    a = o["attrs"]
    r = z.get("remoteEndpoint")
    if o["kind"] == "client" and "server.address" in a:
        need(r and r.get("serviceName") == a["server.address"], f"{where}: remoteEndpoint.serviceName")
    peer = a.get("network.peer.address")
    if peer:
        fam = "ipv4" if ipaddress.ip_address(peer).version == 4 else "ipv6"
        need(r and r.get(fam) == peer, f"{where}: remoteEndpoint.{fam}")
        if "network.peer.port" in a:
            need(r.get("port") == a["network.peer.port"], f"{where}: remoteEndpoint.port")


def main():
    bodies, otlp = sys.argv[1], sys.argv[2]
    zs = []
    for f in sorted(glob.glob(bodies)):
        lst = json.load(open(f, encoding="utf-8"))
        need(isinstance(lst, list), f"{f}: not a ListOfSpans")
        for i, s in enumerate(lst):
            validate(s, f"{f}[{i}]")
            zs.append(s)
    os_ = {s["span"]: s for s in spans(otlp)}
    need(len(zs) == len(os_), f"{len(zs)} Zipkin spans, {len(os_)} in the file exporter's output")
    for s in zs:
        need(s["id"] in os_, f"span {s['id']} not in the file exporter's output")
        compare(s, os_[s["id"]], "span " + s["id"])
    print(f"zipkin_check: {len(zs)} spans valid against the Zipkin v2 model and mapped as specified")


if __name__ == "__main__":
    main()
