"""COMET, loaded once per process, with sentence embeddings shared by every system scored.

COMET's estimator (wmt22-comet-da, a ``RegressionMetric``) sees three sentence embeddings per
segment: source, hypothesis, reference. Every system of a test set has the same sources and
references, yet ``model.predict`` re-encodes them for each system, and COMET 2.2.7's own embedding
cache never hits. Here each distinct sentence is encoded once per loaded checkpoint (with the
model's own encoder, tokenizer and pooling, in length-sorted batches) and the estimator runs on the
stored embeddings; a test checks the scores equal ``predict`` within 1e-5 in fp32. Models whose
encoder reads source and hypothesis jointly (CometKiwi's ``UnifiedMetric``) cannot share embeddings
and go through ``predict``.

Nothing heavy is imported until a model is needed: ``check`` and the signature only look at files,
so a cache hit in ``bench score`` never loads torch.
"""

from __future__ import annotations

import logging
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench.core.checks import whole_number
from bench.core.cores import calm_openmp, use_torch_threads
from bench.core.devices import pick_device
from bench.core.errors import BenchError
from bench.core.score import Score
from bench.metrics.base import AdditiveMetric
from bench.store.io import sha256_file

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "bf16")

#: loaded models, keyed by (checkpoint, device, precision): one load per process
_LOADED: dict[tuple[str, str, str], LoadedComet] = {}
#: checkpoint digests, keyed by (path, size, mtime): a 2 GB file is hashed once per process
_DIGESTS: dict[tuple[str, int, int], str] = {}


def checkpoint_digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(path)
    return _DIGESTS[key]


def hub_snapshot(repo_id: str) -> Path | None:
    """The local snapshot folder of a Hub repository, or None; never touches the network."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=repo_id, local_files_only=True))
    except Exception:  # every failure here means "not in the local cache"
        return None


def _encoder_available(pretrained: str) -> bool:
    """COMET rebuilds its encoder from ``pretrained_model`` (config + tokenizer): is that local?"""
    if Path(pretrained).is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(pretrained, "config.json"), str)
    except ValueError:  # a folder path that does not exist is no valid Hub id either
        return False


@dataclass
class LoadedComet:
    """A loaded COMET model and the sentence embeddings it has computed so far."""

    model: Any
    device: Any
    batch_size: int
    embeddings: dict[str, Any] = field(default_factory=dict)
    #: sentences run through the encoder (tests count it to prove the reuse)
    encoded: int = 0

    @property
    def shares_embeddings(self) -> bool:
        from comet.models import RegressionMetric

        return type(self.model) is RegressionMetric

    def embed(self, texts: list[str], progress: bool) -> Any:
        """Embeddings ``(len(texts), dim)``, encoding only sentences not seen before."""
        import torch
        from tqdm import tqdm

        new = self._by_length({t for t in texts if t not in self.embeddings})
        batches = [new[i:i + self.batch_size] for i in range(0, len(new), self.batch_size)]
        with torch.inference_mode():
            for batch in tqdm(batches, desc="COMET embeddings", unit="batch", leave=False,
                              disable=not progress or len(batches) < 2):
                inputs = self.model.encoder.prepare_sample(batch)
                vectors = self.model.get_sentence_embedding(inputs["input_ids"].to(self.device),
                                                            inputs["attention_mask"].to(self.device))
                self.embeddings.update(zip(batch, vectors))
                self.encoded += len(batch)
        return torch.stack([self.embeddings[t] for t in texts])

    def _by_length(self, texts: set[str]) -> list[str]:
        """Texts sorted by token count, so that a batch pads little (sources and outputs mix)."""
        if not texts:
            return []
        encoder = self.model.encoder
        ordered = sorted(texts)
        ids = encoder.tokenizer(ordered, truncation=True, max_length=encoder.max_positions - 2)["input_ids"]
        return [text for _, text in sorted(zip(map(len, ids), ordered))]

    def regression_scores(self, sources: list[str], hypotheses: list[str], references: list[str],
                          progress: bool) -> list[float]:
        """wmt22-comet-da's estimator on stored embeddings (what ``forward`` does after encoding)."""
        import torch

        n = len(sources)
        vectors = self.embed([*sources, *hypotheses, *references], progress)  # one pass, fuller batches
        src, mt, ref = vectors[:n], vectors[n:2 * n], vectors[2 * n:]
        out = []
        with torch.inference_mode():
            for i in range(0, len(src), self.batch_size):
                part = slice(i, i + self.batch_size)
                out.append(self.model.estimate(src[part], mt[part], ref[part]).score.float().cpu())
        return torch.cat(out).tolist() if out else []

    def predict_scores(self, sources: list[str], hypotheses: list[str], references: list[str],
                       progress: bool) -> list[float]:
        """COMET's own ``predict`` for models whose embeddings cannot be shared."""
        refs = references if self.model.requires_references() else None
        return list(self.predict(sources, hypotheses, refs, progress).scores)

    def predict(self, sources: list[str], hypotheses: list[str], references: list[str] | None,
                progress: bool) -> Any:
        """COMET's ``predict`` (its ``Prediction``, metadata too); ``references=None`` leaves them out."""
        samples = [{"src": s, "mt": h} for s, h in zip(sources, hypotheses)]
        if references is not None:
            for sample, ref in zip(samples, references):
                sample["ref"] = ref
        gpus = 1 if self.device.type == "cuda" else 0
        return self.model.predict(samples, batch_size=self.batch_size, gpus=gpus, progress_bar=progress)


