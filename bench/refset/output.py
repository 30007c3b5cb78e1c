"""The files of a built reference set, as names and contents, in the order they must be written."""

from __future__ import annotations

from bench.refset.builder import Build
from bench.refset.report import render
from bench.refset.store import MANIFEST
from bench.store.io import dumps_json, jsonl_text

REPORT = "build_report.md"


def output_files(build: Build) -> dict[str, str]:
    """File name -> contents: the pair files, the report, and MANIFEST.json last, since it commits the
    set (readers trust the pair files only through the hashes it lists)."""
    files = {f"{pair}.jsonl": jsonl_text(s.to_row() for s in rows) for pair, rows in build.pairs().items()}
    files[REPORT] = render(build)
    files[MANIFEST] = dumps_json(build.manifest())
    return files
