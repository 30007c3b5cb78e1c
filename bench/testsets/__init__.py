"""Pre-aligned test sets brought by the user, read for ``python -m bench import``.

A test set someone else aligned (a pair of line-aligned files, a TSV or JSONL table, FLORES+,
WMT24++) is already what bench needs: one segment per row, source beside its references. It is taken
as it is: nothing re-split, re-aligned or cleaned, rows in the order given, ids derived from the
row's place in its input (or the input's own ids), so importing the same files twice gives the same
bytes. Each format is one reader module with a ``read(request) -> Imported`` function, listed in
:data:`READERS`; a new format is one more module.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.testsets import flores, tables, text, wmt24pp
from bench.testsets.base import Imported, Request

READERS: dict[str, Callable[[Request], Imported]] = {
    "text": text.read,
    "tsv": tables.read_tsv,
    "jsonl": tables.read_jsonl,
    "flores_plus": flores.read,
    "wmt24pp": wmt24pp.read,
}
