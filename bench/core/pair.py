"""A language pair, the one value type for ``zh-kk`` wherever a pair is parsed, joined or named.

Pair names come from files other people write (``MANIFEST.json``, ``run.json``, ``scores.json``, a
Hub dataset) and become file names (``references/<pair>.jsonl``, ``hypotheses/<pair>.txt``, a
parquet folder per pair). So a pair is validated once, where it is read: each side is a language code
of two or three lower-case letters with an optional script (``Hant``) or region (``BR``, ``419``)
subtag, BCP-47 style, and nothing else. No ``/``, ``..``, spaces or dots can pass, and because
subtags are never lower-case the split into source and target is unambiguous (``zh-Hant-pt-BR``).

``Pair`` is a ``str`` subclass: it is its own JSON key and file-name stem, and compares equal to the
plain string it was parsed from.
"""

from __future__ import annotations

import re

import yaml

from bench.core.errors import BenchError

#: one side of a pair: ``kk``, ``fil``, ``zh-Hant``, ``pt-BR``, ``es-419``
LANGUAGE = r"[a-z]{2,3}(?:-(?:[A-Z][a-z]{3}|[A-Z]{2}|[0-9]{3}))?"
_LANGUAGE = re.compile(LANGUAGE)
_PAIR = re.compile(f"({LANGUAGE})-({LANGUAGE})")


def check_language(code: object, where: str = "language") -> str:
    """``code`` if it is a language code as described above; else a one-line :class:`BenchError`."""
    if not isinstance(code, str) or not _LANGUAGE.fullmatch(code):
        raise BenchError(f"{where}: {code!r} is not a language code; write two or three lower-case "
                         "letters with an optional script or region subtag, e.g. kk, vi, zh-Hant")
    return code


class Pair(str):
    """``SRC-TGT``, validated on construction; ``.src`` and ``.tgt`` are the two language codes."""

    __slots__ = ()

    def __new__(cls, text: object, where: str = "pair") -> Pair:
        if isinstance(text, Pair):
            return text
        match = _PAIR.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise BenchError(f"{where}: {text!r} is not a language pair; write it as SRC-TGT with "
                             "language codes of 2-3 lower-case letters, e.g. zh-kk")
        return super().__new__(cls, text)

    @classmethod
    def of(cls, src: str, tgt: str, where: str = "pair") -> Pair:
        """The pair of two language codes (each checked)."""
        return cls(f"{check_language(src, where)}-{check_language(tgt, where)}", where)

    @property
    def src(self) -> str:
        return _PAIR.fullmatch(self).group(1)

    @property
    def tgt(self) -> str:
        return _PAIR.fullmatch(self).group(2)

    @property
    def langs(self) -> tuple[str, str]:
        return self.src, self.tgt


# A pair is written as the plain string it is wherever YAML is written (a dataset card's configs):
# PyYAML would otherwise tag a ``str`` subclass as a Python object no other reader can load.
for _dumper in (yaml.Dumper, yaml.SafeDumper):
    _dumper.add_representer(Pair, yaml.representer.SafeRepresenter.represent_str)
