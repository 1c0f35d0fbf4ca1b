#!/usr/bin/env python3
"""A loopback stand-in for an OTLP/HTTP collector or a Zipkin server.

usage: collector.py PORT DIR MODE [tls:CERT:KEY]

Every request is recorded whole: DIR/req-N.json holds the request line and
headers ({"method", "path", "version", "headers": [[name, value], ...],
"conn": connection number, "t": monotonic seconds}), DIR/req-N.bin the
body exactly as received (still gzip'ed if it was).  Modes:

  ok                  200 to everything (HTTP/1.1 keep-alive)
  chunked             200 with a chunked body, then keep-alive
  close               200 with "Connection: close", then closes
  status:CODE[:RA]    CODE to everything, with "Retry-After: RA" if given
  first:N:CODE[:RA]   CODE (and Retry-After) to the first N requests, then 200
  blackhole           accepts and reads, never answers
  trickle             answers 200 one byte every 0.3 s
  refuse-after:N      answers N requests, then closes every new connection
  h2                  answers like an HTTP/2 (gRPC) server: a SETTINGS frame
  partial             200 with an OTLP partial success (3 spans rejected,
                      "bad span"), in the request's encoding
With tls:CERT:KEY every connection is TLS (https:// endpoints).
Prints "ready" when listening.
"""
import json
import os
import socket
import sys
import threading
import time

port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tls = None
if len(sys.argv) > 4 and sys.argv[4].startswith("tls:"):
    import ssl
    _, cert, key = sys.argv[4].split(":")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
lock = threading.Lock()
count = {"req": 0, "conn": 0}


def record(conn_no, head, body):
    lines = head.decode("latin-1").split("\r\n")
    method, path, version = lines[0].split(" ", 2)
    hdrs = [[k.strip(), v.strip()] for k, _, v in (l.partition(":") for l in lines[1:] if l)]
    with lock:
        count["req"] += 1
        n = count["req"]
    # Each file whole or absent (written aside, then renamed), the .json
    # last: a reader that finds req-N.json finds both complete, also
    # while this collector is still running or was stopped mid-request.
    base = os.path.join(outdir, "req-%d" % n)
    with open(base + ".bin.part", "wb") as f:
        f.write(body)
    os.replace(base + ".bin.part", base + ".bin")
    with open(base + ".json.part", "w") as f:
        json.dump({"method": method, "path": path, "version": version, "headers": hdrs,
                   "conn": conn_no, "t": time.monotonic()}, f)
    os.replace(base + ".json.part", base + ".json")
    return n


def answer(n, head):
    """(status, extra headers, body, close) for request number n."""
    parts = mode.split(":")
    if mode == "partial":
        if b"application/json" in head:
            return 200, ["Content-Type: application/json"], \
                b'{"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad span"}}', False
        msg = b"bad span"
        inner = b"\x08\x03\x12" + bytes([len(msg)]) + msg
        return 200, ["Content-Type: application/x-protobuf"], b"\x0a" + bytes([len(inner)]) + inner, False
    if parts[0] == "status":
        ra = ["Retry-After: " + parts[2]] if len(parts) > 2 else []
        return int(parts[1]), ra, b'{"error":"test"}', False
    if parts[0] == "first" and n <= int(parts[1]):
        ra = ["Retry-After: " + parts[3]] if len(parts) > 3 else []
        return int(parts[2]), ra, b"busy", False
    return 200, [], b"", mode == "close"


def serve(c, conn_no):
    buf = b""
    if tls:
        try:
            c = tls.wrap_socket(c, server_side=True)
        except OSError:
            c.close()
            return
    with c:
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            while len(buf) < length:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            body, buf = buf[:length], buf[length:]
            n = record(conn_no, head, body)
            if mode == "blackhole":
                time.sleep(3600)
                return
            if mode == "h2":
                c.sendall(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64")
                return
            status, extra, rbody, close = answer(n, head)
            hdrs = ["HTTP/1.1 %d X" % status] + extra
            if close:
                hdrs.append("Connection: close")
            if mode == "chunked":
                hdrs.append("Transfer-Encoding: chunked")
                out = ("\r\n".join(hdrs) + "\r\n\r\n").encode() + b"3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n"
            else:
                hdrs.append("Content-Length: %d" % len(rbody))
                out = ("\r\n".join(hdrs) + "\r\n\r\n").encode() + rbody
            if mode == "trickle":
                for i in range(len(out)):
                    c.sendall(out[i:i + 1])
                    time.sleep(0.3)
            else:
                c.sendall(out)
            if close:
                return


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    with lock:
        count["conn"] += 1
        cn = count["conn"]
        refused = mode.startswith("refuse-after:") and count["req"] >= int(mode.split(":")[1])
    if refused:
        c.close()
        continue
    threading.Thread(target=serve, args=(c, cn), daemon=True).start()
