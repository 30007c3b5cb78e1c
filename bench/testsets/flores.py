"""``format=flores_plus``: FLORES+ (openlanguagedata/flores_plus), in its published layout.

One parquet file per language and split, ``<split>/<code>.parquet`` (``devtest/cmn_Hans.parquet``),
each with the columns ``id, iso_639_3, iso_15924, glottocode, text, url, domain, topic, ...``. The set
is multi-way parallel: the two languages are joined on ``id``, and both files must hold the same ids.
bench's codes become FLORES+ codes through the language registry (``zh`` -> ``cmn_Hans``).

FLORES+ was written in English and translated into every other language, so a source other than
English is itself a translation, and the manifest says so.
"""

from __future__ import annotations

from pathlib import Path

from bench.core.errors import BenchError
from bench.core.languages import language
from bench.refset.store import PairOrigin
from bench.testsets.base import Imported, Request, Row, segments
from bench.testsets.published import fetch

SPLITS = ("dev", "devtest")
COLUMNS = ("id", "iso_639_3", "iso_15924", "text")


def code(lang: str) -> str:
    row = language(lang, "format=flores_plus")
    if row.flores_plus is None:
        raise BenchError(f"format=flores_plus: language {lang!r} has no FLORES+ code in "
                         "bench/core/languages.py; "
                         "add it to its row (flores=...)")
    return row.flores_plus


def read(request: Request) -> Imported:
    pair = request.pair()
    if request.split not in SPLITS:
        raise BenchError(f"split={request.split}: FLORES+ has {' and '.join(SPLITS)}")
    names = [f"{request.split}/{code(lang)}.parquet" for lang in pair.langs]
    published = fetch(request, names)
    src, tgt = (_texts(published.file(name), name) for name in names)
    if src.keys() != tgt.keys():
        only = sorted(src.keys() ^ tgt.keys())[0]
        raise BenchError(f"{published.folder / names[0]} and {names[1]} hold different ids (e.g. {only}); "
                         "FLORES+ is parallel, each split has the same ids in every language")
    rows = [Row(f"{published.folder / names[0]} id {i}", request.split, i, src[i][0], (tgt[i][0],),
                src[i][1]) for i in sorted(src)]
    side = "original" if pair.src == "en" else "translated"
    return Imported(pair, segments(rows, pair), PairOrigin(published.origin, side, {}))


def _texts(file: Path, name: str) -> dict[int, tuple[str, str | None]]:
    """``id -> (text, domain)`` of one language file, checked against the layout."""
    from bench.refset.hub import read_records

    records = read_records(file)
    expected = Path(name).stem.split("_")
    texts: dict[int, tuple[str, str | None]] = {}
    for n, record in enumerate(records):
        where = f"{file} row {n}"
        missing = [c for c in COLUMNS if c not in record]
        if missing:
            raise BenchError(f"{where}: no column {missing[0]}; not a FLORES+ file")
        if [record["iso_639_3"], record["iso_15924"]] != expected:
            raise BenchError(f"{where}: language {record['iso_639_3']}_{record['iso_15924']}, but the file "
                             f"is {Path(name).stem}; not the published layout")
        ident, text = record["id"], record["text"]
        if not isinstance(ident, int) or isinstance(ident, bool) or ident < 0 or ident in texts:
            raise BenchError(f"{where}: id {ident!r} is not a new non-negative whole number")
        if not isinstance(text, str):
            raise BenchError(f"{where}: text is not a string")
        domain = record.get("domain")
        texts[ident] = (text, domain if isinstance(domain, str) and domain else None)
    return texts
