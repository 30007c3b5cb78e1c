"""``python -m bench human import``: WMT MQM, avg_seg_scores, ESA CSV, matched to a test set and runs the
way a user would have them, through the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.human.formats import mqm_weight
from bench.human.store import PairJudgments
from bench.metrics import load_metric
from bench.metrics.base import Score
from bench.refset.store import Segment, canonical_sha256
from bench.store.runs import write_hypotheses
from tests.helpers import bench, write_references, write_run_record, write_run_scores

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


MAPPING = "systems={WMT.good:good,WMT.mid:mid,WMT.weak:weak,WMT.bad:bad}"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def stored(w: World) -> PairJudgments:
    return PairJudgments.read(w.results / "human" / "references" / f"{PAIR}.jsonl")


def test_mqm_scores_are_minus_weighted_errors_averaged_over_raters(world: World, tmp_path: Path):
    tsv = mqm_tsv(tmp_path / "mqm.tsv")
    out = bench("human", "import", "format=mqm", f"path={tsv}", MAPPING, *world.args())
    assert out.returncode == 0, out.stderr
    held = stored(world)
    assert held.protocol == "mqm" and held.sha256 == canonical_sha256(world.segments)
    scores = held.segment_scores()
    assert sorted(scores) == ["bad", "good", "mid", "weak"]
    for system in ("good", "mid", "weak", "bad"):
        for i, seg in enumerate(world.segments):
            assert scores[system][seg.id] == pytest.approx(expected_mqm(f"WMT.{system}", i))
    assert scores["bad"][world.segments[1].id] == -25.0 and scores["weak"][world.segments[1].id] == -5.1
    assert len(held.judgments) == 4 * 12 * 2  # every rater counts, No-error rows included
    assert "systems that matched nothing: 1 (24 rows left out): WMT.unknown" in out.stderr
    assert "segments matched by source" in out.stderr
    file = world.results / "human" / "references" / f"{PAIR}.jsonl"
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    assert set(rows[0]) == {"schema_version", "testset", "pair", "sha256", "protocol", "system", "segment",
                            "rater", "score"}


def test_avg_seg_scores_by_row_and_esa_csv_by_id(world: World, tmp_path: Path):
    avg = tmp_path / "avg.tsv"
    avg.write_text("system\tmqm_avg_score\tseg_id\n" + "".join(
        f"WMT.good\t{'None' if i == 3 else -i / 10:.6f}\t{i + 1}\n".replace("nan", "None") if i != 3
        else "WMT.good\tNone\t4\n" for i in range(12)) + "WMT.good\t-1.0\t99\n", encoding="utf-8")
    out = bench("human", "import", "format=mqm_avg", f"path={avg}", "match=row", "systems={WMT.good:good}",
                *world.args())
    assert out.returncode == 0, out.stderr
    scores = stored(world).segment_scores()["good"]
    assert len(scores) == 11 and world.segments[3].id not in scores  # None: unrated
    assert scores[world.segments[5].id] == pytest.approx(-0.5)
    assert "segments that matched nothing: 1 (1 rows left out): 99" in out.stderr
    esa = tmp_path / "esa.csv"
    esa.write_text("system,segment id,score,rater\n" + "".join(
        f"{s},{seg.id},{70 - 10 * n + i},r{i % 2}\n" for n, s in enumerate(SYSTEMS)
        for i, seg in enumerate(world.segments)), encoding="utf-8")
    refused = bench("human", "import", "format=esa", f"path={esa}", *world.args())
    assert refused.returncode == 2 and "holds mqm judgments and these are esa" in refused.stderr
    out = bench("human", "import", "format=esa", f"path={esa}", "replace=true", *world.args())
    assert out.returncode == 0, out.stderr
    held = stored(world)
    assert held.protocol == "esa" and held.segment_scores()["mid"][world.segments[2].id] == 62.0
    assert "segments matched by id" in out.stderr


@pytest.mark.parametrize("content, message", [
    ("system\tmqm_avg_score\tseg_id\nA\tlots\t1\n", "row 2: mqm_avg_score 'lots' is not a finite number"),
    ("system\tscore\tseg_id\nA\t1\t1\n", "row 1: the header lacks mqm_avg_score"),
    ("system\tmqm_avg_score\tseg_id\nA\t-1\n", "row 2: 2 fields, expected 3"),
])
def test_a_bad_file_is_one_line_naming_file_and_row(world: World, tmp_path: Path, content: str, message: str):
    bad = tmp_path / "bad.tsv"
    bad.write_text(content, encoding="utf-8")
    out = bench("human", "import", "format=mqm_avg", f"path={bad}", "match=row", *world.args())
    assert out.returncode == 2 and f"{bad}: {message}" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (world.results / "human").exists()


def test_nothing_matched_and_a_mapping_of_an_absent_system_are_refused(world: World, tmp_path: Path):
    tsv = mqm_tsv(tmp_path / "mqm.tsv")
    out = bench("human", "import", "format=mqm", f"path={tsv}", *world.args())
    assert out.returncode == 2 and "nothing matched" in out.stderr and "systems={name_in_file: run_name}" \
        in out.stderr
    out = bench("human", "import", "format=mqm", f"path={tsv}", "systems={WMT.typo:good}", *world.args())
    assert out.returncode == 2 and "systems.WMT.typo: no system of that name in the file" in out.stderr
    assert not (world.results / "human").exists()


def test_an_esa_row_that_is_not_a_score_names_its_row(world: World, tmp_path: Path):
    esa = tmp_path / "esa.csv"
    esa.write_text(f"system,segment,score\ngood,{world.segments[0].id},80\ngood,{world.segments[1].id},n/a\n",
                   encoding="utf-8")
    out = bench("human", "import", "format=esa", f"path={esa}", *world.args())
    assert out.returncode == 2 and f"{esa}: row 3: score 'n/a' is not a finite number" in out.stderr


def test_pearmut_annotations_need_this_campaigns_sidecar(world: World, tmp_path: Path):
    out = tmp_path / "campaign"
    assert bench("human", "export", "campaign.budget=3", "campaign.attention=0", f"campaign.out={out}",
                 *world.args()).returncode == 0
    sidecar = json.loads((out / "campaign.sidecar.json").read_text())
    item = json.loads((out / "campaign.json").read_text())["data"][0][0]
    record = {"user_id": "u1", "item_i": 0, "item": [item],
              "annotation": [{k: {"score": 50, "error_spans": []} for k in item["tgt"]}]}
    annotations = tmp_path / "annotations.json"
    annotations.write_text(json.dumps({sidecar["campaign_id"]: [record]}), encoding="utf-8")
    args = ["human", "import", "format=pearmut", f"path={annotations}", *world.args()]
    done = bench(*args, f"sidecar={out / 'campaign.sidecar.json'}")
    assert done.returncode == 0, done.stderr
    assert len(stored(world).judgments) == 4
    forged = dict(sidecar, items={"i9999": sidecar["items"][item["item_id"]]})
    (tmp_path / "other.json").write_text(json.dumps(forged), encoding="utf-8")
    done = bench(*args, f"sidecar={tmp_path / 'other.json'}")
    assert done.returncode == 2 and f"item '{item['item_id']}' is not one of the sidecar's" in done.stderr
    (tmp_path / "old.json").write_text(json.dumps(dict(sidecar, sha256="0" * 64)), encoding="utf-8")
    done = bench(*args, f"sidecar={tmp_path / 'old.json'}")
    assert done.returncode == 2 and "sha256 differs" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
