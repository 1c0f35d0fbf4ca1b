#!/usr/bin/env python3
"""A loopback OTLP/gRPC collector: grpcio (Debian's python3-grpcio, the
gRPC project's own C core), so framing, HTTP/2 and status handling are an
independent implementation's, not ours.

usage: grpc_collector.py PORT DIR MODE [tls:CERT:KEY]

Every call is recorded like collector.py records requests: DIR/req-N.json
({"method": "POST", "path": the gRPC method, "version": "HTTP/2",
"headers": [[name, value], ...] the call's metadata, "conn": 0, "t":
monotonic seconds}) and DIR/req-N.bin, the request message as grpcio
delivers it (decompressed when it came with grpc-encoding gzip).  Modes:

  ok               OK, an empty ExportTraceServiceResponse
  partial          OK with a partial success (3 spans rejected, "bad span")
  bigpartial       the same with a 272-byte message ("span rejected: ...")
  status:CODE      every call fails with gRPC status CODE ("no way", a
                   grpc-message with UTF-8 in it: "no way \u2192 none")
  first:N:CODE     the first N calls fail with CODE, then ok
  retryinfo:N:CODE:MS  the first N calls fail with CODE and a
                   google.rpc.RetryInfo of MS milliseconds in
                   grpc-status-details-bin, then ok
Calls to any other method fail with UNIMPLEMENTED (grpcio's own answer).
Prints "ready" when listening.
"""
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
count = {"req": 0}
PARTIAL = b"\x0a\x0c\x08\x03\x12\x08bad span"


def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def ld(num, data):  # a length-delimited protobuf field
    return varint(num << 3 | 2) + varint(len(data)) + data


def bigpartial():
    m = b"span rejected: attribute too long " * 8
    return ld(1, b"\x08\x03" + ld(2, m))


def retry_info_status(code, ms):
    dur = b"\x08" + varint(ms // 1000) + b"\x10" + varint(ms % 1000 * 1000000)
    anyv = ld(1, b"type.googleapis.com/google.rpc.RetryInfo") + ld(2, ld(1, dur))
    return b"\x08" + varint(code) + ld(2, b"no way") + ld(3, anyv)


def record(meta, body):
    with lock:
        count["req"] += 1
        n = count["req"]
    base = os.path.join(outdir, "req-%d" % n)
    with open(base + ".bin.part", "wb") as f:
        f.write(body)
    os.replace(base + ".bin.part", base + ".bin")
    with open(base + ".json.part", "w") as f:
        json.dump({"method": "POST", "path": METHOD, "version": "HTTP/2",
                   "headers": [[k, v if isinstance(v, str) else v.hex()] for k, v in meta],
                   "conn": 0, "t": time.monotonic()}, f)
    os.replace(base + ".json.part", base + ".json")
    return n


def export(request, context):
    n = record(context.invocation_metadata(), request)
    parts = mode.split(":")
    fail = None
    if parts[0] == "status":
        fail = int(parts[1])
    elif parts[0] == "first" and n <= int(parts[1]):
        fail = int(parts[2])
    elif parts[0] == "retryinfo" and n <= int(parts[1]):
        fail = int(parts[2])
        context.set_trailing_metadata((("grpc-status-details-bin",
                                        retry_info_status(fail, int(parts[3]))),))
    if fail is not None:
        code = next(c for c in grpc.StatusCode if c.value[0] == fail)
        context.set_code(code)
        context.set_details("no way \u2192 none")
        return b""
    if mode == "bigpartial":
        return bigpartial()
    return PARTIAL if mode == "partial" else b""


class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        if details.method == METHOD:
            return grpc.unary_unary_rpc_method_handler(export)
        return None


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((Handler(),))
addr = "127.0.0.1:%d" % port
if len(sys.argv) > 4 and sys.argv[4].startswith("tls:"):
    _, cert, key = sys.argv[4].split(":")
    creds = grpc.ssl_server_credentials([(open(key, "rb").read(), open(cert, "rb").read())])
    server.add_secure_port(addr, creds)
else:
    server.add_insecure_port(addr)
server.start()
print("ready", flush=True)
server.wait_for_termination()
