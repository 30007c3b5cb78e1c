"""The ``file`` system: pre-computed translations, validated before anything is scored."""

from __future__ import annotations

from tests.support.cli import bench
from tests.support.refs import ROWS, write_references


def test_bench_run_scores_a_folder_of_translations(tmp_path):
    refs = tmp_path / "references"
    write_references(refs, {"zh-kk": ROWS})
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "zh-kk.txt").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(r for _, r in ROWS).encode())
    out = bench("run", "model=file", f"model.path={outputs}", "model.name=my-files", f"dataset.path={refs}",
                "metric=[bleu]", f"results_dir={tmp_path / 'results'}")
    assert out.returncode == 0, out.stderr
    [run] = (tmp_path / "results" / "runs" / "my-files").iterdir()
    assert (run / "hypotheses" / "zh-kk.txt").read_text(encoding="utf-8").splitlines() == [r for _, r in ROWS]
