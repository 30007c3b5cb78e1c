"""The leaderboard page in a real headless Chromium: no console errors, sorting by clicking a column
head, segments decoded on demand, the A-vs-B view (its counts equal to the stored scores), a phone
width, Chinese text in a CJK font, and model output that tries to inject markup shown as plain text.

The browser is driven over the Chrome DevTools Protocol on ``--remote-debugging-pipe`` (NUL-terminated
JSON on file descriptors 3 and 4), which needs no websocket client and no extra package; clicks and
typing are real input events. CI installs Debian's ``chromium``; without it the test is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_leaderboard import XSS, add_error_spans, add_judge_scores, leaderboard, scenario

#: what the page's font stack offers for Chinese; Debian's fonts-wqy-microhei provides the last
CJK_FONTS = ("Noto Sans CJK", "Source Han Sans", "PingFang", "Hiragino Sans GB", "Microsoft YaHei",
             "WenQuanYi")

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

    def wait(self, expression: str, timeout: float = 10.0) -> Any:
        """Poll ``expression`` until it is truthy (segments are decoded asynchronously)."""
        deadline = time.monotonic() + timeout
        while not (value := self.js(expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout:g} s: {expression}")
            time.sleep(0.05)
        return value

    def choose(self, selector: str, value: str) -> None:
        self.js(f"(() => {{ const s = document.querySelector({json.dumps(selector)}); "
                f"s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()")

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
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("browser")
    s = scenario(root)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    return root, s


@pytest.fixture(scope="module")
def browser(built):
    root, s = built
    opened = Browser(root / "profile")
    try:
        opened.open((s.results / "leaderboard.html").as_uri())
        yield opened
    finally:
        opened.close()


TABLE = "#pair-zh-kk table.board"
EXPLORER = "#pair-zh-kk .explorer"
VERSUS = "#pair-zh-vi .versus"


def column(browser: Browser, index: int) -> list[str]:
    """The column's cells in every row, ranked systems then the baselines' body."""
    return browser.js(f"[...document.querySelectorAll('{TABLE} tbody tr')]"
                      f".map(r => r.cells[{index}].textContent.trim())")


def test_page_loads_without_console_errors_and_decodes_segments_when_opened(browser: Browser):
    assert browser.js(f"document.querySelectorAll('{EXPLORER} article.segment').length") == 0
    browser.click("#pair-zh-kk details.segments > summary")
    assert browser.wait(f"document.querySelectorAll('{EXPLORER} article.segment').length") == 10
    systems = browser.js(f"[...document.querySelector('{EXPLORER} article.segment').querySelectorAll"
                         "('tbody th')].map(th => th.textContent)")
    assert systems == ["madlad400-3b-mt", "nllb-200-1.3B", "m2m100_418M", "copybaseline"]
    assert browser.problems() == []


def test_clicking_a_column_head_sorts_by_it(browser: Browser):
    heads = browser.js(f"[...document.querySelectorAll('{TABLE} thead th')].map(t => t.textContent)")
    system, chrf = heads.index("System"), heads.index("chrf")
    browser.click(f"{TABLE} thead th:nth-child({system + 1}) button")
    *names, baseline = column(browser, system)
    assert names == sorted(names) and baseline == "copy baseline"  # a reference line stays below
    browser.click(f"{TABLE} thead th:nth-child({system + 1}) button")
    assert column(browser, system) == [*sorted(names, reverse=True), baseline]
    browser.click(f"{TABLE} thead th:nth-child({chrf + 1}) button")
    scores = [float(c.split()[0]) for c in column(browser, chrf)[:-1]]
    assert scores == sorted(scores, reverse=True) and scores[-1] < scores[0]
    assert browser.problems() == []


def test_markup_in_a_translation_is_shown_as_text(browser: Browser):
    if not browser.js(f"document.querySelector('{EXPLORER}').closest('details').open"):
        browser.click("#pair-zh-kk details.segments > summary")
    browser.wait(f"!!document.querySelector('{EXPLORER} input[type=search]')")
    browser.type(f"{EXPLORER} .controls input[type=search]", "alert(1)")
    cells = browser.js("[...document.querySelectorAll('#pair-zh-kk td.output')]"
                       ".map(td => [td.textContent, td.getBoundingClientRect().height])")
    assert len(cells) == 4  # the one matching segment, one row per system
    shown = [height for text, height in cells if XSS in text]
    assert len(shown) == 1 and shown[0] > 0
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelectorAll('script').length") == 2
    assert browser.problems() == []


def stored_segments(s, system: str, pair: str, metric: str) -> list[float]:
    run = sorted((s.results / "runs" / system).iterdir())[-1]  # the newest run is the one shown
    return json.loads((run / "scores.json").read_text())["pairs"][pair]["metrics"][metric]["segments"]


def counts(browser: Browser, caption: str) -> dict[str, list[str]]:
    """A table of the A-vs-B view by its caption: ``{row label: cells}``."""
    return browser.js(f"""(() => {{
        const table = [...document.querySelectorAll('{VERSUS} table.counts')]
            .find(t => t.caption.textContent === {json.dumps(caption)});
        return Object.fromEntries([...table.tBodies[0].rows].map(r => [r.cells[0].textContent,
            [...r.cells].slice(1).map(c => c.textContent)]));
    }})()""")


def test_a_versus_b_counts_wins_ties_and_losses_from_the_segment_scores(browser: Browser, built):
    _, s = built
    browser.click("#pair-zh-vi details.compare > summary")
    browser.wait(f"!!document.querySelector('{VERSUS} table.counts')")
    browser.choose(f"{VERSUS} select[aria-label='system A']", "m2m100_418M")
    browser.choose(f"{VERSUS} select[aria-label='system B']", "nllb-200-1.3B")
    browser.choose(f"{VERSUS} select[aria-label='metric for the deltas']", "chrf")
    a = [round(v, 3) for v in stored_segments(s, "m2m100_418M", "zh-vi", "chrf")]
    b = [round(v, 3) for v in stored_segments(s, "nllb-200-1.3B", "zh-vi", "chrf")]
    wins = [sum(x > y for x, y in zip(a, b)), sum(x == y for x, y in zip(a, b)),
            sum(x < y for x, y in zip(a, b))]
    per_metric = counts(browser, "wins, ties and losses per metric")
    assert [int(c) for c in per_metric["chrf"][1:4]] == wins and per_metric["chrf"][0] == "12"
    lengths = counts(browser, "chrf by source length")
    assert sum(int(cells[0]) for cells in lengths.values()) == 12
    numbers = counts(browser, "chrf by whether the source's numbers survived")
    assert numbers["no numbers in the source"][0] == "11"  # one source has a number: 2021
    assert sum(int(cells[0]) for label, cells in numbers.items()) == 12

    deltas = browser.js(f"[...document.querySelectorAll('{VERSUS} .segment-head .summary')]"
                        ".map(e => Number(e.textContent.split(' ')[2]))")
    differ = sum(x != y for x, y in zip(a, b))
    assert deltas == sorted(deltas, reverse=True) and len(deltas) == min(10, differ)
    first = browser.js(f"(() => {{ const d = document.querySelector('{VERSUS} .diff'); return "
                       "[d.querySelectorAll('del').length, d.querySelectorAll('span.same').length]; })()")
    assert first[0] > 0 and first[1] > 0  # m2m100 drops reference words and keeps others
    assert browser.problems() == []


def test_phone_width_keeps_the_page_inside_the_screen(built):
    root, s = built
    phone = Browser(root / "phone-profile")
    try:
        phone.page("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
                   mobile=True)
        phone.open((s.results / "leaderboard.html").as_uri())
        phone.js("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        phone.wait(f"!!document.querySelector('{VERSUS} table.counts') && "
                   "document.querySelectorAll('#pair-zh-kk .explorer article.segment').length")
        assert phone.js("document.documentElement.scrollWidth") <= 390
        assert phone.js(f"document.querySelector('{VERSUS} .diff').getBoundingClientRect().right") <= 390
        assert phone.problems() == []
    finally:
        phone.close()


def installed_cjk_font() -> bool:
    fc = shutil.which("fc-list")
    return bool(fc and subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout.strip())


@pytest.mark.skipif(not installed_cjk_font(), reason="no Chinese font installed "
                    "(CI installs one: apt-get install -y fonts-wqy-microhei)")
def test_chinese_sources_render_in_a_cjk_font_of_the_stack(browser: Browser):
    browser.send("DOM.enable", session=browser.session)
    browser.send("CSS.enable", session=browser.session)
    if not browser.js(f"document.querySelector('{EXPLORER}').closest('details').open"):
        browser.click("#pair-zh-kk details.segments > summary")
    browser.wait(f"!!document.querySelector('{EXPLORER} .texts div[lang=zh]')")
    root = browser.page("DOM.getDocument")["root"]["nodeId"]
    node = browser.page("DOM.querySelector", nodeId=root,
                        selector=f"{EXPLORER} .texts div[lang=zh]")["nodeId"]
    fonts = browser.page("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
    used = [f["familyName"] for f in fonts if f["glyphCount"]]
    assert used and all(any(name.startswith(c) for c in CJK_FONTS) for name in used), used


@contextlib.contextmanager
def explorer_in_test_set_order(s, profile: Path) -> Iterator[Browser]:
    """A browser on the board of ``s`` with zh-kk's segment explorer open, row 1 first."""
    assert leaderboard(s).returncode == 0
    page = Browser(profile)
    try:
        page.open((s.results / "leaderboard.html").as_uri())
        page.click("#pair-zh-kk details.segments > summary")
        page.wait(f"!!document.querySelector('{EXPLORER} select[aria-label=order]')")
        page.choose(f"{EXPLORER} select[aria-label=order]", "order")  # test-set order: row 1 first
        yield page
    finally:
        page.close()


