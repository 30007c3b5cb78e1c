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

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_OPENING_QUOTES = re.compile("[“«「『《„‹]")
_STRAIGHT_QUOTE = '"'


def number_keys(text: str) -> Counter[str]:
    """Significant digits of each number in ``text``: ``20.6`` -> ``206``, ``300`` -> ``3``."""
    keys: Counter[str] = Counter()
    for number in _NUMBER.findall(text):
        digits = re.sub(r"\D", "", number)
        keys[digits.rstrip("0") or "0"] += 1
    return keys


def quote_count(text: str) -> int:
    """Number of quotations opened in ``text`` (typographic marks, or pairs of straight quotes)."""
    return len(_OPENING_QUOTES.findall(text)) + text.count(_STRAIGHT_QUOTE) // 2


def anchor_cost(src: str, tgt: str, hit: float, miss: float, quote: float) -> tuple[float, int]:
    """Cost of pairing ``src`` with ``tgt`` by their anchors, and how many numbers matched.

    Each number found on both sides lowers the cost by ``hit``; each number found on one side only
    raises it by ``miss``; each quotation more on one side than the other raises it by ``quote``.
    """
    src_numbers, tgt_numbers = number_keys(src), number_keys(tgt)
    matched = sum((src_numbers & tgt_numbers).values())
    unmatched = sum(src_numbers.values()) + sum(tgt_numbers.values()) - 2 * matched
    quotes = abs(quote_count(src) - quote_count(tgt))
    return miss * unmatched - hit * matched + quote * quotes, matched
