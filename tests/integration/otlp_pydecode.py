#!/usr/bin/env python3
"""Decode OTLP/HTTP protobuf request bodies with python3-protobuf (Debian's,
the upb C parser) and the published opentelemetry-proto .proto files (as an
OpenTelemetry JS package ships them, installed by scripts/install-npm-tools),
compiled here by protoc into build/npm/pyotlp.

usage: otlp_pydecode.py FILE...
       otlp_pydecode.py --json FILE...
Prints one OTLP/JSON line per file (ids as lowercase hex): the shape the
file exporter writes, for tests/integration/spanlib.py.  With --json the
FILEs hold OTLP/JSON lines (the file exporter's, or http/json bodies), and
each line is parsed strictly by protobuf's JSON parser (json_format.Parse:
every field name must be the schema's, every value of its type) after the
one change the OTLP/JSON encoding makes to protobuf's JSON mapping: ids
in hex, not base64.  Exits 1 naming
the file when a body does not parse (wrong wire types, bad lengths,
invalid UTF-8 in a string field, ...).  Those .proto files predate
Span.flags (field 16), which this parser keeps as an unknown field; any
other unknown field is an error.
"""
import base64
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
PROTOS = os.path.join(ROOT, "build/npm/node_modules/@opentelemetry/otlp-grpc-exporter-base/build/protos")
OUT = os.path.join(ROOT, "build/npm/pyotlp")
NEEDED = ["opentelemetry/proto/common/v1/common.proto", "opentelemetry/proto/resource/v1/resource.proto",
          "opentelemetry/proto/trace/v1/trace.proto", "opentelemetry/proto/collector/trace/v1/trace_service.proto"]


def compile_protos():
    stamp = os.path.join(OUT, ".compiled")
    if os.path.exists(stamp):
        return
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["protoc", "-I", PROTOS, "--python_out", OUT] + [os.path.join(PROTOS, p) for p in NEEDED],
                   check=True)
    open(stamp, "w").close()


def hexid(b64):
    return base64.b64decode(b64).hex()


def ids(d, conv):
    for rs in d.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                for k in ("traceId", "spanId", "parentSpanId"):
                    if k in s:
                        s[k] = conv(s[k])
                for link in s.get("links", []):
                    for k in ("traceId", "spanId"):
                        if k in link:
                            link[k] = conv(link[k])
                yield s


def strict_json(files, json_format, ts):
    import json
    for f in files:
        for n, line in enumerate(open(f, "rb").read().splitlines(), 1):
            d = json.loads(line)
            flags = {}
            for s in ids(d, lambda h: base64.b64encode(bytes.fromhex(h)).decode()):
                # Span.flags (field 16) is newer than these .proto files
                if "flags" in s:
                    flags[s["spanId"]] = s.pop("flags")
                    if not isinstance(flags[s["spanId"]], int):
                        sys.exit("%s:%d: Span.flags is not an integer" % (f, n))
            req = ts.ExportTraceServiceRequest()
            try:
                json_format.Parse(json.dumps(d), req, ignore_unknown_fields=False)
            except json_format.ParseError as e:
                sys.exit("%s:%d: not OTLP/JSON: %s" % (f, n, e))
            out = json_format.MessageToDict(req, use_integers_for_enums=True)
            for s in ids(out, hexid):
                if s["spanId"] in flags:
                    s["flags"] = flags[s["spanId"]]
            print(json.dumps(out))


def main():
    compile_protos()
    sys.path.insert(0, OUT)
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as ts

    if sys.argv[1:2] == ["--json"]:
        return strict_json(sys.argv[2:], json_format, ts)
    for f in sys.argv[1:]:
        data = open(f, "rb").read()
        req = ts.ExportTraceServiceRequest()
        try:
            req.ParseFromString(data)
        except DecodeError as e:
            sys.exit("%s: does not parse: %s" % (f, e))
        # Everything but Span.flags must be known to the schema.
        try:
            req_unknown = len(req.UnknownFields())
        except NotImplementedError:  # some backends do not expose it
            req_unknown = 0
        if req_unknown:
            sys.exit("%s: unknown fields in the request" % f)
        d = json_format.MessageToDict(req, use_integers_for_enums=True)
        for rs in d.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    for k in ("traceId", "spanId", "parentSpanId"):
                        if k in s:
                            s[k] = hexid(s[k])
        # Re-serialising gives the same bytes only if ours were canonical.
        if req.SerializeToString() != data:
            sys.exit("%s: python3-protobuf re-encodes it to different bytes" % f)
        print(__import__("json").dumps(d))


if __name__ == "__main__":
    main()
