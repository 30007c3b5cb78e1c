"""The reference set on disk: the contract between ``build`` and everything downstream.

``references/<src>-<tgt>.jsonl`` holds one :class:`Segment` per line, fields in schema order.
``references/MANIFEST.json`` records rows and sha256 per file; a pair's sha256 is the hash of its
canonical JSONL text, so a set loaded from the Hub hashes the same as the local file it came from,
and runs can tell whether they were made on the current test set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.errors import BenchError
from bench.io import iter_jsonl, jsonl_text, read_json, sha256_file, sha256_text

MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class Segment:
    """One aligned unit: a Chinese source and its human reference (one or more sentences each)."""

    id: str  # stable across builds: "<doc_id>-<seg:03d>"
    doc_id: str
    seg: int  # index of the segment within its document
    src_lang: str
    tgt_lang: str
    src: str
    ref: str
    kind: str  # "title" or "body"
    date: str | None  # ISO date of the article, when the page shows one
    source: str | None  # site the article was published on, when the page shows one
    bead: str  # alignment bead, "<n src sentences>-<n ref sentences>", e.g. "1-2"

    @property
    def pair(self) -> str:
        return pair_name(self.src_lang, self.tgt_lang)

    def to_row(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_row(cls, row: dict, where: str) -> Segment:
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in row]
        if missing:
            raise BenchError(f"{where}: row lacks {', '.join(missing)}; rebuild with `python -m bench build`")
        return cls(**{n: row[n] for n in names})


def pair_name(src_lang: str, tgt_lang: str) -> str:
    return f"{src_lang}-{tgt_lang}"


def split_pair(pair: str) -> tuple[str, str]:
    src, sep, tgt = pair.partition("-")
    if not sep or not src or not tgt:
        raise BenchError(f"'{pair}' is not a language pair; write it as SRC-TGT, e.g. zh-kk")
    return src, tgt


def canonical_sha256(segments: list[Segment]) -> str:
    """Hash of the rows as the builder writes them; equal to the sha256 of the pair's file."""
    return sha256_text(jsonl_text(s.to_row() for s in segments))


class TestSet(Protocol):
    """Where a run reads its references from: the local folder (default) or a Hub dataset."""

    name: str

    def pairs(self) -> list[str]: ...

    def load(self, pair: str) -> list[Segment]: ...

    def sha256(self, pair: str) -> str: ...


class LocalReferences:
    """``references/`` as written by ``python -m bench build``."""

    def __init__(self, path: str | Path = "references") -> None:
        self.path = Path(path)
        self.name = f"local:{self.path}"

    def manifest(self) -> dict:
        file = self.path / MANIFEST
        if not file.is_file():
            raise BenchError(
                f"{file}: no reference set here; build it with `python -m bench build` "
                "or point dataset.path at a built one"
            )
        return read_json(file)

    def pairs(self) -> list[str]:
        return sorted(name.removesuffix(".jsonl") for name in self.manifest()["files"])

    def sha256(self, pair: str) -> str:
        return self._entry(pair)["sha256"]

    def _entry(self, pair: str) -> dict:
        files = self.manifest()["files"]
        entry = files.get(f"{pair}.jsonl")
        if entry is None:
            known = ", ".join(sorted(n.removesuffix(".jsonl") for n in files))
            raise BenchError(f"{self.path / MANIFEST}: no pair '{pair}'; available: {known}")
        return entry

    def load(self, pair: str) -> list[Segment]:
        entry = self._entry(pair)
        file = self.path / f"{pair}.jsonl"
        if not file.is_file():
            raise BenchError(f"{file}: listed in {MANIFEST} but missing; run `python -m bench build`")
        if sha256_file(file) != entry["sha256"]:
            raise BenchError(
                f"{file}: contents differ from {MANIFEST} (edited by hand?); "
                "rebuild with `python -m bench build`"
            )
        where = str(file)
        return [Segment.from_row(row, where) for row in iter_jsonl(file)]
