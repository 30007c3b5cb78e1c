"""Scoring hygiene (issue 14 item 4): every metric sees NFC-normalised lines, its signature says so,
and the board counts what would otherwise distort a score quietly (decomposed Unicode, Vietnamese
tone-mark placement, Latin letters in Kazakh Cyrillic words, empty outputs, truncation, source copies).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import bench


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
