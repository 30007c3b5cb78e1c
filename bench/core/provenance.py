"""Where a result came from: time, git commit, package versions, device.

Stamped into every ``run.json`` so a number on a leaderboard can be traced back and reproduced.
Nothing here imports torch: device detection asks only if torch is already imported or cheaply
importable by the caller (see :func:`device_info`).
"""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "bench", "torch", "transformers", "sacrebleu", "unbabel-comet", "datasets", "hydra-core",
    "huggingface-hub", "tokenizers", "sentencepiece", "numpy",
)


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the bench checkout (with ``+dirty`` if it has local changes), or None."""
    where = where or Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where, capture_output=True, text=True, timeout=5,
        )
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }
