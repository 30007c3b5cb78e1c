"""The run folder on disk: the contract between ``run``, ``score`` and ``leaderboard``.

::

    results/runs/<system>/<run-id>/
        .hydra/config.yaml        the composed config (Hydra)
        hypotheses/<pair>.txt     one line per reference row, in reference order
        run.json                  :class:`RunRecord`: system, test set hashes, versions, timings
        scores.json               :class:`RunScores`: per pair, the hypotheses' hash and every Score
        samples.jsonl             one line per segment: id, pair, source, reference, hypothesis, and
                                  every metric's segment score (for scripts: ``pandas.read_json(lines=True)``)

A run is written in that order; ``run.json`` is rewritten with ``"status": "complete"`` last, so a
run killed half-way is recognisable and never ranked. The next command that finds such a run with its
process gone (same machine) marks it ``"interrupted"``.

Results folders are shared between people, so both files are untrusted input. They are parsed into
the types below where they are read (:func:`load_run`, :meth:`Run.scores`), and everything that
becomes a path or a lookup is checked there: system names and pairs by pattern, metric names by
pattern (and later only among the shipped metric configs), numbers for finiteness and shape. A file
that does not fit is a :class:`BenchError` naming it, which ``score`` and ``leaderboard`` turn into a
note about that one run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import logging
import os
import re
import secrets
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from bench.core.checks import path_text
from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.core.score import Bootstrap, Score, limits
from bench.store.io import (
    alive,
    atomic_write_json,
    atomic_write_text,
    inside,
    jsonl_text,
    read_json,
    read_text,
    sha256_text,
    sweep_stale_temp,
    temp_prefix,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
RUN_JSON = "run.json"
SCORES_JSON = "scores.json"
SAMPLES_JSONL = "samples.jsonl"
HYPOTHESES = "hypotheses"
RUNNING = "running"
COMPLETE = "complete"
INTERRUPTED = "interrupted"
STATUSES = (RUNNING, COMPLETE, INTERRUPTED)
#: how far ahead of this clock a run's times may be (another machine's clock) before they are refused
CLOCK_SKEW = _dt.timedelta(days=1)

#: a system name is one folder name under ``runs/``: no separators, no leading dot, no spaces
_SYSTEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
#: a metric name is a config name under ``configs/metric/``
_METRIC = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: rows per pair beyond which a record is not believed (a guard against absurd allocations)
MAX_ROWS = 10_000_000


def check_system_name(name: object, where: str = "model.name") -> str:
    """A system name that is safe as one folder name, or a one-line error saying what is allowed."""
    if not isinstance(name, str) or not _SYSTEM.fullmatch(name):
        raise BenchError(f"{where}={name!r}: a system name is letters, digits and . _ + - (up to 100, "
                         "starting with a letter or digit; no / or spaces), e.g. model.name=nllb-600M-ct2")
    return name


def check_metric_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not _METRIC.fullmatch(name):
        raise BenchError(f"{where}: {name!r} is not a metric name (lower-case letters, digits, _)")
    return name


def runs_root(results_dir: str | Path) -> Path:
    return Path(results_dir) / "runs"


def new_run_id() -> str:
    """UTC time plus 24 random bits: sortable, and unique even for runs started in the same second
    (parallel sweep jobs). Hydra resolves the run folder once per job, so each job gets one id."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


#: run folder -> the folders that did not exist when its path was chosen (the folder itself first);
#: clean-up after a failed preflight may remove these and nothing else
_CREATED: dict[Path, list[Path]] = {}


def new_run_folder(results_dir: str, system: str) -> str:
    """``<results_dir>/runs/<system>/<run-id>``, chosen before Hydra creates it (the ``run_dir`` resolver).

    The system name and the results folder are checked here because Hydra makes the folder before
    any command code runs: a name like ``../../x``, or ``results_dir=''`` (``/runs`` at the file-system
    root), must fail before anything is created. The folders that are missing now are remembered, so
    a run that fails its preflight removes exactly what this process created.
    """
    path = Path(runs_root(check_results_dir(results_dir)), check_system_name(system), new_run_id()).absolute()
    for folder in (path.parent.parent, path.parent):  # runs/ and runs/<system>/, as found in results
        if folder.is_symlink():
            raise BenchError(f"{folder}: is a link; run folders must be real folders under results_dir "
                             "(a planted link would send the run elsewhere): remove the link")
    return planned(path)


