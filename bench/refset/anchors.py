"""Anchors: tokens a translation carries over unchanged, which tie a sentence to its translation.

Numbers survive translation, but not always in the same form: Chinese counts in 万 (ten thousands)
where Kazakh and Vietnamese count in thousands, so ``20.6万`` becomes ``206 мың`` and ``300多万``
becomes ``3 миллион``. Comparing a number's significant digits (separators and trailing zeros
dropped) matches these forms; the price is that ``3`` also matches ``30``, which is why anchors only
adjust the alignment cost and never decide it alone. Quotations are compared by count, since the
quoted words themselves are translated.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_OPENING_QUOTES = re.compile("[“‘«「『《„‹]")
_STRAIGHT_QUOTE = '"'
# A straight single quote opens dialogue only before a word at the start of the text or after a space;
# elsewhere it is an apostrophe (didn't, the boys' toys).
_OPENING_APOSTROPHE = re.compile(r"(?:^|(?<=\s))'(?=\w)")


def number_keys(text: str) -> Counter[str]:
    """Significant digits of each number in ``text``: ``20.6`` -> ``206``, ``300`` -> ``3``."""
    keys: Counter[str] = Counter()
    for number in _NUMBER.findall(text):
        digits = re.sub(r"\D", "", number)
        keys[digits.rstrip("0") or "0"] += 1
    return keys


def quote_count(text: str) -> int:
    """Number of quotations opened in ``text``: typographic marks (double or single), pairs of
    straight double quotes, straight single quotes that open a word."""
    return (len(_OPENING_QUOTES.findall(text)) + text.count(_STRAIGHT_QUOTE) // 2
            + len(_OPENING_APOSTROPHE.findall(text)))


@dataclass(frozen=True)
class Anchors:
    """The anchors of a sentence, or of several added together."""

    numbers: Counter[str]
    quotes: int

    @classmethod
    def of(cls, text: str) -> Anchors:
        return cls(number_keys(text), quote_count(text))

    def __add__(self, other: Anchors) -> Anchors:
        return Anchors(self.numbers + other.numbers, self.quotes + other.quotes)


NO_ANCHORS = Anchors(Counter(), 0)


def anchor_cost(src: Anchors, tgt: Anchors, hit: float, miss: float, quote: float) -> tuple[float, int]:
    """Cost of pairing ``src`` with ``tgt`` by their anchors, and how many numbers matched.

    Each number found on both sides lowers the cost by ``hit``; each number found on one side only
    raises it by ``miss``; each quotation more on one side than the other raises it by ``quote``.
    """
    matched = sum((src.numbers & tgt.numbers).values())
    unmatched = sum(src.numbers.values()) + sum(tgt.numbers.values()) - 2 * matched
    return miss * unmatched - hit * matched + quote * abs(src.quotes - tgt.quotes), matched
