"""Render a run's HTML report in headless Chromium: a PNG screenshot and what the page shows.

usage: python benchmarks/report_screenshot.py OUTPUT PNG [--width 1280] [--page sources.html]

OUTPUT is a run's output folder (or bucket); the current run's reports/sources.html is
rendered (`--page evidence/evidence.html` renders the evidence pack). Prints one JSON line:
the page's width and scroll width (overflow when the second is larger), the plots drawn and
their rendered sizes, and the totals rows as shown.

Chromium is driven over its DevTools pipe (--remote-debugging-pipe: file descriptors 3 and
4, NUL-separated JSON), so nothing listens on a port and no client library is needed. The
page itself runs no script; the measurements are made by DevTools from outside.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

MEASURE = """JSON.stringify({
  clientWidth: document.documentElement.clientWidth,
  scrollWidth: document.documentElement.scrollWidth,
  plots: [...document.querySelectorAll('svg[data-plot]')].map(s => {
    const r = s.getBoundingClientRect();
    return {name: s.dataset.plot, width: r.width, height: r.height,
            texts: [...s.querySelectorAll('text')].map(t => t.textContent)};
  }),
  totals: [...document.querySelectorAll('tr.total')].map(r =>
    [...r.cells].map(c => c.innerText.trim())),
  headings: [...document.querySelectorAll('h2')].map(h => h.innerText.trim()),
  badges: [...document.querySelectorAll('.badge')].map(b => b.innerText.trim()),
  overflowing: [...document.querySelectorAll('main *')].filter(e =>
    e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    && !e.closest('.scroll')).map(e => e.tagName).slice(0, 10),
  height: document.documentElement.scrollHeight
})"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    """One headless Chromium with a fresh profile, driven over the DevTools pipe."""

    def __init__(self, binary: str | None = None) -> None:
        binary = binary or find_chromium()
        if binary is None:
            raise FileNotFoundError("no chromium on PATH (scripts/setup installs it as root)")
        self._profile = tempfile.mkdtemp(prefix="corpusgate-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # in the child: the pipe ends become fds 3 and 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self._process = subprocess.Popen(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            # fds 3 and 4 are kept too: the child closes what pass_fds does not name after
            # `wire` has put the pipe ends there.
            pass_fds=(to_chrome_r, from_chrome_w, 3, 4),
            preexec_fn=wire,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):  # already gone: nothing to close
            self.call("Browser.close")
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result") or {})
            self._events.append(reply)

    def wait_for(self, event: str, session: str) -> None:
        while True:
            for i, seen in enumerate(self._events):
                if seen.get("method") == event and seen.get("sessionId") == session:
                    del self._events[: i + 1]
                    return
            self._events.append(self._read())

    def open(self, path: Path, width: int, height: int = 900) -> str:
        """Load a local page at a window size; the DevTools session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", session, url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired", session)
        return session

    def measure(self, session: str) -> dict[str, Any]:
        value = self.call("Runtime.evaluate", session, expression=MEASURE, returnByValue=True)[
            "result"
        ]["value"]
        return dict(json.loads(value))

    def screenshot(self, session: str, width: int, height: int) -> bytes:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        data = self.call("Page.captureScreenshot", session, format="png")["data"]
        return base64.b64decode(data)


def render(page: Path, png: Path | None, width: int = 1280) -> dict[str, Any]:
    """Measure a page (and save a full-page screenshot when `png` is given)."""
    with Chromium() as browser:
        session = browser.open(page, width)
        shown = browser.measure(session)
        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
            png.write_bytes(browser.screenshot(session, width, int(shown["height"])))
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", metavar="OUTPUT", help="a run's output folder or bucket")
    parser.add_argument("png", metavar="PNG", type=Path, help="screenshot to write")
    parser.add_argument("--width", type=int, default=1280, help="window width in CSS pixels")
    parser.add_argument("--page", default="sources.html", help="the report file under reports/")
    args = parser.parse_args(argv)

    from corpusgate.transforms.common import files
    from corpusgate.transforms.output.published import open_output

    published = open_output(args.output)
    data = files.read_bytes(published.path(f"reports/{args.page}"))
    with tempfile.TemporaryDirectory(prefix="corpusgate-report-") as folder:
        local = Path(folder) / Path(args.page).name
        local.write_bytes(data)
        shown = render(local, args.png, args.width)
    shown["plots"] = [{k: v for k, v in p.items() if k != "texts"} for p in shown["plots"]]
    print(json.dumps({"png": str(args.png), "width": args.width, **shown}))
    return 0 if shown["scrollWidth"] <= shown["clientWidth"] else 1


if __name__ == "__main__":
    sys.exit(main())
