"""Checks for count, yes/no, choice and path settings, shared by every command and plug-in.

Hydra does not type-check plain YAML: ``chunk_size=abc``, ``max_sentences=0`` or ``record_check=no``
reach the code as they were typed (the last as the text ``"no"``, which Python reads as true). Read
through these, a bad value is one line naming the key before any work starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bench.core.errors import BenchError

#: the words YAML reads as yes/no; Hydra's override parser reads only true/false, the rest as text
YES_NO = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def whole_number(value: Any, key: str, minimum: int = 1) -> int:
    """``value`` as a count of at least ``minimum`` (the config key ``key`` is named if it is not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BenchError(f"{key}={value!r}: must be a whole number of at least {minimum}")
    return value


def flag(value: Any, key: str) -> bool:
    """A yes/no setting. The words a YAML file would read as yes/no (``record_check=no`` on the command
    line) mean what they say; anything else (``maybe``, ``1``, ``''``) is refused rather than read as
    true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES_NO:
        return YES_NO[value.strip().lower()]
    raise BenchError(f"{key}={value!r}: must be true or false")


def choice(value: Any, key: str, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options`` (where true/false are among them, the yes/no words count
    as they do for :func:`flag`); otherwise one line listing them. ``1`` is not ``true`` here."""
    options = list(options)
    if isinstance(value, str) and any(isinstance(o, bool) for o in options):
        value = YES_NO.get(value.strip().lower(), value)
    if not any(value == o and isinstance(value, bool) == isinstance(o, bool) for o in options):
        shown = ", ".join(str(o).lower() if isinstance(o, bool) else str(o) for o in options)
        raise BenchError(f"{key}={value}: choose one of {shown}")
    return value


def path_text(value: Any, key: str) -> Any:
    """A path setting that is not empty: ``results_dir=$UNSET`` makes ``${results_dir}/cache`` the
    folder ``/cache`` at the file-system root, so an empty (or blank) path is refused. None passes:
    where a path is optional, null is how it is left out."""
    if isinstance(value, str) and not value.strip():
        raise BenchError(f"{key}={value!r}: an empty path (an unset shell variable?); give a path")
    return value
