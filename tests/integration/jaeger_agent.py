#!/usr/bin/env python3
"""A stand-in Jaeger agent: records every UDP datagram it receives.

usage: jaeger_agent.py DIR [--v6] [--port N]

Binds 127.0.0.1 (or ::1 with --v6) on port N (default: one the kernel
picks), prints "ready PORT", and writes datagram number i to
DIR/dgram-<i>.bin (written to a temporary name, then renamed, so a reader
never sees half a datagram).  Runs until killed.  Loopback only; decoding
is left to jaegerlib.py.
"""
import os
import socket
import sys

outdir = sys.argv[1]
v6 = "--v6" in sys.argv
port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("::1" if v6 else "127.0.0.1", port))
print("ready", s.getsockname()[1], flush=True)
n = 0
while True:
    data = s.recv(1 << 17)
    tmp = os.path.join(outdir, ".dgram-%d.tmp" % n)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(outdir, "dgram-%d.bin" % n))
    n += 1
