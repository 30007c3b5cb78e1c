"""What would distort a score without anyone noticing, counted per system and pair from the texts.

Computed when the board is built, from the hypotheses, sources and references (no storage, nothing
to go stale), except truncation, which only the system saw (``run.json`` ``system_stats``):

* **not NFC**: outputs with decomposed characters (``a`` + a combining grave for ``à``). Scoring
  normalises them away (:data:`bench.metrics.base.NFC`); the count says how often it had to.
* **tone marks** (Vietnamese): syllables ending in *oa*, *oe*, *uy* carry the tone on the first vowel
  in the new style (``hòa``, ``thúy``) and on the second in the old one (``hoà``, ``thuý``). Both are
  correct, but an output in the other style than the references loses n-gram matches on every one.
* **Latin in Cyrillic** (targets written in Cyrillic): words mixing the scripts, such as Kazakh
  ``бiлiм`` with a Latin ``i`` for ``і``; they look right and match nothing.
* **empty** outputs, and **source copies** (the output is the source as it is).
* **truncated**: outputs that stopped at ``max_new_tokens`` (counted by the transformers and
  CTranslate2 systems over the whole run, not per pair; absent where a system cannot tell).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bench.core.languages import LANGUAGES

#: a syllable ending in oa/oe/uy with the tone on the second vowel (old style) or the first (new style);
#: ``qu`` + y is a consonant and a vowel, not the diphthong, so it is left out
_OLD_TONE = re.compile(r"(?<!q)(?:o[àáảãạ]|o[èéẻẽẹ]|u[ỳýỷỹỵ])\b")
_NEW_TONE = re.compile(r"(?<!q)(?:[òóỏõọ]a|[òóỏõọ]e|[ùúủũụ]y)\b")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile("[\u0400-\u052f]")  # Cyrillic and its supplement (Kazakh і, ә, ұ, ...)
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")  # basic Latin and Latin-1 to Extended-B


def mixed_script_words(text: str) -> int:
    """Words holding both Cyrillic and Latin letters."""
    if not _LATIN.search(text):  # the usual case, and cheap
        return 0
    return sum(1 for word in _WORD.findall(text) if _LATIN.search(word) and _CYRILLIC.search(word))


def tone_styles(text: str) -> tuple[int, int]:
    """``(old, new)`` tone-mark placements in a Vietnamese text (read as NFC, lower case)."""
    flat = unicodedata.normalize("NFC", text).lower()
    return len(_OLD_TONE.findall(flat)), len(_NEW_TONE.findall(flat))


@dataclass(frozen=True)
class Texts:
    """Counts over one list of lines (a system's outputs, or a pair's references)."""

    not_nfc: int
    #: ``(old, new)`` tone-mark placements; None when the target is not Vietnamese
    tones: tuple[int, int] | None
    #: words mixing Cyrillic and Latin letters; None when the target is not written in Cyrillic
    mixed_script: int | None

    @classmethod
    def of(cls, lines: list[str], tgt_lang: str) -> Texts:
        tones = None
        if tgt_lang == "vi":
            counted = [tone_styles(line) for line in lines]
            tones = (sum(o for o, _ in counted), sum(n for _, n in counted))
        row = LANGUAGES.get(tgt_lang)
        cyrillic = row is not None and "Cyrl" in row.scripts
        return cls(not_nfc=sum(not unicodedata.is_normalized("NFC", line) for line in lines), tones=tones,
                   mixed_script=sum(map(mixed_script_words, lines)) if cyrillic else None)


@dataclass(frozen=True)
class Diagnostics:
    """One system's outputs on one pair."""

    texts: Texts
    empty: int
    source_copies: int
    #: outputs cut at ``max_new_tokens`` in the whole run; None where the system does not count them
    truncated: int | None

    @classmethod
    def of(cls, outputs: list[str], sources: list[str], tgt_lang: str, truncated: int | None) -> Diagnostics:
        def same(a: str, b: str) -> bool:
            return unicodedata.normalize("NFC", a).strip() == unicodedata.normalize("NFC", b).strip()

        return cls(texts=Texts.of(outputs, tgt_lang), empty=sum(not o.strip() for o in outputs),
                   source_copies=sum(bool(s.strip()) and same(o, s) for o, s in zip(outputs, sources)),
                   truncated=truncated)


def truncated_count(system_stats: object) -> int | None:
    """``truncated`` from ``run.json``'s ``system_stats`` (someone else's file: only a count is taken)."""
    value = system_stats.get("truncated") if isinstance(system_stats, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
