"""The dataset card (``README.md``) of a published reference set: Hub metadata plus prose.

Every fact in the card is computed from the exported rows (counts, beads, documents, hashes) or read
from the structured records beside them in ``MANIFEST.json``; nothing is typed in by hand, and
nothing is read back out of ``build_report.md`` (it ships beside the card, for the per-bead detail,
but its Markdown is written for people and may change), so the card cannot drift from the data.

The card describes the set it was made from. A set built by ``bench build`` is news documents
aligned by bench: its manifest records the alignment, the excluded documents and, per document, the
repairs, the problems left as they are and whether a person read its pairs. An imported set
(``python -m bench import``, the manifest's ``testset``) is described by its origin: FLORES+ and
WMT24++ by name, a user's files by name and hash, a Hub dataset by repository and commit, with its
source side (original or translated). The manifest may come from someone else, so each value from it
is shown as inert text. The card holds no timestamps: the same input gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from bench.core.languages import language
from bench.core.pair import Pair
from bench.refset.hub import REPO_ID, SPLIT, data_file, to_record
from bench.refset.store import MANIFEST, Manifest, PairOrigin, Segment, SetInfo, canonical_sha256

if TYPE_CHECKING:
    from datasets import DatasetInfo
    from huggingface_hub import DatasetCardData

# The Hub's size_categories buckets, by powers of ten from 1K.
SIZE_BUCKETS = (
    "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "1B<n<10B",
    "10B<n<100B", "100B<n<1T",
)
BEAD = re.compile(r"^(\d+)-(\d+)$")
LICENSE_FILE = "LICENSE.md"
REPORT_FILE = "build_report.md"
#: the manifest's record of each built document (``Build.document_facts``)
DOCUMENTS = "documents"
#: the standard sets ``bench import`` reads in their published layout, by format
STANDARD_SETS = {"flores_plus": "FLORES+", "wmt24pp": "WMT24++"}
FORMATS = {"text": "line-aligned text files", "tsv": "a TSV table", "jsonl": "a JSONL table"}
SOURCE_SIDES = {
    "original": "original: the source text was written in {src}",
    "translated": "translated: the source text is itself a translation into {src}{why}, and translated "
                  "text is easier to translate than text written in {src}",
    "unknown": "not recorded: the set was imported without saying whether its source text is original "
               "or translated (`source_side=`)",
}
#: why a standard set's source side is translated
TRANSLATED_FROM = {"flores_plus": " (FLORES+ was written in English and translated into every other "
                                  "language)"}


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
    """What the set's folder holds beside the rows: MANIFEST.json as read (checked where it was read)
    and build_report.md (None if absent), which the card links to and never parses."""

    manifest: dict
    report: str | None

    @property
    def testset(self) -> SetInfo | None:
        """An imported set's name and origins; None for a set made by ``bench build``."""
        return Manifest.parse(self.manifest, MANIFEST).testset


@dataclass(frozen=True)
class DocumentFacts:
    """One built document, as ``Build.document_facts`` records it in the manifest."""

    name: str
    pair: str
    checked: bool
    repairs: list[str]
    problems: list[str]


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


def verbatim(value: object) -> str:
    """A value from the manifest as a code span that nothing in it can end (a backtick becomes ')."""
    return "`" + " ".join(str(value).split()).replace("`", "'") + "`"


def texts(value: object) -> list[str]:
    """A list of texts from the manifest (anything else: none)."""
    return [str(item) for item in value] if isinstance(value, list) else []


def documents(manifest: dict) -> list[DocumentFacts] | None:
    """The built documents the manifest records; None when it records none (an older build)."""
    found = manifest.get(DOCUMENTS)
    if not isinstance(found, dict):
        return None
    facts = [(name, entry) for name, entry in found.items() if isinstance(entry, dict)]
    return [DocumentFacts(str(name), str(entry.get("pair", "")), entry.get("checked") is True,
                          texts(entry.get("repairs")), texts(entry.get("problems"))) for name, entry in facts]


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


