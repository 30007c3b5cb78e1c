"""Files and folders from other people as the reference-set builder, ``align`` and the ``file`` system
meet them: links, FIFOs and folders where documents should be, control characters, a page that lost its
sentence ends, numbers on every line, embedding caches that are planted, hang or inflate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT, TEST_ENV, bench, one_line
from tests.support.files import planted_folder
from tests.support.refs import write_references


def test_a_link_in_seeds_dir_is_refused_and_its_target_copied_nowhere(tmp_path: Path):
    seeds, raw, out = planted_folder(tmp_path, "link to a private file"), tmp_path / "raw", tmp_path / "out"
    result = bench("build", f"seeds_dir={seeds}", f"raw_dir={raw}", f"out_dir={out}", "embeddings=false")
    one_line(result, f"{seeds}/b.txt: is a link")
    assert not raw.exists() and not out.exists()


def test_a_fifo_in_raw_dir_is_refused_without_waiting_for_it(tmp_path: Path):
    raw, out = planted_folder(tmp_path, "fifo"), tmp_path / "out"
    one_line(bench("build", f"raw_dir={raw}", f"out_dir={out}", "embeddings=false", timeout=120),
             f"{raw}/b.txt: is a FIFO")
    assert not out.exists()


def test_a_linked_translation_file_is_not_taken_as_a_systems_output(tmp_path: Path):
    """A ``<pair>.txt`` link in someone's ``model=file`` folder would make any file with the right line
    count the hypotheses, and show it on the page."""
    refs, outputs = tmp_path / "references", tmp_path / "outputs"
    write_references(refs, {"zh-kk": [("你好。", "Сәлем."), ("谢谢。", "Рақмет.")]})
    outputs.mkdir()
    (tmp_path / "netrc").write_text("machine example.org\npassword hunter2\n")
    (outputs / "zh-kk.txt").symlink_to(tmp_path / "netrc")
    result = bench("run", "model=file", f"model.path={outputs}", f"dataset.path={refs}", "metric=[bleu]",
                   f"results_dir={tmp_path / 'results'}")
    one_line(result, f"{outputs}/zh-kk.txt: is a link")
    assert not [p for p in (tmp_path / "results").rglob("*") if "hunter2" in _text(p)]


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() and not path.is_symlink() else ""


#: ``python -m bench ARGS``, then its peak memory (kB) on stderr: VmHWM, counted from the exec on (the
#: rusage of a child also counts the pytest process it was forked from)
PEAK = ("import runpy, sys\nsys.argv[0] = 'bench'\ntry:\n    runpy.run_module('bench', run_name='__main__')\n"
        "finally:\n    print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0], "
        "file=sys.stderr)")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_numbers_on_every_line_do_not_make_memory_quadratic(tmp_path: Path):
    """50 lines a side with 40 numbers each (2,000 numbers both sides share): the aligner once held a
    column per shared number for every cell of the grid (about 250 MB in all); now about 70 MB, mostly
    Python and numpy themselves. Measured on the command a user runs."""
    src, tgt = tmp_path / "a.zh", tmp_path / "a.en"
    numbers = [[1000 + 40 * k + q for q in range(40)] for k in range(50)]
    src.write_text("".join(f"数字{'，'.join(map(str, row))}。\n" for row in numbers), encoding="utf-8")
    tgt.write_text("".join(f"Numbers {', '.join(map(str, row))}.\n" for row in numbers), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", PEAK, "align", f"src={src}", f"tgt={tgt}", "src_lang=zh",
                             "tgt_lang=en", "embeddings=false", f"out={tmp_path / 'beads'}"], cwd=ROOT,
                            env={**os.environ, **TEST_ENV}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    beads = [line.rsplit(":", 1)[0] for line in (tmp_path / "beads").read_text().splitlines()]
    assert beads == [f"[{k}]:[{k}]" for k in range(50)]
    peak_kb = int(result.stderr.split()[-1])
    assert peak_kb < 128 * 1024, f"{peak_kb // 1024} MB"


# --- embedding caches ----------------------------------------------------------------------------------


