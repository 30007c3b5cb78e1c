"""Glue between a command module and Hydra.

A command is a module ``bench/<name>.py`` whose ``main`` is decorated with :func:`command`; its primary
config is ``configs/<name>.yaml``. The decorator turns :class:`BenchError` into one line on stderr and
exit status 2, so users never see a traceback for a problem they can fix.
"""

from __future__ import annotations

import functools
import logging
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

from bench.errors import BenchError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

log = logging.getLogger("bench")


class JobFailed(CompactHydraException):
    """A sweep job that stopped on a user-fixable problem (its one-line error is already printed).

    Raised instead of exiting, so Hydra marks this job failed and still runs the others; after the
    sweep Hydra prints this one line and exits non-zero.
    """


def fail(command: str, message: str) -> None:
    """Print the one-line error; exit with status 2 (or, in a sweep, fail only this job)."""
    print(f"bench {command}: error: {message}", file=sys.stderr, flush=True)
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        raise JobFailed("at least one sweep job failed (its error is printed above)")
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


def flat(text: str) -> str:
    """A multi-line library message as one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def first_line(exc: BaseException) -> str:
    """The headline of a library error; the lines below it are context for developers."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def invalid_configuration(exc: OmegaConfBaseException) -> str:
    """One line for an OmegaConf error (an interpolation that does not resolve, say), naming the key."""
    key = getattr(exc, "full_key", None)
    return f"invalid configuration: {first_line(exc)}" + (f" (at {key})" if key else "")


def hydra_error_line(exc: CompactHydraException | OmegaConfBaseException) -> str:
    """One line for an error Hydra raises before or around a command (see ``bench/__main__.py``)."""
    if isinstance(exc, OmegaConfBaseException):  # raised while Hydra resolves its own settings
        return invalid_configuration(exc)
    if isinstance(exc, OverrideParseException):
        return (f"cannot parse an override ({first_line(exc)}): check its brackets and quotes, e.g. "
                "'pairs=[zh-kk,zh-vi]'; syntax: https://hydra.cc/docs/1.3/advanced/override_grammar/basic/")
    cause = f" ({first_line(exc.__cause__)})" if isinstance(exc.__cause__, OmegaConfBaseException) else ""
    return flat(str(exc)) + cause


def command(name: str) -> Callable[[Callable[[DictConfig], Any]], Callable[[], Any]]:
    """Make ``fn(cfg)`` a Hydra application reading ``configs/<name>.yaml``."""

    def decorate(fn: Callable[[DictConfig], Any]) -> Callable[[], Any]:
        @functools.wraps(fn)
        def guarded(cfg: DictConfig) -> Any:
            try:
                return fn(cfg)
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

    return decorate