def pretty_name(options: CardOptions, pairs: list[PairData], info: SetInfo | None) -> str:
    directions = ", ".join(f"{src}→{'/'.join(tgts)}" for src, tgts in targets_by_source(pairs).items())
    made = f"{directions} news translation test set" if info is None else \
        f"{info.name}: {directions} translation test set"
    return options.pretty_name or made


def language_codes(pairs: list[PairData]) -> list[str]:
    return sorted({code for p in pairs for code in Pair(p.pair).langs})


def sources(pairs: list[PairData]) -> list[str]:
    return sorted({s.source for p in pairs for s in p.segments if s.source})


def several(segments: list[Segment]) -> bool:
    """Whether the pair has further references (its export then has a ``more_refs`` column)."""
    return any(s.more_refs for s in segments)


# ---- where an imported set comes from ------------------------------------------------------------


def set_name(origin: dict) -> str:
    """``FLORES+``, ``WMT24++`` or what the input was (``line-aligned text files``)."""
    fmt = str(origin.get("format", ""))
    return STANDARD_SETS.get(fmt) or FORMATS.get(fmt) or f"format {verbatim(fmt)}"


def origin_files(origin: dict) -> list[tuple[str, str]]:
    """``(file, sha256)`` of each file read, the source's first: a standard set's path in its published
    layout (``devtest/cmn_Hans.parquet``), a user's file by its name alone (its folder is the user's
    business, not the card's)."""
    files = origin.get("files")
    standard = origin.get("format") in STANDARD_SETS
    return [(str(path) if standard else PurePosixPath(str(path)).name, str(f.get("sha256", "?")))
            for f in (files if isinstance(files, list) else []) if isinstance(f, dict)
            for path in [f.get("path", "?")]]


def from_where(origin: dict) -> str:
    """``FLORES+ (the Hub dataset `openlanguagedata/flores_plus` at commit 0123456789ab)``, or the files."""
    if origin.get("repo_id"):
        repo, commit = verbatim(origin["repo_id"]), verbatim(str(origin.get("revision") or "?")[:12])
        return f"{set_name(origin)} (the Hub dataset {repo} at commit {commit})"
    names = ", ".join(verbatim(path) for path, _ in origin_files(origin))
    layout = " in its published layout" if origin.get("format") in STANDARD_SETS else ""
    return f"{set_name(origin)}{layout} ({names or 'no files recorded'})"


def source_side(pair: str, origin: PairOrigin) -> str:
    why = TRANSLATED_FROM.get(str(origin.origin.get("format")), "")
    return SOURCE_SIDES[origin.source_side].format(src=language_name(Pair(pair).src), why=why)


# ---- the card ------------------------------------------------------------------------------------


def card_data(options: CardOptions, pairs: list[PairData], info: SetInfo | None) -> DatasetCardData:
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
    named = [str(o.origin.get("repo_id")) for o in info.pairs.values()] if info else []
    repos = sorted({repo for repo in named if REPO_ID.match(repo)})  # a Hub id, or nothing of it
    data = DatasetCardData(
        pretty_name=pretty_name(options, pairs, info),
        language=codes,
        language_details=[bcp47(code) for code in codes],
        license=options.license,
        **license_fields,
        multilinguality="translation",
        size_categories=[size_category(sum(len(p.segments) for p in pairs))],
        source_datasets=repos or ["original"],
        task_categories=["translation"],
        language_creators=["found"],
        # a built set's alignment is bench's; an imported one came aligned
        annotations_creators=["machine-generated" if info is None else "found"],
        tags=["machine-translation-evaluation", *(["news"] if info is None else []),
              *[bcp47(code) for code in codes]],
    )
    DatasetInfosDict({p.pair: p.info for p in pairs}).to_dataset_card_data(data)
    MetadataConfigs(
        {p.pair: {"data_files": [{"split": SPLIT, "path": data_file(p.pair)}]} for p in pairs}
    ).to_dataset_card_data(data)
    return data


