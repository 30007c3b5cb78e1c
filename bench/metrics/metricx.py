"""MetricX-24 (google-research/metricx): an mT5 regression metric, 0 (perfect) to 25, lower is better.

MetricX-24 checkpoints are hybrid: one model scores with the reference (``mode: ref``) or without it
(``mode: qe``). What the model sees and what is read out of it follow ``metricx24/predict.py`` and
``metricx24/models.py`` exactly:

* input ``"source: S candidate: H reference: R"`` (QE: ``"source: S candidate: H"``), tokenized with
  truncation to ``max_input_length`` and the final EOS token then removed;
* one decoder step from token id 0; the prediction is the logit of id 250089 (``<extra_id_10>``),
  clipped to [0, 25].

``models.py``'s ``MT5ForRegression`` is transformers' ``MT5ForConditionalGeneration`` with that read-out
bolted on: the same weights under the same names, so the Hub checkpoints load into the stock class and
the read-out is the one line in :meth:`LoadedMetricX.predict` (a test checks it against the logits).
Inputs go in length-sorted batches (little padding; scores return in input order), in bf16 on a GPU
by default, and the model is loaded once per process.

Nothing heavy is imported until a model is needed: the preflight and the signature only read files.
"""

from __future__ import annotations

import functools
import json
import logging
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import __version__
from bench.core.devices import pick_device
from bench.core.errors import BenchError
from bench.core.score import Score
from bench.metrics.base import AdditiveMetric
from bench.metrics.comet import checkpoint_digest, hub_snapshot
from bench.store.io import sha256_text

log = logging.getLogger(__name__)

#: the token whose first-step logit is MetricX's prediction (``<extra_id_10>`` in mT5's vocabulary)
PREDICTION_ID = 250089
MAX_SCORE = 25.0
MODES = ("ref", "qe")
DTYPES = ("auto", "fp32", "bf16", "fp16")
#: a ``save_pretrained`` folder's weights, in the order transformers looks for them
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "spiece.model")
#: pieces of mT5's SentencePiece model, and of its tokenizer.json with the 100 sentinel tokens
MT5_PIECES = (250000, 250100)

#: loaded models, keyed by (model folder, tokenizer folder, device, dtype): one load per process
_LOADED: dict[tuple[str, str, str, str], LoadedMetricX] = {}


def metricx_input(source: str, hypothesis: str, reference: str | None) -> str:
    """The text MetricX-24 reads (``predict.py``'s ``_make_input``); ``reference=None`` is QE."""
    text = f"source: {source} candidate: {hypothesis}"
    return text if reference is None else f"{text} reference: {reference}"


@dataclass(frozen=True)
class Located:
    """A model or tokenizer found on this machine: its folder, how to name it, which version it is."""

    folder: Path
    label: str
    #: the Hub commit of a snapshot; None for a local folder, which is known by its ``files``
    revision: str | None = None
    files: tuple[Path, ...] = ()

    def version(self) -> str:
        """``rev:<Hub commit>``, or ``sha:<hash of the files>`` (hashed when asked: the preflight
        does not wait for gigabytes of weights; each file is hashed once per process and version)."""
        if self.revision:
            return f"rev:{self.revision[:12]}"
        return "sha:" + sha256_text("".join(f"{p.name}:{checkpoint_digest(p)}\n" for p in self.files))[:12]


