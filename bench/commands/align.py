"""``python -m bench align src=FILE tgt=FILE src_lang=zh tgt_lang=en [out=FILE]``: align pre-split text.

Reads two files of one sentence per line and writes one bead per line in Vecalign's format,
``[0]:[0, 1]:-3.2140`` (0-based line numbers of each side, empty brackets for a 1-0 or 0-1 bead, the
bead's cost), with the engine, encoder and settings ``build`` uses. This is how the aligner is compared
with Vecalign and Bertalign on their benchmarks (``scripts/benchmark_align.py``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from omegaconf import DictConfig

from bench.core.checks import whole_number
from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.refset import embed
from bench.refset.align import Bead, Unit, check_size
from bench.refset.builder import Settings, align_document, choose_encoder, embeddings_setting
from bench.store.io import atomic_write_text, read_text

log = logging.getLogger("bench.align")


def main(cfg: DictConfig) -> None:
    pair = Pair.of(cfg.src_lang, cfg.tgt_lang, "src_lang/tgt_lang")
    src, tgt = read_sentences(Path(cfg.src), "src"), read_sentences(Path(cfg.tgt), "tgt")
    check_size(len(src), len(tgt), whole_number(cfg.max_sentences, "max_sentences"), f"{cfg.src} / {cfg.tgt}")
    encoder = choose_encoder(Settings((), 0.0, embeddings_setting(cfg.embeddings), str(cfg.encoder),
                                      gpu_encoder=str(cfg.gpu_encoder) if cfg.gpu_encoder else None))
    if encoder is not None and cfg.embedding_cache:
        embed.load_cache(Path(cfg.embedding_cache), encoder)
    sides = None if encoder is None else embed.Sides(src, pair.src, tgt, pair.tgt, encoder)
    _, beads = align_document([Unit(s) for s in src], [Unit(t) for t in tgt], sides)
    if encoder is not None and cfg.embedding_cache:
        embed.save_cache(Path(cfg.embedding_cache), encoder)
    text = "".join(f"{vecalign_line(bead)}\n" for bead in beads)
    if cfg.out:
        atomic_write_text(cfg.out, text)
        log.info("%d beads -> %s (encoder: %s)", len(beads), cfg.out, encoder.name if encoder else "none")
    else:
        sys.stdout.write(text)


def read_sentences(path: Path, setting: str) -> list[str]:
    """One sentence per line; a file with no sentence or with a blank line is refused, since every
    line number is an index in the output."""
    lines = read_text(path).splitlines()
    if not any(line.strip() for line in lines):
        raise BenchError(f"{path}: no sentences; {setting}= must name a file of one sentence per line")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BenchError(f"{path}:{number}: blank line; write one sentence per line, with no blank lines")
    return lines


def vecalign_line(bead: Bead) -> str:
    return f"{list(bead.src)}:{list(bead.tgt)}:{bead.cost:.4f}"
