"""``bench <command> --help`` and ``bench list models|metrics|pairs``: what there is, from the configs.

Help is read from the configs themselves, so it cannot drift from them: a primary config's header
comment says what the command does, the comment above each key says what the key does, and the
config groups of its defaults list are shown with their choices. A choice is described by the first
comment line of its YAML file.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bench.cli import CONFIG_DIR
from bench.console import table

_KEY = re.compile(r"^([A-Za-z_]\w*):")


def first_comment(file: Path) -> str:
    """The first comment line of a config file that is not a Hydra directive."""
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not line.startswith("# @package"):
            return line.lstrip("# ").strip()
    return ""


def choices(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def key_comments(file: Path) -> dict[str, str]:
    """``key -> the comment block right above it`` for the top-level keys of a primary config."""
    found: dict[str, str] = {}
    block: list[str] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            block.append(line.lstrip("# ").strip())
            continue
        match = _KEY.match(line)
        if match and match[1] not in ("defaults", "hydra"):
            found[match[1]] = " ".join(block)
        block = []
    return found


def header(file: Path) -> list[str]:
    """The comment lines at the top of a primary config (usage line first)."""
    lines = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return lines


def groups(file: Path) -> dict[str, str]:
    """``group -> default choice`` from a primary config's defaults list (Hydra's own left out)."""
    found: dict[str, str] = {}
    for item in yaml.safe_load(file.read_text(encoding="utf-8")).get("defaults", []):
        if isinstance(item, dict):
            for key, value in item.items():
                if not str(key).startswith("override "):
                    found[str(key)] = f"[{','.join(value)}]" if isinstance(value, list) else str(value)
    return found


def command_help(command: str, summary: str) -> str:
    file = CONFIG_DIR / f"{command}.yaml"
    lines = [f"usage: bench {command} [key=value ...]", "", summary, ""]
    lines += [line for line in header(file)[1:] if line]
    found = groups(file)
    if found:
        lines += ["", "choices (config groups; `bench list models|metrics|pairs` describes them):"]
        for group, default in found.items():
            shown = "required" if default == "???" else f"default {default}"
            lines.append(f"  {group}=NAME  ({shown}): {', '.join(choices(group))}")
    values = yaml.safe_load(file.read_text(encoding="utf-8"))
    described = key_comments(file)
    if described:
        lines += ["", "settings:"]
        width = max(len(k) for k in described) + 1
        for key, text in described.items():
            value = values.get(key)
            shown = "..." if isinstance(value, dict) else value
            lines.append(f"  {(key + '=').ljust(width)} {shown!s:<14} {text}".rstrip())
    lines += ["", f"`bench {command} --cfg job` prints the composed configuration (run: with model=copy "
                  "unless a model is chosen); `--hydra-help` shows Hydra's flags; `-m` sweeps."]
    return "\n".join(lines) + "\n"


def list_command(args: list[str]) -> int:
    """``bench list models|metrics|pairs``; 0 on success, 2 with one line otherwise."""
    import sys

    what = args[0] if len(args) == 1 else None
    if what not in ("models", "metrics", "pairs"):
        print("bench list: error: say what to list: bench list models|metrics|pairs", file=sys.stderr)
        return 2
    if what == "pairs":
        from bench.errors import BenchError
        from bench.refset.store import LocalReferences

        refs = LocalReferences()
        try:
            rows = [["pair", "rows", "languages"]] + [
                [pair, str(len(refs.load(pair))), _names(pair)] for pair in refs.pairs()]
        except BenchError as exc:
            print(f"bench list: error: {exc}", file=sys.stderr)
            return 2
        print(f"test set {refs.name}\n{table(rows)}")
        return 0
    group = "model" if what == "models" else "metric"
    rows = [[what[:-1], "what it is"]] + [[name, first_comment(CONFIG_DIR / group / f"{name}.yaml")]
                                          for name in choices(group)]
    print(table(rows))
    return 0


def _names(pair: str) -> str:
    from bench.languages import language
    from bench.pair import Pair

    src, tgt = Pair(pair).langs
    return f"{language(src).name} -> {language(tgt).name}"