def planned(path: Path) -> str:
    """``path``, once it is clear that it can be made; the folders missing now are remembered, so that a
    job which fails before it starts removes exactly those (:func:`discard_unstarted`)."""
    _CREATED[path] = creatable(path)
    return str(path)


def check_results_dir(results_dir: object) -> str:
    """``results_dir`` as given, unless it is empty: ``results_dir=$UNSET`` would put runs and caches
    (``${results_dir}/cache``) at the file-system root."""
    return str(path_text(results_dir, "results_dir"))


def creatable(path: Path) -> list[Path]:
    """The folders of ``path`` that are missing (``path`` first), once it is clear they can be made:
    the nearest existing one is a folder where a folder can be made, found by making one and removing
    it (permission bits are not the answer for root, nor on ``/proc`` or a read-only file system)."""
    missing, existing = [], path
    while not existing.exists() and not existing.is_symlink():
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise BenchError(f"{existing}: is a file, not a folder; choose another results_dir")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=temp_prefix("probe"), suffix=".tmp", dir=existing))
    except OSError as exc:
        raise BenchError(f"{existing}: cannot create folders here ({exc.strerror}); make it writable or "
                         "choose another results_dir") from None
    return missing


@functools.cache
def sweep_id() -> str:
    """One id per launching process: Hydra resolves ``hydra.sweep.dir`` more than once."""
    return new_run_id()


#: where a sweep's launching process tells its jobs the sweep's folder
SWEEP_ENV = "BENCH_SWEEP_DIR"


def folder_of_job() -> str | None:
    """Inside a job of a sweep, the sweep's folder as its launching process made it; else None.

    Hydra resolves ``hydra.sweep.dir`` again for each job, with the job's own settings, only to put
    the job's run folder under it (an absolute one stays as it is). A job's own ``results_dir`` is
    checked with its run folder (:func:`bench.cli.sweeps.job_folder`), where a refusal fails that job
    alone."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized() or OmegaConf.is_missing(HydraConfig.get().job, "num"):
        return None
    return os.environ.get(SWEEP_ENV)


def new_sweep_folder(results_dir: str) -> str:
    """``<results>/sweeps/<sweep-id>``: each sweep's own record (``multirun.yaml``,
    :mod:`bench.cli.sweeps`); in a job of a sweep, that sweep's folder (:func:`folder_of_job`)."""
    made = folder_of_job()
    if made:
        return made
    path = Path(check_results_dir(results_dir), "sweeps", sweep_id()).absolute()
    creatable(path)
    return str(path)


OmegaConf.register_new_resolver("run_dir", new_run_folder, replace=True)
OmegaConf.register_new_resolver("sweep_dir", new_sweep_folder, replace=True)

#: what Hydra writes into a run folder before the command starts
_HYDRA_FILES = (".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml")


def discard_unstarted(run_dir: Path) -> None:
    """After a failed preflight: remove Hydra's files and the folders this process created for the
    run, if they hold nothing else. Never a folder that existed before (``hydra.run.dir=.``), never
    a file bench did not write, never recursively."""
    created = _CREATED.get(Path(run_dir).absolute(), [])
    if not created or (Path(run_dir) / RUN_JSON).exists():
        return
    for name in _HYDRA_FILES:
        (Path(run_dir) / name).unlink(missing_ok=True)
    for folder in [Path(run_dir) / ".hydra", *created]:
        try:
            folder.rmdir()  # only if empty
        except OSError:
            return


def hypotheses_path(run_dir: Path, pair: str) -> Path:
    return inside(run_dir, f"{HYPOTHESES}/{Pair(pair)}.txt")


def one_line(text: str) -> str:
    """Hypotheses are stored one per line: fold any line breaks a system produced into spaces."""
    return " ".join(text.splitlines()).strip() if ("\n" in text or "\r" in text) else text.strip()