def locate(value: str, setting: str, wanted: tuple[str, ...], what: str,
           content: Callable[[Path], list[Path]], local: str | None = None) -> Located:
    """A local folder or a Hub id already in the local cache; BenchError in a second otherwise.

    ``content`` lists the files that make a local folder what it is; ``local`` is the setting that
    takes a folder instead of a Hub id (default: ``setting`` itself).
    """
    folder = Path(value).expanduser()
    if folder.is_dir():
        if not any((folder / name).is_file() for name in wanted):
            raise BenchError(f"{setting}={value}: no {' or '.join(wanted)} in that folder; point it at a "
                             f"{what} saved with save_pretrained")
        return Located(folder.resolve(), folder.resolve().name, files=tuple(content(folder)))
    if value.startswith((".", "/", "~")) or value.count("/") != 1:
        raise BenchError(f"{setting}={value}: no such folder; give a {what} folder or a Hub id")
    snapshot = hub_snapshot(value)
    if snapshot is None or not any((snapshot / name).is_file() for name in wanted):
        raise BenchError(f"{what} {value} is not available offline: download it on a connected machine "
                         f"(huggingface-cli download {value}) or pass {local or setting}=DIR")
    return Located(snapshot, value, revision=snapshot.name)


def check_model_folder(folder: Path, setting: str) -> None:
    """An mT5 config with MetricX's vocabulary, and weights that are not cut short (a failed copy)."""
    config_file = folder / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BenchError(f"{config_file}: missing or not JSON; {setting} must be a MetricX model folder "
                         "saved with save_pretrained") from None
    if not isinstance(config, dict) or config.get("model_type") != "mt5":
        raise BenchError(f"{config_file}: not an mT5 model (model_type "
                         f"{config.get('model_type') if isinstance(config, dict) else None!r}); "
                         f"{setting} must be a MetricX-24 checkpoint")
    vocab = config.get("vocab_size")
    if not isinstance(vocab, int) or vocab <= PREDICTION_ID:
        raise BenchError(f"{config_file}: vocab_size {vocab!r} has no token {PREDICTION_ID}, which MetricX "
                         f"reads its score from; {setting} must be a MetricX-24 checkpoint")
    for weights in _weight_files(folder):
        if not _intact(weights):
            raise BenchError(f"{weights}: damaged or incomplete (shorter than its header says); "
                             "download the checkpoint again")


def check_mt5_tokenizer(folder: Path, setting: str) -> None:
    """MetricX-24 checkpoints read token ids of mT5's vocabulary (google/mt5-xl's tokenizer): another
    model's tokenizer loads, runs and gives numbers that mean nothing, so it is refused here."""
    pieces = _pieces(folder, *(p.stat().st_mtime_ns for p in _tokenizer_files(folder)))
    if pieces not in MT5_PIECES:
        raise BenchError(f"{setting}: a tokenizer of {pieces or 'unknown'} pieces, not mT5's "
                         f"{MT5_PIECES[0]}; MetricX-24 reads mT5's token ids, so point it at google/mt5-xl's "
                         "tokenizer (or the one saved with the checkpoint)")


@functools.lru_cache(maxsize=8)
def _pieces(folder: Path, *stamps: int) -> int | None:
    """How many pieces the tokenizer in ``folder`` has (its SentencePiece model, or tokenizer.json's
    vocabulary), without loading transformers; None if neither can be read."""
    spiece = folder / "spiece.model"
    if spiece.is_file():
        import sentencepiece

        try:
            return int(sentencepiece.SentencePieceProcessor(model_file=str(spiece)).GetPieceSize())
        except (OSError, RuntimeError):
            return None
    try:
        vocab = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return len(vocab) if isinstance(vocab, list | dict) else None


