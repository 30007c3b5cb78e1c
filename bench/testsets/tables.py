"""``format=tsv`` and ``format=jsonl``: one table, a row per segment, columns named by the user.

TSV: the first line names the columns, fields are separated by tabs, and no quoting is understood
(a text holding a tab cannot be stored, so none is guessed at). JSONL: one object per line, the source
and each reference a string field. ``src_col`` names the source column, ``ref_cols`` the reference
columns (several: several references per segment). Other columns are ignored.
"""

from __future__ import annotations

from bench.core.errors import BenchError
from bench.refset.store import PairOrigin
from bench.testsets.base import Imported, Lines, Request, Row, file_origin, json_object, segments


def read_tsv(request: Request) -> Imported:
    request.needs("file", "src_col", "ref_cols")
    table = Lines.read(request.file, "file")
    if not table.lines:
        raise BenchError(f"{table.path}: empty; the first line must name the columns")
    header = table.lines[0].split("\t")
    wanted = [request.src_col, *request.ref_cols]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise BenchError(f"{table.where(0)}: no column {missing[0]!r} in the header (columns: "
                         f"{', '.join(header)})")
    index = [header.index(c) for c in wanted]
    records = []
    for i, line in enumerate(table.lines[1:], start=1):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise BenchError(f"{table.where(i)}: {len(fields)} fields, the header has {len(header)}; "
                             "fields are separated by tabs, and a text cannot hold one")
        records.append((i, [fields[k] for k in index]))
    return _imported(request, table, records, "tsv")


def read_jsonl(request: Request) -> Imported:
    request.needs("file", "src_col", "ref_cols")
    table = Lines.read(request.file, "file")
    wanted = [request.src_col, *request.ref_cols]
    records = []
    for i, line in enumerate(table.lines):
        row = json_object(line, table.where(i))
        bad = next((c for c in wanted if not isinstance(row.get(c), str)), None)
        if bad is not None:
            raise BenchError(f"{table.where(i)}: field {bad!r} is missing or not a string")
        records.append((i, [row[c] for c in wanted]))
    return _imported(request, table, records, "jsonl")


def _imported(request: Request, table: Lines, records: list[tuple[int, list[str]]], fmt: str) -> Imported:
    pair = request.pair()
    rows = [Row(table.where(i), request.name, n, texts[0], tuple(texts[1:]))
            for n, (i, texts) in enumerate(records)]
    origin = PairOrigin(file_origin(fmt, [table]), request.source_side, {})
    return Imported(pair, segments(rows, pair), origin)