def hypotheses_text(lines: list[str]) -> str:
    return "".join(one_line(x) + "\n" for x in lines)


def write_hypotheses(run_dir: Path, pair: str, lines: list[str]) -> None:
    atomic_write_text(hypotheses_path(run_dir, pair), hypotheses_text(lines))


def read_hypotheses(path: Path, rows: int) -> list[str]:
    """Read a hypothesis file that must have exactly ``rows`` lines (one per reference row)."""
    text = read_text(path).removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if len(lines) != rows:
        raise BenchError(
            f"{path}: {len(lines)} lines but the test set has {rows} rows; "
            "it must hold one translation per reference row, in reference order"
        )
    return lines


# --- checking plain JSON values -------------------------------------------------------------------

class _Fields:
    """Typed access to one JSON object of a contract file; every failure names the file and key."""

    def __init__(self, data: object, where: str, key: str = "") -> None:
        self.where, self.key = where, key
        if not isinstance(data, dict):
            self.fail(key or "the file", "an object")
        self.data: dict[str, Any] = data

    def fail(self, key: str, wanted: str) -> None:
        raise BenchError(f"{self.where}: {key} must be {wanted}; the file is damaged or not written by "
                         "bench, delete the run folder or rerun it")

    def _name(self, key: str) -> str:
        return f"{self.key}.{key}" if self.key else key

    def get(self, key: str, kind: Any, wanted: str, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail(self._name(key), wanted)
        return value

    def text(self, key: str, optional: bool = False) -> str | None:
        return self.get(key, str, "a string", optional)

    def moment(self, key: str, optional: bool = False) -> str | None:
        """An ISO-8601 time with its UTC offset, returned in UTC so that times compare as text, and
        no later than :data:`CLOCK_SKEW` from now: the board keeps each system's newest run, and a
        date from the future (or ``zzz``, which sorts after every date) must not decide that."""
        value = self.text(key, optional)
        if value is None:
            return None
        try:
            when = _dt.datetime.fromisoformat(value)
            utc = when.astimezone(_dt.timezone.utc) if when.tzinfo is not None else None
        except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 has no UTC time
            utc = None
        if utc is None or utc > _dt.datetime.now(_dt.timezone.utc) + CLOCK_SKEW:
            self.fail(self._name(key), "an ISO-8601 time with its UTC offset, at most a day ahead of "
                      "this clock")
        return utc.isoformat(timespec="seconds")

    def obj(self, key: str, optional: bool = False) -> _Fields:
        value = self.get(key, dict, "an object", optional)
        return _Fields(value or {}, self.where, self._name(key))

    def strings(self, key: str) -> list[str]:
        value = self.get(key, list, "a list of strings", optional=True) or []
        if not all(isinstance(v, str) for v in value):
            self.fail(self._name(key), "a list of strings")
        return list(value)


def _all_finite(values: list) -> bool:
    """Whether every item is a finite number, in one numpy pass: a stored score holds a number per
    statistic per segment, and the board reads those of every run (a check per number was most of
    reading 50 runs). JSON gives exactly ``int``, ``float`` and ``bool``; bools are not numbers."""
    if not {type(v) for v in values} <= {int, float}:
        return False
    try:
        return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())
    except OverflowError:  # an integer beyond any float
        return False


# --- run.json -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PairRecord:
    """The test-set version a pair was translated on."""

    sha256: str
    rows: int


