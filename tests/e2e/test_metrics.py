"""sacrebleu-based metrics equal the sacrebleu command line, and the light paths never import torch
(golden cases, vectorised formulas and configs are in ``tests/unit/test_metrics.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.metrics import load_metric
from bench.metrics.base import NFC
from tests.support.metrics import PARALLEL

SACREBLEU = Path(sys.executable).parent / "sacrebleu"


def sacrebleu_cli(tmp_path: Path, hyps: list[str], refs: list[str], *extra: str) -> dict[str, dict]:
    (tmp_path / "ref.txt").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (tmp_path / "hyp.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    out = subprocess.run([str(SACREBLEU), str(tmp_path / "ref.txt"), "-i", str(tmp_path / "hyp.txt"),
                          "-m", "bleu", "chrf", "ter", "-w", "6", *extra],
                         capture_output=True, text=True, check=True)
    return {row["name"]: row for row in json.loads(out.stdout)}


@pytest.mark.parametrize("pair", sorted(PARALLEL))
@pytest.mark.parametrize("system", ["hyp_a", "hyp_b"])
def test_bleu_chrf_ter_equal_the_sacrebleu_command_line(pair: str, system: str, tmp_path: Path):
    data = PARALLEL[pair]
    src_lang, tgt_lang = pair.split("-")
    cli = sacrebleu_cli(tmp_path, data[system], data["ref"], *(["-tok", "zh"] if tgt_lang == "zh" else []))
    for name, cli_name in (("bleu", "BLEU"), ("chrf", "chrF2"), ("ter", "TER")):
        score = load_metric(name).score(data["src"], data[system], data["ref"], src_lang=src_lang,
                                        tgt_lang=tgt_lang)
        assert round(score.score, 6) == pytest.approx(cli[cli_name]["score"], abs=1e-6), name
        assert score.signature == cli[cli_name]["signature"] + NFC, name
        assert len(score.stats) == len(data["ref"])


def test_light_paths_never_import_torch():
    """The leaderboard loads every metric for aggregate(); `score metric=[bleu]` must stay light too."""
    code = ("import sys; from bench.metrics import load_metric; import bench.commands.score, "
            "bench.metrics.scoring, "
            "bench.metrics.significance\n"
            "for n in ('bleu', 'chrf', 'comet', 'cometkiwi', 'off_target', 'length_ratio'): load_metric(n)\n"
            "heavy = [m for m in ('torch', 'comet', 'lingua', 'transformers') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


