"""The run command's contract with score, in process."""

from __future__ import annotations

from bench.metrics import load_metric
from bench.metrics.scoring import score_run
from bench.refset.store import LocalReferences
from bench.store.runs import load_run
from bench.store.scores import ScoreCache
from tests.support.runs import PAIRS, make_run


def test_score_run_contract_for_the_run_command(score_folders, tmp_path):
    refs, results = score_folders
    run = load_run(make_run(results, refs, "good", "hyp_a"))
    metrics = {name: load_metric(name) for name in ("bleu", "chrfpp", "off_target", "length_ratio")}
    cache = ScoreCache(tmp_path / "scores.sqlite")
    returned = score_run(run, LocalReferences(refs), metrics, {"samples": 200, "seed": 1, "confidence": 0.9},
                         cache=cache)
    assert returned == run.scores()
    for pair in PAIRS:
        assert set(returned.get(pair)) == set(metrics)
        assert returned.get(pair)["off_target"].score == 0.0
        assert returned.get(pair)["chrfpp"].extra["bootstrap"] == {
            "method": "percentile", "samples": 200, "seed": 1, "confidence": 0.9}
    # a second call has nothing to do and keeps what is there
    assert score_run(run, LocalReferences(refs), metrics, None) == returned

