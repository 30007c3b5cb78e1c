"""What every transformers family shares: finding the weights, the offline preflight, device and dtype,
the model identity, and batched generation.

Finding the weights (:func:`locate`) is the preflight. Left to itself, ``from_pretrained`` on a machine
without the Hub sits through about 46 s of retries and then raises an ``OSError`` that does not say
what to do. Here a model is either a local folder (``model.path``), a snapshot already in the Hugging
Face cache (loaded from that folder, so loading never touches the network), or a Hub id checked with
one request of a few seconds; anything else is one :class:`BenchError` naming the fix.

The model's identity (part of the translation-cache key) is the Hub commit when the weights come from
a Hub snapshot. A plain folder has no commit, so its files are hashed: in full up to 64 MiB (tiny and
small models, retrained in place, are told apart exactly), and for larger files their size plus the
first and last MiB, which changes whenever a checkpoint is re-saved yet costs milliseconds instead of
the half-minute a full hash of a 13 GB model would add to every run, cached or not.

On CUDA, loading turns off PyTorch's cuDNN attention backend. torch 2.11 picks it for bf16 attention on
Hopper GPUs, and it builds a new execution plan for every new tensor shape; decoding grows the key/value
length by one each step and every batch has its own width, so nearly every step paid a plan build:
batched bf16 generation of the NLLB-600M shape on an H200 ran at about 60 ms a step, slower than fp32
(scripts/benchmark_gpu.py, docs/performance.md). The flash and memory-efficient kernels need no plans.

torch and transformers are imported inside functions: importing this module (and thus building any
system's config) stays cheap.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.devices import pick_device
from bench.errors import BenchError
from bench.systems.base import System
from bench.systems.batching import map_batched

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

HUB_TIMEOUT_S = 3.0
FULL_HASH_LIMIT = 64 << 20
EDGE_BYTES = 1 << 20
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.pt", "*.ckpt")
DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
          "float16": "float16", "fp16": "float16"}
_COMMIT = re.compile(r"[0-9a-f]{40}")


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``, read now (huggingface_hub reads it at import)."""
    return any(os.environ.get(var, "").upper() in {"1", "ON", "YES", "TRUE"}
               for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_endpoint() -> str:
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


@dataclass(frozen=True)
class Located:
    """Where a model's files are: ``folder`` when they are on disk, else ``repo_id`` at ``commit``."""

    repo_id: str | None
    folder: Path | None
    commit: str | None

    @property
    def source(self) -> str:
        return str(self.folder) if self.folder else f"{self.repo_id}@{self.commit}"


def missing_weights(folder: Path) -> str | None:
    """Why ``folder`` cannot be loaded (no config, no weights, shards missing), or None if it can."""
    if not (folder / "config.json").is_file():
        return "no config.json"
    for index in folder.glob("*.index.json"):
        import json

        shards = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
        absent = sorted(s for s in shards if not (folder / s).is_file())
        if absent:
            return f"{len(absent)} weight shard(s) listed in {index.name} are missing, e.g. {absent[0]}"
    if not any(p for pattern in WEIGHT_PATTERNS for p in folder.glob(pattern)):
        return "no weight files (*.safetensors or pytorch_model*.bin)"
    return None


def locate(model_id: str | None, path: str | None, revision: str | None) -> Located:
    """The preflight: find the model's files locally, or confirm the Hub can serve them, in seconds."""
    if path:
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise BenchError(f"model.path={path}: no such folder; point it at a folder saved with "
                             "save_pretrained, or drop it to use model.model_id")
        problem = missing_weights(folder)
        if problem:
            raise BenchError(f"model.path={path}: {problem}; point it at a complete model folder")
        commit = folder.name if folder.parent.name == "snapshots" and _COMMIT.fullmatch(folder.name) else None
        return Located(None, folder, commit)
    if not model_id:
        raise BenchError("the model config sets neither model.model_id (a Hub id) nor model.path=DIR")
    from huggingface_hub import constants, try_to_load_from_cache

    cached = try_to_load_from_cache(model_id, "config.json", revision=revision)
    if isinstance(cached, str):
        folder = Path(cached).parent
        problem = missing_weights(folder)
        if problem is None:
            return Located(model_id, folder, folder.name)
        log.info("cached snapshot %s is incomplete (%s)", folder, problem)
    fix = (f"download it on a connected machine (huggingface-cli download {model_id}) and copy the "
           f"cache ({constants.HF_HUB_CACHE}), or set model.path=DIR")
    if hub_offline():
        raise BenchError(f"model {model_id} is not in the local Hugging Face cache and HF_HUB_OFFLINE is "
                         f"set: {fix}")
    return Located(model_id, None, hub_commit(model_id, revision, fix))


def hub_commit(model_id: str, revision: str | None, fix: str) -> str:
    """One short request to the Hub: the commit ``revision`` points to (the model's identity)."""
    import requests
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    endpoint = hub_endpoint()
    try:
        info = HfApi(endpoint=endpoint).model_info(model_id, revision=revision, timeout=HUB_TIMEOUT_S)
    except GatedRepoError:
        raise BenchError(f"model {model_id} is gated: accept its license on the Hub and log in "
                         "(huggingface-cli login), or set model.path=DIR") from None
    except RepositoryNotFoundError:
        raise BenchError(f"model {model_id} does not exist on {endpoint} (or is private): "
                         "check model.model_id") from None
    except RevisionNotFoundError:
        raise BenchError(f"model {model_id} has no revision '{revision}': check model.revision") from None
    except (requests.ConnectionError, requests.Timeout, OSError):
        raise BenchError(f"model {model_id} is not in the local Hugging Face cache and the Hub "
                         f"({endpoint}) is unreachable: {fix}") from None
    return info.sha


def folder_digest(folder: Path) -> str:
    """Content hash of a model folder's top-level files (see the module docstring for the rule)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        size = file.stat().st_size
        digest.update(f"{file.name}\0{size}\0".encode())
        with open(file, "rb") as handle:
            if size <= FULL_HASH_LIMIT:
                digest.update(handle.read())
            else:
                digest.update(handle.read(EDGE_BYTES))
                handle.seek(size - EDGE_BYTES)
                digest.update(handle.read(EDGE_BYTES))
    return digest.hexdigest()


def pick_dtype(requested: str, device: str) -> torch.dtype:
    """``auto``: bf16 on GPUs that have it, else fp16 on GPU; fp32 on CPU, where half precision is slow."""
    import torch

    if requested == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device == "mps" else torch.float32
    if requested not in DTYPES:
        raise BenchError(f"model.dtype={requested} is not supported; use auto, float32, bfloat16 or float16")
    return getattr(torch, DTYPES[requested])


class HFSystem(System):
    """A transformers model generating translations in token-budgeted batches.

    Subclasses say how sources become token ids (:meth:`encode`: language codes, prefixes, prompts),
    which extra ``generate`` arguments a target language needs, and how outputs become text.
    """

    auto_model: str  # name of the transformers Auto class that loads the family
    padding_side = "right"  # decoder-only models generate after the last column: they pad on the left

    def __init__(
        self,
        name: str,
        model_id: str | None = None,
        path: str | None = None,
        revision: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
        batch_tokens: int = 4096,
        num_beams: int = 1,
        max_new_tokens: int = 256,
        trust_remote_code: bool = False,
    ) -> None:
        super().__init__(name)
        if batch_tokens < 1 or num_beams < 1 or max_new_tokens < 1:
            raise BenchError(f"model {name}: batch_tokens, num_beams and max_new_tokens must be positive")
        self.model_id, self.path, self.revision = model_id, path, revision
        self.device_setting, self.dtype_setting = str(device), str(dtype)
        self.batch_tokens, self.num_beams, self.max_new_tokens = batch_tokens, num_beams, max_new_tokens
        self.trust_remote_code = trust_remote_code
        self._located: Located | None = None
        self._device: str | None = None
        self._dtype: torch.dtype | None = None
        self._weights_id: str | None = None
        self.model: Any = None
        self.tokenizer: Any = None
        self.load_seconds: float | None = None
        self.parameters: int | None = None

    # -- preflight and identity ---------------------------------------------------------------
    def located(self) -> Located:
        if self._located is None:
            self._located = locate(self.model_id, self.path, self.revision)
        return self._located

    def check(self, pairs: list[tuple[str, str]]) -> None:
        for src, tgt in pairs:
            self.check_pair(src, tgt)
        self.located()
        self.device_and_dtype()

    @abstractmethod
    def check_pair(self, src_lang: str, tgt_lang: str) -> None:
        """Raise BenchError if the model cannot translate ``src_lang`` -> ``tgt_lang``."""

    def supports(self, src_lang: str, tgt_lang: str) -> bool:
        try:
            self.check_pair(src_lang, tgt_lang)
        except BenchError:
            return False
        return True

    def device_and_dtype(self) -> tuple[str, torch.dtype]:
        if self._device is None:
            self._device = pick_device(self.device_setting, "model.device")
            self._dtype = pick_dtype(self.dtype_setting, self._device)
        return self._device, self._dtype  # type: ignore[return-value]

    def identity(self) -> dict[str, Any]:
        located = self.located()
        if self._weights_id is None:
            self._weights_id = located.commit or folder_digest(located.folder)  # type: ignore[arg-type]
        return {
            "model": located.repo_id,
            "weights": self._weights_id,
            "dtype": str(self.device_and_dtype()[1]).removeprefix("torch."),
            "num_beams": self.num_beams,
            "max_new_tokens": self.max_new_tokens,
        }

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load tokenizer and weights once, on the first translate (a fully cached run never does)."""
        if self.model is not None:
            return
        import transformers

        located = self.located()
        device, dtype = self.device_and_dtype()
        source = str(located.folder) if located.folder else located.repo_id
        options = {"trust_remote_code": self.trust_remote_code}
        if not located.folder:
            options["revision"] = located.commit
        if device.startswith("cuda"):
            import torch

            torch.backends.cuda.enable_cudnn_sdp(False)  # see the module docstring
        started = time.perf_counter()
        log.info("loading %s on %s (%s)", located.source, device, dtype)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, **options)
        auto = getattr(transformers, self.auto_model)
        self.model = auto.from_pretrained(source, dtype=dtype, **options).to(device).eval()
        self.load_seconds = round(time.perf_counter() - started, 2)
        self.parameters = sum(p.numel() for p in self.model.parameters())

    def describe(self) -> dict[str, Any]:
        located = self.located()
        facts: dict[str, Any] = {"source": located.source, "batch_tokens": self.batch_tokens}
        if self.load_seconds is not None:  # loaded at some point (the run asks after close())
            facts.update(device=self._device, dtype=str(self._dtype).removeprefix("torch."),
                         load_seconds=self.load_seconds, parameters=self.parameters)
        return facts

    def close(self) -> None:
        self.model = self.tokenizer = None
        if self._device and self._device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    # -- translation -------------------------------------------------------------------------
    @abstractmethod
    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        """Token ids of each model input, special tokens and language codes included."""

    def generate_options(self, tgt_lang: str) -> dict[str, Any]:
        """Extra ``generate`` arguments for a target language (e.g. NLLB's forced BOS token)."""
        return {}

    def new_tokens(self, outputs: torch.Tensor, input_width: int) -> torch.Tensor:
        """The generated part of ``generate``'s output (encoder-decoders start with the decoder start
        token)."""
        return outputs[:, 1:]

    def postprocess(self, outputs: list[str], sources: list[str], tgt_lang: str) -> list[str]:
        """Last textual fixes (causal LLM chatter); encoder-decoder outputs are used as they are."""
        return [text.strip() for text in outputs]

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not sources:
            return []
        self.load()
        ids = self.encode(sources, src_lang, tgt_lang)
        options = self.generate_options(tgt_lang)
        outputs = map_batched(ids, [len(x) for x in ids], self.batch_tokens,
                              lambda batch: self._generate(batch, options))
        self._count("input_tokens", sum(map(len, ids)))
        return self.postprocess(outputs, sources, tgt_lang)

    def _generate(self, batch: list[list[int]], options: dict[str, Any]) -> list[str]:
        import torch

        width = max(map(len, batch))
        pad = self.tokenizer.pad_token_id

        def padded(row: list[int], fill: int) -> list[int]:
            filler = [fill] * (width - len(row))
            return filler + row if self.padding_side == "left" else row + filler

        inputs = {
            "input_ids": torch.tensor([padded(row, pad) for row in batch], device=self._device),
            "attention_mask": torch.tensor([padded([1] * len(row), 0) for row in batch], device=self._device),
        }
        try:
            with torch.inference_mode():
                outputs = self.model.generate(
                    **inputs, num_beams=self.num_beams, do_sample=False,
                    max_new_tokens=self.max_new_tokens, **options,
                )
        except torch.OutOfMemoryError:
            raise BenchError(
                f"model {self.name}: out of memory on a batch of {len(batch)} inputs x {width} tokens: "
                f"lower model.batch_tokens (now {self.batch_tokens}) or model.num_beams"
            ) from None
        generated = self.new_tokens(outputs, width)
        self._count("output_tokens", int((generated != self.tokenizer.pad_token_id).sum()))
        self._count("batches", 1)
        return self.tokenizer.batch_decode(generated, skip_special_tokens=True)

    def _count(self, key: str, amount: int) -> None:
        self.stats[key] = self.stats.get(key, 0) + amount
