"""Baselines that bracket every leaderboard.

``copy`` returns the source unchanged: the floor any real system must clear (it scores near zero, but
not zero, because numbers and names survive). ``reference`` returns the references: a sanity check of
the whole pipeline that must score BLEU 100; leaderboards leave it out by default.
"""

from __future__ import annotations

from typing import Any

from bench.core.errors import BenchError
from bench.refset.store import Segment
from bench.systems.base import System


class Copy(System):
    """Output = source. Cheap and test-set independent, but not worth caching."""

    cacheable = False
    baseline = True

    def identity(self) -> dict[str, Any]:
        return {}

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        return list(sources)


class Reference(System):
    """Output = the human reference of each row (a pipeline sanity check)."""

    cacheable = False
    baseline = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._rows: dict[tuple[str, str], list[Segment]] = {}

    def identity(self) -> dict[str, Any]:
        return {}

    def prepare(self, src_lang: str, tgt_lang: str, segments: list[Segment]) -> None:
        self._rows[(src_lang, tgt_lang)] = segments

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        rows = self._rows.get((src_lang, tgt_lang), [])[:len(sources)]  # a smoke run (limit=N): the first N
        if [row.src for row in rows] != list(sources):
            raise BenchError("the reference baseline translates test sets in reference order only")
        return [row.ref for row in rows]
