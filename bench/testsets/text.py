"""``format=text``: a source file and one file per reference, one segment per line, line-aligned.

The layout sacrebleu's command line reads (``sacrebleu ref1.txt ref2.txt -i hyp.txt``), so the same
files score the same in both. Line ``n`` of every file is segment ``n``: the files must have equal
line counts and no empty line (an empty line would shift nothing here but means a segment is missing).
"""

from __future__ import annotations

from bench.core.errors import BenchError
from bench.refset.store import PairOrigin
from bench.testsets.base import Imported, Lines, Request, Row, file_origin, segments


def read(request: Request) -> Imported:
    request.needs("src", "refs")
    pair = request.pair()
    source = Lines.read(request.src, "src")
    references = [Lines.read(ref, f"refs[{i}]") for i, ref in enumerate(request.refs)]
    if not source.lines:
        raise BenchError(f"{source.path}: empty; it must hold one segment per line")
    for ref in references:
        if len(ref.lines) != len(source.lines):
            raise BenchError(f"{ref.path}: {len(ref.lines)} lines, but the source {source.path} has "
                             f"{len(source.lines)}; the files must be line-aligned, one segment per line")
    rows = []
    for i, src in enumerate(source.lines):
        refs = tuple(ref.lines[i] for ref in references)
        empty = next((f for f, text in [(source, src), *zip(references, refs)] if not text.strip()), None)
        if empty is not None:
            raise BenchError(f"{empty.where(i)}: empty line; every line must hold one segment (fill it, or "
                             "remove that line from every file)")
        rows.append(Row(source.where(i), request.name, i, src, refs))
    origin = PairOrigin(file_origin("text", [source, *references]), request.source_side, {})
    return Imported(pair, segments(rows, pair), origin)
