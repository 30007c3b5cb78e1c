"""``python -m bench import``: a pre-aligned test set -> a reference folder bench runs on.

Reads the user's files (or FLORES+ / WMT24++, locally or from the Hub) with the reader of ``format``
(:mod:`bench.testsets`) and writes ``out_dir/<pair>.jsonl`` and ``MANIFEST.json``, which
``dataset.path=out_dir`` then serves to ``run``, ``score``, ``leaderboard`` and ``publish``. A bad
input is one line naming its file and line, and nothing is written.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

from bench.core.errors import BenchError
from bench.refset.store import SOURCE_SIDES
from bench.testsets import READERS
from bench.testsets.base import Request
from bench.testsets.output import write

log = logging.getLogger("bench.import")


def request(cfg: DictConfig) -> Request:
    """The settings as the readers take them; an unknown format or source side is refused here."""
    if cfg.format not in READERS:
        raise BenchError(f"format={cfg.format}: choose one of {', '.join(READERS)}")
    if cfg.source_side not in SOURCE_SIDES:
        raise BenchError(f"source_side={cfg.source_side}: choose one of {', '.join(SOURCE_SIDES)}")
    for key in ("refs", "ref_cols"):
        if isinstance(cfg[key], str):
            raise BenchError(f"{key} is a list: {key}=[{cfg[key]}]")
    plain = {key: (str(cfg[key]) if cfg[key] is not None else None)
             for key in ("format", "name", "src_lang", "tgt_lang", "src", "file", "src_col", "path",
                         "repo_id", "revision", "split", "lp", "source_side")}
    lists = {key: tuple(map(str, cfg[key] or ())) for key in ("refs", "ref_cols")}
    return Request(**plain, **lists)


def main(cfg: DictConfig) -> None:
    wanted = request(cfg)
    imported = READERS[wanted.format](wanted)
    out_dir = Path(cfg.out_dir)
    path = write(out_dir, wanted.name, imported)
    refs = len(imported.segments[0].refs)
    notes = "".join(f"; {note}" for note in imported.notes)
    print(f"{wanted.name} {imported.pair}: {len(imported.segments)} segments, {refs} reference(s) each"
          f"{notes} -> {path}\nuse it with dataset.path={out_dir}, e.g. python -m bench run model=NAME "
          f"dataset.path={out_dir}")
