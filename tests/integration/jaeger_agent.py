#!/usr/bin/env python3
"""A stand-in Jaeger agent: records every UDP datagram it receives.

usage: jaeger_agent.py FILE [--v6] [--port N]

Binds 127.0.0.1 (or ::1 with --v6) on port N (default: one the kernel
picks), prints "ready PORT", and appends each datagram to FILE as a
record: 4-byte big-endian length, then the bytes.  Datagrams are read in
a tight loop into a large socket buffer and written out whenever the
socket is momentarily empty, so a burst from an exporter is not dropped
by a slow recorder.  Runs until killed.  Loopback only; decoding is left
to jaegerlib.py.
"""
import os
import socket
import struct
import sys

path = sys.argv[1]
v6 = "--v6" in sys.argv
port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE (root)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
s.bind(("::1" if v6 else "127.0.0.1", port))
out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
print("ready", s.getsockname()[1], flush=True)
pending = []
while True:
    s.setblocking(not pending)
    try:
        data = s.recv(1 << 17)
        pending.append(struct.pack(">I", len(data)) + data)
    except BlockingIOError:
        os.write(out, b"".join(pending))
        pending = []