@dataclass
class RunRecord:
    """``run.json``. Written by ``run``; read (and validated) by ``score``, the summaries and the board.

    ``provenance`` holds what is recorded for people and never decides anything (package versions,
    machine, timings, cache counts, the system's own description); it is kept as written.
    """

    run_id: str
    system: str
    fingerprint: str
    system_class: str
    identity: dict[str, Any]
    testset: str
    pairs: dict[Pair, PairRecord]
    metrics: list[str]
    created: str
    status: str = RUNNING
    finished: str | None = None
    #: a baseline (``copy``, ``reference``, ``model.baseline=true``): drawn on the board, never ranked
    baseline: bool = False
    #: a smoke run (``limit=N``): only the first N segments of each pair; never ranked
    limit: int | None = None
    #: the process that wrote the record, so a later command can tell a killed run from a live one
    pid: int | None = None
    host: str | None = None
    overrides: list[str] = field(default_factory=list)
    bench_version: str = ""
    git_commit: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    def to_json(self) -> dict[str, Any]:
        return {
            **self.provenance,
            "schema_version": self.schema_version,
            "bench_version": self.bench_version,
            "status": self.status,
            "run_id": self.run_id,
            "created": self.created,
            **({"finished": self.finished} if self.finished else {}),
            **({"limit": self.limit} if self.limit else {}),
            "pid": self.pid,
            "host": self.host,
            "overrides": self.overrides,
            "system": {"name": self.system, "class": self.system_class, "fingerprint": self.fingerprint,
                       "identity": self.identity, "baseline": self.baseline},
            "testset": {"name": self.testset,
                        "pairs": {p: {"sha256": r.sha256, "rows": r.rows} for p, r in self.pairs.items()}},
            "pairs": list(self.pairs),
            "metrics": self.metrics,
            "versions": self.versions,
            "git_commit": self.git_commit,
        }

    @classmethod
    def parse(cls, data: object, where: str) -> RunRecord:
        top = _Fields(data, where)
        version = top.get("schema_version", int, f"{SCHEMA_VERSION} (this bench's run.json schema)",
                          optional=True)
        if version != SCHEMA_VERSION:
            raise BenchError(f"{where}: schema_version {version} is not {SCHEMA_VERSION} (written by another "
                             "bench version); rerun the system with this version")
        status = top.text("status")
        if status not in STATUSES:
            top.fail("status", f"one of {', '.join(STATUSES)}")
        system = top.obj("system")
        testset = top.obj("testset")
        pairs_node = testset.obj("pairs")
        pairs: dict[Pair, PairRecord] = {}
        for name, entry in pairs_node.data.items():
            pair = Pair(name, f"{where}: testset.pairs")
            node = _Fields(entry, where, f"testset.pairs.{name}")
            digest = node.text("sha256")
            rows = node.get("rows", int, "a whole number")
            if not _SHA256.fullmatch(digest):
                node.fail(f"testset.pairs.{name}.sha256", "a sha256 hex digest")
            if not 0 < rows <= MAX_ROWS:
                node.fail(f"testset.pairs.{name}.rows", f"between 1 and {MAX_ROWS}")
            pairs[pair] = PairRecord(digest, rows)
        if not pairs:
            testset.fail("testset.pairs", "a non-empty object")
        versions = top.obj("versions", optional=True).data
        if not all(isinstance(v, str | None) for v in versions.values()):
            top.fail("versions", "an object of version strings")
        limit = top.get("limit", int, "a whole number of at least 1", optional=True)
        if limit is not None and limit < 1:
            top.fail("limit", "a whole number of at least 1")
        known = {"schema_version", "bench_version", "status", "run_id", "created", "finished", "overrides",
                 "system", "testset", "pairs", "metrics", "versions", "git_commit", "limit", "pid", "host"}
        return cls(
            run_id=top.text("run_id"),
            system=check_system_name(system.text("name"), f"{where}: system.name"),
            fingerprint=system.text("fingerprint"),
            system_class=system.text("class"),
            baseline=bool(system.get("baseline", bool, "true or false", optional=True)),
            identity=system.obj("identity", optional=True).data,
            testset=testset.text("name"),
            pairs=pairs,
            metrics=[check_metric_name(m, f"{where}: metrics") for m in top.strings("metrics")],
            created=top.moment("created"),
            status=status,
            finished=top.moment("finished", optional=True),
            limit=limit,
            pid=top.get("pid", int, "a process id", optional=True),
            host=top.text("host", optional=True),
            overrides=top.strings("overrides"),
            bench_version=top.text("bench_version", optional=True) or "",
            git_commit=top.text("git_commit", optional=True),
            versions=versions,
            provenance={k: v for k, v in top.data.items() if k not in known},
        )


# --- scores.json ----------------------------------------------------------------------------------



