"""``python -m bench human import``: WMT MQM, avg_seg_scores, ESA CSV, matched to a test set and runs the
way a user would have them, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.human.store import PairJudgments
from bench.refset.store import canonical_sha256
from tests.support.cli import bench
from tests.support.human import PAIR, SYSTEMS, World, expected_mqm, make_world, mqm_tsv

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
