"""``results/leaderboard.html``: one self-contained page that works offline.

Tables, charts, diagnostics and provenance are rendered here, so they read without JavaScript; the
script in ``assets/board.js`` adds sorting, the segment explorer and the A-vs-B view, which it builds
from each pair's compressed segment data (:mod:`bench.board.drilldown`), decoded when first opened.
CSS and JS are inlined from ``assets/``; a Content-Security-Policy allows exactly those two blocks (by
hash) and nothing from the network, so even a mistake in escaping could not run a script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from bench.board import chart, drilldown, fmt
from bench.board.collect import Board, Direction, Entry, PairBoard, Policy
from bench.board.markup import Markup, el, escape, script_json
from bench.core.pair import Pair
from bench.refset.store import Segment

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def asset(name: str) -> str:
    return (resources.files("bench.board") / "assets" / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def fill(template: str, slots: dict[str, str]) -> str:
    """Replace every ``{{name}}`` in one pass, so text inside a filled slot is never filled again."""
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def scrolling(table: Markup) -> Markup:
    """Wide tables scroll sideways on a narrow screen instead of overflowing the page."""
    return el("div", table, class_="scroll")


def score_cell(board: PairBoard, entry: Entry, metric: str) -> Markup:
    score = entry.scores.get(metric)
    if score is None:
        return el("td", "–", class_="num")
    places = fmt.column_digits(board, metric)
    ci = fmt.interval(score, places)
    return el("td", el("span", fmt.number(score.score, places), class_="score"),
              [" ", el("span", ci, class_="ci")] if ci else None, class_="num", data_value=repr(score.score))


def off_target_cell(board: PairBoard, entry: Entry) -> Markup | None:
    if not board.off_target:
        return None
    score = entry.scores.get(board.off_target)
    return el("td", fmt.share(score), class_="num",
              data_value=repr(score.score) if score is not None else None)


def header(label: str, kind: str, direction: Direction | None = None, title: str | None = None,
           ascending: bool = False) -> Markup:
    """A sortable column head; its direction makes the first click put the best values on top."""
    better = None if direction is None else ("higher" if direction.higher_is_better else "lower")
    return el("th", el("button", label, type="button", title=title or (direction and direction.describe())),
              data_type=kind, data_better=better, data_optimum=direction and direction.optimum,
              class_="num" if kind == "number" else None, aria_sort="ascending" if ascending else None)


def metric_header(board: PairBoard, metric: str) -> Markup:
    """A metric's column head; one whose checkpoint is tiny or not a known public one says so."""
    direction = board.directions[metric]
    warning = fmt.checkpoint_warning(board, metric)
    if warning is None:
        return header(metric, "number", direction)
    label = Markup(escape(metric) + el("small", warning, class_="ckpt"))
    return header(label, "number", direction, title=f"{metric}: {warning}; its numbers compare with no "
                  f"published ones ({direction.describe()})")


def row(board: PairBoard, entry: Entry, policy: Policy, band: int | None) -> Markup:
    note = fmt.flag_note(entry, policy)
    return el("tr",
              el("td", el("span", fmt.rank(entry), class_="rank") if entry.rank is not None else "–",
                 class_="num", data_value=entry.rank),
              el("td", entry.system, [" ", el("span", note, class_="badge")] if note else None,
                 class_="system", title=entry.where),
              [score_cell(board, entry, m) for m in board.metrics],
              off_target_cell(board, entry),
              el("td", fmt.day(entry), title=entry.created),
              class_=f"band-{band}" if band is not None else fmt.role(entry))


