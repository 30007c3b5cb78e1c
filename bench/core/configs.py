"""The configurations shipped with bench: where they are, and what each config group offers.

The folder is inside the package (``bench/configs``, a link to the top-level ``configs/`` in a checkout),
so an installed wheel has it too. Every place that lists a group's choices (help, override checks, the
metrics) asks :func:`shipped`, so a new model or metric is one YAML file and nothing else.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def shipped(group: str) -> list[str]:
    """The options of config group ``group`` (``model``, ``metric``, ``dataset``, ...), by file name."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
