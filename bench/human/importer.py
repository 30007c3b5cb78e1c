"""``python -m bench human import``: attach a file's judgments to (test set, pair, system, segment).

A judgment file names systems and segments its own way. Segments are matched to the test set by id,
by row number or by source text (``match=``); systems to run names, exactly or through the explicit
``systems={name in the file: run name}``. Nothing is guessed: what does not match is counted, listed
and left out, and an import that matches nothing is refused. The stored file
(:mod:`bench.human.store`) is replaced atomically; judgments of systems the new file does not cover are
kept, so systems can be judged in several batches.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.core.errors import BenchError
from bench.human.formats import Rated, plain
from bench.human.store import Judgment, PairJudgments, judgments_path
from bench.refset.store import Segment

log = logging.getLogger("bench.human")

MATCHES = ("auto", "id", "row", "source")


@dataclass
class Matched:
    judgments: list[Judgment]
    #: file name -> rows left out, for systems and segments that matched nothing
    systems: Counter = field(default_factory=Counter)
    segments: Counter = field(default_factory=Counter)
    how: str = ""

    def report(self, path: object) -> list[str]:
        """One line per kind of name left out, listing up to ten of them."""
        lines = []
        for what, left in (("systems", self.systems), ("segments", self.segments)):
            if left:
                names = ", ".join(sorted(left)[:10]) + (", ..." if len(left) > 10 else "")
                lines.append(f"{path}: {what} that matched nothing: {len(left)} ({sum(left.values())} rows "
                             f"left out): {names}")
        return lines


def segment_keys(rated: list[Rated], segments: list[Segment], match: str) -> tuple[dict[str, str], str]:
    """``file segment -> test-set segment id`` for the keys that match, and the rule used."""
    if match not in MATCHES:
        raise BenchError(f"match={match}: choose one of {', '.join(MATCHES)}")
    keys = {r.segment for r in rated}
    ids = {s.id for s in segments}
    if match == "auto":
        if keys <= ids:
            match = "id"
        elif all(r.source is not None for r in rated):
            match = "source"
        else:
            example = sorted(keys - ids)[0]
            raise BenchError(f"segment {example!r} of the file is not a segment id of the test set and the "
                             "file has no source text: choose match=row (1-based row numbers of the pair) "
                             "or make the ids the test set's")
    if match == "id":
        return {k: k for k in keys & ids}, match
    if match == "row":
        rows = {str(i): s.id for i, s in enumerate(segments, start=1)}
        return {k: rows[k] for k in keys if k in rows}, match
    by_source: dict[str, list[str]] = {}
    for s in segments:
        by_source.setdefault(plain(s.src), []).append(s.id)
    sources = {r.segment: r.source for r in rated if r.source is not None}
    if not sources:
        raise BenchError("match=source: this file has no source text; choose match=id or match=row")
    return {k: by_source[src][0] for k, src in sources.items() if len(by_source.get(src, [])) == 1}, match


def match(rated: list[Rated], segments: list[Segment], runs: set[str], systems: Mapping[str, str],
          how: str) -> Matched:
    """The rows of ``rated`` whose system is a run of the pair and whose segment is in the test set."""
    named = {r.system for r in rated}
    stray = sorted(set(systems) - named)
    if stray:
        raise BenchError(f"systems.{stray[0]}: no system of that name in the file; its systems: "
                         f"{', '.join(sorted(named)[:20])}")
    keys, used = segment_keys(rated, segments, how)
    found = Matched([], how=used)
    seen: set[tuple[str, str, str]] = set()
    for r in rated:
        system = systems.get(r.system, r.system)
        if system not in runs:
            found.systems[r.system] += 1
        elif r.segment not in keys:
            found.segments[r.segment] += 1
        else:
            key = (system, keys[r.segment], r.rater or "")
            if r.rater is not None and key in seen:
                raise BenchError(f"row {r.row}: a second score of {r.system}, segment {r.segment} by rater "
                                 f"{r.rater}; keep one per rater")
            seen.add(key)
            found.judgments.append(Judgment(system, keys[r.segment], r.score, r.rater))
    if not found.judgments:
        raise BenchError(f"nothing matched: systems {', '.join(sorted(named)[:10])} against the runs of this "
                         f"pair ({', '.join(sorted(runs)[:10]) or 'none'}; map them with "
                         "systems={name_in_file: run_name}), segments by "
                         f"{used}")
    return found


def merged(new: PairJudgments, results_dir: str, replace: bool) -> PairJudgments:
    """``new`` plus the stored judgments of systems it does not cover (same test-set version and
    protocol); ``replace=true`` drops everything stored for the pair."""
    path = judgments_path(results_dir, new.testset, new.pair)
    if replace or not path.is_file():
        return new
    old = PairJudgments.read(path)
    if old.sha256 != new.sha256:
        log.warning("%s: made on another version of %s; its judgments are replaced", path, new.pair)
        return new
    if old.protocol != new.protocol:
        raise BenchError(f"{path}: holds {old.protocol} judgments and these are {new.protocol} (another "
                         "scale): pass replace=true to replace them, or testset=OTHER to keep both")
    covered = set(new.systems())
    kept = [j for j in old.judgments if j.system not in covered]
    return PairJudgments(new.testset, new.pair, new.sha256, new.protocol, kept + new.judgments)
