"""Reference sets as ``bench build`` writes them (pair files and MANIFEST.json), made by hand for a test."""

from __future__ import annotations

from pathlib import Path

from bench.refset.store import Segment, canonical_sha256
from bench.store.io import atomic_write_json, atomic_write_text, jsonl_text


def segments_of(pair: str, rows: list[tuple[str, str]], doc_id: str = "doc") -> list[Segment]:
    """Rows of ``(src, ref)`` as the segments of one document."""
    src_lang, tgt_lang = pair.split("-")
    return [Segment(id=f"{doc_id}-{i:03d}", doc_id=doc_id, seg=i, src_lang=src_lang, tgt_lang=tgt_lang,
                    src=src, ref=ref, kind="body", date="2021-01-08", source="example.org", bead="1-1")
            for i, (src, ref) in enumerate(rows)]


def write_reference_set(folder: Path, segments: dict[str, list[Segment]], manifest: dict | None = None,
                        report: str | None = None) -> Path:
    """A reference set as ``build`` writes it: pair files, MANIFEST.json (``manifest`` adds keys),
    and, when given, build_report.md."""
    files = {}
    for pair, rows in segments.items():
        atomic_write_text(folder / f"{pair}.jsonl", jsonl_text(s.to_row() for s in rows))
        files[f"{pair}.jsonl"] = {"rows": len(rows), "sha256": canonical_sha256(rows)}
    atomic_write_json(folder / "MANIFEST.json", {**(manifest or {}), "files": files})
    if report is not None:
        atomic_write_text(folder / "build_report.md", report)
    return folder


def write_references(folder: Path, pairs: dict[str, list[tuple[str, str]]]) -> dict[str, list[Segment]]:
    """A small reference set from ``{pair: [(src, ref), ...]}``; returns its segments."""
    segments = {pair: segments_of(pair, rows) for pair, rows in pairs.items()}
    write_reference_set(folder, segments)
    return segments


ROWS = [("今天天气很好。", "Бүгін ауа райы өте жақсы."), ("你好。", "Сәлем."),
        ("今天天气很好。", "Бүгін жақсы.")]
