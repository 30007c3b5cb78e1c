"""Where tiny checkpoints live: one folder per content key, built once, never seen half-built.

A tiny checkpoint is a pure function of its inputs (sizes, texts, seed, library versions), so its
folder is named by a hash of them: a change builds a new folder, an unchanged call returns at once.
Building happens in a temporary folder beside the final one and is renamed into place, so parallel
test sessions that build the same checkpoint never read a half-written one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.store.io import sha256_text


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages``: part of every key, since they shape what is saved."""
    return {name: metadata.version(name) for name in packages}


def built_once(out_dir: str | Path, prefix: str, spec: dict[str, Any], marker: str,
               build: Callable[[Path, Path], None]) -> Path:
    """``out_dir/<prefix>-<hash of spec>``, calling ``build(work, final)`` only if it is not there yet.

    ``marker`` is a file inside the folder whose presence means "complete"; ``build`` writes into
    ``work`` and gets ``final`` for paths that must be recorded inside the checkpoint.
    """
    out_dir = Path(out_dir).resolve()
    final = out_dir / f"{prefix}-{sha256_text(json.dumps(spec, sort_keys=True))[:16]}"
    if (final / marker).is_file():
        return final
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir))
    work.chmod(0o755)
    try:
        build(work, final)
        try:
            work.rename(final)
        except OSError:  # another process finished the same build first
            if not (final / marker).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final
