"""xCOMET: scores and error spans equal to unbabel-comet's own predict, preflight, signature; and
`bench run 'metric=[chrf,comet,metricx,xcomet]'` end to end on the tiny checkpoints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.metrics import comet as comet_module
from bench.metrics.xcomet import XComet
from tests.support.cli import bench
from tests.support.metrics import PARALLEL
from tests.support.refs import write_references

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def metric(tiny_xcomet: Path) -> XComet:
    comet_module._LOADED.clear()
    return XComet(checkpoint=str(tiny_xcomet), progress=False)


def comet_predict(checkpoint: Path, src: list[str], hyp: list[str], ref: list[str] | None):
    from comet import load_from_checkpoint

    model = load_from_checkpoint(str(checkpoint), local_files_only=True)
    samples = [{"src": s, "mt": h, **({"ref": r} if ref else {})} for s, h, r in zip(src, hyp, ref or src)]
    return model.predict(samples, batch_size=4, gpus=0, progress_bar=False)


@pytest.mark.parametrize("mode", ["ref", "qe"])
def test_scores_and_spans_equal_comet_predict(metric: XComet, tiny_xcomet: Path, mode: str):
    metric.mode = mode
    found_spans = 0
    for pair in ("zh-kk", "zh-vi"):
        data = PARALLEL[pair]
        ours = metric.score(data["src"], data["hyp_a"], data["ref"], src_lang="zh", tgt_lang=pair[3:])
        refs = data["ref"] if mode == "ref" else None
        theirs = comet_predict(tiny_xcomet, data["src"], data["hyp_a"], refs)
        assert np.abs(np.array(ours.segments) - np.array(theirs.scores)).max() < 1e-5
        assert ours.score == pytest.approx(float(np.mean(theirs.scores)), abs=1e-5)
        assert [row[0] for row in ours.stats] == ours.segments
        spans = ours.extra["error_spans"]
        assert len(spans) == len(data["src"])
        for mine, real in zip(spans, theirs.metadata.error_spans):
            assert [(s["text"], s["severity"], s["start"], s["end"]) for s in mine] == \
                [(s["text"], s["severity"], s["start"], s["end"]) for s in real]
            assert [s["confidence"] for s in mine] == pytest.approx([s["confidence"] for s in real], abs=1e-5)
        found_spans += sum(map(len, spans))
    assert found_spans > 0  # the comparison compared spans, not empty lists
    json.dumps(ours.to_json())  # spans are plain JSON


def test_signature_adds_mode_and_bench_version(metric: XComet):
    expected = (r"model:tiny-xcomet-[0-9a-f]{16}\|ckpt:[0-9a-f]{12}\|comet:2\.2\.7\|precision:fp32\|bs:8"
                r"\|mode:ref\|bench:\d+\.\d+\.\d+")
    assert re.fullmatch(expected, metric.expected_signature("zh", "kk"))


def test_preflight_refuses_missing_and_non_xcomet_checkpoints(tiny_comet: Path, tmp_path: Path):
    with pytest.raises(BenchError, match=r"^COMET model Unbabel/XCOMET-XL is not available offline: .*"
                                         r"metric\.xcomet\.checkpoint=PATH/checkpoints/model\.ckpt$"):
        XComet().check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"class_identifier 'regression_metric' is not xcomet_metric"):
        XComet(checkpoint=str(tiny_comet)).check([("zh", "kk")])
    with pytest.raises(BenchError, match=r"metric\.xcomet\.mode=both: choose ref"):
        XComet(mode="both")


def test_bench_run_with_the_neural_metrics_end_to_end(tmp_path: Path, tiny_comet: Path,
                                                      tiny_metricx: Path, tiny_xcomet: Path):
    refs, results = tmp_path / "references", tmp_path / "results"
    data = PARALLEL["zh-kk"]
    write_references(refs, {"zh-kk": list(zip(data["src"], data["ref"]))})
    checkpoints = [f"metric.comet.checkpoint={tiny_comet}", f"metric.xcomet.checkpoint={tiny_xcomet}",
                   *(f"metric.{name}.{key}={tiny_metricx}" for name in ("metricx", "metricx_qe")
                     for key in ("checkpoint", "tokenizer"))]
    out = bench("-m", "run", "model=reference,copy", f"dataset.path={refs}", f"results_dir={results}",
                "metric=[chrf,comet,metricx,metricx_qe,xcomet]", *checkpoints)  # one process: one load each
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("xcomet") >= 2 and "metricx_qe" in out.stdout
    for model, chrf in (("reference", 100.0), ("copy", None)):
        (run_dir,) = (results / "runs" / model).iterdir()
        scores = json.loads((run_dir / "scores.json").read_text())["pairs"]["zh-kk"]["metrics"]
        assert set(scores) == {"chrf", "comet", "metricx", "metricx_qe", "xcomet"}
        for name, score in scores.items():
            assert score["ci_low"] <= score["score"] <= score["ci_high"], name
            assert len(score["segments"]) == len(data["src"]), name
            assert score["extra"]["bootstrap"]["samples"] == 1000
        assert scores["metricx"]["signature"].startswith(f"model:{tiny_metricx.name}|sha:")
        assert "|mode:qe|" in scores["metricx_qe"]["signature"]
        assert "|mode:ref|" in scores["xcomet"]["signature"]
        assert len(scores["xcomet"]["extra"]["error_spans"]) == len(data["src"])
        assert chrf is None or scores["chrf"]["score"] == pytest.approx(chrf)
    board = bench("leaderboard", f"results_dir={results}", f"dataset.path={refs}")
    assert board.returncode == 0, board.stderr
