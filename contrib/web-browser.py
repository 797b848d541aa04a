#!/usr/bin/env python3
"""contrib/web-browser.py - open a rounds web page in headless Chromium at
phone width, over the DevTools protocol on a pipe (no network port, no
extra packages): `make preview` takes a screenshot with it, tests/t-web.sh
also presses the page's button.

Usage: web-browser.py URL [--screenshot FILE] [--click] [--width N]
Prints the page's visible text (after the click, with --click).
Exit 0 on success, 69 when Chromium cannot be started.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, width):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise OSError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="rounds-chromium.")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child():
            # Chromium reads fd 3 and writes fd 4; by way of high numbers so
            # that neither copy overwrites the other.
            os.dup2(to_r, 100)
            os.dup2(from_w, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        # The flags keep Chromium off the network this machine does not have.
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             f"--window-size={width},900", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def read(self, deadline=30):
        end = time.time() + deadline
        while b"\0" not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_r, 65536)
            if not chunk:
                raise OSError("Chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, name):
        for i, e in enumerate(self.events):
            if e.get("method") == name:
                del self.events[i]
                return e
        while True:
            e = self.read()
            if e.get("method") == name:
                return e
            self.events.append(e)

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 64
    url = args[0]
    shot = args[args.index("--screenshot") + 1] if "--screenshot" in args else None
    width = int(args[args.index("--width") + 1]) if "--width" in args else 390
    try:
        b = Browser(width)
        target = b.send("Target.createTarget", {"url": "about:blank"}, session=False)
        att = b.send("Target.attachToTarget",
                     {"targetId": target["targetId"], "flatten": True}, session=False)
    except (OSError, TimeoutError, RuntimeError) as e:
        print(f"web-browser: Chromium cannot start: {e}", file=sys.stderr)
        return 69
    try:
        b.session = att["sessionId"]
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": width, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        b.send("Page.enable")
        b.send("Page.navigate", {"url": url})
        b.wait_event("Page.loadEventFired")
        if shot:
            png = b.send("Page.captureScreenshot", {"format": "png"})["data"]
            import base64
            with open(shot, "wb") as f:
                f.write(base64.b64decode(png))
        if "--click" in args:
            # A person's press of the button: the form's POST loads the answer.
            b.send("Runtime.evaluate", {"expression": "document.querySelector('button').click()"})
            b.wait_event("Page.loadEventFired")
        text = b.send("Runtime.evaluate", {"expression": "document.body.innerText",
                                           "returnByValue": True})["result"].get("value", "")
        print(text)
        return 0
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
