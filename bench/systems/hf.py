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
system's config) stays cheap. The preflight and the identity need neither (a run whose translations
are all cached never imports torch; see :mod:`bench.core.devices` for when the device needs it), and the
folder checks of :mod:`bench.systems.checkpoints` catch damaged model folders before a run starts.

torch's CPU threads are as many as the cores bench may use (affinity, cgroup quota: :mod:`bench.core.cores`),
not the machine's: more threads than cores spin waiting for each other. ``model.threads`` or
``OMP_NUM_THREADS`` chooses otherwise.

A batch that runs out of memory is split in half and retried (:mod:`bench.systems.batching`), down to
one segment; only a single segment that does not fit stops the run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.core.checks import flag, whole_number
from bench.core.console import first_line
from bench.core.cores import calm_openmp, use_torch_threads
from bench.core.devices import accelerator_possible, pick_device
from bench.core.errors import BenchError
from bench.systems.base import System, optional_str
from bench.systems.batching import BatchTooLarge, map_batched, plan_batches
from bench.systems.checkpoints import folder_problem

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)
#: ``model.batch_tokens=auto``: input tokens per batch, padding included. On a CPU a few thousand keep
#: the cores busy with little padding; a GPU needs far larger batches to approach its memory bandwidth
#: (the H200 table in docs/performance.md: 25,000 tokens/s at 171 rows a batch, 69,000 at 1,024), and a
#: batch that runs out of memory is halved, so a large default costs nothing where it does not fit.
AUTO_BATCH_TOKENS = {"cpu": 4096, "cuda": 32768}

HUB_TIMEOUT_S = 3.0
FULL_HASH_LIMIT = 64 << 20
EDGE_BYTES = 1 << 20
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


#: why a folder cannot be loaded (None: it can); systems pass their family's folder check
Inspect = Callable[[Path], str | None]


def locate(model_id: str | None, path: str | None, revision: str | None, inspect: Inspect) -> Located:
    """The preflight: find the model's files locally, or confirm the Hub can serve them, in seconds."""
    if path:
        try:
            folder = Path(path).expanduser().resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            raise BenchError(f"model.path={path}: a symlink loop; point it at a real model folder") from None
        if not folder.is_dir():
            raise BenchError(f"model.path={path}: no such folder; point it at a folder saved with "
                             "save_pretrained, or drop it to use model.model_id")
        problem = inspect(folder)
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
        problem = inspect(folder)
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


def dtype_name(requested: str, device: str) -> str:
    """``auto``: bf16 on GPUs that have it, else fp16 on GPU; fp32 on CPU, where half precision is slow.
    Only ``auto`` on a GPU needs torch (to ask the GPU about bf16)."""
    if requested != "auto":
        if requested not in DTYPES:
            raise BenchError(f"model.dtype={requested} is not supported; use auto, float32, bfloat16 or "
                             "float16")
        return DTYPES[requested]
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float16" if device == "mps" else "float32"


def pick_dtype(requested: str, device: str) -> torch.dtype:
    """The torch dtype :func:`dtype_name` names."""
    import torch

    return getattr(torch, dtype_name(requested, device))


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: torch on CUDA (``OutOfMemoryError``) or on CPU (the
    allocator's RuntimeError), CTranslate2 on CUDA ("out of memory") or on CPU (``MemoryError``)."""
    message = str(exc).lower()
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and (
        "out of memory" in message or "can't allocate memory" in message))


