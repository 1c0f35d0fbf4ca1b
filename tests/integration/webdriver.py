"""A minimal W3C WebDriver client (standard library only) for the browser
tests: drives Debian's chromium through chromedriver on a loopback port.

    with Browser(tmpdir) as b:
        b.get("file:///.../page.html")
        b.run("return document.title")
        b.click(b.find("details > summary"))

Everything stays on this machine: chromedriver listens on 127.0.0.1 only
and chromium starts with networking features off.
"""
import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriverError(Exception):
    pass


class Browser:
    def __init__(self, tmpdir, width=1200, height=900, timeout=90):
        self.tmpdir = tmpdir
        self.port = _free_port()
        self.timeout = timeout
        log = open(os.path.join(tmpdir, "chromedriver.log"), "w")
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 30
        while True:
            try:
                if self._call("GET", "/status").get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.time() > deadline or self.driver.poll() is not None:
                self.close()
                raise WebDriverError("chromedriver did not start (see chromedriver.log)")
            time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(tmpdir, "chromium-profile"),
                "--window-size=%d,%d" % (width, height)]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        try:
            self.session = self._call("POST", "/session", caps)["sessionId"]
        except Exception:
            self.close()
            raise

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                out = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise WebDriverError("%s %s: %s" % (method, path, e.read()[:500]))
        v = out.get("value")
        if isinstance(v, dict) and v.get("error"):
            raise WebDriverError("%s %s: %s" % (method, path, v))
        return v if isinstance(v, dict) or path != "/session" else v

    def cmd(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def run(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, element):
        self.cmd("POST", "/element/%s/click" % element, {})

    def screenshot(self, path):
        png = self.cmd("GET", "/screenshot")
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def close(self):
        if getattr(self, "session", None):
            try:
                self._call("DELETE", "/session/" + self.session)
            except Exception:
                pass
            self.session = None
        if self.driver.poll() is None:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
