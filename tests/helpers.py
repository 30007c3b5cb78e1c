"""Helpers shared by tests that drive the command line the way users do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.io import atomic_write_json, atomic_write_jsonl
from bench.refset.store import Segment, canonical_sha256

ROOT = Path(__file__).resolve().parent.parent
#: offline like this machine, quiet progress bars, and one torch thread: the tiny models' matrices are
#: too small to split, and two spinning OpenMP threads on a busy machine made runs 9x slower.
TEST_ENV = {"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}


def bench(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
          cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m bench ARGS`` in a subprocess and capture its output."""
    full_env = {**os.environ, **TEST_ENV, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def write_references(folder: Path, pairs: dict[str, list[tuple[str, str]]]) -> dict[str, list[Segment]]:
    """A small reference set in the format ``build`` writes: ``{pair: [(src, ref), ...]}``."""
    out: dict[str, list[Segment]] = {}
    files = {}
    for pair, rows in pairs.items():
        src_lang, tgt_lang = pair.split("-")
        segments = [
            Segment(id=f"doc-{i:03d}", doc_id="doc", seg=i, src_lang=src_lang, tgt_lang=tgt_lang,
                    src=src, ref=ref, kind="body", date="2021-01-08", source="example.org", bead="1-1")
            for i, (src, ref) in enumerate(rows)
        ]
        atomic_write_jsonl(folder / f"{pair}.jsonl", [s.to_row() for s in segments])
        files[f"{pair}.jsonl"] = {"rows": len(segments), "sha256": canonical_sha256(segments)}
        out[pair] = segments
    atomic_write_json(folder / "MANIFEST.json", {"files": files})
    return out
