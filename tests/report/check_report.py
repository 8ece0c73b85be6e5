#!/usr/bin/env python3
"""Opens a report.html in headless Chromium and checks what a reader would see.

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
separated by NUL bytes on file descriptors 3 and 4), with the standard library only, so the
checks see the page as the browser rendered it:

- every request the page made, as the Network domain reports it (Network.requestWillBeSent
  fires for every fetch a page starts, whatever its scheme, including ones that then fail):
  the document itself must be the only one; the resource timing buffer must be empty too;
- one circle.candidate per expected candidate, each laid out with a non-zero box inside the
  plot's box, a <title> for hover, and the constraint line drawn;
- optionally a PNG screenshot of the page.

Any host name is also mapped to nowhere (--host-resolver-rules), so a reference that slipped
in could not reach the network even while it is being reported.

usage: check_report.py CHROMIUM REPORT.html EXPECTED_CANDIDATES [SCREENSHOT.png]
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def above_ten(fd):
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    def __init__(self, chromium, profile):
        # Chromium reads commands from fd 3 and writes replies and events to fd 4. Our pipe
        # ends are moved above 10 first (and are close-on-exec), so that dup2 onto 3 and 4
        # in the child never overwrites one of them.
        to_browser_r, self.to_browser = (above_ten(fd) for fd in os.pipe())
        self.from_browser, from_browser_w = (above_ten(fd) for fd in os.pipe())
        args = [chromium, "--headless", "--disable-gpu", "--no-sandbox",
                "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run",
                "--disable-background-networking", "--disable-extensions",
                "--disable-sync", "--window-size=1000,1200", "about:blank"]

        def child_fds():
            os.dup2(to_browser_r, 3)  # inheritable copies; the originals close on exec
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(args, close_fds=False, preexec_fn=child_fds,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# Runs in the page after it loaded; returns what the checks need as one JSON value.
PAGE_PROBE = """JSON.stringify((() => {
  const plot = document.querySelector('svg#plot');
  const box = plot ? plot.getBoundingClientRect() : null;
  const circles = [...document.querySelectorAll('circle.candidate')];
  const inside = (r) => box && r.width > 0 && r.height > 0 && r.left >= box.left - 1 &&
      r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  return {
    plot: box ? [box.width, box.height] : null,
    candidates: circles.length,
    laid_out: circles.filter(c => inside(c.getBoundingClientRect())).length,
    titled: circles.filter(c => c.querySelector('title') &&
                                c.querySelector('title').textContent.length > 0).length,
    front: document.querySelectorAll('circle.candidate.front').length,
    constraint_lines: document.querySelectorAll('line.constraint').length,
    resources: performance.getEntriesByType('resource').map(e => e.name),
  };
})())"""


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    chromium, report, expected = sys.argv[1], Path(sys.argv[2]).resolve(), int(sys.argv[3])
    screenshot = sys.argv[4] if len(sys.argv) == 5 else None
    url = report.as_uri()
    failures = []
    with tempfile.TemporaryDirectory(prefix="nas-report-chromium-") as profile:
        browser = Browser(chromium, profile)
        try:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget",
                                   {"targetId": target, "flatten": True})["sessionId"]
            browser.call("Network.enable", session=session)
            browser.call("Page.enable", session=session)
            browser.call("Page.navigate", {"url": url}, session=session)
            browser.wait_for_event("Page.loadEventFired")
            # Give late requests (timers, lazy images) a moment to show.
            browser.call("Runtime.evaluate",
                         {"expression": "new Promise(r => setTimeout(r, 300))",
                          "awaitPromise": True}, session=session)
            probe = json.loads(browser.call(
                "Runtime.evaluate", {"expression": PAGE_PROBE, "returnByValue": True},
                session=session)["result"]["value"])
            if screenshot:
                shot = browser.call("Page.captureScreenshot", {"format": "png",
                                                               "captureBeyondViewport": True},
                                    session=session)
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.close()

    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    others = [r for r in requests if r != url]
    if url not in requests:
        failures.append(f"the page load itself was not seen as a request ({requests})")
    if others:
        failures.append(f"the page made {len(others)} request(s): {others}")
    if probe["resources"]:
        failures.append(f"resource timing lists {probe['resources']}")
    if not probe["plot"] or probe["plot"][0] < 100 or probe["plot"][1] < 100:
        failures.append(f"the plot was not laid out: {probe['plot']}")
    for key in ("candidates", "laid_out", "titled"):
        if probe[key] != expected:
            failures.append(f"{key}: {probe[key]} circles, expected {expected}")
    if probe["front"] < 1:
        failures.append("no front point highlighted")
    if probe["constraint_lines"] < 1:
        failures.append("no constraint line")
    print(f"report check: {probe['candidates']} candidates ({probe['front']} on the front), "
          f"{len(others)} request(s) besides the page itself, plot {probe['plot']}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
