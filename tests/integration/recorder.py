#!/usr/bin/env python3
"""A loopback server that records every byte it receives, per connection.

usage: recorder.py PORT DIR http|echo

http: answers each request (Content-Length framing) with 200 and a body:
      for POST /sha256 the hex SHA-256 of the request body, for GET
      /bytes/N N bytes of responses (a lure for a parser that lost its
      place), else "ok".
echo: sends every byte back, until the client shuts down its side.
Connection N's received bytes are appended to DIR/conn-N.bin.  Prints
"ready" when listening.
"""
import hashlib
import os
import socket
import sys
import threading

port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
counter = [0]
lock = threading.Lock()


def serve(c, n):
    path = os.path.join(outdir, "conn-%d.bin" % n)
    buf = b""
    with c, open(path, "ab") as rec:
        while True:
            d = c.recv(65536)
            if not d:
                return
            rec.write(d)
            rec.flush()
            if mode == "echo":
                c.sendall(d)
                continue
            buf += d
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                n_body = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        n_body = int(v)
                if len(rest) < n_body:
                    break
                body, buf = rest[:n_body], rest[n_body:]
                if head.startswith(b"POST /sha256"):
                    out = hashlib.sha256(body).hexdigest().encode()
                elif head.startswith(b"GET /bytes/"):
                    lure = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    size = int(head.split(b" ")[1].split(b"/")[2])
                    out = (lure * (size // len(lure) + 1))[:size]
                else:
                    out = b"ok"
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    with lock:
        counter[0] += 1
        n = counter[0]
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