def _weight_files(folder: Path) -> list[Path]:
    for name in WEIGHT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if not name.endswith(".index.json"):
            return [path]
        try:
            shards = sorted(set(json.loads(path.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise BenchError(f"{path}: not a readable weight index; download the checkpoint again") from None
        missing = [s for s in shards if not (folder / s).is_file()]
        if missing:
            raise BenchError(f"{path}: shard {missing[0]} is missing; download the checkpoint again")
        return [folder / s for s in shards]
    raise BenchError(f"{folder}: no weights ({', '.join(WEIGHT_FILES)}); download the checkpoint again")


def _tokenizer_files(folder: Path) -> list[Path]:
    names = (*TOKENIZER_FILES, "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
    return [folder / name for name in names if (folder / name).is_file()]


def _intact(path: Path) -> bool:
    """Cheap completeness check: a safetensors header's offsets fit the file; a .bin is a zip."""
    if path.suffix != ".safetensors":
        return zipfile.is_zipfile(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return False
        length = struct.unpack("<Q", head)[0]
        if 8 + length > size:
            return False
        try:
            header = json.loads(handle.read(length))
        except ValueError:
            return False
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__" and isinstance(t, dict)]
    return 8 + length + max(ends, default=0) <= size


@dataclass
class LoadedMetricX:
    """A loaded MetricX model and its tokenizer."""

    model: Any
    tokenizer: Any
    device: Any

    def predict(self, texts: list[str], max_length: int, batch_size: int,
                progress: bool = False) -> tuple[list[float], int]:
        """Scores in the order of ``texts``, and how many inputs were cut at ``max_length`` tokens.

        ``tokenizer(text)`` ends with EOS; truncating to ``max_length`` keeps the first
        ``max_length - 1`` tokens and EOS, which MetricX then removes: ``ids[:-1][:max_length - 1]``.
        """
        import torch
        from tqdm import tqdm

        full = self.tokenizer(texts)["input_ids"]
        truncated = sum(len(ids) > max_length for ids in full)
        inputs = [ids[:-1][: max_length - 1] for ids in full]
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]), reverse=True)
        scores = [0.0] * len(inputs)
        pad = self.tokenizer.pad_token_id or 0
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        with torch.inference_mode():
            for batch in tqdm(batches, desc="MetricX", unit="batch", leave=False,
                              disable=not progress or len(batches) < 2):
                width = max(len(inputs[i]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, :len(inputs[i])] = torch.tensor(inputs[i], dtype=torch.long)
                    mask[row, :len(inputs[i])] = 1
                start = torch.zeros((len(batch), 1), dtype=torch.long, device=self.device)
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                    decoder_input_ids=start).logits
                values = logits[:, 0, PREDICTION_ID].float().clamp(0.0, MAX_SCORE).cpu().tolist()
                for i, value in zip(batch, values):
                    scores[i] = float(value)
        return scores, truncated


class MetricX(AdditiveMetric):
    """MetricX-24 segment scores and their mean; lower is better (0 = no errors, 25 = worst).

    ``model`` is a Hub id that must be in the local cache, or ``checkpoint`` a local
    ``save_pretrained`` folder (it wins); ``tokenizer`` likewise (google/mt5-xl's by default).
    """

    higher_is_better = False

    def __init__(self, name: str = "metricx", model: str = "google/metricx-24-hybrid-xl-v2p6",
                 checkpoint: str | None = None, tokenizer: str = "google/mt5-xl", mode: str = "ref",
                 max_input_length: int = 1536, batch_size: int = 8, device: str = "auto",
                 dtype: str = "auto", progress: bool = True) -> None:
        if mode not in MODES:
            raise BenchError(f"metric.{name}.mode={mode}: choose ref (with references) or qe (without)")
        if dtype not in DTYPES:
            raise BenchError(f"metric.{name}.dtype={dtype}: choose one of {', '.join(DTYPES)}")
        for key, value, least in (("max_input_length", max_input_length, 2), ("batch_size", batch_size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise BenchError(f"metric.{name}.{key}={value!r}: must be a whole number of at least {least}")
        self.name, self.model, self.checkpoint, self.tokenizer = name, model, checkpoint, tokenizer
        self.mode, self.max_input_length, self.batch_size = mode, max_input_length, batch_size
        self.device, self.dtype, self.progress = device, dtype, progress

    # -- files only: fast, no model ----------------------------------------------------------
    def located(self) -> tuple[Located, Located]:
        """The model and tokenizer folders; BenchError in a second if either is not on this machine."""
        setting = f"metric.{self.name}.{'checkpoint' if self.checkpoint else 'model'}"
        model = locate(self.checkpoint or self.model, setting, WEIGHT_FILES, "MetricX model",
                       lambda folder: [folder / "config.json", *_weight_files(folder)],
                       local=f"metric.{self.name}.checkpoint")
        check_model_folder(model.folder, setting)
        tokenizer = locate(self.tokenizer, f"metric.{self.name}.tokenizer", TOKENIZER_FILES, "tokenizer",
                           _tokenizer_files)
        if tokenizer.folder != model.folder:  # one saved with the checkpoint is the checkpoint's own
            check_mt5_tokenizer(tokenizer.folder, f"metric.{self.name}.tokenizer={self.tokenizer}")
        return model, tokenizer

    def check(self, pairs: list[tuple[str, str]]) -> None:
        self.located()
        if self.device != "auto":
            pick_device(self.device, f"metric.{self.name}.device")

    def placement(self) -> tuple[str, str]:
        """(device, dtype) to run on: ``auto`` is a GPU when torch sees one, in bf16 there, else fp32."""
        if self.device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            device = pick_device(self.device, f"metric.{self.name}.device")
        dtype = self.dtype if self.dtype != "auto" else ("bf16" if device.startswith("cuda") else "fp32")
        return device, dtype

    def expected_signature(self, src_lang: str, tgt_lang: str) -> str:
        model, tokenizer = self.located()
        _, dtype = self.placement()
        return (f"model:{model.label}|{model.version()}|tok:{tokenizer.label}|{tokenizer.version()}"
                f"|mode:{self.mode}|dtype:{dtype}|maxlen:{self.max_input_length}|bs:{self.batch_size}"
                f"|bench:{__version__}")

    # -- scoring: loads torch and the model once ---------------------------------------------
    def loaded(self) -> LoadedMetricX:
        model, tokenizer = self.located()
        device, dtype = self.placement()
        key = (str(model.folder), str(tokenizer.folder), device, dtype)
        if key not in _LOADED:
            _LOADED[key] = _load(model.folder, tokenizer.folder, device, dtype)
        return _LOADED[key]

    def score(self, sources: list[str], hypotheses: list[str], references: list[str], *,
              src_lang: str, tgt_lang: str) -> Score:
        signature = self.expected_signature(src_lang, tgt_lang)
        refs = references if self.mode == "ref" else [None] * len(sources)
        texts = [metricx_input(s, h, r) for s, h, r in zip(sources, hypotheses, refs)]
        segments, truncated = self.loaded().predict(texts, self.max_input_length, self.batch_size,
                                                    self.progress)
        extra: dict[str, Any] = {}
        if truncated:
            extra = {"truncated": truncated, "note": f"{truncated} of {len(texts)} inputs were cut at "
                                                     f"{self.max_input_length} tokens (max_input_length)"}
        return Score(metric=self.name, score=float(np.mean(segments)) if segments else 0.0,
                     signature=signature, stats=[[s] for s in segments], segments=segments, extra=extra)

    def from_sums(self, sums: np.ndarray, n: np.ndarray) -> np.ndarray:
        return np.asarray(sums, dtype=np.float64)[:, 0] / np.maximum(n, 1)


def _load(folder: Path, tokenizer_folder: Path, device: str, dtype: str) -> LoadedMetricX:
    """The stock ``MT5ForConditionalGeneration`` (MetricX's weights load into it as they are)."""
    import torch
    from transformers import AutoTokenizer, MT5ForConditionalGeneration
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "You set add_prefix_space" and similar notes on every load
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    log.info("loading MetricX %s on %s (%s)", folder, device, dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_folder)
        model = MT5ForConditionalGeneration.from_pretrained(folder, torch_dtype=torch_dtype)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(f"{folder}: cannot load the MetricX model or its tokenizer {tokenizer_folder} "
                         f"({first}); translations are saved, fix it and add scores with "
                         "`python -m bench score`") from None
    return LoadedMetricX(model.to(device).eval(), tokenizer, torch.device(device))
