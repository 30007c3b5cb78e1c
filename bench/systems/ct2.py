"""CTranslate2 inference for the encoder-decoder families: ``model.backend=ctranslate2``.

``transformers.generate`` spends most of a decoding step in Python and kernel launches; CTranslate2
runs the same network as one C++ loop, with int8 weights if asked. On the NLLB-600M shape it gave
the same output tokens as batched transformers at about 1.2x the speed in float32 and 2.5x in int8 on
2 CPU cores (scripts/benchmark_translation.py, docs/performance.md). The transformers side of bench
stays as it is: the same tokenizer encodes the sources (language tokens, ``<2kk>`` tags) and decodes
the output ids, and the same token-budgeted batches (split in half when memory runs out) reach the
engine; only ``generate`` is replaced.

**Conversion.** CTranslate2 reads its own format, written by its transformers converter (which needs
torch; inference does not). A model is converted once per source and quantisation, its key hashing
the weights' identity (Hub commit or folder content hash, as in the translation cache), the
quantisation, the CTranslate2 version and :data:`CONVERSION_VERSION`. ``convert_dir`` is shared with
whoever shares the results folder, so a conversion is signed when made and checked before it is
used, and its digest is part of the system's identity (:mod:`bench.systems.ct2store`); the system
converts when its identity is first asked for (before the run starts), so the fingerprint names the
conversion its translations come from. The converter writes the same bytes for the same weights, so
a conversion made again keeps the cached translations. It is converted into a temporary folder beside
the final one and renamed into place, so a crash or a parallel job never leaves or sees half a model;
of two jobs converting at once, the second keeps the first one's folder, and what a killed conversion
left is removed by the next one.

**Vocabulary from ids.** The stock converter lists the vocabulary from ``tokenizer.get_vocab()``, a
dict from token strings to ids. A tokenizer that gives two ids the same string (the project's tiny
NLLB tokenizer maps ids 2 and 4 to ``</s>``) loses one entry there, every later id moves by one, and
every output is garbage (0 of 32 right). Here the vocabulary is written id by id, and an id whose
string the tokenizer maps to another id gets a placeholder name of its own, so every token string
means exactly one id, in and out. The end and decoder-start tokens CTranslate2 will use are then
checked against the ids the transformers model uses; a model for which they differ is refused.

**Decoding rules.** Beam search stops once ``num_beams`` hypotheses have ended, as bench makes
transformers do too (:meth:`bench.systems.seq2seq.Seq2Seq.generate_ids`); what the model's generation
config asks of decoding is passed on, emulated or named as not applied (:mod:`bench.systems.ct2rules`).

**Device and compute type.** ``model.device`` as for transformers (``auto``: CUDA when CTranslate2 sees
a GPU, else CPU; no MPS). ``model.compute_type=auto`` computes as ``model.dtype=auto`` would
(float32 on CPU, bfloat16 or float16 on GPU), so switching backends alone keeps the numbers; int8 is
asked for by name, since it changes outputs. Both are in the system's identity (the cache key) and
in run.json. ``inter_threads`` batches run in parallel (each budgeted batch is shared among them);
``intra_threads`` is the number of threads per batch (0: the cores bench may use, shared among them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.core.checks import whole_number
from bench.core.console import first_line
from bench.core.cores import thread_count
from bench.core.devices import parse_device
from bench.core.errors import BenchError
from bench.store.io import sweep_stale_temp, temp_prefix
from bench.systems.ct2rules import Rules, generation_config, rules
from bench.systems.ct2store import Manifest, check, discard, folder_name, sign, signed

log = logging.getLogger(__name__)

COMPUTE_TYPES = ("auto", "int8", "int8_float16", "float16", "bfloat16", "float32")
#: config.json model types the converter handles, as the families name them
CONVERTIBLE = {"m2m_100": "NLLB-200 / M2M-100", "marian": "Marian", "t5": "T5 / MADLAD-400", "mt5": "mT5"}
CONVERSION_VERSION = 2  # bump when what is written into a converted folder changes (2: signed manifest)
PLACEHOLDER = "<bench-unused-{}>"


def ctranslate2() -> ModuleType:
    """The ctranslate2 package, or one line saying how to install it."""
    try:
        import ctranslate2 as module
    except ImportError:
        raise BenchError("model.backend=ctranslate2 needs the ctranslate2 package: pip install "
                         "'bench[ct2]' (ctranslate2==4.8.5), or set model.backend=hf") from None
    return module


def ct2_device(requested: str) -> tuple[str, int]:
    """``model.device`` as CTranslate2 takes it: a kind (``cpu``/``cuda``) and an index."""
    kind, index = (None, None) if requested == "auto" else parse_device(requested, "model.device")
    gpus = ctranslate2().get_cuda_device_count()
    if kind is None:
        return ("cuda", 0) if gpus else ("cpu", 0)
    if kind == "mps":
        raise BenchError("model.device=mps: CTranslate2 runs on cpu and cuda only; set model.device=cpu "
                         "or model.backend=hf")
    if kind == "cuda" and (index or 0) >= gpus:
        raise BenchError(f"model.device={requested}, but CTranslate2 sees {gpus} CUDA device(s): set "
                         "model.device=auto or cpu")
    return kind, index or 0


def pick_compute_type(requested: str, device: str) -> str:
    """``auto`` mirrors ``model.dtype=auto``; a named type must be one CTranslate2 runs on ``device``
    (it would otherwise quietly compute in another, and the identity would lie)."""
    if requested not in COMPUTE_TYPES:
        raise BenchError(f"model.compute_type={requested} is not a compute type; use "
                         f"{', '.join(COMPUTE_TYPES)}")
    supported = ctranslate2().get_supported_compute_types(device)
    if requested == "auto":
        preferred = ("float32",) if device == "cpu" else ("bfloat16", "float16", "float32")
        return next(t for t in preferred if t in supported)
    if requested not in supported:
        raise BenchError(f"model.compute_type={requested} is not supported by CTranslate2 on {device} "
                         f"(it supports {', '.join(sorted(supported))}): pick one of those, or auto")
    return requested


def convertible(config: dict[str, Any]) -> str | None:
    """Why CTranslate2 cannot convert a model with this ``config.json``, or None if it can."""
    model_type = config.get("model_type")
    if model_type not in CONVERTIBLE:
        return (f"its model_type '{model_type}' has no CTranslate2 conversion here (supported: "
                f"{', '.join(CONVERTIBLE.values())})")
    pad, size = config.get("pad_token_id"), config.get("vocab_size", 0)
    if model_type == "marian" and pad != size - 1:
        # The converter drops the last row of the embeddings, where OPUS-MT keeps <pad>.
        return (f"its <pad> is id {pad}, not the last id as in OPUS-MT checkpoints, which CTranslate2's "
                "Marian converter requires")
    if model_type == "m2m_100" and pad != 1:
        # transformers counts positions from <pad>'s id + 1; the converter assumes fairseq's layout.
        return (f"its <pad> is id {pad}, not 1 as in the published NLLB-200 and M2M-100 checkpoints, "
                "which CTranslate2's converter assumes for the positions")
    return None


def vocabulary_from_ids(tokenizer: Any, size: int) -> list[str]:
    """Token strings for ids ``0..size-1``, each string naming one id (see the module docstring)."""
    ids = list(range(size))
    known = min(size, len(tokenizer))
    names = list(tokenizer.convert_ids_to_tokens(ids[:known])) + [None] * (size - known)
    back = list(tokenizer.convert_tokens_to_ids([n if n is not None else "" for n in names]))
    vocabulary = [name if name is not None and back[i] == i else PLACEHOLDER.format(i)
                  for i, name in enumerate(names)]
    if len(set(vocabulary)) != size:
        raise BenchError(f"the tokenizer has token strings that look like bench's placeholders "
                         f"({PLACEHOLDER.format('N')}): use model.backend=hf")
    return vocabulary


@dataclass(frozen=True)
class ModelSource:
    """The transformers model a conversion is made from, and what names it."""

    source: str  # its folder, or its Hub id
    revision: str | None  # the Hub commit (None for a folder)
    repo_id: str | None
    weights: str  # the Hub commit or the folder's content hash (bench.systems.hf.folder_digest)
    trust_remote_code: bool


def conversion_key(repo_id: str | None, weights: str, quantization: str) -> str:
    """Public facts naming a conversion (its folder is named by this user's MAC of the key:
    :func:`bench.systems.ct2store.folder_name`)."""
    module = ctranslate2()
    blob = json.dumps([CONVERSION_VERSION, module.__version__, repo_id, weights, quantization])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class CT2Engine:
    """Loads (converting once) and runs a CTranslate2 translator for one seq2seq system."""

    def __init__(self, compute_type: str = "auto", device: str = "auto", inter_threads: int = 1,
                 intra_threads: int = 0, convert_dir: str = "results/cache/ctranslate2") -> None:
        self.compute_type_setting, self.device_setting = str(compute_type), str(device)
        self.inter_threads = whole_number(inter_threads, "model.inter_threads")
        self.intra_threads = whole_number(intra_threads, "model.intra_threads", minimum=0)
        self.convert_dir = Path(str(convert_dir)).expanduser()
        self._resolved: tuple[str, int, str] | None = None
        self.translator: Any = None
        self.vocabulary: list[str] = []
        self.index: dict[str, int] = {}
        self.key: str | None = None
        self.folder: Path | None = None
        self.manifest: Manifest | None = None
        self.convert_seconds: float | None = None
        self.rules = Rules()

    def resolved(self) -> tuple[str, int, str]:
        """(device, device index, compute type), checked once."""
        if self._resolved is None:
            device, index = ct2_device(self.device_setting)
            self._resolved = device, index, pick_compute_type(self.compute_type_setting, device)
        return self._resolved

    def numerics(self) -> dict[str, str]:
        return {"backend": "ctranslate2", "compute_type": self.resolved()[2]}

    def check(self, config: dict[str, Any] | None) -> None:
        """Preflight: the package, device and compute type, and (when the files are here) that the
        model can be converted."""
        self.resolved()
        problem = convertible(config) if config is not None else None
        if problem:
            raise BenchError(f"model.backend=ctranslate2 cannot run this model: {problem}; use "
                             "model.backend=hf")

    # -- conversion ----------------------------------------------------------------------------
    def conversion(self, model: ModelSource) -> Manifest:
        """This user's signed conversion of ``model``, converting it first if there is none: its manifest,
        whose digest the system's identity carries. Only the manifest is checked here (milliseconds);
        :meth:`load` hashes the files before CTranslate2 reads them."""
        if self.manifest is None:
            self.key = conversion_key(model.repo_id, model.weights, self.resolved()[2])
            self.folder = self.convert_dir / folder_name(self.key)
            self.manifest = signed(self.folder, self.key) or self._convert(model)
        return self.manifest

    def _convert(self, model: ModelSource) -> Manifest:
        """Convert into a private temporary folder beside the final one, sign it, rename it into place."""
        quantization = self.resolved()[2]
        log.info("converting %s to CTranslate2 (%s) into %s", model.source, quantization, self.folder)
        started = time.perf_counter()
        self.convert_dir.mkdir(parents=True, exist_ok=True)
        sweep_stale_temp(self.convert_dir)  # what a conversion killed earlier left
        work = Path(tempfile.mkdtemp(prefix=temp_prefix(self.folder.name), suffix=".tmp",
                                     dir=self.convert_dir))
        try:
            converted = work / "model"
            self._write(converted, model, quantization)
            converted.chmod(0o700)  # no one else may change it between the check and the load
            sign(converted, self.key)
            self._put(converted)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.convert_seconds = round(time.perf_counter() - started, 2)
        held = check(self.folder, self.key, contents=False)
        if held is None:
            raise BenchError(f"model.convert_dir: the CTranslate2 conversion at {self.folder} was changed as "
                             "soon as it was made: point model.convert_dir at a folder only you write")
        held.close()
        return held.manifest

    def _write(self, folder: Path, model: ModelSource, quantization: str) -> None:
        """The converter's output in ``folder``, with bench's own vocabulary; any failure in one line."""
        from ctranslate2.converters import TransformersConverter
        from transformers import AutoTokenizer

        try:
            options = {"revision": model.revision, "trust_remote_code": model.trust_remote_code}
            TransformersConverter(model.source, **options).convert(str(folder), quantization=quantization)
            self._own_vocabulary(folder, model, AutoTokenizer.from_pretrained(model.source, **options))
        except BenchError:
            raise
        except Exception as exc:  # a library meeting files someone else wrote: any failure is theirs
            raise BenchError(f"converting {model.source} to CTranslate2 failed ({type(exc).__name__}: "
                             f"{first_line(exc, 200)}): re-download or re-save the model, or set "
                             "model.backend=hf") from exc
        (folder / "bench-source.json").write_text(json.dumps(
            {"repo_id": model.repo_id, "weights": model.weights, "quantization": quantization,
             "ctranslate2": ctranslate2().__version__}, indent=2), encoding="utf-8")

    def _put(self, converted: Path) -> None:
        """Rename ``converted`` into place: over whatever fails the check there, but not over a good
        conversion a parallel job of this user put there first."""
        for _ in range(2):
            try:
                os.replace(converted, self.folder)
                return
            except OSError as exc:
                problem = exc.strerror
            held = check(self.folder, self.key, contents=True)
            if held is not None:
                held.close()
                return
            discard(self.folder, "model.convert_dir")
        raise BenchError(f"model.convert_dir: cannot put the CTranslate2 conversion at {self.folder} "
                         f"({problem}): make {self.convert_dir} writable or point model.convert_dir "
                         "elsewhere")

    def _own_vocabulary(self, folder: Path, model: ModelSource, tokenizer: Any) -> None:
        """Rewrite the converted vocabulary id by id, and check the special tokens against the model."""
        files = sorted(folder.glob("*vocabulary.json"))
        if not files:
            raise BenchError(f"the CTranslate2 converter wrote no vocabulary for {model.source}: use "
                             "model.backend=hf")
        for file in files:
            size = len(json.loads(file.read_text(encoding="utf-8")))
            file.write_text(json.dumps(vocabulary_from_ids(tokenizer, size), ensure_ascii=False),
                            encoding="utf-8")
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model.source, revision=model.revision)
        settings = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        target = json.loads(files[-1].read_text(encoding="utf-8"))  # target_ sorts after source_
        eos = config.eos_token_id[0] if isinstance(config.eos_token_id, list) else config.eos_token_id
        wanted = {"eos_token": eos}
        if config.model_type != "marian":  # Marian starts from a zero embedding, whatever the token
            wanted["decoder_start_token"] = config.decoder_start_token_id
        for key, token_id in wanted.items():
            token = settings.get(key)
            if token_id is None or token not in target or target.index(token) != token_id:
                raise BenchError(f"converting {model.source} to CTranslate2 would use {token!r} as its {key} "
                                 f"(id {target.index(token) if token in target else None}), but the model "
                                 f"uses id {token_id}: use model.backend=hf")

    # -- inference -------------------------------------------------------------------------------
    def load(self, model: ModelSource) -> None:
        """Load the conversion whose digest the identity carries, after hashing every file of it."""
        device, index, compute_type = self.resolved()
        expected = self.conversion(model)
        held = check(self.folder, self.key, contents=True)
        if held is None:  # its files changed since the manifest was read: made again (the same bytes)
            log.warning("%s does not match its manifest: converting it again", self.folder)
            self._convert(model)
            held = check(self.folder, self.key, contents=True)
        if held is None or held.manifest.digest != expected.digest:
            if held is not None:
                held.close()
            raise BenchError(f"model.convert_dir: the CTranslate2 conversion at {self.folder} changed while "
                             "this run used it: run the command again")
        self.rules = rules(generation_config(model.source, model.revision, model.trust_remote_code))
        if self.rules.not_applied:
            log.warning("%s: its generation config sets %s, which CTranslate2 does not apply as transformers "
                        "does: outputs may differ from model.backend=hf", model.source,
                        ", ".join(f"{k}={v}" for k, v in self.rules.not_applied.items()))
        try:
            names = sorted(name for name in held.manifest.files if name.endswith("vocabulary.json"))
            self.vocabulary = json.loads(Path(held.path, names[-1]).read_text(encoding="utf-8"))
            self.index = {token: i for i, token in enumerate(self.vocabulary)}
            log.info("loading CTranslate2 model %s on %s:%d (%s)", self.folder, device, index, compute_type)
            self.translator = ctranslate2().Translator(
                held.path, device=device, device_index=index, compute_type=compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads or max(1, thread_count() // self.inter_threads))
        finally:
            held.close()

    def generate(self, batch: list[list[int]], prefix: int | None, num_beams: int,
                 max_new_tokens: int) -> list[list[int]]:
        """Output ids (the target prefix and the end token included, as transformers gives them)."""
        sources = [[self.vocabulary[i] for i in row] for row in batch]
        prefixes = [[self.vocabulary[prefix]]] * len(batch) if prefix is not None else None
        results = self.translator.translate_batch(
            sources, prefixes, max_batch_size=math.ceil(len(batch) / self.inter_threads),
            beam_size=num_beams, max_decoding_length=self.rules.limit(max_new_tokens), max_input_length=0,
            min_decoding_length=0, return_end_token=True, **self.rules.options)
        rows = [[self.index[token] for token in result.hypotheses[0]] for result in results]
        return [self.rules.ended(row, len(row) - (prefix is not None), max_new_tokens) for row in rows]

    def describe(self) -> dict[str, Any]:
        device, index, compute_type = self.resolved()
        facts: dict[str, Any] = {"backend": "ctranslate2", "compute_type": compute_type,
                                 "inter_threads": self.inter_threads, "intra_threads": self.intra_threads}
        if self.folder is not None:
            facts.update(device=f"{device}:{index}" if device == "cuda" else device,
                         converted=str(self.folder), convert_seconds=self.convert_seconds)
        if self.rules.not_applied:
            facts["not_applied"] = {key: str(value) for key, value in self.rules.not_applied.items()}
        return facts

    def close(self) -> None:
        self.translator = None
