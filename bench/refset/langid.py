"""Which language a piece of text is in, decided from the text and never from a file name.

Chinese is recognised by script, which is exact and needs no model: a line is Chinese when at least
half of its letters are Han, or when its Han characters are at least as many as its words in other
scripts (``头两个项目是MacroBot和DeciBot。`` has 7 Han characters among 22 letters, yet it is a Chinese
sentence naming two robots: a Latin name is one word however many letters it has). Lines decided by
the second rule alone are reported, and so are lines alone inside the other language's block (left
out) and sentences in the wrong script for their side, since there the side a text landed on is in
doubt.

The translation's language is left to lingua restricted to a few candidates: a small
candidate set keeps it fast and accurate (it tells Kazakh from Russian and Mongolian), and a document
in a language outside the set is reported as undetectable instead of being mislabelled. Which lingua
language a candidate code is comes from its row in ``bench/core/languages.py``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.core.errors import BenchError
from bench.core.languages import by_lingua, language

if TYPE_CHECKING:
    from lingua import Language

# A line is Chinese when most of its letters are Han. Kana marks Japanese, which also uses Han.
HAN_SHARE = 0.5


# CJK unified ideographs (basic, extension A, extensions B and later) and compatibility ideographs.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")


def is_han(ch: str) -> bool:
    return _HAN.match(ch) is not None


def letters(text: str) -> list[str]:
    return [ch for ch in text if ch.isalpha()]


def han_share(text: str) -> float:
    """Share of Han characters among the letters of ``text`` (0 when it has no letters)."""
    chars = letters(text)
    return sum(map(is_han, chars)) / len(chars) if chars else 0.0


def han_count(text: str) -> int:
    return sum(map(is_han, text))


def other_words(text: str) -> int:
    """Runs of letters that are not Han: a Latin or Cyrillic word, however long, counts once."""
    count, inside = 0, False
    for ch in text:
        word = ch.isalpha() and not is_han(ch)
        count += word and not inside
        inside = word
    return count


def is_chinese(text: str) -> bool:
    """Whether a line belongs to the Chinese side: at least half of its letters are Han, or it has at
    least as many Han characters as words in other scripts (Latin names in a Chinese sentence); kana
    marks Japanese. Counting letters alone put ``头两个项目是MacroBot和DeciBot。`` on the translation's
    side, glued onto another sentence's reference."""
    han = han_count(text)
    return han > 0 and han >= other_words(text) and not _KANA.search(text)


def chinese_by_words_only(text: str) -> bool:
    """A Chinese line most of whose letters are not Han: the report lists it, since its side was a
    close call."""
    return is_chinese(text) and han_share(text) < HAN_SHARE


def islands(sides: list[bool]) -> list[int]:
    """Indices of lines that sit alone inside a block of the other side: one line whose neighbours,
    two or more lines on each side, are all of the other side (a caption, a sentence copied out of
    place). A line between single lines is not one: pages that alternate languages line by line (a
    title, then its translation) are laid out that way on purpose."""
    runs: list[tuple[int, int]] = []  # (first index, length) of each run of one side
    for i, side in enumerate(sides):
        if runs and sides[runs[-1][0]] == side:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return [start for (_, before), (start, length), (_, after) in zip(runs, runs[1:], runs[2:])
            if length == 1 and before >= 2 and after >= 2]


def wrong_script(text: str, chinese_side: bool, lang: str) -> str:
    """Why a sentence looks out of place on its side (a Chinese sentence without a Han character, a
    translation sentence with Han characters where ``lang`` is not written with them), or ``""``."""
    if chinese_side:
        return "has no Han characters" if letters(text) and not han_count(text) else ""
    if "CJK" in language(lang, "wrong-script check").letters:
        return ""
    han = han_count(text)
    return f"has {han} Han character{'s' if han > 1 else ''}" if han else ""


@dataclass(frozen=True)
class Detection:
    lang: str | None  # the candidate language of the text; None when it is in none of them
    confidence: float  # lingua's confidence in lang, or in guess when lang is None
    guess: str | None = None  # when lang is None: the language lingua would name among all it knows


@functools.lru_cache(maxsize=4)
def _detector(candidates: tuple[str, ...]):
    """An accurate detector that can only answer one of ``candidates``."""
    from lingua import Language, LanguageDetectorBuilder

    languages = []
    for code in candidates:
        row = language(code, "languages in configs/build.yaml")
        if row.lingua is None:
            raise BenchError(f"languages in configs/build.yaml: lingua cannot detect {row.name} ('{code}'); "
                             "remove it from the list")
        languages.append(getattr(Language, row.lingua))
    return LanguageDetectorBuilder.from_languages(*languages).build()


@functools.lru_cache(maxsize=1)
def _guard():
    """A coarse detector over every language lingua knows (trigram models only: 0.5 s, 80 MB).

    Restricted to the candidates, lingua confidently calls German or French "en" and Ukrainian
    "ru"; this detector catches such texts before they are filed under the wrong pair.
    """
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def _best(detector, text: str) -> tuple[str | None, float]:
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value <= 0:
        return None, 0.0
    return _code(values[0].language), round(values[0].value, 3)


def _code(detected: Language) -> str:
    """The code of a language lingua names: its row's, or lingua's ISO 639-1 code for one without a row."""
    row = by_lingua(detected.name)
    return row.code if row else detected.iso_code_639_1.name.lower()


def detect(text: str, candidates: tuple[str, ...], min_confidence: float) -> Detection:
    """The candidate language ``text`` is written in, if lingua is at least ``min_confidence`` sure.

    A text that the coarse all-language detector confidently places outside the candidates is in
    none of them, whatever the restricted detector would say.
    """
    restricted = _detector(tuple(sorted(candidates)))  # first: it refuses a candidate lingua cannot detect
    guess, guess_confidence = _best(_guard(), text)
    if guess is not None and guess not in candidates and guess_confidence >= min_confidence:
        return Detection(None, guess_confidence, guess)
    lang, confidence = _best(restricted, text)
    if lang is None or confidence < min_confidence:
        return Detection(None, confidence)
    return Detection(lang, confidence)
