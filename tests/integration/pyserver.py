#!/usr/bin/env python3
"""A plain HTTP/1.1 test server (no tracing code): the "legacy" service.

usage: pyserver.py PORT [--forking] [--name NAME] [--tls CERT KEY]
       pyserver.py --unix PATH      (threaded, on a Unix stream socket)

GET /headers          -> 200, JSON of the request headers it received
GET /status/<code>    -> that status, small body
GET /nolength         -> 200 without Content-Length, ended by closing
GET /sleep/<ms>       -> 200 after that many milliseconds
GET /redirect/<n>     -> 302 to /redirect/<n-1>; /redirect/0 -> 200
GET /call?url=U[&url=V...] -> calls each U with urllib (sequentially) and
                         answers 200 with the downstream statuses joined
GET /drop             -> closes the connection without answering
GET /spawn[?url=U...] -> runs /bin/true with subprocess (vfork on python
                         3.10 and later), then as /call
POST /sha256          -> 200, hex SHA-256 of the request body
POST or PUT (other paths) -> 200, the body's length (Content-Length or chunked)
--tls serves HTTPS with that certificate and key.
Writes "ready" to stdout once listening.  Loopback only.
"""
import hashlib
import http.server
import json
import socketserver
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import urllib.error


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately: without this, Nagle and the
    # client's delayed ACK hold every keep-alive response ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/headers":
            hdrs = [[k, v] for k, v in self.headers.items()]
            return self.reply(200, json.dumps(hdrs), "application/json")
        if u.path.startswith("/sleep/"):
            time.sleep(int(u.path.split("/")[2]) / 1000)
            return self.reply(200, "slept\n")
        if u.path == "/nolength":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"delimited by close\n" * 100)
            self.close_connection = True
            return
        if u.path.startswith("/redirect/"):
            n = int(u.path.split("/")[2])
            if n == 0:
                return self.reply(200, "arrived\n")
            self.send_response(302)
            self.send_header("Location", "/redirect/%d" % (n - 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if u.path.startswith("/status/"):
            return self.reply(int(u.path.split("/")[2]), "status\n")
        if u.path == "/drop":
            self.close_connection = True
            return
        if u.path == "/spawn":
            subprocess.run(["/bin/true"], check=True)
        if u.path in ("/call", "/spawn"):
            out = []
            for url in urllib.parse.parse_qs(u.query).get("url", []):
                try:
                    with urllib.request.urlopen(url, timeout=10) as r:
                        r.read()
                        out.append(str(r.status))
                except urllib.error.HTTPError as e:
                    out.append(str(e.code))
            return self.reply(200, ",".join(out) + "\n")
        return self.reply(404, "not found\n")

    def read_body(self):
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the chunk's CRLF

    def do_POST(self):
        body = self.read_body()
        if self.path == "/sha256":
            return self.reply(200, hashlib.sha256(body).hexdigest())
        return self.reply(200, str(len(body)))

    def do_PUT(self):
        return self.do_POST()


class Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64  # parallel clients: no SYN dropped and retried


class Forking(socketserver.ForkingMixIn, http.server.HTTPServer):
    allow_reuse_address = True


class ThreadedUnix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 64


class UnixHandler(Handler):
    disable_nagle_algorithm = False  # TCP_NODELAY: not a TCP socket

    def address_string(self):  # a Unix peer has no host
        return "unix"


def main():
    if sys.argv[1] == "--unix":
        srv = ThreadedUnix(sys.argv[2], UnixHandler)
        print("ready", flush=True)
        srv.serve_forever()
    port = int(sys.argv[1])
    cls = Forking if "--forking" in sys.argv else Threaded
    srv = cls(("127.0.0.1", port), Handler)
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
