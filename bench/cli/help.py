"""``bench <command> --help`` and ``bench list models|metrics|pairs``: what there is, from the configs.

Help is read from the configs themselves, so it cannot drift from them: a primary config's header
comment says what the command does, the comment above a key (or after it, on its line) says what the
key does, and the config groups of its defaults list are shown with their choices and the settings
of the chosen (or default) option: ``bench run model=nllb-200-distilled-600M --help`` lists
``model.num_beams`` and the rest. A choice is described by the first sentence of its YAML file's
header comment.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from bench.cli.settings import leaves, option_defaults, option_files
from bench.core.configs import CONFIG_DIR, shipped
from bench.core.console import table
from bench.core.errors import BenchError

_KEY = re.compile(r"^(\s*)([A-Za-z_][\w-]*):(.*)$")
#: the end of a sentence: ``.``, ``!`` or ``?`` before a space, but not the one of ``e.g.`` or ``i.e.``
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)[.!?](?=\s)")
#: settings' values are cut to this many characters in the help's table
VALUE_WIDTH = 24


def description(file: Path) -> str:
    """The first sentence of a config file's header comment (Hydra's ``@package`` line skipped)."""
    lines = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith("# @package"):
            lines.append(line.lstrip("# ").strip())
    text = " ".join(lines)
    end = _SENTENCE_END.search(text)
    return text[:end.end()] if end else text


def key_comments(file: Path) -> dict[str, str]:
    """``dotted key -> its comment``: the comment block right above the key and the comment after it on
    its line (``backend: hf  # hf or ctranslate2``). Lines inside a block scalar (``template: |-``) are
    text, not keys."""
    found: dict[str, str] = {}
    block: list[str] = []
    parents: list[tuple[int, str]] = []
    scalar: int | None = None  # the indent of the key whose block scalar is being read
    lines = file.read_text(encoding="utf-8").splitlines()
    top = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    for line in lines[top:]:  # the header above is about the file, not its first key
        indent = len(line) - len(line.lstrip())
        if scalar is not None and (indent > scalar or not line.strip()):
            continue
        scalar = None
        if line.lstrip().startswith("#"):
            block.append(line.lstrip().lstrip("#").strip())
            continue
        match = _KEY.match(line)
        if match:
            parents = [(i, k) for i, k in parents if i < indent]
            value, _, inline = _split_comment(match[3])
            key = ".".join([*(k for _, k in parents), match[2]])
            found[key] = " ".join([*block, inline.strip()]).strip()
            parents.append((indent, match[2]))
            if value.strip() in ("|", "|-", ">", ">-"):
                scalar = indent
        block = []
    return found


def _split_comment(rest: str) -> tuple[str, str, str]:
    """A YAML value and the comment after it (none inside a quoted value)."""
    if rest.strip().startswith(("'", '"')):
        return rest, "", ""
    value, hash_, comment = rest.partition(" #")
    return value, hash_, comment


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


def chosen_options(found: dict[str, str], args: list[str]) -> dict[str, list[str]]:
    """``group -> the options whose settings to show``: chosen on the command line (``model=NAME``,
    ``metric=[bleu,chrf]``), else the default; none for a group that must be chosen (``model: ???``)."""
    picked = {group: default for group, default in found.items()}
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and key in found:
            picked[key] = value
    options: dict[str, list[str]] = {}
    for group, value in picked.items():
        names = [n.strip() for n in value.strip("[]").split(",") if n.strip()]
        unknown = [n for n in names if n not in shipped(group) and n != "???"]
        if unknown:
            raise BenchError(f"{group}={','.join(unknown)}: no such option; choose from "
                             f"{', '.join(shipped(group))}")
        options[group] = [n for n in names if n != "???"]
    return options


def shown(value: Any) -> str:
    """A setting's value as it is typed on the command line, on one short line."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, list):
        text = f"[{','.join(map(shown, value))}]"
    elif isinstance(value, dict):
        text = "{}" if not value else "{...}"
    else:
        text = str(value).splitlines()[0] if str(value).strip() else repr(value)
    if text == "???":
        return "(required)"
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


def option_settings(group: str, name: str) -> list[tuple[str, Any, str]]:
    """``(group.key, shipped value, comment)`` of one option, its family's settings included."""
    comments: dict[str, str] = {}
    for file in option_files(CONFIG_DIR, group, name):
        comments.update({k: v for k, v in key_comments(file).items() if v})
    prefix = f"metric.{name}." if group == "metric" else f"{group}."
    return [(prefix + key, value, text)
            for key, value, text in described(leaves(option_defaults(CONFIG_DIR, group, name)), comments)]


def described(settings: Iterable[tuple[str, Any]], comments: dict[str, str]) -> list[tuple[str, Any, str]]:
    """``(key, value, comment)``; a nested key without a comment of its own takes its parent's, once
    (``translation_cache:``'s comment on ``translation_cache.enabled``, not on ``.path`` too)."""
    found, said = [], set()
    for key, value in settings:
        parent = key.rpartition(".")[0]
        text = comments.get(key) or ("" if parent in said else comments.get(parent, ""))
        said.add(parent)
        found.append((key, value, text))
    return found


def by_model() -> list[str]:
    """Without ``model=``: which settings each model has, models with the same ones on one line."""
    keys: dict[tuple[str, ...], list[str]] = {}
    for name in shipped("model"):
        found = tuple(key for key, _, _ in option_settings("model", name))
        keys.setdefault(found, []).append(name)
    lines = []
    for found, names in keys.items():
        lines.append(f"  {', '.join(names)}:")
        lines += textwrap.wrap(", ".join(f"{k}=" for k in found), 100, initial_indent="      ",
                               subsequent_indent="      ")
    return lines


def rows(settings: list[tuple[str, Any, str]], width: int) -> list[str]:
    return [f"  {(key + '=').ljust(width)} {shown(value):<{VALUE_WIDTH}} {text}".rstrip()
            for key, value, text in settings]


def command_help(command: str, summary: str, args: list[str] | None = None) -> str:
    """The help of ``bench COMMAND [group=OPTION ...] --help``."""
    file = CONFIG_DIR / f"{command}.yaml"
    lines = [f"usage: bench {command} [key=value ...]", "", summary, ""]
    lines += [line for line in header(file)[1:] if line]
    found = groups(file)
    options = chosen_options(found, args or [])
    if found:
        lines += ["", "choices (config groups; `bench list models|metrics|pairs` describes them):"]
        for group, default in found.items():
            state = "required" if default == "???" else f"default {default}"
            lines.append(f"  {group}=NAME  ({state}): {', '.join(shipped(group))}")
    raw = OmegaConf.to_container(OmegaConf.load(file), resolve=False)
    own = described(leaves({k: v for k, v in raw.items() if k != "defaults"}), key_comments(file))
    sections = [("settings:", own)]
    for group, names in options.items():
        for name in names:
            depends = "; they depend on model=" if group == "model" else ""
            sections.append((f"{group} settings ({group}={name}{depends}):", option_settings(group, name)))
    width = min(34, max(len(key) + 1 for _, settings in sections for key, _, _ in settings))
    for title, settings in sections:
        lines += ["", title, *rows(settings, width)]
    if "model" in found and not options.get("model"):
        lines += ["", "model settings depend on model=; `bench run model=NAME --help` describes one "
                      "model's. By model:", *by_model()]
    lines += ["", f"`bench {command} --cfg job` prints the composed configuration (run: with model=copy "
                  "unless a model is chosen); `--hydra-help` shows Hydra's flags; `-m` sweeps."]
    return "\n".join(lines) + "\n"


def list_command(args: list[str]) -> None:
    """``bench list models|metrics|pairs [DIR]|testsets [DIR ...]``; a :class:`BenchError` says what is
    wrong."""
    folders = {"pairs": 1, "testsets": len(args)}.get(args[0], 0) if args else 0  # DIRs it may name
    what = args[0] if 1 <= len(args) <= 1 + folders else None
    if what not in ("models", "metrics", "pairs", "testsets"):
        raise BenchError("say what to list: bench list models|metrics|pairs [DIR]|testsets [DIR ...]")
    if what == "testsets":
        from bench.testsets.listing import list_testsets

        list_testsets(args[1:])
        return
    if what == "pairs":
        from bench.refset.store import LocalReferences

        refs = LocalReferences(args[1] if len(args) == 2 else None)
        found = [["pair", "rows", "languages"]] + [
            [pair, str(len(refs.load(pair))), _names(pair)] for pair in refs.pairs()]
        print(f"test set {refs.name}\n{table(found)}")
        return
    group = "model" if what == "models" else "metric"
    found = [[what[:-1], "what it is"]] + [[name, description(CONFIG_DIR / group / f"{name}.yaml")]
                                           for name in shipped(group)]
    print(table(found))
    return 0


def _names(pair: str) -> str:
    from bench.core.languages import language
    from bench.core.pair import Pair

    src, tgt = Pair(pair).langs
    return f"{language(src).name} -> {language(tgt).name}"