class Comet(AdditiveMetric):
    """COMET segment scores and their mean (COMET's system score).

    ``model`` is a Hugging Face Hub id that must already be in the local cache; ``checkpoint`` (a
    ``.../checkpoints/model.ckpt`` path) takes precedence. ``device: auto`` uses a GPU when there is one.
    """

    def __init__(self, name: str = "comet", model: str = "Unbabel/wmt22-comet-da",
                 checkpoint: str | None = None, batch_size: int = 16, device: str = "auto",
                 precision: str = "fp32", progress: bool = True) -> None:
        if precision not in PRECISIONS:
            raise BenchError(f"metric.{name}.precision={precision}: choose one of {', '.join(PRECISIONS)}")
        self.name = name
        self.model = model
        self.checkpoint = checkpoint
        self.batch_size = whole_number(batch_size, f"metric.{name}.batch_size")
        self.device = device
        self.precision = precision
        self.progress = progress

    # -- files only: fast, no torch ------------------------------------------------------------
    def checkpoint_path(self) -> Path:
        """The checkpoint file to load; BenchError in a second if it is not on this machine."""
        if self.checkpoint:
            path = Path(self.checkpoint).expanduser()
            if not path.is_file():
                raise BenchError(f"metric.{self.name}.checkpoint={self.checkpoint}: no such file; "
                                 "point it at a COMET checkpoint (.../checkpoints/model.ckpt)")
        else:
            snapshot = hub_snapshot(self.model)
            path = snapshot / "checkpoints" / "model.ckpt" if snapshot else None
            if path is None or not path.is_file():
                raise BenchError(
                    f"COMET model {self.model} is not available offline: download it on a connected "
                    f"machine or pass metric.{self.name}.checkpoint=PATH/checkpoints/model.ckpt")
        if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; cheap to verify
            raise BenchError(f"{path}: not a readable PyTorch checkpoint (damaged or incomplete "
                             "download?); download the COMET model again")
        hparams = path.parent.parent / "hparams.yaml"
        if not hparams.is_file():
            raise BenchError(f"{path}: not a COMET checkpoint folder (no {hparams}); point "
                             f"metric.{self.name}.checkpoint at MODEL/checkpoints/model.ckpt, with "
                             "MODEL/hparams.yaml beside checkpoints/")
        pretrained = _pretrained_model(hparams)
        if pretrained and not _encoder_available(str(pretrained)):
            raise BenchError(
                f"COMET model {self.model} needs its encoder {pretrained}, which is not available "
                f"offline: download it on a connected machine (or fix pretrained_model in {hparams})")
        return path.resolve()

    def check(self, pairs: list[tuple[str, str]]) -> None:
        self.checkpoint_path()
        if self.device != "auto":  # an explicit device must exist (imports torch; auto never fails)
            pick_device(self.device, f"metric.{self.name}.device")

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        path = self.checkpoint_path()
        label = self.model if not self.checkpoint else path.parent.parent.name
        return (f"model:{label}|ckpt:{checkpoint_digest(path)[:12]}|comet:{metadata.version('unbabel-comet')}"
                f"|precision:{self.precision}|bs:{self.batch_size}")

    # -- scoring: loads torch and the model once -----------------------------------------------
    def loaded(self) -> LoadedComet:
        calm_openmp()  # before the first import of torch (bench.core.cores)
        import torch

        device = torch.device("cuda" if self.device == "auto" and torch.cuda.is_available()
                              else "cpu" if self.device == "auto" else self.device)
        path = self.checkpoint_path()
        key = (str(path), str(device), self.precision)
        use_torch_threads()  # the cores bench may use, or OMP_NUM_THREADS (bench.core.cores)
        if key not in _LOADED:
            _LOADED[key] = LoadedComet(_load(path, device, self.precision), device, self.batch_size)
        return _LOADED[key]

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        signature = self.expected_signature(src_lang, tgt_lang)
        comet = self.loaded()
        run = comet.regression_scores if comet.shares_embeddings else comet.predict_scores
        segments = [float(s) for s in run(sources, hypotheses, references, self.progress)]
        return Score(metric=self.name, score=float(np.mean(segments)) if segments else 0.0,
                     signature=signature, stats=[[s] for s in segments], segments=segments)

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        return np.asarray(sums, dtype=np.float64)[:, 0] / np.maximum(n, 1)


def _pretrained_model(hparams: Path) -> str | None:
    """The encoder a COMET checkpoint names in ``hparams.yaml``: a file from a download that may be
    damaged, so anything but a YAML mapping is one line saying to download again."""
    try:
        data = yaml.safe_load(hparams.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BenchError(f"{hparams}: not readable as YAML ({first}); download the COMET model "
                         "again") from None
    if data is not None and not isinstance(data, dict):
        raise BenchError(f"{hparams}: holds a {type(data).__name__}, not COMET's settings (a mapping); "
                         "download the COMET model again")
    pretrained = (data or {}).get("pretrained_model")
    return str(pretrained) if pretrained else None


def _load(path: Path, device: Any, precision: str) -> Any:
    """``comet.load_from_checkpoint`` (the real loading code), in eval mode on ``device``."""
    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for noisy in ("comet", "pytorch_lightning", "lightning", "lightning_fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # torchmetrics 0.10 (pinned by COMET) warns about pkg_resources on import: noise for users.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    # pytorch-lightning 2.6 warns on every predict (CometKiwi, xCOMET) about its own tree helpers
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    from comet import load_from_checkpoint

    log.info("loading COMET checkpoint %s on %s (%s)", path, device, precision)
    try:
        model = load_from_checkpoint(str(path), local_files_only=True)
    except (OSError, KeyError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(f"{path}: cannot load COMET checkpoint ({first}); translations are saved, "
                         "fix the checkpoint and add scores with `python -m bench score`") from None
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    return model.to(device=device, dtype=dtype).eval()
