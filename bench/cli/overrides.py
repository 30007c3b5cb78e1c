"""Early, one-line errors for config-group choices Hydra would reject with a wall of text.

``model=nllb-typo`` makes Hydra print a multi-line composition error. Checking the named YAML files
before Hydra starts gives a single line that lists the valid names instead.
"""

from __future__ import annotations

import re

from bench.core.configs import shipped
from bench.core.errors import BenchError

GROUPS = ("model", "metric", "dataset", "experiment")
_CHOICE = re.compile(r"^[+~]?(?P<group>" + "|".join(GROUPS) + r")=(?P<value>.*)$")


def _values(raw: str) -> list[str]:
    """``a`` / ``[a,b]`` / ``a,b`` (a sweep) -> names; other Hydra syntax is left to Hydra."""
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    if any(ch in raw for ch in "()${}"):
        return []
    return [v.strip().strip("'\"") for v in raw.split(",") if v.strip()]


def check_overrides(command: str, args: list[str], needs_model: bool = True) -> None:
    """Refuse an override that names a config file that does not exist (or ``run`` without a model to
    run, unless it only shows something: ``--hydra-help``, ``--info``), before Hydra says so in a page."""
    sweep = any(a in ("-m", "--multirun") for a in args)
    if command == "run" and any(a.startswith("+experiment=") for a in args) and not sweep:
        raise BenchError("an experiment is a sweep over models; run it with -m: "
                         "python -m bench -m run +experiment=NAME")
    if any(a.startswith("metric=") for a in args) and any(a.startswith("+metric=") for a in args):
        raise BenchError("metric=[...] replaces the metric list and +metric= adds to the default one; "
                         "choose all metrics in one list, e.g. 'metric=[bleu,ter]'")
    chooses_model = any(a.startswith(("model=", "+model=", "+experiment=")) for a in args)
    if command == "run" and not chooses_model and needs_model:
        raise BenchError(f"choose a system with model=NAME; valid: {', '.join(shipped('model'))}")
    for arg in args:
        match = _CHOICE.match(arg)
        if not match:
            continue
        group = match["group"]
        valid = shipped(group)
        for value in _values(match["value"]):
            if value not in valid and value != "null":
                raise BenchError(f"unknown {group} '{value}' (no configs/{group}/{value}.yaml); valid: "
                                 f"{', '.join(valid) or 'none'}")
