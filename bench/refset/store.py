"""The reference set on disk: the contract between ``build`` and everything downstream.

``references/<src>-<tgt>.jsonl`` holds one :class:`Segment` per line, fields in schema order.
``references/MANIFEST.json`` records rows and sha256 per file; a pair's sha256 is the hash of its
canonical JSONL text, so a set loaded from the Hub hashes the same as the local file it came from,
and runs can tell whether they were made on the current test set.

Two optional parts extend the contract without changing a built set's bytes (so no stored run goes
stale): a segment with several references carries the second and later ones in ``more_refs`` (the
field is written only when it has any), and a manifest may name its test set (``testset``: name,
origin, whether the source side is original text or a translation), as ``python -m bench import``
writes it. A manifest without ``testset`` is the seed set's.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.store.io import inside, iter_jsonl, jsonl_text, read_json, sha256_file, sha256_text

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
    #: the second and later human references of the source, when the test set has several
    more_refs: tuple[str, ...] = ()

    @property
    def pair(self) -> Pair:
        return Pair.of(self.src_lang, self.tgt_lang)

    @property
    def refs(self) -> tuple[str, ...]:
        """Every reference, the first (``ref``) first."""
        return (self.ref, *self.more_refs)

    def to_row(self) -> dict:
        row = dataclasses.asdict(self)
        more = row.pop("more_refs")
        return {**row, "more_refs": list(more)} if more else row

    @classmethod
    def from_row(cls, row: dict, where: str) -> Segment:
        """A row of a pair file (written by anyone), checked field by field against the schema."""
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in row and n not in _ABSENT_OK]
        if missing:
            raise BenchError(f"{where}: row lacks {', '.join(missing)}; rebuild with `python -m bench build`")
        wrong = [n for n in names if n in row and not _fits(row[n], n)]
        if wrong:
            raise BenchError(f"{where}: field {wrong[0]} is {type(row[wrong[0]]).__name__}, not "
                             f"{_FIELD_TYPES[wrong[0]]}; rebuild with `python -m bench build`")
        values = {n: row[n] for n in names if n in row}
        return cls(**{**values, "more_refs": tuple(values.get("more_refs", ()))})


_OPTIONAL = {"date", "source"}
#: fields a row may leave out (older sets, sets with one reference)
_ABSENT_OK = {"more_refs"}
_FIELD_TYPES = {f.name: {"seg": "int", "more_refs": "a non-empty list of texts"}.get(f.name, "str")
                for f in dataclasses.fields(Segment)}


def _fits(value: object, name: str) -> bool:
    if value is None:
        return name in _OPTIONAL
    if name == "seg":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if name == "more_refs":
        return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def canonical_sha256(segments: list[Segment]) -> str:
    """Hash of the rows as the builder writes them; equal to the sha256 of the pair's file."""
    return sha256_text(jsonl_text(s.to_row() for s in segments))


_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PairFile:
    """One pair's entry in ``MANIFEST.json``."""

    rows: int
    sha256: str


#: a test set's name: it titles a leaderboard and becomes part of file names
SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
#: whether a test set's source side was written in its language or translated into it
SOURCE_SIDES = ("original", "translated", "unknown")


def check_set_name(name: object, where: str) -> str:
    """``name`` if it can name a test set; else one line saying what a name may hold."""
    if not isinstance(name, str) or not SET_NAME.fullmatch(name):
        raise BenchError(f"{where}: {name!r} is not a test-set name; use 1-64 letters, digits, '.', '_', "
                         "'+' or '-', starting with a letter or digit (e.g. flores-devtest)")
    return name


@dataclass(frozen=True)
class PairOrigin:
    """Where one pair of an imported test set came from."""

    #: ``{"format", "files": [{"path", "sha256"}, ...]}`` (the source first), plus ``repo_id`` and
    #: ``revision`` (the commit) for a Hub dataset
    origin: dict
    source_side: str  # one of SOURCE_SIDES
    #: rows of the input left out, by reason (WMT24++'s bad sources)
    left_out: dict[str, int]


@dataclass(frozen=True)
class SetInfo:
    """``MANIFEST.json``'s ``testset``: an imported test set's name and, per pair, its origin."""

    name: str
    pairs: dict[Pair, PairOrigin]

    def to_json(self) -> dict:
        return {"name": self.name, "pairs": {p: dataclasses.asdict(o) for p, o in sorted(self.pairs.items())}}

    @classmethod
    def parse(cls, data: object, where: str, fix: str) -> SetInfo:
        pairs = data.get("pairs") if isinstance(data, dict) else None
        if not isinstance(pairs, dict):
            raise BenchError(f"{where}: \"testset\" needs a name and its pairs; {fix}")
        parsed = {}
        for pair, entry in pairs.items():
            fits = (isinstance(entry, dict) and isinstance(entry.get("origin"), dict)
                    and entry.get("source_side") in SOURCE_SIDES and isinstance(entry.get("left_out"), dict))
            if not fits:
                raise BenchError(f"{where}: testset pair {pair!r} needs an origin, a source_side "
                                 f"({', '.join(SOURCE_SIDES)}) and left_out; {fix}")
            parsed[Pair(pair, f"{where}: testset pair")] = PairOrigin(
                entry["origin"], entry["source_side"], entry["left_out"])
        return cls(check_set_name(data.get("name"), f"{where}: testset name"), parsed)


