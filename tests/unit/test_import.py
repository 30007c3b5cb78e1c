"""Test-set formats read in process: text, TSV, JSONL, FLORES+ and WMT24++ files into segments, and
what each refuses, in one line naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.refset.store import LocalReferences
from bench.testsets import READERS
from bench.testsets.base import Request
from bench.testsets.output import write
from tests.support.importing import (
    EN1,
    EN2,
    KK,
    VI,
    ZH,
    damage,
    flores_file,
    lines,
    text_request,
    wmt_row,
)


def test_text_files_become_segments_in_order_with_every_reference(text_set: dict[str, Path], tmp_path: Path):
    imported = READERS["text"](text_request(text_set))
    assert [s.src for s in imported.segments] == ZH
    assert [s.refs for s in imported.segments] == [tuple(pair) for pair in zip(EN1, EN2)]
    assert [s.id for s in imported.segments] == ["talks-000", "talks-001", "talks-002", "talks-003"]
    out = tmp_path / "out"
    write(out, "talks", imported)
    refs = LocalReferences(out)
    assert refs.pairs() == ["zh-en"] and refs.load("zh-en") == imported.segments
    info = refs.manifest().testset
    assert info.name == "talks" and info.pairs["zh-en"].source_side == "unknown"
    assert [f["path"] for f in info.pairs["zh-en"].origin["files"]] == \
        [str(text_set[k]) for k in ("src", "ref1", "ref2")]
    # the same files imported again: the same bytes (stable ids, nothing re-split)
    again = tmp_path / "again"
    write(again, "talks", READERS["text"](text_request(text_set)))
    assert (again / "zh-en.jsonl").read_bytes() == (out / "zh-en.jsonl").read_bytes()


@pytest.mark.parametrize("kind", ["counts", "empty", "utf8", "language"])
def test_bad_text_input_is_one_line_naming_file_and_line(text_set: dict[str, Path], kind: str):
    changes, expected = damage(text_set, kind)
    with pytest.raises(BenchError, match=expected):
        READERS["text"](text_request(text_set, **changes))


def test_tsv_and_jsonl_tables_name_their_columns(tmp_path: Path):
    tsv = lines(tmp_path / "set.tsv", ["zh\tref_a\tnote\tref_b",
                                       *(f"{z}\t{a}\tx\t{b}" for z, a, b in zip(ZH, EN1, EN2))])
    jsonl = lines(tmp_path / "set.jsonl", [json.dumps({"zh": z, "a": a, "b": b}, ensure_ascii=False)
                                          for z, a, b in zip(ZH, EN1, EN2)])
    common = {"name": "t", "src_lang": "zh", "tgt_lang": "en"}
    from_tsv = READERS["tsv"](Request(format="tsv", file=str(tsv), src_col="zh", ref_cols=("ref_a", "ref_b"),
                                      **common))
    from_jsonl = READERS["jsonl"](Request(format="jsonl", file=str(jsonl), src_col="zh", ref_cols=("a", "b"),
                                          **common))
    assert from_tsv.segments == from_jsonl.segments
    assert [s.refs for s in from_tsv.segments] == [tuple(pair) for pair in zip(EN1, EN2)]
    lines(tsv, ["zh\tref_a", f"{ZH[0]}\t{EN1[0]}", f"{ZH[1]}\t{EN1[1]}\textra"])
    with pytest.raises(BenchError, match=rf"{tsv}:3: 3 fields, the header has 2"):
        READERS["tsv"](Request(format="tsv", file=str(tsv), src_col="zh", ref_cols=("ref_a",), **common))
    with pytest.raises(BenchError, match=rf"{tsv}:1: no column 'ref_b' in the header"):
        READERS["tsv"](Request(format="tsv", file=str(tsv), src_col="zh", ref_cols=("ref_b",), **common))
    lines(jsonl, [json.dumps({"zh": ZH[0], "a": EN1[0]}), json.dumps({"zh": ZH[1], "a": 3})])
    with pytest.raises(BenchError, match=rf"{jsonl}:2: field 'a' is missing or not a string"):
        READERS["jsonl"](Request(format="jsonl", file=str(jsonl), src_col="zh", ref_cols=("a",), **common))


def test_flores_plus_files_that_do_not_fit_are_refused(tmp_path: Path):
    flores = tmp_path / "flores_plus"
    flores_file(flores, "dev", "cmn_Hans", ZH)
    flores_file(flores, "dev", "kaz_Cyrl", KK[:3])
    request = Request(format="flores_plus", name="f", path=str(flores), src_lang="zh", tgt_lang="kk",
                      split="dev")
    with pytest.raises(BenchError, match=r"hold different ids \(e.g. 4\)"):
        READERS["flores_plus"](request)
    with pytest.raises(BenchError, match=r"path=.*: no devtest/cmn_Hans.parquet"):
        READERS["flores_plus"](Request(**{**request.__dict__, "split": "devtest"}))
    flores_file(flores, "dev", "kaz_Cyrl", KK, ids=[1, 2, 3, 3])
    with pytest.raises(BenchError, match=r"kaz_Cyrl.parquet row 3: id 3 is not a new"):
        READERS["flores_plus"](request)


def test_wmt24pp_rows_off_the_schema_are_refused(tmp_path: Path):
    wmt = tmp_path / "wmt24pp"
    wmt.mkdir()
    row = wmt_row(0, EN1[0], VI[0])
    lines(wmt / "en-vi_VN.jsonl", [json.dumps(row), json.dumps({**row, "segment_id": "1"})])
    request = Request(format="wmt24pp", name="w", path=str(wmt), lp="en-vi_VN")
    with pytest.raises(BenchError, match=r"en-vi_VN.jsonl:2: field segment_id is str, not int"):
        READERS["wmt24pp"](request)
    with pytest.raises(BenchError, match=r"lp=en-kk: a WMT24\+\+ pair is en-<language>_<REGION>"):
        READERS["wmt24pp"](Request(**{**request.__dict__, "lp": "en-kk"}))


def test_lines_break_where_sacrebleu_breaks_them_and_nowhere_else(tmp_path: Path):
    src = tmp_path / "src.zh"
    src.write_bytes("\ufeff第一行\r\n第二\u2028行\r第三行\n".encode())
    ref = lines(tmp_path / "ref.en", ["one", "two", "three"])
    imported = READERS["text"](Request(format="text", name="t", src_lang="zh", tgt_lang="en", src=str(src),
                                       refs=(str(ref),)))
    assert [s.src for s in imported.segments] == ["第一行", "第二\u2028行", "第三行"]
    src.write_bytes(b"")
    with pytest.raises(BenchError, match=rf"{src}: empty; it must hold one segment per line"):
        READERS["text"](Request(format="text", name="t", src_lang="zh", tgt_lang="en", src=str(src),
                                refs=(str(ref),)))


def test_segments_of_a_pair_with_different_numbers_of_references_are_refused(text_set: dict[str, Path]):
    import dataclasses

    from bench.metrics.scoring import reference_streams

    segments = READERS["text"](text_request(text_set)).segments
    assert reference_streams(segments, "talks zh-en") == [EN1, EN2]
    uneven = [dataclasses.replace(segments[0], more_refs=()), *segments[1:]]
    with pytest.raises(BenchError, match=r"^talks zh-en: segments have 1 or 2 references; every segment"):
        reference_streams(uneven, "talks zh-en")

