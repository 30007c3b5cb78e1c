"""Test sets in every format ``bench import`` reads (text, FLORES+, WMT24++), small enough to read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.testsets.base import Request

ZH = ["他们在北京开会。", "今天的天气很好。", "这个项目明年完成。", "我们需要更多的时间。"]


EN1 = ["They held a meeting in Beijing.", "The weather is fine today.",
       "The project will be finished next year.", "We need more time."]


EN2 = ["They met in Beijing.", "Today the weather is good.", "The project ends next year.",
       "More time is what we need."]


def lines(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def text_set(tmp_path: Path) -> dict[str, Path]:
    return {"src": lines(tmp_path / "src.zh", ZH), "ref1": lines(tmp_path / "ref1.en", EN1),
            "ref2": lines(tmp_path / "ref2.en", EN2)}


def text_request(files: dict[str, Path], **changes) -> Request:
    settings = {"format": "text", "name": "talks", "src_lang": "zh", "tgt_lang": "en",
                "src": str(files["src"]), "refs": (str(files["ref1"]), str(files["ref2"])), **changes}
    return Request(**settings)


def damage(files: dict[str, Path], kind: str) -> tuple[dict, str]:
    """Break one file of the set; return the request's changes and the expected error."""
    if kind == "counts":
        lines(files["ref2"], EN2[:3])
        return {}, rf"{files['ref2']}: 3 lines, but the source .* has 4"
    if kind == "empty":
        lines(files["ref1"], [EN1[0], "  ", *EN1[2:]])
        return {}, rf"{files['ref1']}:2: empty line"
    if kind == "utf8":
        files["src"].write_bytes("\n".join(ZH[:2]).encode() + b"\n\xff\xfe\n" + ZH[3].encode() + b"\n")
        return {}, rf"{files['src']}:3: not valid UTF-8"
    if kind == "language":
        return {"tgt_lang": "xh"}, r"tgt_lang: language 'xh' is not in bench/core/languages.py"
    raise AssertionError(kind)


FLORES_COLUMNS = ("id", "iso_639_3", "iso_15924", "glottocode", "text", "url", "domain", "topic",
                  "has_image", "has_hyperlink", "last_updated")


KK = ["Олар Бейжіңде жиналыс өткізді.", "Бүгін ауа райы жақсы.", "Жоба келесі жылы аяқталады.",
      "Бізге көбірек уақыт керек."]


def flores_file(folder: Path, split: str, code: str, texts: list[str], ids: list[int] | None = None) -> None:
    """One language of one split, as openlanguagedata/flores_plus stores it."""
    lang, script = code.split("_")
    ids = ids or list(range(1, len(texts) + 1))
    rows = [{"id": i, "iso_639_3": lang, "iso_15924": script, "glottocode": "abcd1234", "text": t,
             "url": f"https://en.wikinews.org/wiki/{i}", "domain": "wikinews", "topic": "politics",
             "has_image": 0, "has_hyperlink": 0, "last_updated": "2.1"} for i, t in zip(ids, texts)]
    schema = pa.schema([(c, pa.int64() if c in ("id", "has_image", "has_hyperlink") else pa.string())
                        for c in FLORES_COLUMNS])
    (folder / split).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / split / f"{code}.parquet")


def wmt_row(i: int, source: str, target: str, bad: bool = False) -> dict:
    return {"lp": "en-vi_VN", "domain": "news", "document_id": f"test-en-news_{i // 2}", "segment_id": i,
            "is_bad_source": bad, "source": source, "target": target, "original_target": target + "!"}


VI = ["Họ đã họp ở Bắc Kinh.", "Hôm nay trời đẹp.", "Dự án sẽ hoàn thành vào năm sau.",
      "Chúng ta cần thêm thời gian."]