@dataclass(frozen=True)
class Manifest:
    """``MANIFEST.json``: the pair files of a reference set and their hashes (plus the build record,
    kept as it is for the dataset card). Parsed where it is read: every file name must be
    ``<pair>.jsonl`` of a valid :class:`~bench.core.pair.Pair`, so no name from it can point elsewhere."""

    files: dict[Pair, PairFile]
    record: dict
    #: what an imported set is; None for a set made by ``build``
    testset: SetInfo | None = None

    @classmethod
    def parse(cls, data: object, where: str) -> Manifest:
        fix = "rebuild it with `python -m bench build` or restore it"
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise BenchError(f"{where}: not a reference-set manifest (no \"files\" object); {fix}")
        files: dict[Pair, PairFile] = {}
        for name, entry in data["files"].items():
            if not name.endswith(".jsonl"):
                raise BenchError(f"{where}: file {name!r} is not <pair>.jsonl; {fix}")
            pair = Pair(name.removesuffix(".jsonl"), f"{where}: file {name!r}")
            rows = entry.get("rows") if isinstance(entry, dict) else None
            digest = entry.get("sha256") if isinstance(entry, dict) else None
            if (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0
                    or not isinstance(digest, str) or not _SHA256.fullmatch(digest)):
                raise BenchError(f"{where}: entry {name!r} needs a row count and a sha256; {fix}")
            files[pair] = PairFile(rows, digest)
        info = SetInfo.parse(data["testset"], where, fix) if "testset" in data else None
        return cls(files=files, record=data, testset=info)


class TestSet(Protocol):
    """Where a run reads its references from: the local folder (default) or a Hub dataset."""

    name: str

    def pairs(self) -> list[Pair]: ...

    def load(self, pair: str) -> list[Segment]: ...

    def sha256(self, pair: str) -> str: ...


#: the seed reference set shipped inside the package (in a checkout, a link to ``references/``)
PACKAGED = Path(__file__).resolve().parent.parent / "references"


def default_references() -> Path:
    """``./references`` when the working directory has a built set, else the set bench ships with,
    so an installed ``bench`` runs from any folder."""
    here = Path("references")
    return here if (here / MANIFEST).is_file() else PACKAGED


class LocalReferences:
    """``references/`` as written by ``python -m bench build``; ``path=None``: :func:`default_references`."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_references()
        # absolute: runs record it, and the leaderboard finds the set again from any working directory
        self.name = f"local:{os.path.abspath(self.path)}"

    def manifest(self) -> Manifest:
        file = self.path / MANIFEST
        if not file.is_file():
            raise BenchError(
                f"{file}: no reference set here; build it with `python -m bench build` "
                "or point dataset.path at a built one"
            )
        return Manifest.parse(read_json(file), str(file))

    def pairs(self) -> list[Pair]:
        return sorted(self.manifest().files)

    def title(self) -> str:
        """The test set's name: an imported set's own, else its folder's (``references``)."""
        info = self.manifest().testset
        return info.name if info else self.path.resolve().name

    def sha256(self, pair: str) -> str:
        return self._entry(pair).sha256

    def _entry(self, pair: str) -> PairFile:
        files = self.manifest().files
        entry = files.get(pair)
        if entry is None:
            raise BenchError(f"{self.path / MANIFEST}: no pair '{pair}'; "
                             f"available: {', '.join(sorted(files))}")
        return entry

    def load(self, pair: str) -> list[Segment]:
        entry = self._entry(pair)
        file = inside(self.path, f"{Pair(pair)}.jsonl")
        if not file.is_file():
            raise BenchError(f"{file}: listed in {MANIFEST} but missing; run `python -m bench build`")
        if sha256_file(file) != entry.sha256:
            raise BenchError(
                f"{file}: contents differ from {MANIFEST} (edited by hand?); "
                "rebuild with `python -m bench build`"
            )
        where = str(file)
        segments = [Segment.from_row(row, where) for row in iter_jsonl(file)]
        foreign = [s.id for s in segments if s.pair != pair]
        if foreign:
            raise BenchError(f"{file}: row {foreign[0]} belongs to another pair; "
                             "rebuild with `python -m bench build`")
        return segments
