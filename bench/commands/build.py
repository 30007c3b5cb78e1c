"""``python -m bench build``: raw bilingual documents -> the sentence-aligned reference set.

Reads ``raw_dir/*.txt`` (optionally refreshed from ``seeds_dir``), builds everything in memory and
only then writes ``out_dir/<src>-<tgt>.jsonl``, ``build_report.md`` and ``MANIFEST.json``, each
atomically. A failure (no raw folder, no documents, no pair at all) writes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, ListConfig

from bench.core.checks import whole_number
from bench.core.errors import BenchError
from bench.refset import embed
from bench.refset.builder import (
    CHECKED,
    Settings,
    build,
    choose_encoder,
    embeddings_setting,
    read_checked,
    read_raw,
)
from bench.refset.output import REPORT, output_files
from bench.refset.store import MANIFEST
from bench.store.io import atomic_write_bytes, atomic_write_json, atomic_write_text, read_json

log = logging.getLogger("bench.build")


def main(cfg: DictConfig) -> None:
    raw_dir, out_dir = Path(cfg.raw_dir), Path(cfg.out_dir)
    settings = _settings(cfg)
    raw, seeds = _raw_documents(raw_dir, cfg.seeds_dir)
    cache = Path(cfg.embedding_cache) if cfg.embedding_cache else None
    encoder = choose_encoder(settings) if cache else None  # the same object build() will use
    if encoder is not None:
        embed.load_cache(cache, encoder)
    result = build(raw, settings, read_checked(raw_dir), where=str(raw_dir))
    if cfg.record_check:
        result.checked = result.check_record()
    files = output_files(result)
    stale = _stale_pair_files(out_dir, files)

    for name, data in seeds.items():
        atomic_write_bytes(raw_dir / name, data)
    if cfg.record_check:
        atomic_write_json(raw_dir / CHECKED, result.checked)
    for name, text in files.items():
        atomic_write_text(out_dir / name, text)
    for path in stale:
        path.unlink()
    if encoder is not None:
        embed.save_cache(cache, encoder)

    for pair, rows in result.pairs().items():
        log.info("%s: %d rows -> %s", pair, len(rows), out_dir / f"{pair}.jsonl")
    for name, reason in sorted(result.excluded.items()):
        log.warning("excluded %s: %s", name, reason)
    log.info("report: %s", out_dir / REPORT)


def _settings(cfg: DictConfig) -> Settings:
    """The builder's settings, checked before any document is read (Hydra does not type-check them)."""
    languages = cfg.languages
    if not isinstance(languages, ListConfig) or not languages \
            or not all(isinstance(code, str) for code in languages):
        raise BenchError(f"languages={languages!r}: must be a non-empty list of language codes, "
                         "e.g. languages=[kk,vi]")
    confidence = cfg.min_confidence
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise BenchError(f"min_confidence={confidence!r}: must be a number from 0 to 1, e.g. 0.5")
    return Settings(
        languages=tuple(languages),
        min_confidence=float(confidence),
        embeddings=embeddings_setting(cfg.embeddings),
        encoder=str(cfg.encoder),
        gpu_encoder=str(cfg.gpu_encoder) if cfg.gpu_encoder else None,
        max_sentences=whole_number(cfg.max_sentences, "max_sentences"),
    )


def _raw_documents(raw_dir: Path, seeds_dir: str | None) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The documents to build from, and the seeds to copy into ``raw_dir`` once the build succeeds."""
    if not seeds_dir:
        return read_raw(raw_dir), {}
    seeds = read_raw(Path(seeds_dir))
    current = read_raw(raw_dir) if raw_dir.is_dir() and any(raw_dir.glob("*.txt")) else {}
    changed = {name: data for name, data in seeds.items() if current.get(name) != data}
    return {**current, **seeds}, changed


def _stale_pair_files(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Pair files the previous build listed that this build no longer makes."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return []
    try:
        previous = read_json(manifest).get("files", {})
    except BenchError:  # a damaged manifest is about to be replaced; it names nothing to remove
        return []
    return [out_dir / name for name in sorted(previous)
            if name not in files and name.endswith(".jsonl") and (out_dir / name).is_file()]
