"""Which language a piece of text is in, decided from the text and never from a file name.

Chinese is recognised by script (the share of Han characters among letters), which is exact and
needs no model. The translation's language is left to lingua restricted to a few candidates: a small
candidate set keeps it fast and accurate (it tells Kazakh from Russian and Mongolian), and a document
in a language outside the set is reported as undetectable instead of being mislabelled. Which lingua
language a candidate code is comes from its row in ``bench/languages.py``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.errors import BenchError
from bench.languages import by_lingua, language

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


def is_chinese(text: str) -> bool:
    return han_share(text) >= HAN_SHARE and not _KANA.search(text)


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