def ranked_table(board: PairBoard, policy: Policy) -> Markup:
    """Ranked systems (sortable), then the baselines in a body of their own that sorting leaves alone."""
    heads = [header("Rank", "number", Direction(higher_is_better=False), title="significance cluster",
                    ascending=board.rank_metric is not None),
             header("System", "text")]
    heads += [metric_header(board, m) for m in board.metrics]
    if board.off_target:
        heads.append(header("Off-target", "number", board.directions[board.off_target],
                            title="share of outputs not in the target language (lower is better)"))
    heads.append(header("Run date", "text"))
    ranked = [row(board, e, policy, band) for e, band in zip(board.entries, fmt.cluster_bands(board.entries))]
    baselines = el("tbody", [row(board, e, policy, None) for e in board.baselines],
                   class_="baselines") if board.baselines else None
    return scrolling(el("table", el("thead", el("tr", heads)), el("tbody", ranked), baselines,
                        class_="board sortable"))


def legend(board: PairBoard) -> Markup:
    """What the shading, the whiskers and the dashed lines of the table and the charts mean."""
    items = [("band", "shading changes from one significance cluster to the next: the systems of a band "
                      "share a rank, the test does not tell them apart"),
             ("dot", "score"),
             ("whisker", f"whiskers: the {fmt.confidence(board)} (bootstrap over segments)")]
    if board.baselines:
        items.append(("baseline", "dashed: a baseline, a reference line never ranked"))
    if any(board.directions[m].optimum is not None for m in board.metrics):
        items.append(("optimum", "dashed blue: the best possible value"))
    return el("ul", [el("li", el("span", class_=f"key {key}"), text) for key, text in items], class_="legend",
              aria_label="legend")


def diagnostics_table(board: PairBoard) -> Markup:
    head, rows = fmt.diagnostics(board)
    cells = [el("tr", el("th", r[0], scope="row"),
                [el("td", c, class_="num warn" if c.isdigit() and c != "0" else "num") for c in r[1:]])
             for r in rows]
    return el("details",
              el("summary", "Diagnostics: what could distort the scores"),
              el("p", "Counts of outputs (tone marks and Latin letters: of words). Scoring NFC-normalises "
                      "every line; the other problems stay in the scores.", class_="hint"),
              scrolling(el("table", el("thead", el("tr", [el("th", h, class_="num" if i else None)
                                                          for i, h in enumerate(head)])),
                           el("tbody", cells), class_="diagnostics")),
              class_="diagnostics")


def stale_table(board: PairBoard) -> Markup:
    heads = ["System", *board.metrics, *(["Off-target"] if board.off_target else []), "Run date", "Run",
             "Why"]
    rows = [el("tr", el("td", e.system), [score_cell(board, e, m) for m in board.metrics],
               off_target_cell(board, e), el("td", fmt.day(e)), el("td", el("code", e.where)),
               el("td", e.stale or ""))
            for e in board.stale]
    return scrolling(el("table", el("thead", el("tr", [el("th", h) for h in heads])), el("tbody", rows),
                        class_="stale"))


def provenance(board: PairBoard) -> Markup:
    signatures = []
    for metric in [*board.metrics, *([board.off_target] if board.off_target else [])]:
        found = board.signatures(metric)
        mixed = len(found) > 1
        signatures += [el("tr", el("th", metric, scope="row"), el("td", el("code", sig)),
                          el("td", f"{', '.join(systems)}: not comparable with the other rows" if mixed
                             else "all systems", class_="warn" if mixed else None))
                       for sig, systems in found.items()]
    common, own = board.shared_versions()
    runs = [el("li", el("strong", e.system), " ", el("code", e.where), ", fingerprint ",
               el("code", e.fingerprint or "none"),
               f"; {fmt.versions(own[e.system])}" if own[e.system] else None)
            for e in sorted(board.shown, key=lambda e: e.system)]
    return el("details",
              el("summary", "Signatures, versions and runs"),
              el("h4", "Signatures"), el("table", el("tbody", signatures), class_="signatures"),
              el("p", f"Confidence intervals: {fmt.bootstrap(board.bootstrap_settings())}."),
              el("p", f"Versions (all runs): {fmt.versions(common)}."),
              el("h4", "Runs"), el("ul", runs), class_="provenance")


