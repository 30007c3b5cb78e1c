"""Several test sets in one results folder: which set each stored run was made on, one board each.

A run records its test set (``run.json``: ``testset``, ``local:PATH`` or ``hub:REPO``) and the sha256
of each pair it translated. The leaderboard draws the current test set (``dataset=``) and, beside it,
every local set some run was made on whose folder is still there (the folder the run names): a run
belongs to the set one of its pairs hashes to, and any other run to the current set, which lists it
apart as made on an older or another test set, as before. Boards never mix: each ranks only its own
runs. The current set's page is ``leaderboard.html``; each other set's is
``leaderboard-<name>.html``, and every page links to the others.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.refset.store import SET_NAME, LocalReferences, TestSet
from bench.store.runs import Run


@dataclass
class Found:
    """One test set with the runs made on it."""

    testset: TestSet
    hashes: dict[str, str]
    runs: list[Run]
    title: str  # the set's name, as the board shows it
    about: str  # what it is, in one line: the board says which source side is original


def title(testset: TestSet) -> str:
    return testset.title() if isinstance(testset, LocalReferences) else testset.name


def about(testset: TestSet) -> str:
    """``zh-en: source translated (text: src.zh, ref1.en)``, per pair; built sets are Chinese-original."""
    if not isinstance(testset, LocalReferences) or testset.manifest().testset is None:
        return "built with `bench build`: sources are original text" if isinstance(testset, LocalReferences) \
            else testset.name
    parts = []
    for pair, origin in sorted(testset.manifest().testset.pairs.items()):
        made = origin.origin
        files = ", ".join(Path(f.get("path", "?")).name for f in made.get("files", []) if isinstance(f, dict))
        source = f"{made['repo_id']}@{str(made.get('revision'))[:12]}" if made.get("repo_id") else files
        parts.append(f"{pair}: source {origin.source_side} ({made.get('format', '?')}: {source})")
    return "; ".join(parts)


def _key(testset: TestSet) -> str:
    """The same folder named two ways (relative, absolute) is one set."""
    return str(testset.path.resolve()) if isinstance(testset, LocalReferences) else testset.name


def recorded(runs: list[Run], current: TestSet) -> list[TestSet]:
    """The current set, then each other local set the runs name whose folder still holds a set."""
    found = {_key(current): current}
    for run in sorted(runs, key=lambda r: r.record.testset):
        kind, _, where = run.record.testset.partition(":")
        if kind != "local" or not (Path(where) / "MANIFEST.json").is_file():
            continue
        candidate = LocalReferences(where)
        found.setdefault(_key(candidate), candidate)
    return list(found.values())


def partition(runs: list[Run], current: TestSet) -> list[Found]:
    """Each test set with runs on it (the current one always), the runs each was made on."""
    sets, hashes = [], []
    for testset in recorded(runs, current):
        try:
            digest = {pair: testset.sha256(pair) for pair in testset.pairs()}
        except BenchError:
            if testset is current:
                raise
            continue  # another set's folder that cannot be read now: its runs stay with the current set
        if digest in hashes:  # the same set in another folder
            continue
        sets.append(testset)
        hashes.append(digest)
    owned: dict[int, list[Run]] = defaultdict(list)
    for run in runs:
        made = {pair: r.sha256 for pair, r in run.record.pairs.items()}
        home = next((k for k, h in enumerate(hashes) if any(h.get(p) == d for p, d in made.items())), 0)
        owned[home].append(run)
    return [Found(s, hashes[k], owned[k], title(s), about(s))
            for k, s in enumerate(sets) if k == 0 or owned[k]]


def page_names(found: list[Found]) -> list[str]:
    """``leaderboard.html`` for the current set, ``leaderboard-<name>.html`` for the others."""
    names, used = [], {"leaderboard.html"}
    for k, item in enumerate(found):
        name = "leaderboard.html" if k == 0 else f"leaderboard-{item.title}.html"
        if k and (not SET_NAME.fullmatch(item.title) or name in used):
            name = f"leaderboard-set{k + 1}.html"
        used.add(name)
        names.append(name)
    return names


_BODY = re.compile(r"<body[^>]*>")


def with_switch(page: str, found: list[Found], names: list[str], here: int) -> str:
    """``page`` with a line of links to the other test sets' pages right after ``<body>``."""
    links = [f"<b>{html.escape(f.title)}</b>" if k == here else
             f'<a href="{html.escape(names[k])}">{html.escape(f.title)}</a>' for k, f in enumerate(found)]
    nav = (f'<nav class="testsets">Test set: {" | ".join(links)}'
           f'<br><small>{html.escape(found[here].about)}</small></nav>')
    match = _BODY.search(page)
    return page[:match.end()] + nav + page[match.end():] if match else nav + page
