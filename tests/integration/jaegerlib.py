"""Decode recorded Jaeger agent datagrams with Apache Thrift's own code.

The Python modules are generated at test time by scripts/jaeger-idl from
the published Jaeger IDL (agent.thrift, jaeger.thrift), so what is
checked here is what a real Jaeger agent would read.  Every datagram is
decoded twice, with the pure-Python compact protocol and with the C
accelerated one (thrift's fastbinary), and both must agree.

decode(data) checks the envelope strictly (protocol id, ONEWAY call of
"emitBatch", every byte consumed, required fields present) and returns
(seqid, Batch).  spans(dir) flattens every span of every datagram like
spanlib.spans() does for OTLP/JSON, so tests can compare the two exports
span by span: ids as lowercase hex, times in microseconds, tags by key.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = subprocess.run([os.path.join(ROOT, "scripts/jaeger-idl")], check=True,
                     stdout=subprocess.PIPE, text=True).stdout.strip()
sys.path.insert(0, GEN)

from agent import Agent  # noqa: E402
from jaeger import ttypes as jt  # noqa: E402
from thrift.Thrift import TMessageType  # noqa: E402
from thrift.protocol import TCompactProtocol  # noqa: E402
from thrift.transport import TTransport  # noqa: E402

MAX_DATAGRAM = 65000
TAGTYPE = {jt.TagType.STRING: "STRING", jt.TagType.DOUBLE: "DOUBLE",
           jt.TagType.BOOL: "BOOL", jt.TagType.LONG: "LONG", jt.TagType.BINARY: "BINARY"}


def _decode_with(data, factory):
    trans = TTransport.TMemoryBuffer(data)
    proto = factory.getProtocol(trans)
    name, mtype, seqid = proto.readMessageBegin()
    assert name == "emitBatch", name
    assert mtype == TMessageType.ONEWAY, mtype
    args = Agent.emitBatch_args()
    args.read(proto)
    proto.readMessageEnd()
    rest = len(data) - trans._buffer.tell()
    assert rest == 0, "%d bytes after the message" % rest
    b = args.batch
    assert b is not None, "emitBatch without its batch argument"
    b.validate()
    b.process.validate()
    for t in b.process.tags or []:
        t.validate()
    for s in b.spans:
        s.validate()
        for t in (s.tags or []) + [f for log in s.logs or [] for f in log.fields]:
            t.validate()
        for r in s.references or []:
            r.validate()
    return seqid, b


def decode(data):
    """(seqid, Batch) of one datagram, decoded by both Thrift decoders."""
    assert len(data) <= MAX_DATAGRAM, "datagram of %d bytes" % len(data)
    seq, batch = _decode_with(data, TCompactProtocol.TCompactProtocolFactory())
    seq2, batch2 = _decode_with(data, TCompactProtocol.TCompactProtocolAcceleratedFactory())
    assert (seq, batch) == (seq2, batch2), "pure and accelerated decoders disagree"
    return seq, batch


def tag_value(t):
    return {jt.TagType.STRING: t.vStr, jt.TagType.DOUBLE: t.vDouble, jt.TagType.BOOL: t.vBool,
            jt.TagType.LONG: t.vLong, jt.TagType.BINARY: t.vBinary}[t.vType]


def tags(lst):
    """{key: (TYPE, value)}; a repeated key is an error."""
    out = {}
    for t in lst or []:
        assert t.key not in out, "tag %r twice" % t.key
        out[t.key] = (TAGTYPE[t.vType], tag_value(t))
    return out


def u64hex(v):
    return "%016x" % (v & 0xFFFFFFFFFFFFFFFF)


def datagrams(path):
    """Every datagram jaeger_agent.py recorded in path, in arrival order
    (a record still being written is left for the next call)."""
    out = []
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return out
    i = 0
    while i + 4 <= len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        if i + 4 + n > len(data):
            break
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def spans(*paths):
    """Flattened spans of every datagram recorded in the given files."""
    out = []
    for data in [d for p in paths for d in datagrams(p)]:
        seq, b = decode(data)
        ptags = tags(b.process.tags)
        for s in b.spans:
            t = tags(s.tags)
            out.append({
                "service": b.process.serviceName,
                "process": ptags,
                "pid": ptags.get("process.pid", (None, None))[1],
                "seqid": seq,
                "size": len(data),
                "name": s.operationName,
                "kind": t.get("span.kind", (None, "internal"))[1],
                "trace": u64hex(s.traceIdHigh) + u64hex(s.traceIdLow),
                "span": u64hex(s.spanId),
                "parent": "" if s.parentSpanId == 0 else u64hex(s.parentSpanId),
                "references": [(r.refType, u64hex(r.traceIdHigh) + u64hex(r.traceIdLow),
                                u64hex(r.spanId)) for r in s.references or []],
                "flags": s.flags,
                "start_us": s.startTime,
                "duration_us": s.duration,
                "tags": t,
                "logs": s.logs,
            })
    return out


# Tags the exporter adds for OpenTelemetry concepts Jaeger has no field for.
MAPPED = {"span.kind", "otel.status_code", "otel.status_description", "error",
          "otel.scope.name", "otel.scope.version", "otel.library.name",
          "otel.library.version", "otel.dropped_attributes_count", "w3c.tracestate"}


def attrs(j):
    """The span's own attributes, as {key: value} (mapped tags left out)."""
    return {k: v for k, (_, v) in j["tags"].items() if k not in MAPPED}
