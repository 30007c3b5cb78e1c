"""Hostile reference-set inputs in process: folders of links and FIFOs, control characters, pages
without sentence ends, and embedding caches that are links, FIFOs or oversized archives."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bench.core.errors import BenchError
from bench.refset import embed
from bench.refset.builder import Settings, build, read_checked, read_raw
from tests.support.align import Meanings
from tests.support.files import ENTRIES, PAGE, planted_folder


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

