"""The leaderboard page in a real headless Chromium: no console errors, sorting by clicking a column
head, and model output that tries to inject markup shown as plain text.

The browser is driven over the Chrome DevTools Protocol on ``--remote-debugging-pipe`` (NUL-terminated
JSON on file descriptors 3 and 4), which needs no websocket client and no extra package; clicks and
typing are real input events. CI installs Debian's ``chromium``; without it the test is skipped.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_leaderboard import XSS, leaderboard, scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-pipe",
         "--window-size=1280,900")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(CI installs it: apt-get install -y chromium)")


class Browser:
    """A headless Chromium with one page, spoken to over its debugging pipe."""

    def __init__(self, profile: Path, timeout: float = 30.0) -> None:
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        # the child must see them as fds 3 and 4; lift them above 10 so dup2 cannot clobber one
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]

        def wire() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                        preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_browser, from_browser, *high):
            os.close(fd)
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._id = 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self._in)
        os.close(self._out)

    def _message(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._in], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"chromium did not answer within {self.timeout:g} s")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise EOFError(f"chromium closed its debugging pipe (exit status {self.process.poll()})")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        request = {"id": self._id, "method": method, "params": params}
        if session:
            request["sessionId"] = session
        os.write(self._out, json.dumps(request).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self._id:
                assert "error" not in reply, (method, reply["error"])
                return reply["result"]

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.send(method, session=self.session, **params)

    def open(self, url: str) -> None:
        self.page("Page.navigate", url=url)
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            self._message()

    def js(self, expression: str) -> Any:
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element ``selector`` matches."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                      "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                      "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.page("Input.insertText", text=text)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, policy violations and dialogs (alert) seen so far."""
        out = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                out.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", ""))
            elif method == "Page.javascriptDialogOpening":
                out.append(f"dialog: {params.get('message')}")
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("browser")
    s = scenario(root)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    opened = Browser(root / "profile")
    try:
        opened.open((s.results / "leaderboard.html").as_uri())
        yield opened
    finally:
        opened.close()


TABLE = "#pair-zh-kk table.board"


def column(browser: Browser, index: int) -> list[str]:
    return browser.js(f"[...document.querySelectorAll('{TABLE} tbody tr')]"
                      f".map(r => r.cells[{index}].textContent.trim())")


def test_page_loads_without_console_errors(browser: Browser):
    assert browser.js("document.querySelectorAll('#pair-zh-kk article.segment').length") == 10
    assert browser.problems() == []


def test_clicking_a_column_head_sorts_by_it(browser: Browser):
    heads = browser.js(f"[...document.querySelectorAll('{TABLE} thead th')].map(t => t.textContent)")
    system, chrf = heads.index("System"), heads.index("chrf")
    browser.click(f"{TABLE} thead th:nth-child({system + 1}) button")
    names = column(browser, system)
    assert names == sorted(names)
    browser.click(f"{TABLE} thead th:nth-child({system + 1}) button")
    assert column(browser, system) == sorted(names, reverse=True)
    browser.click(f"{TABLE} thead th:nth-child({chrf + 1}) button")
    scores = [float(c.split()[0]) for c in column(browser, chrf)]
    assert scores == sorted(scores, reverse=True) and scores[-1] < scores[0]
    assert browser.problems() == []


def test_markup_in_a_translation_is_shown_as_text(browser: Browser):
    browser.click("#pair-zh-kk details.segments > summary")
    browser.type("#pair-zh-kk .controls input[type=search]", "alert(1)")
    cells = browser.js("[...document.querySelectorAll('#pair-zh-kk td.output')]"
                       ".map(td => [td.textContent, td.getBoundingClientRect().height])")
    assert len(cells) == 4  # the one matching segment, one row per system
    shown = [height for text, height in cells if XSS in text]
    assert len(shown) == 1 and shown[0] > 0
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelectorAll('script').length") == 2
    assert browser.problems() == []