def parse_score(data: object, name: str, rows: int, where: str) -> Score:
    """One stored :class:`Score`, checked: finite numbers, one statistics row per segment, rows of
    one width, and an interval that is either absent or two finite numbers."""
    node = _Fields(data, where, name)
    score = node.get("score", int | float, "a finite number")
    if not _all_finite([score]):
        node.fail(f"{name}.score", "a finite number")
    signature = node.text("signature")
    stats = node.get("stats", list, "a list of rows of numbers", optional=True)
    if stats is not None:
        width = len(stats[0]) if stats and isinstance(stats[0], list) else -1
        if (len(stats) != rows or width < 1 or not all(isinstance(r, list) and len(r) == width for r in stats)
                or not _all_finite([x for r in stats for x in r])):
            node.fail(f"{name}.stats", f"{rows} rows of finite numbers, all of one width")
    segments = node.get("segments", list, "a list of numbers", optional=True)
    if segments is not None and (len(segments) != rows or not _all_finite(segments)):
        node.fail(f"{name}.segments", f"{rows} finite numbers")
    interval = [node.data.get("ci_low"), node.data.get("ci_high")]
    if interval != [None, None] and not _all_finite(interval):
        node.fail(f"{name}.ci_low/ci_high", "two finite numbers (or absent)")
    extra = node.obj("extra", optional=True).data
    boot = extra.get("bootstrap")
    if boot is not None:
        if not isinstance(boot, dict):
            node.fail(f"{name}.extra.bootstrap", "an object")
        try:
            settings = Bootstrap.from_cfg({k: boot.get(k) for k in ("samples", "seed", "confidence")})
        except BenchError:
            settings = None
        if settings is None or not settings.believable(rows):
            node.fail(f"{name}.extra.bootstrap", f"valid bootstrap settings ({limits()})")
    return Score(metric=name, score=float(score), signature=signature, stats=stats, segments=segments,
                 ci_low=interval[0], ci_high=interval[1], extra=extra)


@dataclass
class PairScores:
    """A pair's scores, and the sha256 of the hypotheses they were computed from."""

    hypotheses_sha256: str
    metrics: dict[str, Score] = field(default_factory=dict)


@dataclass
class RunScores:
    """``scores.json``: ``{"schema_version", "pairs": {pair: {"hypotheses_sha256", "metrics"}}}``."""

    pairs: dict[Pair, PairScores] = field(default_factory=dict)

    def get(self, pair: str) -> dict[str, Score]:
        held = self.pairs.get(pair)
        return held.metrics if held else {}

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION,
                "pairs": {p: {"hypotheses_sha256": s.hypotheses_sha256,
                              "metrics": {n: score.to_json() for n, score in sorted(s.metrics.items())}}
                          for p, s in sorted(self.pairs.items())}}

    @classmethod
    def parse(cls, data: object, record: RunRecord, where: str) -> RunScores:
        top = _Fields(data, where)
        if top.data.get("schema_version") != SCHEMA_VERSION:
            raise BenchError(f"{where}: not a scores file of schema_version {SCHEMA_VERSION}; "
                             "rescore with `python -m bench score force=true`")
        pairs: dict[Pair, PairScores] = {}
        for name, entry in top.obj("pairs").data.items():
            pair = Pair(name, f"{where}: pairs")
            if pair not in record.pairs:
                top.fail(f"pairs.{name}", "a pair the run translated")
            node = _Fields(entry, where, f"pairs.{name}")
            digest = node.text("hypotheses_sha256")
            if not _SHA256.fullmatch(digest):
                node.fail(f"pairs.{name}.hypotheses_sha256", "a sha256 hex digest")
            metrics = {check_metric_name(m, f"{where}: pairs.{name}.metrics"):
                       parse_score(s, m, record.pairs[pair].rows, where)
                       for m, s in node.obj("metrics").data.items()}
            pairs[pair] = PairScores(digest, metrics)
        return cls(pairs)


# --- the run folder -------------------------------------------------------------------------------

