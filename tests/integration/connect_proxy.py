#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy (no tracing code): the "legacy" tunnel.

usage: connect_proxy.py PORT LOG

Each connection: reads one CONNECT request, appends its head to LOG,
dials the named host:port, answers 200 and copies bytes both ways until
both sides are done.  Prints "ready" when listening.  Loopback only.
"""
import socket
import sys
import threading

port, log = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    with lock, open(log, "ab") as f:
        f.write(head + b"\r\n\r\n")
    method, target = head.split(b"\r\n")[0].split()[:2]
    host, _, p = target.decode().rpartition(":")
    if method != b"CONNECT" or host not in ("127.0.0.1", "localhost"):
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        return
    u = socket.create_connection((host, int(p)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if rest:
        u.sendall(rest)
    t = threading.Thread(target=pipe, args=(u, c))
    t.start()
    pipe(c, u)
    t.join()
    c.close()
    u.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
