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

from bench.core.score import Bootstrap
from bench.metrics import load_metric
from bench.metrics.bootstrap import with_confidence_interval
from bench.refset.store import Segment
from bench.store.io import atomic_write_json
from tests.support.board import ROWS, XSS, add_error_spans, add_judge_scores, leaderboard, scenario, write_run
from tests.support.cli import bench
from tests.support.refs import write_references

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
    assert browser.js("[...document.scripts].map(s => s.type)") == [  # data, packed segments, the script
        "application/json", "application/octet-stream", "application/octet-stream", ""]
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


@contextlib.contextmanager
def screen(page: Path, profile: Path, width: int, height: int) -> Iterator[Browser]:
    """``page`` in a browser whose screen is ``width`` x ``height`` CSS pixels (a phone below 500)."""
    opened = Browser(profile)
    try:
        opened.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=2,
                    mobile=width < 500)
        opened.open(page.as_uri())
        yield opened
    finally:
        opened.close()


def test_phone_width_keeps_the_page_inside_the_screen(built):
    root, s = built
    with screen(s.results / "leaderboard.html", root / "phone-profile", 390, 844) as phone:
        phone.js("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        phone.wait(f"!!document.querySelector('{VERSUS} table.counts') && "
                   "document.querySelectorAll('#pair-zh-kk .explorer article.segment').length")
        assert phone.js("document.documentElement.scrollWidth") <= 390
        assert phone.js(f"document.querySelector('{VERSUS} .diff').getBoundingClientRect().right") <= 390
        assert phone.problems() == []


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


# ---- six metrics on a desktop screen and on a phone ---------------------------------------------

MORE_METRICS = ("bleu", "ter", "chrfpp", "length_ratio")  # with comet and chrf: six metric columns


def add_metrics(s, names: tuple[str, ...]) -> None:
    """Score every stored run with ``names`` too, as ``bench score`` would store them."""
    refs = {p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
            for p in s.references.glob("*.jsonl")}
    for path in s.results.glob("runs/*/*/scores.json"):
        stored = json.loads(path.read_text(encoding="utf-8"))
        for pair, found in stored["pairs"].items():
            rows = refs[pair]
            hyps = (path.parent / "hypotheses" / f"{pair}.txt").read_text(encoding="utf-8").splitlines()
            for name in names:
                metric = load_metric(name)
                score = metric.score([r["src"] for r in rows], hyps, [r["ref"] for r in rows],
                                     src_lang=rows[0]["src_lang"], tgt_lang=rows[0]["tgt_lang"])
                score = with_confidence_interval(score, metric, Bootstrap(samples=200))
                found["metrics"][name] = score.to_json()
        atomic_write_json(path, stored)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wide")
    s = scenario(root)
    add_metrics(s, MORE_METRICS)
    out = leaderboard(s)
    assert out.returncode == 0, out.stderr
    return root, s.results / "leaderboard.html"


def head_cells(page: Browser) -> list[dict[str, Any]]:
    """Each head cell of zh-kk's table: its text and where it lies against the table's scroll box."""
    return page.js(f"""(() => {{
        const box = document.querySelector('{TABLE}').parentElement.getBoundingClientRect();
        return [...document.querySelectorAll('{TABLE} thead th')].map(th => {{
            const r = th.getBoundingClientRect();
            return {{text: th.textContent, left: r.left - box.left, right: r.right - box.left,
                     box: box.width}};
        }});
    }})()""")


def test_six_metrics_with_off_target_and_date_fit_a_1920_pixel_screen(wide):
    root, page = wide
    with screen(page, root / "desktop", 1920, 1080) as desktop:
        cells = head_cells(desktop)
        assert {c["text"] for c in cells[2:8]} == {"comet", "chrf", *MORE_METRICS}
        assert len(cells) == 10 and cells[-2]["text"] == "Off-target" and cells[-1]["text"] == "Run date"
        assert all(c["left"] >= 0 and c["right"] <= c["box"] + 0.5 for c in cells), cells
        assert desktop.problems() == []