def render(options: CardOptions, pairs: list[PairData], build: BuildRecord) -> str:
    """The whole README.md."""
    info = build.testset
    made = [_articles(pairs), _method(build, pairs), _problems(build)] if info is None else \
        [_origins(info), _imported_problems(info)]
    body = "\n\n".join([
        _summary(options, pairs, info),
        _subsets(pairs, info),
        _languages(pairs),
        _usage(options, pairs),
        _structure(pairs, info),
        *made,
        _license(options, pairs, info),
        _citation(options, pairs, info),
    ])
    return f"---\n{card_data(options, pairs, info).to_yaml()}\n---\n\n{body}\n"


def license_text(options: CardOptions) -> str:
    """LICENSE.md for ``license: other`` (the card's ``license_link`` points at it)."""
    return f"# {options.license_name}\n\n{options.license_details}\n"


def _summary(options: CardOptions, pairs: list[PairData], info: SetInfo | None) -> str:
    directions = "; ".join(f"{src} into {' and '.join(t)}" for src, t in targets_by_source(pairs).items())
    if info is None:
        docs = len({s.doc_id for p in pairs for s in p.segments})
        where = ", ".join(sources(pairs)) or "the news sites listed below"
        what = (
            f"A document-level, sentence-aligned test set for machine translation from {directions}, made "
            f"of {docs} news articles published in both languages by {where}. Each row is one aligned "
            "unit: a source segment and the publisher's own translation of it as the reference. It was "
            "built, and is evaluated, with `bench`, an MT evaluation harness."
        )
    else:
        rows = sum(len(p.segments) for p in pairs)
        origins = [f"`{p}`: from {from_where(o.origin)}; source side {source_side(p, o)}."
                   for p, o in sorted(info.pairs.items())]
        what = (
            f"A sentence-level test set for machine translation from {directions}: {rows} segments, "
            f"imported with `bench import` as the test set {verbatim(info.name)}. Each row is one segment of "
            "the input as given (nothing re-split, re-aligned or cleaned), with its human "
            "reference(s). It is evaluated with `bench`, an MT evaluation harness.\n\n"
            + "\n".join(f"- {line}" for line in origins)
        )
    return (
        f"# {pretty_name(options, pairs, info)}\n\n{what}\n\n"
        "**This is evaluation data: do not train on it.** Every copy carries the canary string below; "
        "a training corpus that contains it is contaminated with this test set.\n\n"
        f"`{canary(options.repo_id)}`"
    )


def _subsets(pairs: list[PairData], info: SetInfo | None) -> str:
    if info is None:
        header = ["config", "direction", "rows", "documents", "source sentences", "reference sentences",
                  "sha256"]
        rows = []
        for p in pairs:
            sides = [x for x in (bead_sides(s.bead) for s in p.segments) if x]
            rows.append([f"`{p.pair}`", direction(p.pair), len(p.segments),
                         len({s.doc_id for s in p.segments}), sum(x[0] for x in sides),
                         sum(x[1] for x in sides), f"`{canonical_sha256(p.segments)}`"])
        note = "Sentence counts are sums over the alignment beads. "
    else:
        header = ["config", "direction", "rows", "references per row", "source side", "sha256"]
        rows = [[f"`{p.pair}`", direction(p.pair), len(p.segments), _reference_counts(p.segments),
                 info.pairs[p.pair].source_side if p.pair in info.pairs else "unknown",
                 f"`{canonical_sha256(p.segments)}`"] for p in pairs]
        note = ""
    return (
        f"## Subsets\n\nOne config per language pair, each with a single `{SPLIT}` split.\n\n"
        + table(header, rows)
        + f"\n\n{note}The sha256 is the hash `bench` records with every run (of the rows in its JSONL "
        "form), so a score can be traced to this exact set."
    )


def _reference_counts(segments: list[Segment]) -> str:
    counts = sorted({len(s.refs) for s in segments})
    return f"{counts[0]} to {counts[-1]}" if len(counts) > 1 else str(counts[0])


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


#: what each field means in a built set, and in an imported one
FIELDS = {
    "doc_id": ("the article the row comes from",
               "the document the row comes from (the split for FLORES+, the set's name for plain files)"),
    "seg": ("position of the row within its article", "the row's line number less one, or its published id"),
    "kind": ("`title` or `body`", "`body`"),
    "date": ("publication date shown on the page (ISO)", "null"),
    "source": ("site named on the page", "the row's domain, where the input names one"),
    "bead": ("alignment bead `<source sentences>-<reference sentences>`, e.g. `1-2`",
             "`1-1`: rows are aligned as published"),
}


