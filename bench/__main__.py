"""``python -m bench <command> [hydra overrides]``.

Hydra cannot parse a bare word, so the command is taken off ``argv`` here and the rest (overrides and
Hydra's own flags such as ``-m``) is handed to the command's Hydra application. Command modules are
imported only when chosen, so ``--help`` and the commands that do not need torch stay fast.

Hydra's flags (``--cfg job``, ``-m``) may come anywhere after ``python -m bench``; they are checked
and put first for Hydra (:func:`bench.cli.app.hydra_argv`).

Hydra reports its own errors (an override of a key that does not exist, override syntax it cannot
parse) in several lines and exits 1. Setting ``HYDRA_FULL_ERROR`` makes it raise them instead, and they
are printed here as the same one line with status 2 that every other user mistake gets. A user who sets
``HYDRA_FULL_ERROR`` themselves gets Hydra's full trace as usual.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

COMMANDS: dict[str, str] = {
    "build": "turn the raw documents into the sentence-aligned reference set under references/",
    "import": "turn a pre-aligned test set (text, TSV, JSONL, FLORES+, WMT24++) into a reference folder",
    "align": "align two files of one sentence per line (src=, tgt=) into Vecalign-format beads",
    "run": "translate the references with an MT system (model=NAME) and score the run",
    "score": "add missing metrics to stored runs without re-translating",
    "leaderboard": "write results/leaderboard.{md,csv,html} from every stored run",
    "publish": "export the reference set as a Hugging Face dataset and upload it to the Hub",
    "human": "human judgments: `human import` (WMT MQM, ESA, Pearmut) or `human export` (a Pearmut campaign)",
}
#: commands that are not Hydra applications: they take plain words
PLAIN: dict[str, str] = {"list": "describe what can be chosen: bench list models|metrics|pairs|testsets"}

USAGE = """usage: python -m bench [-m] <command> [key=value ...]

commands:
{commands}

