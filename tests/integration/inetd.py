#!/usr/bin/env python3
"""A minimal inetd (no tracing code): each connection runs a service with
the socket as its standard input and output, as inetd, tcpserver and
socat do.

usage: inetd.py PORT CMD...
The service runs with LD_PRELOAD set to $SERVICE_PRELOAD (inetd itself is
not traced).  Prints "ready" when listening.  Loopback only.
"""
import os
import socket
import sys

port, cmd = int(sys.argv[1]), sys.argv[2:]
env = dict(os.environ)
env.pop("LD_PRELOAD", None)
if os.environ.get("SERVICE_PRELOAD"):
    env["LD_PRELOAD"] = os.environ["SERVICE_PRELOAD"]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    if os.fork() == 0:
        s.close()
        os.dup2(c.fileno(), 0)
        os.dup2(c.fileno(), 1)
        c.close()
        os.execvpe(cmd[0], cmd, env)
    c.close()
    while True:  # reap finished services
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
