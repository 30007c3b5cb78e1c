"""Files and folders from other people as the reference-set builder, ``align`` and the ``file`` system
meet them: links, FIFOs and folders where documents should be, control characters, a page that lost its
sentence ends, numbers on every line, embedding caches that are planted, hang or inflate."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.refset import embed
from bench.refset.builder import Settings, build, read_checked, read_raw
from tests.support.align import Meanings
from tests.support.cli import ROOT, TEST_ENV, bench
from tests.support.refs import write_references

PAGE = ("扶贫工作取得了决定性进展。今年有三百万人脱贫。\n\n"
        "Poverty work has made decisive progress. This year three million people left poverty.\n")
SECRET = "machine example.org login me password hunter2\n"


def one_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


#: what someone else can leave in a folder of documents -> what the one line must say about it
ENTRIES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "link to a private file": (lambda entry, secret: entry.symlink_to(secret), "is a link"),
    "dangling link": (lambda entry, secret: entry.symlink_to(entry.parent / "gone.txt"), "is a link"),
    "link loop": (lambda entry, secret: entry.symlink_to(entry), "is a link"),
    "folder named .txt": (lambda entry, secret: entry.mkdir(), "is a folder"),
    "fifo": (lambda entry, secret: os.mkfifo(entry), "is a FIFO"),
}


def planted_folder(tmp_path: Path, kind: str) -> Path:
    """A folder with one good page and ``b.txt`` made as ``kind`` says."""
    folder, secret = tmp_path / "docs", tmp_path / "netrc"
    folder.mkdir()
    secret.write_text(SECRET)
    (folder / "a.txt").write_text(PAGE, encoding="utf-8")
    ENTRIES[kind][0](folder / "b.txt", secret)
    return folder


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_a_documents_folder_holds_only_regular_files(tmp_path: Path, kind: str):
    """Never followed, never skipped in silence: the entry is named with what it is."""
    folder = planted_folder(tmp_path, kind)
    with pytest.raises(BenchError, match=rf"docs/b.txt: {ENTRIES[kind][1]}"):
        read_raw(folder)


def test_a_linked_record_of_checked_documents_is_not_believed(tmp_path: Path):
    """``checked.json`` says a person read every pair; a link would lend another folder's record."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (tmp_path / "theirs.json").write_text('{"a.txt": {"raw_sha256": "x", "alignment_sha256": "y"}}')
    (folder / "checked.json").symlink_to(tmp_path / "theirs.json")
    with pytest.raises(BenchError, match=r"docs/checked.json: is a link; delete it"):
        read_checked(folder)


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


LOST_ENDS = "Poverty work goes on" + " and on" * 10_000  # one "sentence" of 70,020 characters


@pytest.fixture(scope="module")
def damaged_pages():
    """The build of a good page, one with control characters and one that lost its sentence ends."""
    nul = PAGE.replace("决定性", "决定\x00性").replace("decisive", "deci\x00\x07sive")
    raw = {"a.txt": PAGE, "nul.txt": nul, "long.txt": f"扶贫工作取得了决定性进展。\n\n{LOST_ENDS}\n"}
    return build({name: text.encode() for name, text in raw.items()}, Settings(("en",), 0.5, False), {},
                 where="raw")


def test_control_characters_are_removed_and_reported(damaged_pages):
    doc = next(d for d in damaged_pages.documents if d.name == "nul.txt")
    assert "\x00" not in doc.segments[0].src and "deci\x00" not in doc.segments[0].ref
    assert doc.segments[0].ref.startswith("Poverty work has made decisive progress")
    assert [r for r in doc.page.repairs if "control character" in r] == [
        "line 1: 1 control character(s) removed (NUL and the like)",
        "line 3: 2 control character(s) removed (NUL and the like)"]


def test_a_page_without_sentence_ends_is_excluded_not_made_one_segment(damaged_pages):
    reason = damaged_pages.excluded["long.txt"]
    assert f"the en side has a sentence of {len(LOST_ENDS)} characters" in reason, reason
    assert "sentence ends were lost" in reason
    assert sorted(d.name for d in damaged_pages.documents) == ["a.txt", "nul.txt"]


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


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the cache file of the test encoder goes; the process's own embeddings emptied."""
    monkeypatch.setattr(embed, "_vectors", {})
    monkeypatch.setattr(embed, "_stored", {})
    return tmp_path / f"{Meanings.sha256[:32]}.npz"


def loaded(folder: Path, caplog: pytest.LogCaptureFixture) -> str:
    """What loading the cache in ``folder`` warned; nothing may have been believed."""
    with caplog.at_level("WARNING"):
        embed.load_cache(folder, Meanings())
    assert not embed._stored
    return caplog.text


def bomb(rows: int) -> bytes:
    """A well-formed ``.npz`` of ``rows`` zero vectors of 1,024 dimensions: zeros compress a
    thousandfold, so a file of ``rows`` kilobytes holds ``rows`` x 8 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("digests.npy", "w") as member:
            np.save(member, np.array([], "<U64"))
        with archive.open("vectors.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                          "shape": (rows, 1024)})
            for _ in range(rows // 128):
                member.write(bytes(128 * 1024 * 8))
    return buffer.getvalue()


def test_an_embedding_cache_that_is_a_fifo_does_not_hang(cache: Path, caplog: pytest.LogCaptureFixture):
    os.mkfifo(cache)
    assert "is a FIFO" in loaded(cache.parent, caplog)


def test_an_embedding_cache_that_is_a_link_is_not_followed(cache: Path, caplog: pytest.LogCaptureFixture):
    embed.embed(Meanings(), ["m1 a"])
    embed.save_cache(cache.parent / "mine", Meanings())
    cache.symlink_to(next((cache.parent / "mine").glob("*.npz")))
    embed._vectors.clear()
    embed._stored.clear()
    assert "is a link" in loaded(cache.parent, caplog)


def test_an_embedding_cache_is_not_decompressed_before_its_mac_is_checked(cache: Path,
                                                                           caplog: pytest.LogCaptureFixture):
    """A few hundred kilobytes that inflate to 128 MB: refused for its missing MAC, having cost no more
    memory than its own size."""
    cache.write_bytes(bomb(16_384))
    assert cache.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        text = loaded(cache.parent, caplog)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "no HMAC" in text and peak < 16 << 20, peak


def test_a_signed_cache_is_held_to_its_size_by_the_zip_directory(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture):
    embed.embed(Meanings(), [f"m{k} text" for k in range(50)])
    embed.save_cache(cache.parent, Meanings())
    embed._vectors.clear()
    # the file is within the bound, the arrays its zip directory declares are not
    monkeypatch.setattr(embed, "MAX_CACHE_BYTES", cache.stat().st_size + 100)
    assert f"not two arrays of at most {cache.stat().st_size + 100} bytes" in loaded(cache.parent, caplog)