def test_a_phone_opens_on_the_ranks_and_scrolls_the_metrics_under_the_names(wide):
    root, page = wide
    with screen(page, root / "phone", 390, 844) as phone:
        first = phone.js(f"""(() => {{
            const row = document.querySelector('{TABLE} tbody tr');
            return [...row.cells].slice(0, 3).map(c => [c.textContent, c.getBoundingClientRect().bottom]);
        }})()""")
        (rank, rank_bottom), (system, _), (score, score_bottom) = first
        assert rank == "1" and system == "madlad400-3b-mt" and float(score.split()[0]) > 0
        assert max(rank_bottom, score_bottom) <= 844  # on the first screen, without scrolling
        phone.js(f"document.querySelector('{TABLE}').parentElement.scrollLeft = 100000")
        cells = head_cells(phone)
        assert cells[0]["box"] <= 390 and cells[-1]["right"] <= cells[0]["box"] + 0.5  # the run date in view
        assert cells[0]["left"] == 0 and cells[1]["left"] == cells[0]["right"]  # rank and system stay
        covered = phone.js(f"""(() => {{
            const name = document.querySelector('{TABLE} tbody td.system').getBoundingClientRect();
            const hit = document.elementFromPoint(name.left + 20, name.top + 8);
            return hit.closest('td').className;
        }})()""")
        assert covered == "system"  # the name is drawn over the metrics that scroll under it
        assert phone.problems() == []


def test_chart_labels_are_at_least_11_pixels_on_a_phone(wide):
    root, page = wide
    with screen(page, root / "phone-charts", 390, 844) as phone:
        sizes = phone.js("""[...document.querySelectorAll('figure.chart svg text')].map(t =>
            [t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a])""")
        assert len(sizes) > 6 * 2 * 3 and min(size for _, size in sizes) >= 11, min(sizes, key=lambda s: s[1])
        assert phone.js("Math.max(...[...document.querySelectorAll('figure.chart svg')]"
                        ".map(s => s.getBoundingClientRect().right))") <= 390


def test_a_legend_says_what_the_shading_and_the_whiskers_mean(wide):
    root, page = wide
    with screen(page, root / "legend", 1280, 900) as desktop:
        legends = desktop.js("""[...document.querySelectorAll('section.pair')].map(section =>
            [...section.querySelectorAll('ul.legend li')].map(li => {
                const key = li.querySelector('.key').getBoundingClientRect();
                return [li.querySelector('.key').className, li.textContent, key.width > 0 && key.height >= 0];
            }))""")
        assert len(legends) == 2
        for items in legends:
            keys = {key: (text, drawn) for key, text, drawn in items}
            assert "significance cluster" in keys["key band"][0] and "share a rank" in keys["key band"][0]
            assert "95% confidence interval" in keys["key whisker"][0]
            assert "baseline" in keys["key baseline"][0]  # copy is on the board
            assert "best possible value" in keys["key optimum"][0]  # length_ratio is best at 1
            assert all(drawn for _, drawn in keys.values())
        band = desktop.js("getComputedStyle(document.querySelector('.key.band')).backgroundColor")
        shaded = desktop.js(f"getComputedStyle(document.querySelector('{TABLE} tr.band-1 td'))"
                            ".backgroundColor")
        assert band == shaded  # the key is the colour of the shaded rows


# ---- every output as stored ----------------------------------------------------------------------

def shown_outputs(page: Browser, explorer: str) -> dict[str, list[str]]:
    """Every output the explorer shows, by system, in test-set order (all segments listed)."""
    page.choose(f"{explorer} select[aria-label=order]", "order")
    while page.js(f"!document.querySelector('{explorer} button.more').hidden"):
        page.js(f"document.querySelector('{explorer} button.more').click()")
    return page.js(f"""(() => {{
        const out = {{}};
        for (const row of document.querySelectorAll('{explorer} article.segment table.outputs tbody tr')) {{
            const name = row.cells[0].firstChild.textContent;
            const cell = row.cells[1];
            const text = cell.querySelector('.empty') ? '' : [...cell.childNodes]
                .filter(n => !(n.classList && n.classList.contains('flag'))).map(n => n.textContent).join('');
            (out[name] = out[name] || []).push(text);
        }}
        return out;
    }})()""")


def stored_outputs(results: Path, pair: str) -> dict[str, list[str]]:
    return {run.parent.name: (run / "hypotheses" / f"{pair}.txt").read_text(encoding="utf-8").split("\n")[:-1]
            for run in (sorted(d.iterdir())[-1] for d in (results / "runs").iterdir())
            if (run / "hypotheses" / f"{pair}.txt").is_file()}