def _structure(pairs: list[PairData], info: SetInfo | None) -> str:
    src, tgt = Pair(pairs[0].pair).langs
    meaning = {name: pair[info is not None] for name, pair in FIELDS.items()}
    fields = [
        ["`id`", "string", "stable row id, `<doc_id>-<seg:03d>`"],
        ["`doc_id`", "string", meaning["doc_id"]],
        ["`seg`", "int32", meaning["seg"]],
        ["`translation`", f"`{src}`, `{tgt}`", "source text and (first) reference translation"],
        ["`kind`", "string", meaning["kind"]],
        ["`date`", "string or null", meaning["date"]],
        ["`source`", "string or null", meaning["source"]],
        ["`bead`", "string", meaning["bead"]],
    ]
    if any(several(p.segments) for p in pairs):
        fields.append(["`more_refs`", "list of strings", "the second and later references (in the pairs "
                       "that have several)"])
    example = json.dumps(to_record(pairs[0].segments[0], several(pairs[0].segments)), ensure_ascii=False,
                         indent=2)
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


def _method(build: BuildRecord, pairs: list[PairData]) -> str:
    record = {k: v for k, v in build.manifest.items() if k not in ("files", DOCUMENTS)}
    parts = [
        "## How it was built",
        "Each article was published in Chinese and in the target language. `bench build` split both "
        "versions into sentences and aligned them into beads (groups of sentences that translate each "
        "other); each row is one bead with text on both sides.",
        "### Build record (`MANIFEST.json`)",
        "\n".join(bullets(record)) or "MANIFEST.json records nothing beyond the files.",
        "### Human check",
        _human_check(documents(build.manifest)),
        "### Beads in this dataset",
    ]
    for p in pairs:
        counts = sorted(Counter(s.bead for s in p.segments).items(), key=_bead_order)
        rows = [[f"`{bead}`", n, f"{100 * n / len(p.segments):.1f}%"] for bead, n in counts]
        parts.append(f"#### {p.pair}\n\n" + table(["bead", "rows", "share"], rows))
    return "\n\n".join(parts)


def _human_check(docs: list[DocumentFacts] | None) -> str:
    if docs is None:
        return ("MANIFEST.json does not record whether a person read the alignments (it was written by an "
                "older `bench build`; build again to record it).")
    unread = [d.name for d in docs if not d.checked]
    if not unread:
        return (f"A person read every aligned pair of this set: the alignments of all {len(docs)} documents "
                "were recorded as read when it was built.")
    return (f"No person has recorded reading the aligned pairs of {len(unread)} of {len(docs)} documents "
            f"({', '.join(verbatim(n) for n in unread)}); their rows may hold misalignments.")


def _bead_order(item: tuple[str, int]) -> tuple:
    sides = bead_sides(item[0])
    return (0, sides) if sides else (1, item[0])


def _problems(build: BuildRecord) -> str:
    """Exclusions, dropped sentences, repairs and problems left alone, from the manifest's records."""
    docs = documents(build.manifest)
    excluded = build.manifest.get("excluded")
    alignment = build.manifest.get("alignment")
    beads = alignment.get("beads") if isinstance(alignment, dict) else None
    dropped = {b: n for b, n in (beads.items() if isinstance(beads, dict) else ())
               if (sides := bead_sides(str(b))) and 0 in sides}
    parts = ["## Known problems in the references"]
    if build.report is not None:
        parts.append(f"The build report ([{REPORT_FILE}]({REPORT_FILE})) lists every bead with its alignment "
                     "cost and the beads to read first; beads other than `1-1` are where a reference is most "
                     "likely to be imperfect. Read per-segment scores on them with care.")
    else:
        parts.append("No build report was published with the references, so the per-bead detail is not "
                     "here; what the manifest records follows.")
    parts.append(_listed("Excluded documents", [f"{verbatim(n)}: {inert(why)}" for n, why in
                                                (excluded.items() if isinstance(excluded, dict) else ())]))
    parts.append(_listed("Sentences without a counterpart (left out of the rows)",
                         [_dropped(str(b), n) for b, n in dropped.items()]))
    if docs is None:
        parts.append("MANIFEST.json does not record the repairs and the problems left as they are (it was "
                     "written by an older `bench build`; build again to record them).")
        return "\n\n".join(parts)
    parts.append(_listed("Repairs", [f"{_where(d)}: {inert(r)}" for d in docs for r in d.repairs]))
    parts.append(_listed("Problems left as they are",
                         [f"{_where(d)}: {inert(p)}" for d in docs for p in d.problems]))
    if any(not d.checked for d in docs):
        parts.append(f"**Not read by a person**\n\n{_human_check(docs)}")
    return "\n\n".join(parts)


