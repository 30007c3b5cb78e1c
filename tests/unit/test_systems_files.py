"""The files system in process: BOM and CRLF, line counts, empty lines, invalid UTF-8, a missing
folder, and an identity that follows the files' contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.refset.store import Segment
from bench.systems.files import TranslationFiles
from tests.support.refs import ROWS


def segments(rows=ROWS) -> list[Segment]:
    return [Segment(id=f"d-{i}", doc_id="d", seg=i, src_lang="zh", tgt_lang="kk", src=src, ref=ref,
                    kind="body", date=None, source=None, bead="1-1") for i, (src, ref) in enumerate(rows)]


def system_with(tmp_path: Path, data: bytes) -> TranslationFiles:
    (tmp_path / "zh-kk.txt").write_bytes(data)
    system = TranslationFiles("file", str(tmp_path))
    system.check([("zh", "kk")])
    return system


def test_bom_and_crlf_are_accepted_and_lines_follow_the_reference_rows(tmp_path):
    system = system_with(tmp_path, "\ufeffбірінші\r\nекінші\r\nүшінші\r\n".encode())
    system.prepare("zh", "kk", segments())
    # the run sends sources in its own order; a repeated source gets its lines in file order
    assert system.translate(["你好。", "今天天气很好。", "今天天气很好。"], "zh", "kk") == [
        "екінші", "бірінші", "үшінші"]
    assert system.cacheable is False


def test_wrong_line_count_names_file_and_counts(tmp_path):
    system = system_with(tmp_path, "бір\nекі\n".encode())
    with pytest.raises(BenchError, match=r"zh-kk.txt: 2 lines, but the reference set has 3 rows for zh-kk"):
        system.prepare("zh", "kk", segments())


def test_empty_lines_count_as_empty_translations(tmp_path):
    system = system_with(tmp_path, "бір\n\nүш".encode())  # no final newline, one blank line
    system.prepare("zh", "kk", segments())
    assert system.translate(["你好。"], "zh", "kk") == [""]


def test_invalid_utf8_names_file_and_line(tmp_path):
    system = system_with(tmp_path, "бір\nекі\n".encode() + "үш".encode("utf-16-le"))
    with pytest.raises(BenchError, match=r"zh-kk.txt: line 3 is not valid UTF-8 .*re-save the file as UTF-8"):
        system.prepare("zh", "kk", segments())


def test_missing_folder_or_file_fails_at_preflight(tmp_path):
    with pytest.raises(BenchError, match=r"model.path=.*nowhere: no such folder"):
        TranslationFiles("file", str(tmp_path / "nowhere")).check([("zh", "kk")])
    (tmp_path / "zh-kk.txt").write_text("x\n")
    with pytest.raises(BenchError, match=r"missing zh-vi.txt \(present: zh-kk.txt\)"):
        TranslationFiles("file", str(tmp_path)).check([("zh", "kk"), ("zh", "vi")])


def test_identity_follows_file_contents(tmp_path):
    first = system_with(tmp_path, b"a\n").fingerprint()
    assert system_with(tmp_path, b"a\n").fingerprint() == first
    assert system_with(tmp_path, b"b\n").fingerprint() != first

