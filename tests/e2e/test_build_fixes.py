"""``python -m bench build`` on pages that misled builder 2.1 (issue 21): a Chinese sentence with Latin
names read as the translation, ``(Applause)`` dropped as a category, ``It's`` listed as ``It s``, and
100% alignment confidence over a sentence on the wrong side."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.support.cli import ROOT

# A talk copied as two pre-aligned blocks: line 2 is a Chinese sentence with more Latin letters than
# Han characters; "(掌声)" and "(Applause)" are said twice, the second time below the body.
TALK = """我们造了很多机器人。
头两个项目是MacroBot和DeciBot。
它们都能在地上爬行。
(掌声)
这是一个很难的问题。
它的答案很简单。
(掌声)
We built a lot of robots.
The first two projects were MacroBot and DeciBot.
They can both crawl on the ground.
(Applause)
It's a hard problem.
Its answer is simple.
(Applause)
"""

# An English caption (line 4) alone inside the Chinese block, and a category on one side only.
CAPTION = """贵州的农民种了很多茶树。
茶叶的收入比以前高了三倍。
村里修了一条新路。
Photo shows a farmer picking tea leaves.
孩子们每天走这条路去上学。
老人们也常常在路边聊天。
(Poverty alleviation)
Farmers in Guizhou have planted many tea trees.
Their income from tea is three times higher than before.
The village has built a new road.
Children walk along this road to school every day.
The old people also often chat by the roadside.
"""

# The same page with a sentence left untranslated: a Chinese line (8) inside the English block.
UNTRANSLATED = """贵州的农民种了很多茶树。
茶叶的收入比以前高了三倍。
村里修了一条新路。
孩子们每天走这条路去上学。
老人们也常常在路边聊天。
Farmers in Guizhou have planted many tea trees.
Their income from tea is three times higher than before.
村里修了一条新路。
Children walk along this road to school every day.
The old people also often chat by the roadside.
"""

# A translation sentence that kept a Chinese phrase: the reference holds Han characters.
MIXED = """他在墙上写了四个字。
大家都看见了。
这四个字是他一生的信念。
He wrote 天下为公 on the wall in large letters.
Everyone saw it.
These four characters were the belief of his whole life.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[dict]], str]:
    """One build of the three pages as a user runs it: rows by document, and the report."""
    folder = tmp_path_factory.mktemp("fixes")
    raw, out = folder / "raw", folder / "out"
    raw.mkdir()
    pages = {"talk": TALK, "caption": CAPTION, "untranslated": UNTRANSLATED, "mixed": MIXED}
    for name, text in pages.items():
        (raw / f"{name}.txt").write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bench", "build", f"raw_dir={raw}", f"out_dir={out}",
                             "embeddings=false", "embedding_cache=null"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows: dict[str, list[dict]] = {}
    for line in (out / "zh-en.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows.setdefault(row["doc_id"], []).append(row)
    return rows, (out / "build_report.md").read_text(encoding="utf-8")


def section(report: str, doc: str) -> str:
    """The report's section on one document."""
    return report.split(f"## `{doc}.txt`")[1].split("\n## ")[0]


def listed(text: str, title: str) -> list[str]:
    """The items of one list of a report section."""
    return re.findall(r"^- (.*)$", text.split(f"{title}")[1].split("\n\n")[1], re.M)


def test_a_chinese_line_with_latin_names_stays_on_the_chinese_side(built):
    rows, report = built
    pairs = [(row["src"], row["ref"]) for row in rows["talk"]]
    assert ("头两个项目是MacroBot和DeciBot。", "The first two projects were MacroBot and DeciBot.") in pairs
    assert pairs[0] == ("我们造了很多机器人。", "We built a lot of robots.")
    assert not any(re.search("[\u4e00-\u9fff]", ref) for _, ref in pairs)
    doubts = listed(section(report, "talk"), "Lines whose side is in doubt")
    assert len(doubts) == 1 and doubts[0].startswith("line 2: Chinese by script")


def test_applause_on_both_sides_stays_a_segment_every_time(built):
    rows, report = built
    pairs = [(row["src"], row["ref"]) for row in rows["talk"]]
    assert pairs.count(("(掌声)", "(Applause)")) == 2 and len(pairs) == 7
    assert "Applause" not in "".join(listed(section(report, "talk"), "Page furniture"))


def test_a_category_on_one_side_only_is_still_furniture(built):
    rows, report = built
    assert not any("Poverty alleviation" in row["ref"] for row in rows["caption"])
    assert "line 7: category: '(Poverty alleviation)'" in listed(section(report, "caption"), "Page furniture")


def test_an_apostrophe_stays_inside_its_word(built):
    _, report = built
    assert listed(section(report, "talk"), "Known problems") == ["none"]
    assert "It s" not in report


def confidence(text: str) -> int:
    return int(re.search(r"alignment confidence: (\d+)%", text)[1])


def test_a_line_alone_in_the_other_block_is_left_out_and_never_reads_as_certain(built):
    rows, report = built
    zh, en = CAPTION.splitlines()[:3] + CAPTION.splitlines()[4:6], CAPTION.splitlines()[7:]
    assert [(row["src"], row["ref"]) for row in rows["caption"]] == list(zip(zh, en))
    text = section(report, "caption")
    assert listed(text, "Lines whose side is in doubt") == [
        "line 4: a translation line alone inside the Chinese block, left out of both sides: "
        "'Photo shows a farmer picking tea leaves.'"]
    assert confidence(text) < 100 and "2 bead(s) with a sentence whose side is in doubt" in text
    assert listed(text, "Beads to read first")[:2] == [
        f"1-1 at zh sentence {k} / en sentence {k}: zh sentence {k} is next to line 4, left out as misplaced"
        for k in (3, 4)]


def test_a_chinese_line_in_the_translation_block_is_never_a_reference(built):
    rows, report = built
    assert not any(re.search("[\u4e00-\u9fff]", row["ref"]) for row in rows["untranslated"])
    text = section(report, "untranslated")
    assert listed(text, "Lines whose side is in doubt") == [
        "line 8: a Chinese line alone inside the translation block, left out of both sides: "
        "'村里修了一条新路。'"]
    assert confidence(text) < 100
    assert all("next to line 8" in item for item in listed(text, "Beads to read first")[:2])


def test_han_characters_in_a_reference_make_its_bead_uncertain(built):
    rows, report = built
    text = section(report, "mixed")
    assert rows["mixed"][0]["ref"].startswith("He wrote 天下为公")
    assert confidence(text) < 100
    assert listed(text, "Beads to read first")[0].endswith("en sentence 1 has 4 Han characters")
    assert "en sentence 1 has 4 Han characters" in listed(text, "Low-confidence beads")[0]
    summary = re.search(r"^\| zh-en \| 4 \| \d+ \| [^|]+ \| (\d+)% \|$", report, re.M)
    assert summary and int(summary[1]) < 100