Options are Hydra overrides, e.g. `python -m bench run model=copy pairs=[zh-kk]`.
`-m` (multirun) sweeps over comma-separated values: `python -m bench -m run model=copy,reference`.
`python -m bench <command> --help` says what a command does and lists its options
(`python -m bench run model=NAME --help`: with that model's); `--version` prints bench's version.
Shell completion (bash): eval "$(bench -sc install=bash)"
"""


def usage() -> str:
    listed = {**COMMANDS, **PLAIN}
    width = max(map(len, listed))
    lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in listed.items())
    return USAGE.format(commands=lines)


#: flags that only show something; ``run`` needs no model for them
SHOW_FLAGS = ("--cfg", "-c", "--hydra-help", "--info", "-i", "--shell-completion", "-sc", "--version")


def completion(args: list[str]) -> int | None:
    """Shell completion for the one ``bench`` program (Hydra's completion is per application).

    The script Hydra installs calls ``bench -sc query=bash`` with the line typed so far in
    ``COMP_LINE``: the command word is completed here, and what follows it is handed to that command's
    Hydra application as if the command word were not there. None if ``args`` is not completion.
    """
    if len(args) != 2 or args[0] not in ("-sc", "--shell-completion"):
        return None
    action = args[1].partition("=")[0]
    if action in ("install", "uninstall"):
        from bench.cli.app import application

        sys.argv = ["bench", *args]
        application("run")()
        return 0
    line = os.environ.get("COMP_LINE", "")
    words = line.split()
    if len(words) < 2 or (len(words) == 2 and not line.endswith(" ")):
        typed = words[1] if len(words) == 2 else ""
        print("\n".join(n for n in [*COMMANDS, *PLAIN] if n.startswith(typed)))
        return 0
    if words[1] not in COMMANDS:
        return 0
    start = line.index(words[1], line.index(words[0]) + len(words[0]))  # not inside the program's path
    rest = line[:start] + line[start + len(words[1]) + 1:]
    point = int(os.environ.get("COMP_POINT", len(line))) - (len(line) - len(rest))
    os.environ.update(COMP_LINE=rest, COMP_POINT=str(max(point, 0)))
    from bench.cli.app import application

    sys.argv = ["bench", *args]
    application(words[1])()
    return 0


#: Hydra's flags that take a value, which is not the command (``python -m bench --cfg job run ...``)
VALUE_FLAGS = frozenset({"-c", "--cfg", "-p", "--package", "-cp", "--config-path", "-cn", "--config-name",
                         "-cd", "--config-dir", "--experimental-rerun"})


def command_position(args: list[str]) -> int | None:
    """Where the command is: the first word that is neither a flag nor a flag's value."""
    for i, arg in enumerate(args):
        if not arg.startswith("-") and (i == 0 or args[i - 1] not in VALUE_FLAGS):
            return i
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    completed = completion(args)
    if completed is not None:
        return completed
    if "--version" in args:  # bench's, wherever it stands (Hydra's flag of the same name shows Hydra's)
        from bench import __version__

        print(f"bench {__version__}")
        return 0
    position = command_position(args)
    if position is None:
        if any(arg in ("-h", "--help") for arg in args) or not args:
            print(usage(), end="")
            return 0 if args else 2
        print(f"bench: no command given; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    name = args.pop(position)
    if name not in COMMANDS and name not in PLAIN:
        print(f"bench: unknown command '{name}'; valid commands: {', '.join([*COMMANDS, *PLAIN])}",
              file=sys.stderr)
        return 2
    from bench.core.console import report
    from bench.core.errors import BenchError

    try:
        return command(name, args)
    except BenchError as exc:  # the one place a refusal before Hydra becomes the error line and status
        return report(name, str(exc))


def command(name: str, args: list[str]) -> int:
    """Run command ``name`` with ``args``; a refusal before Hydra starts is a BenchError."""
    if name in PLAIN:
        from bench.cli.help import list_command

        list_command(args)
        return 0
    if any(arg in ("-h", "--help") for arg in args):
        from bench.cli.help import command_help

        print(command_help(name, COMMANDS[name], args), end="")  # model=NAME: that model's settings
        return 0
    showing = any(a in SHOW_FLAGS for a in args)
    if name == "human":  # `human import ...`: the action word as an override Hydra can parse
        from bench.commands.human import action_argv

        args = action_argv(args, VALUE_FLAGS)
    if name == "run" and any(a in ("--cfg", "-c") for a in args) \
            and not any(a.startswith(("model=", "+experiment=")) for a in args):
        args.append("model=copy")  # a configuration to show; the real run needs model=NAME
    from bench.cli.app import application, hydra_argv
    from bench.cli.overrides import check_overrides

    args = hydra_argv(name, args)
    check_overrides(name, args, needs_model=not showing)
    app = application(name)
    sys.argv = [f"bench {name}", *args]
    if os.environ.get("HYDRA_FULL_ERROR"):  # the user asked for Hydra's own traces
        app()
        return 0
    return hydra_reporting(name, app)


def hydra_reporting(name: str, app: Callable[[], object]) -> int:
    """Run the Hydra application with Hydra's errors raised, not printed as a page: Hydra offers no
    switch but ``HYDRA_FULL_ERROR``, so it is set for this call alone and removed after."""
    from hydra.errors import CompactHydraException
    from omegaconf.errors import OmegaConfBaseException

    from bench.cli.app import hydra_error_line
    from bench.core.console import report

    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        app()
    except (CompactHydraException, OmegaConfBaseException) as exc:
        from bench.cli.sweeps import ENV, summary

        print(summary(os.environ.get(ENV)), end="", flush=True)  # a sweep with a failed job: its table
        return report(name, hydra_error_line(exc))
    finally:
        del os.environ["HYDRA_FULL_ERROR"]
    return 0

if __name__ == "__main__":
    sys.exit(main())
