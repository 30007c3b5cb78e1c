"""Glue between a command module and Hydra.

A command is a module ``bench/commands/<name>.py`` whose ``main(cfg)`` takes its configuration; its
primary config is ``configs/<name>.yaml``. :func:`application` makes it a Hydra application and turns
:class:`BenchError` into one line on stderr and exit status 2, so users never see a traceback for a
problem they can fix.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, InstantiationException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from bench.core.configs import CONFIG_DIR
from bench.core.console import first_line, flat, report
from bench.core.errors import BenchError

log = logging.getLogger("bench")


class JobFailed(CompactHydraException):
    """A sweep job that stopped on a user-fixable problem.

    Raised instead of exiting, so Hydra marks this job failed and still runs the others; after the
    sweep Hydra prints the first failed job's line and exits non-zero. The line carries the error
    itself: with the submitit launchers (SLURM, local) a job's own stderr goes to its log file, not
    to the terminal that started the sweep. ``reason`` is that error alone, for the sweep's table.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)  # the only argument: a job's exception is pickled back by submitit
        self.reason = reason

    def __str__(self) -> str:
        return f"at least one sweep job failed; the first: {self.reason}"


def fail(command: str, message: str) -> None:
    """Inside a command's Hydra application: the one line, then exit 2 (in a sweep, fail this job
    only): Hydra's own wrapper, not bench's caller, is what returns from there."""
    report(command, message)
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        raise JobFailed(message)
    sys.exit(2)


def _config_problem(exc: BaseException) -> str | None:
    """A one-line description of a configuration mistake hidden in ``exc``'s chain, if any."""
    seen = exc
    while seen is not None:
        if isinstance(seen, BenchError):
            return str(seen)
        if isinstance(seen, MissingMandatoryValue):
            key = seen.full_key or "a value"
            return f"{key} is required: pass {key}=VALUE on the command line"
        if isinstance(seen, OmegaConfBaseException):
            return invalid_configuration(seen)
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, InstantiationException):
        return f"invalid configuration: {flat(str(exc))}"
    return None


def invalid_configuration(exc: OmegaConfBaseException) -> str:
    """One line for an OmegaConf error (an interpolation that does not resolve, say), naming the key."""
    key = getattr(exc, "full_key", None)
    return f"invalid configuration: {first_line(exc)}" + (f" (at {key})" if key else "")


#: how OmegaConf reports a BenchError raised by a resolver (it drops the exception chain)
RESOLVER_REFUSAL = "BenchError raised while resolving interpolation: "


def hydra_error_line(exc: CompactHydraException | OmegaConfBaseException) -> str:
    """One line for an error Hydra raises before or around a command (see ``bench/__main__.py``)."""
    if isinstance(exc, JobFailed):  # already one line, naming the first failed job's own error
        return flat(str(exc))
    refused = first_line(exc).partition(RESOLVER_REFUSAL)[2]
    if refused:  # one of our resolvers refused a value (``model.name``, ``results_dir``): its own line
        return refused
    if isinstance(exc, OmegaConfBaseException):  # raised while Hydra resolves its own settings
        return invalid_configuration(exc)
    if isinstance(exc, OverrideParseException):
        return (f"cannot parse an override ({first_line(exc)}): check its brackets and quotes, e.g. "
                "'pairs=[zh-kk,zh-vi]'; syntax: https://hydra.cc/docs/1.3/advanced/override_grammar/basic/")
    struct = re.match(r"Could not override '([\w.]+)'", str(exc))
    if struct and "not in struct" in str(exc.__cause__):
        from bench.cli.settings import not_in_struct

        command = sys.argv[0].removeprefix("bench ")
        line = not_in_struct(command, struct[1], sys.argv[1:])
        if line:
            return line
    cause = f" ({first_line(exc.__cause__)})" if isinstance(exc.__cause__, OmegaConfBaseException) else ""
    return flat(str(exc)) + cause


class _FlagError(Exception):
    """argparse's complaint about Hydra's flags, raised instead of printing usage and exiting."""


def hydra_argv(command: str, args: list[str]) -> list[str]:
    """``args`` (overrides and Hydra's flags, in any order) as Hydra's parser takes them: flags first.

    Hydra parses its flags with argparse, which rejects overrides after a flag (``--cfg job
    pairs=[zh-kk]``), prints a usage block for a bad flag, and raises a bare ``ValueError`` (a traceback)
    for flags that exclude each other (``-m ... --cfg job``). Parsing them here first, with Hydra's own
    parser, lets any order work and turns every refusal into one line naming the flags.
    """
    from hydra._internal.utils import get_args_parser  # the parser hydra.main itself uses

    parser = get_args_parser()

    def refuse(message: str) -> None:
        raise _FlagError(message)

    parser.error = refuse
    try:
        parsed = parser.parse_intermixed_args(args)
    except _FlagError as exc:
        raise BenchError(f"{exc}; see `python -m bench {command} --help`") from None
    modes = [flag for flag, chosen in [("-m", parsed.multirun), ("--cfg", parsed.cfg is not None),
                                       ("--info", parsed.info is not None), ("--run", parsed.run),
                                       ("--shell-completion", parsed.shell_completion)] if chosen]
    if modes[:2] == ["-m", "--cfg"]:
        raise BenchError("-m (a sweep) and --cfg cannot be combined: to see one job's configuration, drop -m "
                         f"and give each key one value, e.g. python -m bench {command} model=copy --cfg job")
    if len(modes) > 1:
        raise BenchError(f"{' and '.join(modes)} cannot be combined; choose one")
    if parsed.resolve and parsed.cfg is None:
        raise BenchError(f"--resolve works only with --cfg: python -m bench {command} ... --cfg job "
                         "--resolve")
    overrides = iter(parsed.overrides)
    pending = next(overrides, None)
    flags = []
    for arg in args:  # what is not an override, in order: the flags and their values
        if arg == pending:
            pending = next(overrides, None)
        else:
            flags.append(arg)
    return [*flags, *parsed.overrides]


def application(name: str) -> Callable[[], Any]:
    """The Hydra application of command ``name`` (a key of ``bench.__main__.COMMANDS``, never text from
    elsewhere): ``bench.commands.<name>.main(cfg)`` reading ``configs/<name>.yaml``. Commands are plain
    functions of their configuration; the one-line errors, the clean-up of a run that never started
    and Hydra itself are wrapped around them here, so no command imports the command line."""
    fn = importlib.import_module(f"bench.commands.{name}").main

    @functools.wraps(fn)
    def guarded(cfg: DictConfig) -> Any:
        from bench.cli.settings import check_config
        from bench.cli.sweeps import refusal
        from bench.store.runs import discard_unstarted

        try:
            try:
                refusal(Path(HydraConfig.get().runtime.output_dir))  # a sweep job's refused run folder
                check_config(CONFIG_DIR, name, cfg)
                return fn(cfg)
            except BaseException:  # a run that never started leaves nothing behind
                discard_unstarted(Path(HydraConfig.get().runtime.output_dir))
                raise
        except BenchError as exc:
            fail(name, str(exc))
        except (OmegaConfBaseException, InstantiationException) as exc:
            problem = _config_problem(exc)
            if problem is None:
                raise
            fail(name, problem)
        except KeyboardInterrupt:
            print(f"bench {name}: interrupted; finished work is kept, run again to resume",
                  file=sys.stderr, flush=True)
            sys.exit(130)

    return hydra.main(config_path=str(CONFIG_DIR), config_name=name, version_base="1.3")(guarded)
