"""The interface every MT system implements.

Languages are arguments, never attributes set later: ``translate(sources, src_lang, tgt_lang)``.
A system is cheap to construct; it loads weights lazily on the first ``translate`` so that a run whose
translations are all cached loads no model at all, and ``check`` (the preflight) can fail in seconds.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

from bench.core.errors import BenchError
from bench.refset.store import Segment
from bench.store.io import sha256_text

# -- settings from the config --------------------------------------------------------------------
# Hydra does not type-check plain YAML: ``model.batch_tokens=abc`` reaches a constructor as the string
# 'abc' and would fail deep inside generation after minutes of work, as a traceback. Systems read
# their settings through these, so a bad value is one line naming the key before anything is loaded.


def optional_str(value: Any, key: str) -> str | None:
    """An optional string setting (a path, an id, a prompt); numbers are taken as written."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BenchError(f"{key}={value!r}: must be a single value, not a list or mapping")


def string_map(value: Any, key: str) -> dict[str, str]:
    """A mapping of short strings (language codes, names); ``null`` is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in value.values()):
        raise BenchError(f"{key}={value!r}: must be a mapping of languages to values, e.g. {{kk: VALUE}}")
    return {str(k): str(v) for k, v in value.items()}


class System(ABC):
    """An MT system under evaluation.

    ``name`` is the display name used for the run folder and the leaderboard. ``cacheable`` is False
    for systems whose output does not come from a model (baselines, files of translations): they are
    cheap, and their output depends on the test set rather than on the source text alone.
    """

    cacheable: bool = True
    #: a floor or a check rather than a contender (``copy``, ``reference``; a config sets it with
    #: ``baseline: true``): the board draws it as a reference line and never ranks it
    baseline: bool = False

    def __init__(self, name: str) -> None:
        self.name = name
        #: counters a run copies into run.json (e.g. how many outputs needed cleanup)
        self.stats: dict[str, int] = {}

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """Everything that changes the output: model id or path + revision/content hash,
        generation parameters, prompt. Hashed into :meth:`fingerprint` (the cache key)."""

    def fingerprint(self) -> str:
        blob = json.dumps({"class": type(self).__qualname__, **self.identity()}, sort_keys=True)
        return sha256_text(blob)[:16]

    def check(self, pairs: list[tuple[str, str]]) -> None:
        """Preflight, run before anything is translated: raise :class:`BenchError` within seconds
        if a pair is unsupported or a resource (model files, server, file) is missing."""

    def supports(self, src_lang: str, tgt_lang: str) -> bool:
        """Whether the system can translate this pair at all. A run over "every pair" (``pairs``
        left unset, as in sweeps) skips the others; naming an unsupported pair is an error."""
        return True

    def prepare(self, src_lang: str, tgt_lang: str, segments: list[Segment]) -> None:
        """Called during preflight with the whole test set of each pair, before anything is
        translated. Only systems whose output is tied to reference rows (baselines, files) need it;
        raising :class:`BenchError` here stops the run before any file is written."""

    def chunks(self, sources: list[str], src_lang: str, tgt_lang: str, rows: int) -> Iterator[list[str]]:
        """``sources`` in the groups a run translates and caches as one unit, ``rows`` at a time. A
        group is the most a killed run loses; a system that batches by tokens gives groups of whole
        batches instead, so that its batches are as full as its budget allows
        (:meth:`bench.systems.hf.HFSystem.chunks`)."""
        for start in range(0, len(sources), max(1, rows)):
            yield sources[start:start + max(1, rows)]

    @abstractmethod
    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Translate ``sources``; return one string per source, in input order."""

    def describe(self) -> dict[str, Any]:
        """Facts for run.json beyond identity: device, dtype, load time. Default: nothing."""
        return {}

    def close(self) -> None:
        """Release model memory or connections."""
