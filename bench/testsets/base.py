"""What every reader shares: the request it serves, what it returns, and the checks of its rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.core.errors import BenchError
from bench.core.languages import language
from bench.core.pair import Pair
from bench.refset.store import PairOrigin, Segment, check_set_name
from bench.store.io import sha256_bytes


@dataclass(frozen=True)
class Request:
    """The settings of one import (``configs/import.yaml``); each reader uses the ones of its format."""

    format: str
    name: str
    src_lang: str | None = None
    tgt_lang: str | None = None
    src: str | None = None  # text: the source file
    refs: tuple[str, ...] = ()  # text: the reference files
    file: str | None = None  # tsv, jsonl
    src_col: str | None = None
    ref_cols: tuple[str, ...] = ()
    path: str | None = None  # flores_plus, wmt24pp: a local folder in the published layout
    repo_id: str | None = None  # ... or the Hub dataset
    revision: str | None = None
    split: str = "devtest"  # flores_plus
    lp: str | None = None  # wmt24pp: en-vi_VN
    source_side: str = "unknown"

    def __post_init__(self) -> None:
        check_set_name(self.name, "name")

    def pair(self) -> Pair:
        """``src_lang-tgt_lang``, both required and both rows of bench/core/languages.py."""
        for key in ("src_lang", "tgt_lang"):
            code = getattr(self, key)
            if code is None:
                raise BenchError(f"{key} is required for format={self.format}: pass {key}=CODE, e.g. "
                                 "src_lang=zh tgt_lang=en")
            language(code, key)
        return Pair.of(self.src_lang, self.tgt_lang, "src_lang/tgt_lang")

    def needs(self, *keys: str) -> None:
        """One line for the first setting this format needs that was not given."""
        for key in keys:
            if not getattr(self, key):
                raise BenchError(f"{key} is required for format={self.format}; see "
                                 "`python -m bench import --help`")


@dataclass(frozen=True)
class Row:
    """One segment as a reader found it; ``where`` names its file and line for error messages."""

    where: str
    doc_id: str
    seg: int
    src: str
    refs: tuple[str, ...]
    source: str | None = None  # the row's site or domain, when the input names one


@dataclass
class Imported:
    """One pair of a test set, ready to be written."""

    pair: Pair
    segments: list[Segment]
    origin: PairOrigin
    notes: list[str] = field(default_factory=list)


def segments(rows: list[Row], pair: Pair) -> list[Segment]:
    """The rows as segments, refused (naming the row) when a text is empty or an id repeats."""
    if not rows:
        raise BenchError(f"{pair}: the input holds no rows; nothing to import")
    seen: dict[str, str] = {}
    out = []
    for row in rows:
        for role, value in [("source", row.src), *(("reference", r) for r in row.refs)]:
            if not value.strip():
                raise BenchError(f"{row.where}: empty {role}; every row needs a source and each reference "
                                 "(fill it, or remove the row from every file)")
        segment = Segment(id=f"{row.doc_id}-{row.seg:03d}", doc_id=row.doc_id, seg=row.seg,
                          src_lang=pair.src, tgt_lang=pair.tgt, src=row.src.strip(),
                          ref=row.refs[0].strip(), kind="body", date=None, source=row.source, bead="1-1",
                          more_refs=tuple(r.strip() for r in row.refs[1:]))
        if segment.id in seen:
            raise BenchError(f"{row.where}: segment id {segment.id} repeats that of {seen[segment.id]}; "
                             "ids must be unique")
        seen[segment.id] = row.where
        out.append(segment)
    return out


def decode(data: bytes, where: Path | str) -> str:
    """UTF-8 text, or one line naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BenchError(f"{where}:{line}: not valid UTF-8 (byte {exc.start}); re-save the file as "
                         "UTF-8") from None


def read_bytes(path: Path, setting: str) -> bytes:
    """A regular file's bytes; a folder, a device or a missing file is one line naming the setting."""
    if not path.is_file():
        raise BenchError(f"{setting}={path}: no such file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BenchError(f"{setting}={path}: cannot read ({exc.strerror})") from None


@dataclass(frozen=True)
class Lines:
    """A text file as lines and its sha256. Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (Python's universal
    newlines, as sacrebleu reads files) and nowhere else; the final one and a byte-order mark are dropped."""

    path: Path
    lines: list[str]
    sha256: str

    @classmethod
    def read(cls, path: str | Path, setting: str) -> Lines:
        path = Path(path)
        data = read_bytes(path, setting)
        text = decode(data, path).removeprefix("\ufeff")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(path, lines, sha256_bytes(data))

    def where(self, index: int) -> str:
        return f"{self.path}:{index + 1}"


def file_origin(fmt: str, files: list[Lines]) -> dict:
    """The origin of a set read from local files: their paths and hashes, the source first."""
    return {"format": fmt, "files": [{"path": str(lines.path), "sha256": lines.sha256} for lines in files]}


def json_object(line: str, where: str) -> dict:
    """One line of a JSONL file as an object, or one line naming where it is not one."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, or a number beyond Python's digit limit
        raise BenchError(f"{where}: not a JSON object (one per line)") from None
    if not isinstance(row, dict):
        raise BenchError(f"{where}: not a JSON object (one per line)")
    return row
