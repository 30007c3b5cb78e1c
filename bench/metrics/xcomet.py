"""xCOMET (Unbabel/XCOMET-XL, -XXL): COMET scores plus the error spans that explain them.

The model is unbabel-comet's own ``XCOMETMetric``, loaded and run by COMET's ``predict`` exactly as
``comet-score`` would (the checkpoint handling, offline preflight and one load per process are
:class:`bench.metrics.comet.Comet`'s). xCOMET encodes output, source and reference jointly, so nothing
can be shared between systems the way wmt22-comet-da's sentence embeddings are.

Per segment it gives a score (0-1, higher is better) and the spans of the output it marks as errors,
each ``{text, severity (minor|major|critical), confidence, start, end}`` with character offsets into
the output. Scores go in ``Score.segments``; spans in ``Score.extra["error_spans"]``, one list per
segment, for the leaderboard's segment view. ``mode: qe`` leaves the references out (xCOMET's
reference-free form, as ``comet-score`` without ``-r``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from bench import __version__
from bench.core.errors import BenchError
from bench.core.score import Score
from bench.metrics.comet import Comet

MODES = ("ref", "qe")


def plain_spans(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """xCOMET's spans of one segment as plain JSON values, in the order it found them."""
    return [{"text": str(span["text"]), "severity": str(span["severity"]),
             "confidence": float(span["confidence"]), "start": int(span["start"]), "end": int(span["end"])}
            for span in spans]


class XComet(Comet):
    """xCOMET segment scores, their mean, and the error spans of every segment."""

    def __init__(self, name: str = "xcomet", model: str = "Unbabel/XCOMET-XL", checkpoint: str | None = None,
                 mode: str = "ref", batch_size: int = 8, device: str = "auto", precision: str = "fp32",
                 progress: bool = True) -> None:
        if mode not in MODES:
            raise BenchError(f"metric.{name}.mode={mode}: choose ref (with references) or qe (without)")
        super().__init__(name=name, model=model, checkpoint=checkpoint, batch_size=batch_size, device=device,
                         precision=precision, progress=progress)
        self.mode = mode

    def check(self, pairs: list[tuple[str, str]]) -> None:
        """Comet's preflight, and the checkpoint must be an xCOMET one: other COMET models mark no spans."""
        super().check(pairs)
        hparams = self.checkpoint_path().parent.parent / "hparams.yaml"
        identifier = (yaml.safe_load(hparams.read_text(encoding="utf-8")) or {}).get("class_identifier")
        if identifier != "xcomet_metric":
            raise BenchError(f"{hparams}: class_identifier {identifier!r} is not xcomet_metric, so it marks "
                             f"no error spans; point metric.{self.name}.checkpoint at an xCOMET model (or "
                             "use metric=comet for this one)")

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        return f"{super().expected_signature(src_lang, tgt_lang)}|mode:{self.mode}|bench:{__version__}"

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        signature = self.expected_signature(src_lang, tgt_lang)
        prediction = self.loaded().predict(sources, hypotheses, references if self.mode == "ref" else None,
                                   self.progress)
        segments = [float(s) for s in prediction.scores]
        spans = [plain_spans(s) for s in prediction.metadata.error_spans]
        return Score(metric=self.name, score=float(np.mean(segments)) if segments else 0.0,
                     signature=signature, stats=[[s] for s in segments], segments=segments,
                     extra={"error_spans": spans})