def test_error_spans_are_highlighted_in_the_segment_explorer(tmp_path: Path):
    s = scenario(tmp_path)
    outputs = add_error_spans(s)
    with explorer_in_test_set_order(s, tmp_path / "profile") as page:
        marks = page.wait(f"[...document.querySelectorAll('{EXPLORER} mark.span')]"
                          ".map(m => [m.textContent, m.className, m.title])")
        assert marks == [[outputs[0].split()[0], "span major", "major error, confidence 0.81"]]
        assert page.problems() == []


def test_a_segment_the_judge_could_not_score_shows_a_dash(tmp_path: Path):
    """Row 2's judge answer was unreadable: its cell is a dash, not the scheme's worst score, and the
    explorer puts it last whichever way it sorts, without a console error."""
    s = scenario(tmp_path)
    add_judge_scores(s)
    with explorer_in_test_set_order(s, tmp_path / "profile") as page:
        cells = page.wait(f"""(() => {{
            const table = document.querySelectorAll('{EXPLORER} article.segment table.outputs');
            if (table.length < 3) return null;
            const heads = [...table[0].tHead.rows[0].cells].map(c => c.textContent);
            const judge = heads.indexOf('judge');
            return [...table].slice(0, 3).map(t => [...t.tBodies[0].rows]
                .find(r => r.cells[0].textContent.startsWith('madlad400-3b-mt')).cells[judge])
                .map(c => [c.textContent, c.title]);
        }})()""")
        assert cells == [["80.0", ""], ["–", "no score for this segment"], ["78.0", ""]]
        page.choose(f"{EXPLORER} select[aria-label=metric]", "judge")
        for order in ("worst", "best"):  # the segment without a score comes last either way
            page.choose(f"{EXPLORER} select[aria-label=order]", order)
            page.js(f"document.querySelector('{EXPLORER} button.more').click()")  # show every segment
            rows = page.wait(f"[...document.querySelectorAll('{EXPLORER} article.segment .position')]"
                             ".map(p => p.textContent)")
            assert rows[-1] == "row 2" and len(rows) == 12, (order, rows)
        assert page.problems() == []
