"""Early, one-line errors for config-group choices Hydra would reject with a wall of text.

``model=nllb-typo`` makes Hydra print a multi-line composition error. Checking the named YAML files
before Hydra starts gives a single line that lists the valid names instead.
"""

from __future__ import annotations

import re
import sys

from bench.core.configs import shipped

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
    """Exit with one line if an override names a config file that does not exist (or ``run`` has no
    model to run, unless it only shows something: ``--hydra-help``, ``--info``)."""
    sweep = any(a in ("-m", "--multirun") for a in args)
    if command == "run" and any(a.startswith("+experiment=") for a in args) and not sweep:
        print("bench run: error: an experiment is a sweep over models; run it with -m: "
              "python -m bench -m run +experiment=NAME", file=sys.stderr)
        sys.exit(2)
    if any(a.startswith("metric=") for a in args) and any(a.startswith("+metric=") for a in args):
        print(f"bench {command}: error: metric=[...] replaces the metric list and +metric= adds to the "
              "default one; choose all metrics in one list, e.g. 'metric=[bleu,ter]'", file=sys.stderr)
        sys.exit(2)
    chooses_model = any(a.startswith(("model=", "+model=", "+experiment=")) for a in args)
    if command == "run" and not chooses_model and needs_model:
        print(f"bench run: error: choose a system with model=NAME; valid: {', '.join(shipped('model'))}",
              file=sys.stderr)
        sys.exit(2)
    for arg in args:
        match = _CHOICE.match(arg)
        if not match:
            continue
        group = match["group"]
        valid = shipped(group)
        for value in _values(match["value"]):
            if value not in valid and value != "null":
                print(
                    f"bench {command}: error: unknown {group} '{value}' (no configs/{group}/"
                    f"{value}.yaml); valid: {', '.join(valid) or 'none'}",
                    file=sys.stderr,
                )
                sys.exit(2)
