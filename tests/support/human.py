"""A one-pair test set with one scored run per system, and WMT MQM files about it, for the human
judgement tests (import, export, board, Pearmut)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.core.score import Score
from bench.human.formats import mqm_weight
from bench.metrics import load_metric
from bench.refset.store import Segment, canonical_sha256
from bench.store.runs import write_hypotheses
from tests.support.refs import write_references
from tests.support.runs import write_run_record, write_run_scores

PAIR = "zh-en"


SOURCES = [f"第{i}句话。" for i in range(12)]


REFS = [f"This is sentence number {i} of the test set." for i in range(12)]


#: run name -> how many words of each reference it drops (more dropped, lower chrF)
SYSTEMS = {"good": 0, "mid": 2, "weak": 4, "bad": 6}


def output(ref: str, drop: int, i: int) -> str:
    words = ref.split()
    return " ".join(words[: max(1, len(words) - drop - (i % 3))])


def scores_for(segments: list[Segment], outputs: list[str]) -> dict[str, Score]:
    """chrF as the metric computes it, and a made-up COMET with its per-segment statistics."""
    chrf = load_metric("chrf").score([s.src for s in segments], outputs, [s.ref for s in segments],
                                     src_lang="zh", tgt_lang="en")
    values = [round(0.2 + 0.006 * c, 4) for c in chrf.segments]
    comet = Score(metric="comet", score=sum(values) / len(values), signature="comet|synthetic",
                  stats=[[v] for v in values], segments=values)
    return {"chrf": chrf, "comet": comet}


@dataclass
class World:
    references: Path
    results: Path
    segments: list[Segment]

    def args(self, *more: str) -> list[str]:
        return [f"dataset.path={self.references}", f"results_dir={self.results}", *more]


def make_world(root: Path, systems: dict[str, int] = SYSTEMS, extra: dict | None = None) -> World:
    """A one-pair test set and one complete run per system, scored with chrF and COMET (``extra``:
    ``{system: {metric: Score}}`` added to a run's scores)."""
    segments = write_references(root / "references", {PAIR: list(zip(SOURCES, REFS))})[PAIR]
    results = root / "results"
    for n, (system, drop) in enumerate(systems.items()):
        folder = results / "runs" / system / f"20261101-09000{n}-aaaaaa"
        outputs = [output(s.ref, drop, i) for i, s in enumerate(segments)]
        write_hypotheses(folder, PAIR, outputs)
        write_run_record(folder, system, {PAIR: (canonical_sha256(segments), len(segments))})
        write_run_scores(folder, {PAIR: {**scores_for(segments, outputs), **(extra or {}).get(system, {})}})
    return World(root / "references", results, segments)


#: the MQM errors each WMT system gets on every segment (Major, Minor, Minor Fluency/Punctuation)
ERRORS = {"WMT.good": [], "WMT.mid": [("Accuracy/Mistranslation", "Minor")],
          "WMT.weak": [("Fluency/Punctuation", "Minor"), ("Accuracy/Omission", "Major")],
          "WMT.bad": [("Non-translation!", "Major")], "WMT.unknown": [("Style/Awkward", "Minor")]}


HEADER = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"


def mqm_tsv(path: Path, errors: dict = ERRORS, raters: tuple[str, ...] = ("rater1", "rater2"),
            sources: list[str] = SOURCES) -> Path:
    """A WMT MQM file: one row per error, a No-error row for a rater who found none; rater2 finds
    nothing on even segments (still counted in the average)."""
    lines = [HEADER]
    for system, found in errors.items():
        for i, src in enumerate(sources):
            for rater in raters:
                mine = found if rater == "rater1" or i % 2 else []
                for category, severity in mine or [("No-error", "No-error")]:
                    lines.append(f"{system}\tdoc1\t{i}\t{i + 1}\t{rater}\t<v>{src}</v>\tt\t{category}\t"
                                 f"{severity}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def expected_mqm(system: str, i: int) -> float:
    """The segment's score computed by hand from the weights."""
    per_rater = [sum(mqm_weight(c, s) for c, s in ERRORS[system]), 0.0 if i % 2 == 0 else
                 sum(mqm_weight(c, s) for c, s in ERRORS[system])]
    return -sum(per_rater) / 2

