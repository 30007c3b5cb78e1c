"""Sentence splitting, one paragraph at a time, with rules per writing system.

The aligner works on sentences, so a wrong split costs at worst a 2-1 bead while a missed split
costs little more; the rules therefore split only where a sentence surely ends:

* Chinese and Japanese end sentences with ``。！？`` (full or half width); closing quotes and
  brackets after the mark stay with the sentence (``“人心齐,泰山移”。``). Semicolons and ellipses do
  not split: they join clauses of one sentence, and where a translator made two sentences of one the
  aligner's 1-2 bead absorbs it.
* Space-separated languages end a sentence at ``.!?`` followed by white space. A period inside a
  token never splits, so decimals and thousands separators (``20.6``, ``1.790``) and ``v.v.,`` are
  safe. A lower-case next word does not prevent a split (the Kazakh seeds have ``... мөрәлі. бұдан
  былай``); abbreviations do: those that introduce a name (``Dr.``, ``TP.``) never end a sentence,
  those that can (``v.v.``, ``etc.``) end one only before a capital.
"""

from __future__ import annotations

import functools
import re

from bench.core.languages import Language, language

CLOSERS = "”’」』）)】》»›\"'"
_CJK_END = re.compile(f"[。！？!?]+[{re.escape(CLOSERS)}]*")


@functools.cache
def _spaced_end(marks: str) -> re.Pattern:
    """A sentence end in a spaced language: ``.!?…`` or the row's own marks (``။``), then white space."""
    return re.compile(f"(?P<mark>[.!?…{re.escape(marks)}]+)(?P<closers>[{re.escape(CLOSERS)}]*)\\s+")


# Titles before a name that never end a sentence in any language; each language adds its own
# abbreviations in its row of bench/core/languages.py.
_TITLES = frozenset({"Dr.", "Prof.", "Mr.", "Mrs.", "Ms.", "St."})
_INITIALISM = re.compile(r"^(?:\w\.){2,}$")  # U.S., v.v., т.б.


def split_sentences(paragraph: str, lang: str) -> list[str]:
    """The sentences of one paragraph, each stripped, none empty."""
    row = language(lang, "sentence splitting")
    if not row.spaced:
        return _split_cjk(paragraph)
    return _split_spaced(paragraph, row)


def _split_cjk(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _CJK_END.finditer(text):
        sentences.append(text[start:match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _split_spaced(text: str, row: Language) -> list[str]:
    sentences, start = [], 0
    for match in _spaced_end(row.sentence_ends).finditer(text):
        if _ends_sentence(text[start:match.start("mark")], match, text[match.end():], row):
            sentences.append(text[start:match.end("closers")])
            start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _ends_sentence(before: str, match: re.Match, after: str, row: Language) -> bool:
    """Whether the mark in ``match`` ends the sentence that began with ``before``."""
    next_word = after.split(maxsplit=1)[0] if after.strip() else ""
    if not next_word:
        return True
    lower_next = next_word[0].islower()
    if match["mark"] != ".":
        # "!", "?" or an ellipsis: a lower-case word after a closing quote or an ellipsis
        # continues the sentence (« ... !» деді ол; "wait... and see").
        return not (lower_next and (match["closers"] or "…" in match["mark"] or ".." in match["mark"]))
    if match["closers"] and lower_next:
        return False
    words = before.split()
    if not words:
        return False
    token = words[-1] + "."
    if token in _TITLES or token in row.prefix_abbreviations or _is_initial(token):
        return False
    if token in row.final_abbreviations or _INITIALISM.match(token):
        return next_word[0].isupper()
    return not (len(words) == 1 and words[0].isdigit())  # "1. " numbers a list item


def _is_initial(token: str) -> bool:
    """A single capital and a period (``J.``), as in a person's name."""
    return len(token) == 2 and token[0].isupper()


def join_sentences(sentences: list[str], lang: str) -> str:
    """Sentences back into one text: no separator in Chinese and Japanese, a space elsewhere."""
    return (" " if language(lang, "sentence splitting").spaced else "").join(sentences)
