"""Damage the builder suspects but does not repair, because repairing it would mean guessing.

Extraction sometimes drops or adds a space inside the text (``nghèođềuthoát``, ``күрес тен``). Where
the spaces belong is a question about wording, which the builder never rewrites, so these are only
listed in the build report as known problems for a person to judge. An apostrophe inside a word
(``It's``, ``l’économie``) belongs to the word: split there, ``It's`` and ``its`` read as a lost space.

Lines are put on the Chinese or the translation side by script, wherever they stand on the page; the
lines whose side is a close call or whose place on the page disagrees with it are listed too
(:func:`side_doubts`), and the report counts the beads that hold them as uncertain.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING

from bench.core.languages import language
from bench.refset.langid import chinese_by_words_only, han_count, is_chinese, other_words

if TYPE_CHECKING:
    from bench.refset.parse import Line, Page

# A word: letters, and apostrophes between letters (It's, l’économie, Xi'an).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
EXCERPT = 60  # characters of a line quoted in a doubt
# Combining tone marks of Vietnamese: grave, acute, tilde, hook above, dot below.
_VI_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def suspected_damage(lines: list[Line], lang: str) -> list[str]:
    """Known problems in the translation's ``lines``, one readable sentence each."""
    if not language(lang, "damage checks").spaced:
        return []
    problems = _spacing_inconsistencies(lines)
    if lang == "vi":
        problems += _glued_vietnamese_syllables(lines)
    return problems


def _spacing_inconsistencies(lines: list[Line]) -> list[str]:
    """Words written both as one word and as two (one of the spellings lost or gained a space)."""
    words = [(line.number, w) for line in lines for w in _WORD.findall(line.text)]
    counts = Counter(w.casefold() for _, w in words)
    pairs: Counter[tuple[str, str]] = Counter()
    for (_, left), (_, right) in zip(words, words[1:]):
        if (left + right).casefold() in counts:
            pairs[left, right] += 1
    return [
        f"'{left} {right}' ({n}x) is also written '{left}{right}' "
        f"({counts[(left + right).casefold()]}x): a space was lost or added; left as it is"
        for (left, right), n in sorted(pairs.items())
    ]


def _glued_vietnamese_syllables(lines: list[Line]) -> list[str]:
    """Vietnamese words are single syllables with at most one tone mark and ``đ`` only at the start;
    a token breaking either rule is syllables run together."""
    found: dict[str, int] = {}
    for line in lines:
        for word in _WORD.findall(line.text):
            lower = word.casefold()
            tones = sum(ch in _VI_TONES for ch in unicodedata.normalize("NFD", lower))
            if tones > 1 or "đ" in lower[1:]:
                found.setdefault(word, line.number)
    return [
        f"line {number}: '{word}' looks like syllables run together (missing spaces); left as it is"
        for word, number in sorted(found.items(), key=lambda item: (item[1], item[0]))
    ]


def side_doubts(page: Page) -> list[str]:
    """The lines whose side a reader should confirm, one readable sentence each, in page order: those
    left out as alone inside the other language's block, and Chinese lines most of whose letters are
    not Han."""
    doubts: dict[int, str] = {}
    for line in page.misplaced:
        side, block = ("Chinese", "translation") if is_chinese(line.text) else ("translation", "Chinese")
        doubts[line.number] = (f"line {line.number}: a {side} line alone inside the {block} block, left out "
                               f"of both sides: {line.text[:EXCERPT]!r}")
    for line in page.zh:
        if chinese_by_words_only(line.text):
            doubts[line.number] = (
                f"line {line.number}: Chinese by script although most of its letters are not Han "
                f"({han_count(line.text)} Han characters, {other_words(line.text)} words in other "
                f"scripts): {line.text[:EXCERPT]!r}")
    return [doubts[number] for number in sorted(doubts)]
