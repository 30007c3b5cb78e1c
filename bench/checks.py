"""Checks for count and yes/no settings, shared by every command and plug-in.

Hydra does not type-check plain YAML: ``chunk_size=abc`` or ``max_sentences=0`` reaches the code as it
was typed. Read through these, a bad value is one line naming the key before any work starts.
"""

from __future__ import annotations

from typing import Any

from bench.errors import BenchError


def whole_number(value: Any, key: str, minimum: int = 1) -> int:
    """``value`` as a count of at least ``minimum`` (the config key ``key`` is named if it is not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BenchError(f"{key}={value!r}: must be a whole number of at least {minimum}")
    return value


def flag(value: Any, key: str) -> bool:
    """A yes/no setting; a word such as ``abc`` is refused rather than read as true."""
    if not isinstance(value, bool):
        raise BenchError(f"{key}={value!r}: must be true or false")
    return value
