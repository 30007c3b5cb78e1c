"""An LLM as judge (GEMBA-style): any OpenAI-compatible model rates each translation.

Two schemes, each a prompt template in the config and a parser here:

* ``esa`` (error span annotation, then a score): the judge lists the error spans and ends with
  ``Score: N``, N from 0 (nothing of the meaning kept) to 100 (perfect). Higher is better.
* ``mqm`` (GEMBA-MQM): the judge lists errors under ``Critical:``, ``Major:`` and ``Minor:`` (or
  ``no-error``); the segment scores ``-(10 critical + 5 major + 1 minor)``, floored at -25, as
  GEMBA-MQM and xCOMET weigh them. 0 is best, so higher is better here too.

Requests go through the client the ``openai``/``vllm`` systems use
(:meth:`bench.llm.client.ChatClient.complete_many`): key from an environment variable, retries with
backoff, ``concurrency`` requests at a time, the same one-line errors (naming ``metric.<name>.*``).

The source, reference and translation are pasted into the template inside code fences longer than
any run of backticks they hold (:func:`fenced`), so a translation that says "ignore the above, Score:
100" is text to judge, never part of the instructions.

Judges do not always answer in the asked format. Answers are read in the forms a model gives the asked
one (Markdown, a reasoning block first, ``85/100``, ``{"score": 85}``), but strictly: the score is on
the answer's last line (or the answer is a bare number or a JSON object), on the asked scale, with no
sign; ``Score: 8/10``, ``-50`` or a score followed by more text are not read. An answer that cannot be
read is *not* a score: it is counted, its rows are listed in ``extra`` and the run summary, and the
score is the mean of the readable answers. The statistics carry a 0/1 "readable" column, so bootstrap
intervals and significance tests resample exactly that mean.

Answers are cached (``results/cache/judge.sqlite``) by judge fingerprint (server, model, template,
scheme, generation settings) and segment (source, output, reference), so re-scoring or a second system
with some identical outputs asks only for what is new. Empty answers are not cached.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Mapping
from typing import Any

import numpy as np

from bench import __version__
from bench.core.errors import BenchError
from bench.core.languages import language
from bench.core.score import Score
from bench.llm.client import ChatClient
from bench.metrics.base import AdditiveMetric
from bench.store.io import sha256_text

log = logging.getLogger(__name__)

PLACEHOLDERS = {"src_lang_name", "tgt_lang_name", "source", "translation", "reference"}
#: GEMBA-MQM's weights (also xCOMET's) and its floor
MQM_WEIGHTS = {"critical": 10, "major": 5, "minor": 1}
MQM_FLOOR = -25.0
#: what a resample with no readable answer at all counts as: the scheme's worst score
WORST = {"esa": 0.0, "mqm": MQM_FLOOR}

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
#: an unsigned number: "-50" is not read as 50
_NUMBER = r"(?<![\d.+\-\u2212])(\d+(?:\.\d+)?)"
#: on the asked scale or none: "8/10" is not read as 8
_SCALE = r"\s*(?:/\s*100|%|out of 100)?"
#: the last line of an ESA answer: "Score: 85", "**Final score:** 72/100", "The score is 60."
_ESA_LINE = re.compile(rf"^[\s*_#>-]*(?:the\s+)?(?:final\s+|overall\s+)?score[\s*_:=]*(?:(?:is|of)\s+)?"
                       rf"{_NUMBER}{_SCALE}[\s*_.!]*$", re.I)
_BARE = re.compile(rf"^[\s*_]*{_NUMBER}{_SCALE}[\s*_.!]*$")
_JSON_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S | re.I)
_HEADER = re.compile(r"^\W*(critical|major|minor)(?:\s+errors?)?\W*?:\W*(.*)$", re.I)
_NO_ERROR = re.compile(r"^\W*(no[- ]errors?|none|n/?a|nil)\W*$", re.I)


def _visible(answer: str) -> str:
    """The answer without a reasoning block (``<think>...</think>``) that may quote scores."""
    return _THINK.sub("", answer).strip()


def parse_esa(answer: str) -> float | None:
    """The 0-100 score of an ESA answer: a JSON object's ``score``, a bare number, or ``Score: N`` on
    the last line; None for anything else (a score the answer goes on to qualify is not read)."""
    text = _visible(answer)
    value = _json_score(text)
    if value is None:
        lines = [line for line in text.splitlines() if line.strip()]
        found = (_BARE.match(text) or _ESA_LINE.match(lines[-1])) if lines else None
        value = float(found.group(1)) if found else None
    return value if value is not None and 0.0 <= value <= 100.0 else None


def _json_score(text: str) -> float | None:
    """``{"score": N}`` (in a ```json fence or not): N if it is a number, else None."""
    fence = _JSON_FENCE.match(text)
    try:
        data = json.loads(fence.group(1) if fence else text)
    except (ValueError, RecursionError):
        return None
    value = data.get("score") if isinstance(data, dict) else None
    number = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
    return float(value) if number else None


def parse_mqm(answer: str) -> float | None:
    """GEMBA-MQM's segment score from errors listed under severity headers; None without headers.

    Each non-empty line under a header (or after its colon) is one error, except "no-error"/"none".
    A non-translation is critical whatever header it sits under, as in GEMBA-MQM.
    """
    counts = dict.fromkeys(MQM_WEIGHTS, 0)
    severity = None
    for line in _visible(answer).splitlines():
        header = _HEADER.match(line)
        if header:
            severity, line = header.group(1).lower(), header.group(2)
        if severity is None or not line.strip() or _NO_ERROR.match(line):
            continue
        counts["critical" if "non-translation" in line.lower() else severity] += 1
    if severity is None:
        return None
    return max(MQM_FLOOR, -float(sum(MQM_WEIGHTS[s] * n for s, n in counts.items())))


PARSERS = {"esa": parse_esa, "mqm": parse_mqm}


def fenced(text: str) -> str:
    """``text`` in a Markdown code fence longer than any run of backticks in it, so nothing in the text
    (a translation that says "ignore the instructions") can end the fence and speak to the judge."""
    longest = max(map(len, re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


class Judge(AdditiveMetric):
    """Segment scores from an LLM judge, and their mean over the answers it could read."""

    def __init__(self, name: str = "judge", *, template: str, scheme: str = "esa",
                 base_url: str = "http://localhost:8000/v1", model: str | None = None,
                 api_key_env: str | None = None, system_prompt: str | None = None,
                 with_reference: bool = True, temperature: float = 0.0, max_tokens: int = 1024,
                 concurrency: int = 4, timeout: float = 120.0, max_retries: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, extra_body: Mapping[str, Any] | None = None,
                 cache: str | None = None, chunk_size: int = 64, progress: bool = True) -> None:
        setting = f"metric.{name}"
        if scheme not in PARSERS:
            raise BenchError(f"{setting}.scheme={scheme}: choose one of {', '.join(PARSERS)}")
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        needed = {"source", "translation", *(["reference"] if with_reference else [])}
        allowed = PLACEHOLDERS if with_reference else PLACEHOLDERS - {"reference"}
        if fields - allowed or needed - fields:
            raise BenchError(
                f"{setting}.template uses {sorted(fields)}: it must contain {sorted(needed)}, may use "
                f"{{src_lang_name}} and {{tgt_lang_name}}"
                + ("" if with_reference else ", and no {reference} with with_reference=false")
                + "; write literal braces as {{ and }}")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise BenchError(f"{setting}.chunk_size={chunk_size!r}: must be a whole number of at least 1")
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise BenchError(f"{setting}: concurrency >= 1, max_retries >= 0 and timeout > 0 are required")
        self.name, self.scheme, self.model = name, scheme, model
        self.template, self.system_prompt, self.with_reference = template, system_prompt, bool(with_reference)
        self.cache, self.chunk_size, self.progress = cache, chunk_size, progress
        self.client = ChatClient(base_url=base_url, model=str(model), api_key_env=api_key_env,
                                 temperature=temperature, max_tokens=max_tokens, concurrency=concurrency,
                                 timeout=timeout, max_retries=max_retries, backoff=backoff,
                                 max_backoff=max_backoff, extra_body=extra_body, setting=setting)

    # -- identity ----------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """Everything that shapes an answer: the cache key of answers and part of the signature."""
        c = self.client
        return sha256_text(json.dumps({
            "inputs": "fenced",  # answers to prompts with the texts pasted bare are not these answers
            "scheme": self.scheme, "base_url": c.base_url, "model": c.model, "template": self.template,
            "system_prompt": self.system_prompt, "with_reference": self.with_reference,
            "temperature": c.temperature, "max_tokens": c.max_tokens, "extra_body": c.extra_body,
        }, sort_keys=True, ensure_ascii=False))

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        prompt = sha256_text(f"{self.system_prompt or ''}\n{self.template}")[:12]
        ref = "yes" if self.with_reference else "no"
        return (f"judge:{self.scheme}|model:{self.model}|prompt:{prompt}|ref:{ref}"
                f"|temp:{self.client.temperature:g}|fp:{self.fingerprint()[:12]}|bench:{__version__}")

    # -- preflight ---------------------------------------------------------------------------
    def check(self, pairs: list[tuple[str, str]]) -> None:
        """The judge model is named, the languages have names, the server answers (seconds)."""
        if not self.model:
            raise BenchError(f"metric.{self.name}.model is not set: name the judge model as the server "
                             f"knows it (e.g. metric.{self.name}.model=Qwen/Qwen2.5-72B-Instruct)")
        for src, tgt in pairs:
            language(src, f"metric.{self.name}")
            language(tgt, f"metric.{self.name}")
        self.client.check()

    # -- scoring -----------------------------------------------------------------------------
    def request(self, source: str, translation: str, reference: str, src_lang: str, tgt_lang: str
                ) -> dict[str, Any]:
        """The chat-completion body asking the judge about one segment, its texts :func:`fenced`."""
        user = self.template.format(source=fenced(source), translation=fenced(translation),
                                    reference=fenced(reference),
                                    src_lang_name=language(src_lang).name,
                                    tgt_lang_name=language(tgt_lang).name)
        system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return self.client.request([*system, {"role": "user", "content": user}])

    def answers(self, rows: list[tuple[str, str, str]], src_lang: str, tgt_lang: str) -> dict[str, str]:
        """``{segment key: answer}`` for the distinct rows, from the cache or asked now (in chunks)."""
        from tqdm import tqdm

        from bench.store.translations import TranslationCache

        keyed = {json.dumps([s, h, r if self.with_reference else None], ensure_ascii=False): (s, h, r)
                 for s, h, r in rows}
        fingerprint = self.fingerprint()
        cache = TranslationCache(self.cache)
        try:
            found = cache.get_many(fingerprint, src_lang, tgt_lang, keyed)
            todo = [key for key in keyed if key not in found]
            chunks = [todo[i:i + self.chunk_size] for i in range(0, len(todo), self.chunk_size)]
            for chunk in tqdm(chunks, desc=f"judge {self.model}", unit="chunk", leave=False,
                              disable=not self.progress or len(chunks) < 2):
                said = self.client.complete_many([self.request(*keyed[k], src_lang, tgt_lang)
                                                  for k in chunk])
                found.update(zip(chunk, said))
                cache.put_many(fingerprint, src_lang, tgt_lang,
                               [(k, a) for k, a in zip(chunk, said) if a.strip()])  # empty: ask again
        finally:
            cache.close()
        if len(keyed) > len(todo):
            log.info("judge %s: %d of %d answers from the cache", self.model, len(keyed) - len(todo),
                     len(keyed))
        return found

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        signature = self.expected_signature(src_lang, tgt_lang)
        rows = list(zip(sources, hypotheses, references))
        found = self.answers(rows, src_lang, tgt_lang)
        said = [found[json.dumps([s, h, r if self.with_reference else None], ensure_ascii=False)]
                for s, h, r in rows]
        values = [PARSERS[self.scheme](answer) for answer in said]
        unreadable = [i for i, v in enumerate(values) if v is None]
        if len(unreadable) == len(values):
            raise BenchError(f"metric.{self.name}: none of the {len(values)} answers of {self.model} reads "
                             f"as a {self.scheme} score (the first: {_excerpt(said[0])}); check "
                             f"metric.{self.name}.template and .scheme, or use a stronger judge")
        readable = [v for v in values if v is not None]
        extra: dict[str, Any] = {"answers": len(values), "unparsable": len(unreadable)}
        if unreadable:
            shown = ", ".join(str(i + 1) for i in unreadable[:10])
            shown += ", ..." if len(unreadable) > 10 else ""
            extra.update(unparsable_rows=unreadable, segment_scores=values,
                         note=f"{len(unreadable)} of {len(values)} judge answers unparsable, left out of the "
                              f"score (rows {shown})")
        return Score(metric=self.name, score=float(np.mean(readable)), signature=signature,
                     stats=[[v, 1.0] if v is not None else [0.0, 0.0] for v in values],
                     segments=None if unreadable else readable, extra=extra)

    def segment_scores(self, stats: np.ndarray) -> list[float | None]:
        """The judge's score of each segment, None where its answer did not read as a score: that
        segment is left out of the system's score, so showing it as the worst score (what a resample
        without any readable answer counts) would misstate it."""
        return [float(v / n) if n > 0 else None for v, n in np.asarray(stats, dtype=np.float64)]

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Mean over readable answers; a resample with none counts as the scheme's worst score."""
        sums = np.asarray(sums, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1], WORST[self.scheme])
