"""``python -m bench <command> [hydra overrides]``.

Hydra cannot parse a bare word, so the command is taken off ``argv`` here and the rest (overrides and
Hydra's own flags such as ``-m``) is handed to the command's Hydra application. Command modules are
imported only when chosen, so ``--help`` and the commands that do not need torch stay fast.

Hydra's flags (``--cfg job``, ``-m``) may come anywhere after ``python -m bench``; they are checked
and put first for Hydra (:func:`bench.cli.hydra_argv`).

Hydra reports its own errors (an override of a key that does not exist, override syntax it cannot
parse) in several lines and exits 1. Setting ``HYDRA_FULL_ERROR`` makes it raise them instead, and they
are printed here as the same one line with status 2 that every other user mistake gets. A user who sets
``HYDRA_FULL_ERROR`` themselves gets Hydra's full trace as usual.
"""

from __future__ import annotations

import importlib
import os
import sys

COMMANDS: dict[str, str] = {
    "build": "turn the raw documents into the sentence-aligned reference set under references/",
    "run": "translate the references with an MT system (model=NAME) and score the run",
    "score": "add missing metrics to stored runs without re-translating",
    "leaderboard": "write results/leaderboard.{md,csv,html} from every stored run",
    "publish": "export the reference set as a Hugging Face dataset and upload it to the Hub",
}

USAGE = """usage: python -m bench [-m] <command> [key=value ...]

commands:
{commands}

Options are Hydra overrides, e.g. `python -m bench run model=copy pairs=[zh-kk]`.
`-m` (multirun) sweeps over comma-separated values: `python -m bench -m run model=copy,reference`.
`python -m bench <command> --help` shows a command's configuration.
"""


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items())
    return USAGE.format(commands=lines)


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
    position = command_position(args)
    if position is None:
        if any(arg in ("-h", "--help") for arg in args) or not args:
            print(usage(), end="")
            return 0 if args else 2
        print(f"bench: no command given; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    name = args.pop(position)
    if name not in COMMANDS:
        print(f"bench: unknown command '{name}'; valid commands: {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    from bench.cli import hydra_argv
    from bench.errors import BenchError
    from bench.overrides import check_overrides

    try:
        args = hydra_argv(name, args)
    except BenchError as exc:
        print(f"bench {name}: error: {exc}", file=sys.stderr)
        return 2
    check_overrides(name, args)
    module = importlib.import_module(f"bench.{name}")
    sys.argv = [f"bench {name}", *args]
    if os.environ.get("HYDRA_FULL_ERROR"):
        module.main()
        return 0
    from hydra.errors import CompactHydraException
    from omegaconf.errors import OmegaConfBaseException

    from bench.cli import hydra_error_line

    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        module.main()
    except (CompactHydraException, OmegaConfBaseException) as exc:
        print(f"bench {name}: error: {hydra_error_line(exc)}", file=sys.stderr)
        return 2
    finally:
        del os.environ["HYDRA_FULL_ERROR"]
    return 0


if __name__ == "__main__":
    sys.exit(main())
