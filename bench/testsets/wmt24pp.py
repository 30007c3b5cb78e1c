"""``format=wmt24pp``: WMT24++ (google/wmt24pp), in its published layout.

One JSONL file per pair, ``<lp>.jsonl`` (``en-vi_VN.jsonl``), one object per segment with ``lp,
domain, document_id, segment_id, is_bad_source, source, target, original_target``. The reference is
``target`` (the post-edited translation the set's authors recommend); ``original_target`` is kept out.
Segments marked ``is_bad_source`` are left out, as the authors advise, and counted in the manifest.
The target locale's language (``vi`` of ``vi_VN``) must be a row of the registry. English is the
original side.
"""

from __future__ import annotations

import re

from bench.core.errors import BenchError
from bench.core.languages import language
from bench.core.pair import Pair
from bench.refset.store import PairOrigin
from bench.testsets.base import Imported, Lines, Request, Row, json_object, segments
from bench.testsets.published import fetch

LP = re.compile(r"(en)-([a-z]{2,3})_([A-Z]{2})")
FIELDS = ("lp", "domain", "document_id", "segment_id", "is_bad_source", "source", "target")


def read(request: Request) -> Imported:
    request.needs("lp")
    match = LP.fullmatch(request.lp)
    if match is None:
        raise BenchError(f"lp={request.lp}: a WMT24++ pair is en-<language>_<REGION>, e.g. en-vi_VN")
    src, tgt = match[1], match[2]
    for key, code in (("src_lang", src), ("tgt_lang", tgt)):
        given = getattr(request, key)
        if given not in (None, code):
            raise BenchError(f"{key}={given} contradicts lp={request.lp}; leave it out")
        language(code, f"lp={request.lp}")
    pair = Pair.of(src, tgt)
    name = f"{request.lp}.jsonl"
    published = fetch(request, [name])
    table = Lines.read(published.file(name), "path")
    rows, bad = [], 0
    for i, line in enumerate(table.lines):
        record = _record(line, table.where(i), request.lp)
        if record["is_bad_source"]:
            bad += 1
            continue
        rows.append(Row(table.where(i), record["document_id"], record["segment_id"], record["source"],
                        (record["target"],), record["domain"]))
    origin = PairOrigin(published.origin, "original", {"is_bad_source": bad} if bad else {})
    notes = [f"{bad} segment(s) marked is_bad_source left out"] if bad else []
    return Imported(pair, segments(rows, pair), origin, notes)


def _record(line: str, where: str, lp: str) -> dict:
    """One row, checked against the published schema."""
    record = json_object(line, where)
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise BenchError(f"{where}: no field {missing[0]}; not a WMT24++ file")
    types = {"lp": str, "domain": str, "document_id": str, "segment_id": int, "is_bad_source": bool,
             "source": str, "target": str}
    wrong = next((f for f, kind in types.items() if not isinstance(record[f], kind)
                  or (kind is int and (isinstance(record[f], bool) or record[f] < 0))), None)
    if wrong is not None:
        raise BenchError(f"{where}: field {wrong} is {type(record[wrong]).__name__}, not "
                         f"{types[wrong].__name__}; not a WMT24++ file")
    if record["lp"] != lp:
        raise BenchError(f"{where}: lp is {record['lp']}, not {lp}")
    return record
