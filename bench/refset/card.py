"""The dataset card (``README.md``) of a published reference set: Hub metadata plus prose.

Every number in the card is computed from the exported rows (counts, beads, documents, hashes) or
read from ``MANIFEST.json`` and ``build_report.md``; nothing is typed in by hand, so the card cannot
drift from the data. The report's layout belongs to ``build`` and may change, so it is read loosely:
it is cut into blocks (a heading with its text, or a ``Label:`` line with its list), and the blocks
whose labels speak of repairs, exclusions, doubts or problems are quoted. The report itself ships
beside the card, so nothing it says is lost if a label is missed. The card holds no timestamps: the
same input gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.languages import language
from bench.pair import Pair
from bench.refset.hub import SPLIT, data_file, to_record
from bench.refset.store import Segment, canonical_sha256

if TYPE_CHECKING:
    from datasets import DatasetInfo
    from huggingface_hub import DatasetCardData

# The Hub's size_categories buckets, by powers of ten from 1K.
SIZE_BUCKETS = (
    "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "1B<n<10B",
    "10B<n<100B", "100B<n<1T",
)
# Report blocks the card quotes, by label. A problem label wins over a method one.
PROBLEM_LABEL = re.compile(
    r"repair|exclu|problem|issue|warn|caveat|limitation|suspic|doubt|low-confidence|outlier|dropped|check",
    re.IGNORECASE,
)
METHOD_LABEL = re.compile(r"align|method|signal", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
LABEL = re.compile(r"^([^\s#|*>-].*):\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
NOTHING = re.compile(r"^\s*(?:[-*+]\s*)?(?:none|n/a|-)?\.?\s*$", re.IGNORECASE)
BEAD = re.compile(r"^(\d+)-(\d+)$")
LICENSE_FILE = "LICENSE.md"
REPORT_FILE = "build_report.md"


@dataclass(frozen=True)
class CardOptions:
    """What the publisher decides (everything else in the card comes from the data)."""

    repo_id: str
    license: str
    license_name: str | None
    license_details: str | None
    pretty_name: str | None
    author: str | None

    @property
    def url(self) -> str:
        return f"https://huggingface.co/datasets/{self.repo_id}"

    @property
    def custom_license(self) -> bool:
        """``license: other``: the terms are spelled out in LICENSE.md, named by license_name."""
        return self.license == "other"


@dataclass(frozen=True)
class PairData:
    pair: str
    segments: list[Segment]
    info: DatasetInfo


@dataclass(frozen=True)
class BuildRecord:
    """What ``build`` left beside the rows: MANIFEST.json and build_report.md (None if absent)."""

    manifest: dict
    report: str | None


@dataclass(frozen=True)
class Block:
    """A heading with its text, or a ``Label:`` line with the list under it."""

    under: str  # the heading this block sits in ("" before the first one)
    label: str
    lines: list[str]

    @property
    def empty(self) -> bool:
        return all(NOTHING.match(line) for line in self.lines)


def language_name(code: str) -> str:
    return language(code, "dataset card").name


def bcp47(code: str) -> str:
    return language(code, "dataset card").bcp47


def canary(repo_id: str) -> str:
    """A string unique to this dataset, derived from its id, to grep training corpora for later."""
    return f"BENCH CANARY GUID {uuid.uuid5(uuid.NAMESPACE_URL, f'https://huggingface.co/datasets/{repo_id}')}"


def size_category(rows: int) -> str:
    for power, bucket in enumerate(SIZE_BUCKETS, start=3):
        if rows < 10**power:
            return bucket
    return "n>1T"


def bead_sides(bead: str) -> tuple[int, int] | None:
    match = BEAD.match(bead)
    return (int(match[1]), int(match[2])) if match else None


def blocks(markdown: str) -> list[Block]:
    """Cut a report into blocks; lines inside fenced code never start one."""
    lines = markdown.splitlines()
    found: list[Block] = []
    open_headings: list[tuple[int, str]] = []  # (level, title) from the outermost to the current one
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            if found:
                found[-1].lines.append(line)
        elif match := HEADING.match(line):
            level = len(line) - len(line.lstrip("#"))
            while open_headings and open_headings[-1][0] >= level:
                open_headings.pop()
            found.append(Block(open_headings[-1][1] if open_headings else "", match[1], []))
            open_headings.append((level, match[1]))
        elif (match := LABEL.match(line)) and _list_follows(lines, index):
            found.append(Block(open_headings[-1][1] if open_headings else "", match[1], []))
        elif found:
            found[-1].lines.append(line)
    return [Block(b.under, b.label, _trim(b.lines)) for b in found]


def _list_follows(lines: list[str], index: int) -> bool:
    following = next((line for line in lines[index + 1:] if line.strip()), "")
    return bool(LIST_ITEM.match(following))


def _trim(lines: list[str]) -> list[str]:
    text = "\n".join(lines).strip("\n")
    return text.splitlines() if text else []


def quote(picked: list[Block]) -> str:
    """Blocks as card text, under a sub-heading per report heading they came from."""
    parts: list[str] = []
    last = None
    for block in picked:
        if block.under != last and block.under:
            parts.append(f"#### {block.under}")
        last = block.under
        parts.append(f"**{block.label}**\n\n" + "\n".join(block.lines))
    return "\n\n".join(parts)


def cell(value: object) -> str:
    """A markdown table cell: no line breaks, pipes escaped, missing values shown as a dash."""
    if value is None or value == "":
        return "–"
    return " ".join(str(value).split()).replace("|", "\\|")


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


#: nesting beyond this is shown as "…": a build record is a few levels deep
MAX_DEPTH = 6


def inert(value: object) -> str:
    """A value from MANIFEST.json as plain text in the card: one line, no HTML, no Markdown markup
    (the manifest may come from someone else, and the card is published under the publisher's name)."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    return re.sub(r"([\\`*_\[\]#|!])", r"\\\1", text)


def bullets(value: object, depth: int = 0) -> list[str]:
    """A JSON value (MANIFEST.json) as a nested markdown list."""
    pad = "  " * depth
    if depth > MAX_DEPTH:
        return [f"{pad}- …"]
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                out += [f"{pad}- **{inert(key)}**", *bullets(item, depth + 1)]
            else:
                out.append(f"{pad}- **{inert(key)}**: {inert(item)}")
        return out
    if isinstance(value, list):
        return [line for item in value for line in bullets(item, depth + isinstance(item, list))]
    return [f"{pad}- {inert(value)}"]


def direction(pair: str) -> str:
    src, tgt = Pair(pair).langs
    return f"{language_name(src)} → {language_name(tgt)}"


def targets_by_source(pairs: list[PairData]) -> dict[str, list[str]]:
    """{"Chinese": ["Kazakh", "Vietnamese"]}: the pairs as a reader names them."""
    grouped: dict[str, list[str]] = {}
    for p in pairs:
        src, tgt = Pair(p.pair).langs
        grouped.setdefault(language_name(src), []).append(language_name(tgt))
    return grouped


def pretty_name(options: CardOptions, pairs: list[PairData]) -> str:
    directions = ", ".join(f"{src}→{'/'.join(tgts)}" for src, tgts in targets_by_source(pairs).items())
    return options.pretty_name or f"{directions} news translation test set"


def language_codes(pairs: list[PairData]) -> list[str]:
    return sorted({code for p in pairs for code in Pair(p.pair).langs})


def sources(pairs: list[PairData]) -> list[str]:
    return sorted({s.source for p in pairs for s in p.segments if s.source})


def card_data(options: CardOptions, pairs: list[PairData]) -> DatasetCardData:
    """The YAML header. ``configs`` and ``dataset_info`` are written by ``datasets``' own helpers,
    exactly as ``push_to_hub`` writes them."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    codes = language_codes(pairs)
    license_fields = (
        {"license_name": options.license_name, "license_link": LICENSE_FILE,
         "license_details": options.license_details}
        if options.custom_license else {}
    )
    data = DatasetCardData(
        pretty_name=pretty_name(options, pairs),
        language=codes,
        language_details=[bcp47(code) for code in codes],
        license=options.license,
        **license_fields,
        multilinguality="translation",
        size_categories=[size_category(sum(len(p.segments) for p in pairs))],
        source_datasets=["original"],
        task_categories=["translation"],
        language_creators=["found"],
        annotations_creators=["machine-generated"],
        tags=["machine-translation-evaluation", "news", *[bcp47(code) for code in codes]],
    )
    DatasetInfosDict({p.pair: p.info for p in pairs}).to_dataset_card_data(data)
    MetadataConfigs(
        {p.pair: {"data_files": [{"split": SPLIT, "path": data_file(p.pair)}]} for p in pairs}
    ).to_dataset_card_data(data)
    return data


def render(options: CardOptions, pairs: list[PairData], build: BuildRecord) -> str:
    """The whole README.md."""
    report = blocks(build.report) if build.report else []
    body = "\n\n".join([
        _summary(options, pairs),
        _subsets(pairs),
        _languages(pairs),
        _usage(options, pairs),
        _structure(pairs),
        _articles(pairs),
        _method(build, report, pairs),
        _problems(build, report),
        _license(options, pairs),
        _citation(options, pairs),
    ])
    return f"---\n{card_data(options, pairs).to_yaml()}\n---\n\n{body}\n"


def license_text(options: CardOptions) -> str:
    """LICENSE.md for ``license: other`` (the card's ``license_link`` points at it)."""
    return f"# {options.license_name}\n\n{options.license_details}\n"


def _summary(options: CardOptions, pairs: list[PairData]) -> str:
    docs = len({s.doc_id for p in pairs for s in p.segments})
    where = ", ".join(sources(pairs)) or "the news sites listed below"
    directions = "; ".join(f"{src} into {' and '.join(t)}" for src, t in targets_by_source(pairs).items())
    return (
        f"# {pretty_name(options, pairs)}\n\n"
        f"A document-level, sentence-aligned test set for machine translation from {directions}, made "
        f"of {docs} news articles published in both languages by {where}. Each row is one aligned "
        "unit: a source segment and the publisher's own translation of it as the reference. It was "
        "built, and is evaluated, with `bench`, an MT evaluation harness.\n\n"
        "**This is evaluation data: do not train on it.** Every copy carries the canary string below; "
        "a training corpus that contains it is contaminated with this test set.\n\n"
        f"`{canary(options.repo_id)}`"
    )


def _subsets(pairs: list[PairData]) -> str:
    rows = []
    for p in pairs:
        sides = [x for x in (bead_sides(s.bead) for s in p.segments) if x]
        rows.append([
            f"`{p.pair}`", direction(p.pair), len(p.segments), len({s.doc_id for s in p.segments}),
            sum(x[0] for x in sides), sum(x[1] for x in sides), f"`{canonical_sha256(p.segments)}`",
        ])
    header = ["config", "direction", "rows", "documents", "source sentences", "reference sentences",
              "sha256"]
    return (
        f"## Subsets\n\nOne config per language pair, each with a single `{SPLIT}` split.\n\n"
        + table(header, rows)
        + "\n\nSentence counts are sums over the alignment beads. The sha256 is the hash `bench` records "
        "with every run (of the rows in its JSONL form), so a score can be traced to this exact set."
    )


def _languages(pairs: list[PairData]) -> str:
    rows = [[f"`{row.bcp47}`", row.name, row.native]
            for row in (language(code, "dataset card") for code in language_codes(pairs))]
    return "## Languages\n\n" + table(["tag", "language", "native name"], rows)


def _usage(options: CardOptions, pairs: list[PairData]) -> str:
    first = pairs[0].pair
    return (
        "## Usage\n\nWith `datasets`:\n\n```python\nfrom datasets import load_dataset\n\n"
        f'test = load_dataset("{options.repo_id}", "{first}", split="{SPLIT}")\n'
        'print(test[0]["translation"])\n```\n\n'
        "With `bench` (BLEU, chrF and COMET, with signatures and confidence intervals):\n\n"
        f"```bash\npython -m bench run dataset=hub dataset.repo_id={options.repo_id} model=MODEL\n"
        f"python -m bench run dataset=hub dataset.repo_id={options.repo_id} model=MODEL pairs=[{first}]\n"
        "```\n\n"
        "Pin a version with `dataset.revision=COMMIT`. A run on this dataset has the same test-set hash "
        "as a run on the `references/` folder it was exported from, so the leaderboard ranks them together."
    )


def _structure(pairs: list[PairData]) -> str:
    src, tgt = Pair(pairs[0].pair).langs
    fields = [
        ["`id`", "string", "stable row id, `<doc_id>-<seg:03d>`"],
        ["`doc_id`", "string", "the article the row comes from"],
        ["`seg`", "int32", "position of the row within its article"],
        ["`translation`", f"`{src}`, `{tgt}`", "source text and reference translation"],
        ["`kind`", "string", "`title` or `body`"],
        ["`date`", "string or null", "publication date shown on the page (ISO)"],
        ["`source`", "string or null", "site named on the page"],
        ["`bead`", "string", "alignment bead `<source sentences>-<reference sentences>`, e.g. `1-2`"],
    ]
    example = json.dumps(to_record(pairs[0].segments[0]), ensure_ascii=False, indent=2)
    return (
        "## Dataset structure\n\n" + table(["field", "type", "meaning"], fields)
        + f"\n\nFirst row of `{pairs[0].pair}`:\n\n```json\n{example}\n```"
    )


def _articles(pairs: list[PairData]) -> str:
    parts = ["## Source articles"]
    for p in pairs:
        docs: dict[str, list[Segment]] = {}
        for s in p.segments:
            docs.setdefault(s.doc_id, []).append(s)
        rows = [[f"`{doc}`", seg[0].date, seg[0].source, _title(seg), len(seg)] for doc, seg in docs.items()]
        parts.append(f"### {p.pair}\n\n" + table(["document", "date", "source", "title", "rows"], rows))
    return "\n\n".join(parts)


def _title(segments: list[Segment]) -> str | None:
    return next((s.src for s in segments if s.kind == "title"), None)


def _method(build: BuildRecord, report: list[Block], pairs: list[PairData]) -> str:
    manifest = {k: v for k, v in build.manifest.items() if k != "files"}
    parts = [
        "## How it was built",
        "Each article was published in Chinese and in the target language. `bench build` split both "
        "versions into sentences and aligned them into beads (groups of sentences that translate each "
        "other); each row is one bead with text on both sides.",
        "### Build record (`MANIFEST.json`)",
        "\n".join(bullets(manifest)) or "MANIFEST.json records nothing beyond the files.",
    ]
    if not any(METHOD_LABEL.search(key) for key in manifest):
        method = [b for b in report if METHOD_LABEL.search(b.label) and not PROBLEM_LABEL.search(b.label)]
        parts += ["### Alignment method (from the build report)",
                  quote(method) or "The build report does not name its alignment method."]
    parts.append("### Beads in this dataset")
    for p in pairs:
        counts = sorted(Counter(s.bead for s in p.segments).items(), key=_bead_order)
        rows = [[f"`{bead}`", n, f"{100 * n / len(p.segments):.1f}%"] for bead, n in counts]
        parts.append(f"#### {p.pair}\n\n" + table(["bead", "rows", "share"], rows))
    return "\n\n".join(parts)


def _bead_order(item: tuple[str, int]) -> tuple:
    sides = bead_sides(item[0])
    return (0, sides) if sides else (1, item[0])


def _problems(build: BuildRecord, report: list[Block]) -> str:
    head = "## Known problems in the references"
    if build.report is None:
        return (
            f"{head}\n\nNo build report was published with the references, so none are listed here; "
            "that does not mean there are none."
        )
    found = [b for b in report if PROBLEM_LABEL.search(b.label) and not b.empty]
    intro = (
        f"Quoted from the build report ([{REPORT_FILE}]({REPORT_FILE}), which also lists every bead with "
        "its alignment cost). Rows named here, and beads other than `1-1`, are where a reference is most "
        "likely to be imperfect; read per-segment scores on them with care."
    )
    return "\n\n".join([head, intro, quote(found) or "The report lists no repairs, exclusions or problems."])


def _license(options: CardOptions, pairs: list[PairData]) -> str:
    if options.custom_license:
        return (
            f"## License\n\n`license: other` (`{options.license_name}`, also in "
            f"[{LICENSE_FILE}]({LICENSE_FILE})):\n\n{options.license_details}"
        )
    where = ", ".join(sources(pairs)) or "their original publishers"
    return (
        f"## License\n\n`license: {options.license}`, as declared by the publisher of this dataset. "
        f"The source texts and reference translations are articles by {where}, whose copyright stays "
        "with that publisher; make sure this license is yours to grant for them."
    )


def _citation(options: CardOptions, pairs: list[PairData]) -> str:
    owner, name = options.repo_id.split("/")
    key = re.sub(r"\W+", "_", name).strip("_").lower()
    return (
        "## Citation\n\n```bibtex\n"
        f"@misc{{{key},\n"
        f"  title        = {{{{{pretty_name(options, pairs)}}}}},\n"
        f"  author       = {{{options.author or owner}}},\n"
        f"  howpublished = {{\\url{{{options.url}}}}},\n"
        f"  note         = {{Configs {', '.join(p.pair for p in pairs)}. {canary(options.repo_id)}}}\n"
        "}\n```"
    )