def test_the_explorer_shows_every_output_exactly_as_stored(tmp_path: Path):
    """Edits of every kind (dropped, replaced and added words, double spaces, an empty output, the copy
    baseline, outputs equal to another system's), and a pair whose target is written without spaces,
    are rebuilt by the page's own reader as the files hold them."""
    s = scenario(tmp_path)
    refs = {p: [json.loads(line) for line in (s.references / f"{p}.jsonl").read_text().splitlines()]
            for p in ("zh-kk", "zh-vi")}
    odd = {p: ["", f"  {rows[1]['ref']}  twice ", rows[2]["ref"].replace(" ", " новое ", 1), "слово",
               *(" ".join(r["ref"].split()[1:]) for r in rows[4:])] for p, rows in refs.items()}
    write_run(s.results, "edge", "20261123-090000-iiiiii", "2026-11-23", odd,
              {p: [Segment.from_row(r, "t") for r in rows] for p, rows in refs.items()})
    vi_zh = [(ref, src) for src, ref in ROWS["zh-vi"]]
    segments = write_references(s.references, {**ROWS, "vi-zh": vi_zh})["vi-zh"]
    written = [z.replace("的", "地").replace("。", "" if i % 2 else "。") for i, (_, z) in enumerate(vi_zh)]
    write_run(s.results, "zh-writer", "20261124-090000-jjjjjj", "2026-11-24", {"vi-zh": written},
              {"vi-zh": segments})
    assert leaderboard(s).returncode == 0
    with screen(s.results / "leaderboard.html", tmp_path / "profile", 1280, 900) as page:
        for pair in ("zh-kk", "vi-zh"):
            page.click(f"#pair-{pair} details.segments > summary")
            explorer = f"#pair-{pair} .explorer"
            page.wait(f"!!document.querySelector('{explorer} select[aria-label=order]')")
            shown = shown_outputs(page, explorer)
            stored = stored_outputs(s.results, pair)
            assert shown == {name: stored[name] for name in shown}, pair
            assert len(shown) == (5 if pair == "zh-kk" else 1) and len(next(iter(shown.values()))) == 12
        assert page.problems() == []


# ---- a test set with two references, on a page of its own ----------------------------------------

TALKS_ZH = ["他们在北京开会。", "今天的天气很好。", "这个项目明年完成。"]
TALKS_EN = [["They held a meeting in Beijing.", "They met in Beijing."],
            ["The weather is fine today.", "Today the weather is good."],
            ["The project will be finished next year.", "The project ends next year."]]


def two_test_sets(tmp_path: Path):
    """The board's scenario (the current test set) and, in the same results folder, a run of the copy
    baseline on ``talks``: a set imported with two references per segment."""
    s = scenario(tmp_path)
    files = {"src": tmp_path / "src.zh", "ref1": tmp_path / "ref1.en", "ref2": tmp_path / "ref2.en"}
    for name, rows in zip(files, (TALKS_ZH, *zip(*TALKS_EN))):
        files[name].write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    talks = tmp_path / "talks"
    made = bench("import", "name=talks", "src_lang=zh", "tgt_lang=en", f"src={files['src']}",
                 f"refs=[{files['ref1']},{files['ref2']}]", f"out_dir={talks}")
    assert made.returncode == 0, made.stderr
    run = bench("run", "model=copy", "metric=[chrf]", f"dataset.path={talks}", f"results_dir={s.results}")
    assert run.returncode == 0, run.stderr
    assert leaderboard(s).returncode == 0
    return s


def test_two_test_sets_link_to_each_other_and_the_explorer_shows_every_reference(tmp_path: Path):
    s = two_test_sets(tmp_path)
    with screen(s.results / "leaderboard.html", tmp_path / "profile", 1280, 900) as page:
        assert page.js("document.querySelector('nav.testsets b').textContent") == "references"
        assert page.problems() == []  # an inline style attribute would break the page's CSP here
        loads = len(page.events)
        page.click("nav.testsets a")
        while not any(e["method"] == "Page.loadEventFired" for e in page.events[loads:]):
            page._message()
        assert page.js("location.pathname").endswith("/leaderboard-talks.html")
        assert page.js("document.querySelector('nav.testsets b').textContent") == "talks"
        assert page.js("document.querySelector('nav.testsets a').getAttribute('href')") == "leaderboard.html"
        explorer = "#pair-zh-en .explorer"
        page.click("#pair-zh-en details.segments > summary")
        page.wait(f"!!document.querySelector('{explorer} select[aria-label=order]')")
        page.choose(f"{explorer} select[aria-label=order]", "order")
        shown = page.js(f"[...document.querySelectorAll('{explorer} article.segment .texts')]"
                        ".map(t => [...t.children].map(c => c.textContent))")
        assert shown == [["source", zh, "reference", first, "reference 2", second]
                         for zh, (first, second) in zip(TALKS_ZH, TALKS_EN)]
        page.type(f"{explorer} input[type=search]", "Today the weather")  # found in the second reference
        page.wait(f"document.querySelectorAll('{explorer} article.segment').length === 1")
        assert page.problems() == []
