"""The reference set the Hugging Face dataset tests publish: rows, a build report, and ``bench publish``
run on them."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.core.pair import Pair
from bench.refset.store import PairOrigin, Segment
from bench.testsets.base import Imported
from bench.testsets.output import write
from tests.support.cli import ROOT, bench
from tests.support.refs import segments_of, write_reference_set

REPO_ID = "acme/zh-news-mt"


def segment(doc: str, seg: int, tgt: str, src: str, ref: str, **fields) -> Segment:
    values = {"kind": "body", "date": "2021-01-08", "source": "russian.china.org.cn", "bead": "1-1", **fields}
    return Segment(id=f"{doc}-{seg:03d}", doc_id=doc, seg=seg, src_lang="zh", tgt_lang=tgt, src=src, ref=ref,
                   **values)


# Titles and bodies, two articles in one pair, missing dates and sources, 1-2 and 2-1 beads, a pipe and
# quotes in the text: everything a row can hold.
SEGMENTS = {
    "zh-kk": [
        segment("000_a", 0, "kk", "政治优势", "САЯСИ АБЗАЛДЫЛЫҚ", kind="title"),
        segment("000_a", 1, "kk", "责任重于泰山。", "Жауапкершілік Тайшань тауынан да ауыр. Міндет зор.",
                bead="1-2"),
        segment("000_a", 2, "kk", "截至2019年4月。全国832个贫困县。", "2019 жылы сәуірге дейін 832 аудан.",
                bead="2-1"),
        segment("001_b", 0, "kk", "“最后 | 一公里”", "«Соңғы шақырым»", kind="title", date=None, source=None),
        segment("001_b", 1, "kk", "实现贫困人口如期脱贫。", "Кедейлерді уағында кедейліктен арылту.",
                date=None, source=None),
    ],
    "zh-vi": [
        segment("004_c", 0, "vi", "强化党政一把手负总责", "Tăng cường chế độ người đứng đầu", kind="title",
                date="2021-01-11", source="China.org.cn"),
        segment("004_c", 1, "vi", "脱贫攻坚战以来。", "Kể từ khi bắt đầu trận chiến công kiên thoát nghèo.",
                date="2021-01-11", source="China.org.cn"),
    ],
}


# Shaped like the report `bench build` writes: headings, "Label:" lists, "- none" lists, a code fence.
REPORT = """# Reference set build report

Builder version 1.0.

Alignment signals:
- length: Gale-Church
- anchors: numbers

## Summary

| pair | documents | rows |
|---|---|---|
| zh-kk | 2 | 5 |

### Excluded documents

- `002_x.txt`: no Chinese side (the text is en)

## `000_a.txt` -> zh-kk

Low-confidence beads:

- none

Repairs:

- line 11: 1 non-breaking space(s) replaced by a space

Known problems (left as they are):

- 'күрес тен' is also written 'күрестен'

```
Repairs:
- inside a code block, not a label
```
"""


def write_references(folder: Path, segments: dict[str, list[Segment]] = SEGMENTS,
                     report: str | None = REPORT) -> Path:
    """A reference set as ``build`` writes it, with the manifest fields the dataset card reads."""
    manifest = {"builder_version": "1.0", "excluded": {"002_x.txt": "no Chinese side"},
                "alignment": {"signals": ["length: Gale-Church"], "beads": {"1-1": 4, "1-2": 1, "2-1": 1}},
                "documents": {  # as Build.document_facts records them
                    "000_a.txt": {"pair": "zh-kk", "rows": 3, "checked": True,
                                  "repairs": ["line 11: 1 non-breaking space(s) replaced by a space"],
                                  "problems": ["'күрес тен' is also written 'күрестен'"]},
                    **{name: {"pair": pair, "rows": 2, "checked": True, "repairs": [], "problems": []}
                       for name, pair in (("001_b.txt", "zh-kk"), ("004_c.txt", "zh-vi"))}}}
    return write_reference_set(folder, segments, manifest, report)


def publish(*overrides: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
    return bench("publish", f"repo_id={REPO_ID}", *overrides, env=env, cwd=cwd, timeout=120)


def export(refs: Path, out: Path, *overrides: str) -> Path:
    result = publish(f"dataset.path={refs}", f"export_dir={out}", *overrides)
    assert result.returncode == 0, result.stderr
    return out


def front_matter(readme: Path) -> dict:
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def standard_set(folder: Path, name: str, pair: str, origin: dict, side: str, left_out: dict) -> Path:
    """A set as ``bench import`` writes it from FLORES+ or WMT24++ (``origin`` as their readers record it)."""
    rows = [("他们在北京开会。", "Олар Бейжіңде жиналыс өткізді."),
            ("今天的天气很好。", "Бүгін ауа райы жақсы.")]
    imported = Imported(Pair(pair), segments_of(pair, rows, "devtest"), PairOrigin(origin, side, left_out))
    write(folder, name, imported)
    return folder

