"""Readers of human-judgment files, each giving :class:`Rated` rows in the file's own names.

Files come from elsewhere (WMT, an annotation agency, Pearmut), so each is read strictly: a row that
does not fit stops the import with one line naming the file and the row, and nothing is written.
Scores are turned "higher is better" here (MQM error weights are negated), so everything downstream
compares like with like. Matching the file's names to the test set and the runs is
:mod:`bench.human.importer`'s job, not a reader's.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.store.io import read_text

#: WMT MQM columns (google/wmt-mqm-human-evaluation), one row per error (or one ``No-error`` row)
MQM_COLUMNS = ("system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity")
AVG_COLUMNS = ("system", "mqm_avg_score", "seg_id")
#: error marks in the MQM files' source and target text
_MARKS = re.compile(r"</?v>")


@dataclass(frozen=True)
class Rated:
    """One rater's score of one system's translation of one segment, as the file names them."""

    system: str
    segment: str  # the file's segment id
    score: float  # higher is better
    rater: str | None
    #: the segment's source text, where the file has it (MQM), for matching by source
    source: str | None
    row: int  # line in the file, for messages


def mqm_weight(category: str, severity: str) -> float:
    """Freitag et al. (2021): Major 5, Major Non-translation 25, Minor 1, Minor Fluency/Punctuation 0.1,
    anything else (Neutral, No-error) 0."""
    sev, cat = severity.strip().lower(), category.strip().lower().rstrip("!")
    if sev == "major":
        return 25.0 if cat == "non-translation" else 5.0
    if sev == "minor":
        return 0.1 if cat == "fluency/punctuation" else 1.0
    return 0.0


def plain(text: str) -> str:
    """Source text as a test set holds it: error marks removed, runs of white space made one space."""
    return " ".join(_MARKS.sub("", text).split())


def _rows(path: Path, delimiter: str | None) -> list[list[str]]:
    """Fields of every non-empty line; tab-separated text is split on tabs only (quotes are text)."""
    text = read_text(path).removeprefix("\ufeff")
    if delimiter == "\t":
        return [line.rstrip("\r").split("\t") for line in text.split("\n") if line.strip()]
    if delimiter is None:
        return [line.split() for line in text.split("\n") if line.strip()]
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(f.strip() for f in row)]


def _header(path: Path, rows: list[list[str]], columns: tuple[str, ...]) -> dict[str, int]:
    found = [c.strip().lower() for c in rows[0]] if rows else []
    missing = [c for c in columns if c not in found]
    if missing:
        raise BenchError(f"{path}: row 1: the header lacks {', '.join(missing)}; the file needs the columns "
                         f"{' '.join(columns)}")
    return {c: found.index(c) for c in columns}


def _number(path: Path, row: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BenchError(f"{path}: row {row}: {what} {text!r} is not a finite number; fix or remove the row")
    return value


def _fields(path: Path, row: int, fields: list[str], width: int) -> list[str]:
    if len(fields) < width:
        raise BenchError(f"{path}: row {row}: {len(fields)} fields, expected {width}; the file is cut or "
                         "not in this format")
    return fields


def read_mqm(path: Path) -> list[Rated]:
    """The WMT MQM TSV: a segment's score for one rater is minus the sum of its error weights; a rater
    who found nothing has a ``No-error`` row and scores 0, and still counts in the average."""
    rows = _rows(path, "\t")
    col = _header(path, rows, MQM_COLUMNS)
    width = max(col.values()) + 1
    totals: dict[tuple[str, str, str], float] = {}
    first: dict[tuple[str, str, str], tuple[int, str]] = {}
    for number, fields in enumerate(rows[1:], start=2):
        fields = _fields(path, number, fields, width)
        system, segment, rater = (fields[col[c]].strip() for c in ("system", "seg_id", "rater"))
        if not system or not segment or not rater:
            raise BenchError(f"{path}: row {number}: system, seg_id and rater must not be empty")
        key = (system, segment, rater)
        totals[key] = totals.get(key, 0.0) + mqm_weight(fields[col["category"]], fields[col["severity"]])
        first.setdefault(key, (number, plain(fields[col["source"]])))
    return [Rated(s, g, -total + 0.0, r, first[(s, g, r)][1], first[(s, g, r)][0])
            for (s, g, r), total in totals.items()]


def read_mqm_avg(path: Path) -> list[Rated]:
    """``avg_seg_scores``: ``system mqm_avg_score seg_id``, already averaged and negated; ``None`` marks
    a segment nobody rated (left out)."""
    rows = _rows(path, None)
    col = _header(path, rows, AVG_COLUMNS)
    width = max(col.values()) + 1
    out = []
    for number, fields in enumerate(rows[1:], start=2):
        fields = _fields(path, number, fields, width)
        raw = fields[col["mqm_avg_score"]]
        if raw == "None":
            continue
        score = _number(path, number, raw, "mqm_avg_score")
        out.append(Rated(fields[col["system"]], fields[col["seg_id"]], score, None, None, number))
    return out


def read_esa(path: Path) -> list[Rated]:
    """ESA or DA scores as CSV: ``system, segment id, score[, rater]``, with or without a header."""
    rows = _rows(path, ",")
    if rows and not _is_number(rows[0][2] if len(rows[0]) > 2 else ""):
        rows = rows[1:]  # a header
        start = 2
    else:
        start = 1
    out = []
    for number, fields in enumerate(rows, start=start):
        fields = [f.strip() for f in _fields(path, number, fields, 3)]
        if len(fields) > 4 or not fields[0] or not fields[1]:
            raise BenchError(f"{path}: row {number}: expected system, segment id, score[, rater] with a "
                             "system and a segment id")
        score = _number(path, number, fields[2], "score")
        rater = fields[3] if len(fields) == 4 and fields[3] else None
        out.append(Rated(fields[0], fields[1], score, rater, None, number))
    return out


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


READERS: dict[str, Callable[[Path], list[Rated]]] = {"mqm": read_mqm, "mqm_avg": read_mqm_avg,
                                                     "esa": read_esa}
#: the scale each format's scores are on, stored with them: scores on different scales never mix
PROTOCOLS = {"mqm": "mqm", "mqm_avg": "mqm", "esa": "esa"}