@dataclass
class Run:
    path: Path
    record: RunRecord

    @property
    def system(self) -> str:
        return self.record.system

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def complete(self) -> bool:
        return self.record.complete

    def hypotheses(self, pair: str) -> list[str]:
        return read_hypotheses(hypotheses_path(self.path, pair), self.record.pairs[Pair(pair)].rows)

    def hypotheses_sha256(self, pair: str) -> str:
        """The hash scores are tied to: of the lines as they are read, so a changed file is noticed."""
        return sha256_text(hypotheses_text(self.hypotheses(pair)))

    def scores(self) -> RunScores:
        file = inside(self.path, SCORES_JSON)
        return RunScores.parse(read_json(file), self.record, str(file)) if file.is_file() else RunScores()

    def save_scores(self, scores: RunScores) -> None:
        atomic_write_json(inside(self.path, SCORES_JSON), scores.to_json())

    def save_record(self) -> None:
        atomic_write_json(inside(self.path, RUN_JSON), self.record.to_json())

    def save_samples(self, rows: list[dict[str, Any]]) -> None:
        atomic_write_text(inside(self.path, SAMPLES_JSONL), jsonl_text(rows))

    def orphaned(self) -> bool:
        """A run still marked running whose process on this machine is gone (killed, crashed)."""
        return (self.record.status == RUNNING and self.record.host == socket.gethostname()
                and bool(self.record.pid) and not alive(self.record.pid))


def load_run(run_dir: Path) -> Run:
    """The run in ``run_dir``, its ``run.json`` validated and consistent with where it lies."""
    file = Path(run_dir) / RUN_JSON
    record = RunRecord.parse(read_json(file), str(file))
    folder = Path(run_dir)
    if record.run_id != folder.name or record.system != folder.parent.name:
        raise BenchError(f"{file}: records run {record.system}/{record.run_id} but lies in "
                         f"{folder.parent.name}/{folder.name} (moved or edited?); move it back or delete it")
    return Run(folder, record)


def discover_runs(results_dir: str | Path) -> tuple[list[Run], list[str]]:
    """Every complete run under ``results_dir``, plus one line per folder that was skipped and why."""
    runs: list[Run] = []
    unfinished: list[Run] = []
    skipped: list[str] = []
    root = runs_root(results_dir)
    for file in sorted(root.glob(f"*/*/{RUN_JSON}")):
        where = f"{file.parent.parent.name}/{file.parent.name}"  # the same on every machine
        if file.is_symlink() or file.parent.is_symlink() or file.parent.parent.is_symlink():
            skipped.append(f"{where}: a symlink; runs must be real folders under {root}")
            continue
        try:
            run = load_run(file.parent)
        except BenchError as exc:
            skipped.append(str(exc).replace(f"{root}/", ""))
            continue
        for folder in (run.path, run.path / HYPOTHESES):  # what a killed writer left half-written
            sweep_stale_temp(folder)
        (runs if run.complete else unfinished).append(run)
    return runs, skipped + [unfinished_note(run, runs) for run in unfinished]


def unfinished_note(run: Run, complete: list[Run]) -> str:
    """Why an unfinished run is left out, and what to do: resume it, unless that was done already (a
    resumed run finishes in a new folder, and the old one stays behind)."""
    if run.orphaned():
        run.record.status = INTERRUPTED
        with contextlib.suppress(BenchError):  # a read-only results folder: say so all the same
            run.save_record()
    where = f"{run.path.parent.name}/{run.run_id}"
    state = ("interrupted (not finished, and its process is gone)" if run.record.status == INTERRUPTED
             else "not finished (still running, or stopped on another machine)")
    resumed = next((r for r in complete if resumes(r.record, run.record)), None)
    if resumed is not None:
        return (f"{where}: {state}; finished since as {resumed.path.parent.name}/{resumed.run_id}, so this "
                "folder can be deleted")
    return f"{where}: {state}; run the same command again to resume it"


def resumes(later: RunRecord, earlier: RunRecord) -> bool:
    """Whether ``later`` is ``earlier`` run again: the same system, test set and limit, started after it."""
    return (later.system == earlier.system and later.fingerprint == earlier.fingerprint
            and later.pairs == earlier.pairs and later.limit == earlier.limit
            and (later.created, later.run_id) > (earlier.created, earlier.run_id))