class HFSystem(System):
    """A transformers model generating translations in token-budgeted batches.

    Subclasses say how sources become token ids (:meth:`encode`: language codes, prefixes, prompts),
    which extra ``generate`` arguments a target language needs, and how outputs become text.
    """

    auto_model: str  # name of the transformers Auto class that loads the family
    padding_side = "right"  # decoder-only models generate after the last column: they pad on the left
    #: groups of tokenizer files, one of each group needed (see bench.systems.checkpoints)
    tokenizer_files: tuple[tuple[str, ...], ...] = (
        ("tokenizer.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "vocab.json"),)
    #: config.json model_type values the family loads (None: any)
    model_types: frozenset[str] | None = None

    def __init__(
        self,
        name: str,
        model_id: str | None = None,
        path: str | None = None,
        revision: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
        batch_tokens: int | str = "auto",
        num_beams: int = 1,
        max_new_tokens: int = 256,
        trust_remote_code: bool = False,
        threads: int = 0,
    ) -> None:
        super().__init__(name)
        #: torch's CPU threads; 0: OMP_NUM_THREADS, else the cores bench may use (bench.core.cores)
        self.threads = whole_number(threads, "model.threads", minimum=0)
        self._batch_tokens = (None if batch_tokens == "auto"
                              else whole_number(batch_tokens, "model.batch_tokens"))
        self.num_beams = whole_number(num_beams, "model.num_beams")
        self.max_new_tokens = whole_number(max_new_tokens, "model.max_new_tokens")
        self.trust_remote_code = flag(trust_remote_code, "model.trust_remote_code")
        self.model_id, self.path = optional_str(model_id, "model.model_id"), optional_str(path, "model.path")
        self.revision = optional_str(revision, "model.revision")
        self.device_setting, self.dtype_setting = str(device), str(dtype)
        self._located: Located | None = None
        self._device: str | None = None
        self._dtype_name: str | None = None
        self._weights_id: str | None = None
        self.model: Any = None
        self.tokenizer: Any = None
        self.load_seconds: float | None = None
        self.parameters: int | None = None
        self.threads_used: int | None = None

    @property
    def batch_tokens(self) -> int:
        """``model.batch_tokens``; for ``auto``, the budget of the device the model runs on (see
        :data:`AUTO_BATCH_TOKENS`; before loading, the CPU's)."""
        if self._batch_tokens is not None:
            return self._batch_tokens
        return AUTO_BATCH_TOKENS["cuda" if self.running_on().startswith("cuda") else "cpu"]

    def running_on(self) -> str:
        """The device generation runs on (``cpu`` until the model is loaded)."""
        return self._device or "cpu"

    # -- preflight and identity ---------------------------------------------------------------
    def located(self) -> Located:
        if self._located is None:
            self._located = locate(self.model_id, self.path, self.revision, self.folder_problem)
        return self._located

    def folder_problem(self, folder: Path) -> str | None:
        """Why ``folder`` cannot hold this family's model (see :mod:`bench.systems.checkpoints`)."""
        return folder_problem(folder, self.tokenizer_files, self.model_types)

    def check(self, pairs: list[tuple[str, str]]) -> None:
        for src, tgt in pairs:
            self.check_pair(src, tgt)
        self.located()
        self.numerics()

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
        return self.device(), pick_dtype(self.dtype(), self.device())

    def device(self) -> str:
        if self._device is None:
            self._device = pick_device(self.device_setting, "model.device")
        return self._device

    def dtype(self) -> str:
        """The dtype's name, without importing torch unless ``auto`` meets a possible GPU."""
        if self._dtype_name is None:
            known_cpu = self.device_setting == "cpu" or not accelerator_possible()
            self._dtype_name = dtype_name(self.dtype_setting, "cpu" if known_cpu else self.device())
        return self._dtype_name

    def numerics(self) -> dict[str, str]:
        """How the numbers are computed, for the identity (and checked in preflight)."""
        self.device()  # an absent device is a preflight error, not a load-time one
        return {"dtype": self.dtype()}

    def weights_id(self) -> str:
        if self._weights_id is None:
            located = self.located()
            self._weights_id = located.commit or folder_digest(located.folder)  # type: ignore[arg-type]
        return self._weights_id

    def identity(self) -> dict[str, Any]:
        return {
            "model": self.located().repo_id,
            "weights": self.weights_id(),
            **self.numerics(),
            "num_beams": self.num_beams,
            "max_new_tokens": self.max_new_tokens,
        }

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load tokenizer and weights once, on the first translate (a fully cached run never does)."""
        if self.tokenizer is not None:
            return
        calm_openmp()  # before transformers brings torch in (bench.core.cores)
        import transformers

        located = self.located()
        source = str(located.folder) if located.folder else located.repo_id
        options: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        if not located.folder:
            options["revision"] = located.commit
        started = time.perf_counter()
        # The folder passed the preflight's file checks; what fails now (a tensor of the wrong shape, a
        # value transformers rejects) is still the folder's fault, said in one line.
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, **options)
            self.load_weights(source, options)
        except Exception as exc:  # untrusted files meet a library: any failure is theirs
            self.tokenizer = self.model = None
            if isinstance(exc, BenchError):
                raise
            raise BenchError(f"model {self.name}: {located.source} could not be loaded "
                             f"({type(exc).__name__}: {first_line(exc, 200)}): re-download or re-save the "
                             "model, or point model.path at another copy") from exc
        self.load_seconds = round(time.perf_counter() - started, 2)

    def load_weights(self, source: str, options: dict[str, Any]) -> None:
        """The transformers model on its device (engines other than transformers override this)."""
        import transformers

        device, dtype = self.device_and_dtype()
        if device.startswith("cuda"):
            import torch

            torch.backends.cuda.enable_cudnn_sdp(False)  # see the module docstring
        self.threads_used = use_torch_threads(self.threads)
        log.info("loading %s on %s (%s, %d CPU threads)", self.located().source, device, self.dtype(),
                 self.threads_used)
        auto = getattr(transformers, self.auto_model)
        self.model = auto.from_pretrained(source, dtype=dtype, **options).to(device).eval()
        self.parameters = sum(p.numel() for p in self.model.parameters())

    def describe(self) -> dict[str, Any]:
        located = self.located()
        facts: dict[str, Any] = {"source": located.source, "batch_tokens": self.batch_tokens}
        if self.load_seconds is not None:  # loaded at some point (the run asks after close())
            facts.update(device=self._device, dtype=self._dtype_name, load_seconds=self.load_seconds,
                         parameters=self.parameters, threads=self.threads_used)
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

    def chunks(self, sources: list[str], src_lang: str, tgt_lang: str, rows: int) -> Iterator[list[str]]:
        """Whole token-budget batches, as many as hold at least ``rows`` sources: with the large
        ``batch_tokens`` of a GPU a batch then fills its budget whatever ``chunk_size`` is (a group of
        64 short sentences is a tenth of 32,768 tokens), and a killed run still loses one group at
        most. The groups follow :func:`plan_batches`' order, so :meth:`translate` plans the same
        batches again."""
        if not sources:
            return
        self.load()
        ids = self.encode(sources, src_lang, tgt_lang)
        self.check_lengths(ids, sources)
        group: list[int] = []
        for batch in plan_batches([len(x) for x in ids], self.batch_tokens):
            group += batch
            if len(group) >= rows:
                yield [sources[i] for i in group]
                group = []
        if group:
            yield [sources[i] for i in group]

    def check_lengths(self, ids: list[list[int]], sources: list[str]) -> None:
        """Refuse, before any of them is translated, inputs longer than an encoder's learned positions:
        the model would fail on them mid-run with an index error (OPUS-MT: 512 tokens)."""
        config = getattr(self.model, "config", None)
        limit = getattr(config, "max_position_embeddings", None) if config is not None \
            and getattr(config, "is_encoder_decoder", False) else None
        if not isinstance(limit, int):
            return
        for row, source in zip(ids, sources):
            if len(row) > limit:
                raise BenchError(f"model {self.name}: a source of {len(row)} tokens is longer than the "
                                 f"model's {limit} input positions ({source[:40]!r}...): split that segment "
                                 "in the test set, or choose a model that reads longer inputs")

    def translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not sources:
            return []
        self.load()
        ids = self.encode(sources, src_lang, tgt_lang)
        self.check_lengths(ids, sources)
        options = self.generate_options(tgt_lang)
        try:
            outputs = map_batched(ids, [len(x) for x in ids], self.batch_tokens,
                                  lambda batch: self._generate(batch, options))
        except BatchTooLarge as exc:
            raise BenchError(f"model {self.name}: out of memory on a single input of {exc} tokens: lower "
                             f"model.max_new_tokens (now {self.max_new_tokens}) or model.num_beams (now "
                             f"{self.num_beams}), or use a device with more memory") from None
        self._count("input_tokens", sum(map(len, ids)))
        return self.postprocess(outputs, sources, tgt_lang)

    def _generate(self, batch: list[list[int]], options: dict[str, Any]) -> list[str]:
        try:
            generated = self.generate_ids(batch, options)
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            width = max(map(len, batch))
            if len(batch) > 1:
                log.warning("out of memory on a batch of %d inputs x %d tokens: splitting it in two",
                            len(batch), width)
                self._count("oom_splits", 1)
            raise BatchTooLarge(width) from None
        self._count("output_tokens", sum(map(len, generated)))
        self._count("batches", 1)
        # stopped by the length limit, not by the model: the leaderboard shows how many (diagnostics)
        end = self.tokenizer.eos_token_id
        self._count("truncated", sum(len(row) >= self.max_new_tokens and row[-1] != end for row in generated))
        return self.tokenizer.batch_decode(generated, skip_special_tokens=True)

    def generate_ids(self, batch: list[list[int]], options: dict[str, Any]) -> list[list[int]]:
        """The generated token ids of each input, padding removed (end tokens kept)."""
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
        with torch.inference_mode():
            outputs = self.model.generate(
                **inputs, num_beams=self.num_beams, do_sample=False,
                max_new_tokens=self.max_new_tokens, **options,
            )
        return [[t for t in row if t != pad] for row in self.new_tokens(outputs, width).tolist()]

    def _count(self, key: str, amount: int) -> None:
        self.stats[key] = self.stats.get(key, 0) + amount
