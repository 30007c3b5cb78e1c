"""Scoring hygiene (issue 14 item 4): every metric sees NFC-normalised lines, its signature says so,
and the board counts what would otherwise distort a score quietly (decomposed Unicode, Vietnamese
tone-mark placement, Latin letters in Kazakh Cyrillic words, empty outputs, truncation, source copies).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.metrics import load_metric
from bench.metrics.base import NFC
from bench.metrics.scoring import Scorer
from tests.support.cli import bench

DECOMPOSED = "Ho\u0300a Bi\u0300nh"  # "Hòa Bình" typed with combining grave accents
COMPOSED = "H\u00f2a B\u00ecnh"


def test_metrics_score_decomposed_and_composed_text_alike_and_the_signature_says_nfc():
    chrf = load_metric("chrf")
    scorer = Scorer({"chrf": chrf})
    score, _ = scorer.score_pair(chrf, ["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")
    direct = chrf.score(["和平"], [DECOMPOSED], [COMPOSED], src_lang="zh", tgt_lang="vi")  # from Python
    assert score.score == direct.score == 100.0
    assert score.signature == direct.signature and direct.signature.endswith(NFC)
    assert NFC not in direct.signature.removesuffix(NFC)


def test_diagnostics_count_what_distorts_scores():
    from bench.board.diagnostics import Diagnostics, Texts, mixed_script_words, tone_styles

    assert tone_styles("Hoà bình, toà án, thuý") == (3, 0)
    assert tone_styles("Hòa Bình, tòa án, thúy, Thủy") == (0, 4)
    assert tone_styles("quý khách, hoàng hôn, khoa học") == (0, 0)  # qu + y, a final consonant, no tone
    assert mixed_script_words("бiлiм беру") == 1  # Latin i for Kazakh і
    assert mixed_script_words("білім беру, Google компаниясы") == 0
    vi = Diagnostics.of([DECOMPOSED, "", "和平", "hoà"], ["和平"] * 4, "vi", truncated=None)
    assert (vi.empty, vi.source_copies, vi.texts.not_nfc, vi.texts.tones, vi.texts.mixed_script) == \
        (1, 1, 1, (1, 1), None)
    kk = Texts.of(["бiлiм", "білім"], "kk")
    assert kk.mixed_script == 1 and kk.tones is None


def test_the_documented_offline_path_ranks_the_tiny_system_and_draws_copy_as_a_baseline(
        tmp_path: Path, tiny_models, tiny_comet):
    """README's offline recipe (copy, then a tiny NLLB named tiny-nllb, with the tiny COMET): the board
    must not rank ``copy`` first, must say the COMET is tiny, and shows the truncated outputs and the
    source copies; every signature says nfc."""
    results = tmp_path / "results"
    common = [f"results_dir={results}", "pairs=[zh-vi]", "metric=[chrf,comet]",
              f"metric.comet.checkpoint={tiny_comet}", "metric.comet.progress=false"]
    for args in (["model=copy"], ["model=nllb-200-distilled-600M", f"model.path={tiny_models['nllb']}",
                                  "model.name=tiny-nllb", "model.max_new_tokens=3"]):
        out = bench("run", *args, *common)
        assert out.returncode == 0, out.stderr
    [record] = results.glob("runs/tiny-nllb/*/run.json")
    truncated = json.loads(record.read_text())["system_stats"]["truncated"]
    assert truncated > 0
    out = bench("leaderboard", f"results_dir={results}")
    assert out.returncode == 0, out.stderr
    md = (results / "leaderboard.md").read_text(encoding="utf-8")
    section = md.split("\n## zh-vi")[1]
    ranked = section.split("| rank | system |")[1].split("\n\n")[0].splitlines()[2:]
    assert ranked[0].startswith("| 1 | tiny-nllb |") and ranked[1].startswith("| – | copy (baseline) |")
    assert "| rank | system | comet (tiny local checkpoint) | chrf |" in section
    assert "Metrics from tiny local checkpoints: comet (tiny-comet-" in md
    diagnostics = ("| output of |" + section.split("| output of |")[1]).split("\n\n")[0].splitlines()
    head, _, *rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in diagnostics]
    cells = {row[0]: dict(zip(head, row)) for row in rows}
    assert cells["tiny-nllb"]["truncated (whole run)"] == str(truncated)
    assert cells["copy"]["source copies"] == re.search(r"(\d+) segments", section).group(1)  # all of them
    assert all(sig.endswith("|nfc:yes`") for sig in md.split("Signatures:")[1].split("\n\n")[1].splitlines())
