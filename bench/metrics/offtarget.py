"""Off-target rate: the share of outputs (in percent) that are not in the target language.

Zero-shot and low-resource systems often answer in the wrong language (Russian for Kazakh, English,
or a copy of the Chinese source), which BLEU and COMET punish only indirectly. A segment is flagged
(1) when

- its letters are mostly in a script the target language is not written in (a copied Chinese source
  in a Vietnamese output), or
- lingua, restricted to a small candidate set plus the target language, confidently names another
  language (Russian or Mongolian for Kazakh: all three are Cyrillic).

Segments without letters (empty outputs, bare numbers) are not flagged: their language cannot be
told, and the other metrics already punish empty outputs. The stats row of a segment is its flag, the
score is 100 times the mean flag; lower is better. A language's scripts and lingua name come from its
row in ``bench/core/languages.py``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from importlib import metadata

import numpy as np

from bench.core.errors import BenchError
from bench.core.languages import language
from bench.core.pair import check_language
from bench.core.score import Score
from bench.metrics.base import AdditiveMetric


def dominant_script(text: str) -> str | None:
    """The script most letters of ``text`` are in (first word of their Unicode name), or None."""
    counts = Counter(unicodedata.name(ch, "UNKNOWN").split(" ")[0] for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


class OffTarget(AdditiveMetric):
    higher_is_better = False

    def __init__(self, name: str = "off_target",
                 candidates: tuple[str, ...] = ("zh", "kk", "vi", "ru", "mn", "ja", "en"),
                 min_relative_distance: float = 0.1) -> None:
        where = f"metric.{name}.candidates"
        if isinstance(candidates, str) or not all(isinstance(c, str) for c in candidates):
            raise BenchError(f"{where}={candidates!r}: must be a list of language codes, e.g. [zh, kk, ru]")
        distance = min_relative_distance
        if isinstance(distance, bool) or not isinstance(distance, (int, float)) or not 0 <= distance <= 0.99:
            raise BenchError(f"metric.{name}.min_relative_distance={distance!r}: must be a number from 0 "
                             "to 0.99 (lingua's range), e.g. 0.1")
        self.name = name
        self.candidates = tuple(sorted({check_language(c, where) for c in candidates}))
        self.min_relative_distance = float(distance)
        self._detectors: dict[tuple[str, ...], object] = {}

    def _languages(self, tgt_lang: str) -> tuple[str, ...]:
        return tuple(sorted({*self.candidates, tgt_lang}))

    @staticmethod
    def _lingua(code: str, where: str, fix: str) -> str:
        """lingua's name for ``code`` (its row in bench/core/languages.py), or one line saying what to fix."""
        row = language(code, where)
        if row.lingua is None:
            raise BenchError(f"{where}: lingua cannot detect {row.name} ('{code}'); {fix}")
        return row.lingua

    def _detector(self, tgt_lang: str):
        """lingua restricted to the candidates and the target (built in about 0.4 s, then reused)."""
        codes = self._languages(tgt_lang)
        if codes not in self._detectors:
            from lingua import Language, LanguageDetectorBuilder

            names = [self._lingua(c, f"metric.{self.name}.candidates", "remove it from the list")
                     for c in self.candidates]
            names.append(self._lingua(tgt_lang, f"metric.{self.name}",
                                      f"leave {self.name} out of metric=[...] for pairs into it"))
            languages = [getattr(Language, n) for n in sorted(set(names))]
            self._detectors[codes] = (LanguageDetectorBuilder.from_languages(*languages)
                                      .with_minimum_relative_distance(self.min_relative_distance).build())
        return self._detectors[codes]

    def check(self, pairs: list[tuple[str, str]]) -> None:
        for _, tgt in pairs:
            self._detector(tgt)

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        return (f"langs:{'+'.join(self._languages(tgt_lang))}|mrd:{self.min_relative_distance:g}"
                f"|script:yes|lingua:{metadata.version('lingua-language-detector')}")

    def flags(self, hypotheses: list[str], tgt_lang: str) -> list[int]:
        """1 for every output that is not in ``tgt_lang`` (see the module docstring), else 0."""
        detected = self._detector(tgt_lang).detect_languages_in_parallel_of(hypotheses)
        target = language(tgt_lang, f"metric.{self.name}")
        flags = []
        for text, found in zip(hypotheses, detected):
            script = dominant_script(text)
            wrong_script = script is not None and script not in target.letters
            wrong_language = script is not None and found is not None and found.name != target.lingua
            flags.append(int(wrong_script or wrong_language))
        return flags

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        flags = self.flags(hypotheses, tgt_lang)
        return Score(metric=self.name, score=100.0 * float(np.mean(flags)) if flags else 0.0,
                     signature=self.expected_signature(src_lang, tgt_lang),
                     stats=[[f] for f in flags], segments=[float(f) for f in flags])

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        return 100.0 * np.asarray(sums, dtype=np.float64)[:, 0] / np.maximum(n, 1)

    def segment_scores(self, stats: np.ndarray) -> list[float]:
        """A segment's flag (1 off target, 0 not), as the segment explorer shows it."""
        return np.asarray(stats, dtype=np.float64)[:, 0].tolist()