def pair_section(board: PairBoard, policy: Policy, rows: int) -> Markup:
    src, tgt = Pair(board.pair).langs  # zh-Hant-pt-BR: codes may hold hyphens themselves
    count = len(board.entries)
    resolves = fmt.resolution(board)
    meta = el("span", f"{count} system{'s' * (count != 1)} · {rows} segments",
              f" · resolves {resolves}" if resolves else None, class_="meta")
    title = el("h2", f"{src} → {tgt}", meta)
    parts: list[Markup | None] = [title]
    warning = fmt.unresolved(board)
    if board.shown:  # the ranks first: on a phone they are what the first screen shows
        parts += [el("p", warning, class_="warn resolution") if warning else None,
                  ranked_table(board, policy),
                  legend(board),
                  el("p", fmt.ranking(board, policy), class_="lead"),
                  el("ul", [el("li", n) for n in board.notes], class_="notes") if board.notes else None,
                  chart.charts(board), diagnostics_table(board), provenance(board)]
    else:
        parts.append(el("p", f"No runs on the current test set yet: python -m bench run model=NAME "
                             f"pairs=[{board.pair}]", class_="lead"))
    if board.stale:
        parts += [el("h3", "Stale runs (not ranked)"), stale_table(board)]
    if board.shown:
        parts.append(el("details",
                        el("summary", "Segments: what each system wrote, worst first"),
                        el("div", el("p", "The segment explorer needs JavaScript."), class_="explorer",
                           data_pair=board.pair), class_="segments"))
    if len(board.shown) > 1:
        parts.append(el("details",
                        el("summary", "A vs B: compare two systems segment by segment"),
                        el("div", el("p", "The comparison needs JavaScript."), class_="versus",
                           data_pair=board.pair), class_="compare"))
    return el("section", parts, id=f"pair-{board.pair}", class_="pair")


def body(board: Board, references: dict[str, list[Segment]]) -> Markup:
    nav = el("nav", [el("a", p.pair, href=f"#pair-{p.pair}") for p in board.pairs])
    left_out = el("section", el("h2", "Runs left out"), el("ul", [el("li", n) for n in board.notes]),
                  class_="left-out") if board.notes else None
    tiny = fmt.tiny_checkpoints(board)
    return el("main",
              el("header", el("h1", "MT leaderboard"),
                 el("p", "Each row is a system's newest complete run on the current test set; brackets "
                         "hold the confidence interval; baselines follow as reference lines. Click a column "
                         "to sort; open a pair's segments to read what each system wrote, worst segments "
                         "first, or compare two systems."),
                 el("p", tiny, class_="warn tiny") if tiny else None, nav),
              [pair_section(p, board.policy, len(references.get(p.pair, []))) for p in board.pairs],
              left_out)


def segment_block(pair: str, text: str) -> Markup:
    """A pair's packed segments in a data block the browser never runs. The text is 7-bit packed
    (:func:`bench.board.drilldown.as_text`): it holds no ``<``, so nothing in it can end the block,
    and it must not be escaped, since a ``<script>`` block's text is read as it stands."""
    return el("script", Markup(text), type="application/octet-stream", id=f"segments-{pair}")


def render(board: Board, references: dict[str, list[Segment]]) -> str:
    """The page; ``references`` holds the current rows of every pair (for the segment explorer)."""
    css, js = asset("board.css"), asset("board.js")
    packed = [drilldown.pair_data(p, references[p.pair]) for p in board.pairs if p.shown]
    policy = (f"default-src 'none'; style-src {csp_hash(css)}; script-src {csp_hash(js)}; "
              "base-uri 'none'; form-action 'none'")
    return fill(asset("page.html"), {
        "csp": escape(policy), "css": css, "js": js, "body": body(board, references),
        "data": script_json({"pairs": [meta for meta, _ in packed]}),
        "segments": Markup("\n".join(segment_block(meta["pair"], text) for meta, text in packed))})
