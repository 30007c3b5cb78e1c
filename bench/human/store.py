"""Stored human judgments: ``results/human/<testset>/<pair>.jsonl``, the contract between ``human
import`` and the leaderboard.

One line per rater's score of one system's translation of one segment, every line carrying the test
set, the pair, the sha256 of the pair's rows the judgments were matched against, and the protocol
(``mqm`` or ``esa``: scores on different scales never share a file). Names are the test set's segment
ids and bench's run names, so the board joins them to runs without knowing where they came from.
``pandas.read_json(path, lines=True)`` reads it. Results folders are shared, so the file is parsed
into :class:`PairJudgments` where it is read and every field checked.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.store.io import atomic_write_text, inside, iter_jsonl, jsonl_text
from bench.store.runs import check_system_name

SCHEMA_VERSION = 1
HUMAN = "human"
#: ``results/human/campaigns/``: where ``human export`` writes, so no test set may take the name
CAMPAIGNS = "campaigns"
PROTOCOLS = ("mqm", "esa")
FIELDS = ("schema_version", "testset", "pair", "sha256", "protocol", "system", "segment", "rater", "score")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Judgment:
    system: str  # a run name
    segment: str  # a test-set segment id
    score: float  # higher is better
    rater: str | None


@dataclass
class PairJudgments:
    testset: str
    pair: Pair
    sha256: str
    protocol: str
    judgments: list[Judgment]

    def rows(self) -> list[dict]:
        head = {"schema_version": SCHEMA_VERSION, "testset": self.testset, "pair": str(self.pair),
                "sha256": self.sha256, "protocol": self.protocol}
        return [{**head, "system": j.system, "segment": j.segment, "rater": j.rater, "score": j.score}
                for j in self.judgments]

    def systems(self) -> list[str]:
        return sorted({j.system for j in self.judgments})

    def segment_scores(self) -> dict[str, dict[str, float]]:
        """``system -> segment -> score``, the mean over the segment's raters."""
        held: dict[tuple[str, str], list[float]] = defaultdict(list)
        for j in self.judgments:
            held[(j.system, j.segment)].append(j.score)
        out: dict[str, dict[str, float]] = defaultdict(dict)
        for (system, segment), scores in sorted(held.items()):
            out[system][segment] = math.fsum(scores) / len(scores)
        return dict(out)

    @classmethod
    def read(cls, path: Path) -> PairJudgments:
        found: PairJudgments | None = None
        for number, row in enumerate(iter_jsonl(path), start=1):
            where = f"{path}:{number}"
            if set(row) != set(FIELDS) or row["schema_version"] != SCHEMA_VERSION:
                raise BenchError(f"{where}: not a bench human-judgment row (fields {', '.join(FIELDS)}, "
                                 f"schema_version {SCHEMA_VERSION}); import the judgments again")
            head = (row["testset"], row["pair"], row["sha256"], row["protocol"])
            if found is None:
                found = cls(testset_name(row["testset"], where), Pair(str(row["pair"]), where),
                            _checked_sha(row["sha256"], where), _checked_protocol(row["protocol"], where), [])
            elif head != (found.testset, found.pair, found.sha256, found.protocol):
                raise BenchError(f"{where}: testset, pair, sha256 or protocol differs from line 1; one file "
                                 "holds one pair's judgments: import them again")
            found.judgments.append(_judgment(row, where))
        if found is None:
            raise BenchError(f"{path}: holds no judgments; delete it or import again")
        return found

    def save(self, results_dir: str | Path) -> Path:
        path = judgments_path(results_dir, self.testset, str(self.pair))
        atomic_write_text(path, jsonl_text(self.rows()))
        return path


def _judgment(row: dict, where: str) -> Judgment:
    score, rater, segment = row["score"], row["rater"], row["segment"]
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise BenchError(f"{where}: score must be a finite number; import the judgments again")
    if not isinstance(segment, str) or not (rater is None or isinstance(rater, str)):
        raise BenchError(f"{where}: segment must be a string and rater a string or null")
    return Judgment(check_system_name(row["system"], f"{where}: system"), segment, float(score), rater)


def _checked_sha(value: object, where: str) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise BenchError(f"{where}: sha256 must be a sha256 hex digest")
    return value


def _checked_protocol(value: object, where: str) -> str:
    if value not in PROTOCOLS:
        raise BenchError(f"{where}: protocol must be one of {', '.join(PROTOCOLS)}")
    return str(value)


def testset_name(name: object, where: str = "testset") -> str:
    """A test-set name that is one folder name (``results/human/<name>/``)."""
    if not isinstance(name, str) or not _SLUG.fullmatch(name) or name == CAMPAIGNS:
        raise BenchError(f"{where}={name!r}: a test-set name is letters, digits and . _ - (no / or spaces; "
                         "not 'campaigns'), e.g. testset=wmt20-zhen")
    return name


def default_testset(dataset_name: str) -> str:
    """``local:/data/wmt20-zhen`` -> ``wmt20-zhen``, ``hub:org/set@rev`` -> ``set``: the last part of the
    test set's name, as a folder name."""
    last = re.split(r"[:/\\]", dataset_name.split("@")[0].rstrip("/"))[-1]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-.") or "testset"
    slug = "testset" if slug == CAMPAIGNS else slug
    return testset_name(slug[:100] if slug[0].isalnum() else f"t{slug}"[:100])


def human_root(results_dir: str | Path) -> Path:
    return Path(results_dir) / HUMAN


def judgments_path(results_dir: str | Path, testset: str, pair: str) -> Path:
    return inside(human_root(results_dir), f"{testset_name(testset)}/{Pair(pair)}.jsonl")


def current_judgments(results_dir: str | Path, pair: str,
                      sha256: str) -> tuple[list[PairJudgments], list[str]]:
    """Every stored file of ``pair`` made on this version of it (``sha256``), and a note for each file
    that could not be read or was made on another version."""
    found, notes = [], []
    root = human_root(results_dir)
    for path in sorted(root.glob(f"*/{Pair(pair)}.jsonl")):
        try:
            held = PairJudgments.read(inside(root, f"{path.parent.name}/{path.name}"))
        except BenchError as exc:
            notes.append(str(exc))
            continue
        if held.sha256 != sha256:
            notes.append(f"{path}: human judgments made on another version of {pair}; import them again")
            continue
        found.append(held)
    return found, notes