def _dropped(bead: str, count: object) -> str:
    """``1 x `1-0`: a source sentence with no counterpart in the translation``."""
    src, _ = bead_sides(bead) or (0, 0)
    side = "a source sentence with no counterpart in the translation" if src else \
        "a reference sentence with no counterpart in the source"
    return f"{inert(count)} x {verbatim(bead)}: {side}"


def _where(doc: DocumentFacts) -> str:
    return f"{verbatim(doc.name)} ({inert(doc.pair)})"


def _listed(label: str, items: list[str]) -> str:
    return f"**{label}**\n\n" + ("\n".join(f"- {item}" for item in items) or "None.")


def _origins(info: SetInfo) -> str:
    parts = ["## Where it comes from",
             "`bench import` read the input below: row *n* of it is row *n* here, its text stripped of "
             "surrounding white space and nothing else. Every file read is named with its sha256."]
    for pair, origin in sorted(info.pairs.items()):
        made = origin.origin
        files = table(["file", "sha256"], [[verbatim(f), verbatim(sha)] for f, sha in origin_files(made)])
        parts.append(f"### {pair}\n\n- from: {from_where(made)}\n- source side: {source_side(pair, origin)}"
                     f"\n\n{files}")
    return "\n\n".join(parts)


def _imported_problems(info: SetInfo) -> str:
    left = [f"`{pair}`: {inert(n)} row(s) marked {verbatim(why)} left out, as the set's authors advise"
            for pair, origin in sorted(info.pairs.items()) for why, n in origin.left_out.items()]
    return (
        "## Known problems in the references\n\nThe references are as the input gave them: `bench` "
        "checked that every row has a source and each reference, and nothing about their quality or "
        "alignment.\n\n" + _listed("Rows left out", left)
    )


def _license(options: CardOptions, pairs: list[PairData], info: SetInfo | None) -> str:
    if options.custom_license:
        return (
            f"## License\n\n`license: other` (`{options.license_name}`, also in "
            f"[{LICENSE_FILE}]({LICENSE_FILE})):\n\n{options.license_details}"
        )
    if info is None:
        where = f"articles by {', '.join(sources(pairs)) or 'their original publishers'}"
    else:
        where = "from " + "; ".join(sorted({from_where(o.origin) for o in info.pairs.values()}))
    return (
        f"## License\n\n`license: {options.license}`, as declared by the publisher of this dataset. "
        f"The source texts and reference translations are {where}, whose copyright stays "
        "with that publisher; make sure this license is yours to grant for them."
    )


def _citation(options: CardOptions, pairs: list[PairData], info: SetInfo | None) -> str:
    owner, name = options.repo_id.split("/")
    key = re.sub(r"\W+", "_", name).strip("_").lower()
    return (
        "## Citation\n\n```bibtex\n"
        f"@misc{{{key},\n"
        f"  title        = {{{{{pretty_name(options, pairs, info)}}}}},\n"
        f"  author       = {{{options.author or owner}}},\n"
        f"  howpublished = {{\\url{{{options.url}}}}},\n"
        f"  note         = {{Configs {', '.join(p.pair for p in pairs)}. {canary(options.repo_id)}}}\n"
        "}\n```"
    )
