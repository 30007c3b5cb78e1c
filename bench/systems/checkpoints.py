"""What a transformers model folder must hold, checked in milliseconds without loading it.

Model folders are files other people wrote: a download cut short, a copy that lost a file, a
``config.json`` edited by hand. Loaded as they are, they fail minutes into a run, deep inside
transformers or safetensors, as a traceback (43 such cases in issue 11). The preflight reads only
what is cheap to read -- every JSON file, the safetensors headers, the zip directories of ``.bin``
checkpoints, the SentencePiece models -- and says in one line what is wrong. It needs neither torch
nor transformers, so a run whose translations are all cached still starts in a fraction of a second.

Not caught here (the load itself reports them, still in one line): bytes changed in the middle of a
weight file, and values that are well-typed but nonsensical.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.pt", "*.ckpt")
#: config.json fields that size the network: each must be a whole number of at least 1
SIZE_FIELDS = ("vocab_size", "d_model", "hidden_size", "intermediate_size", "d_ff", "d_kv",
               "encoder_layers", "decoder_layers", "num_layers", "num_decoder_layers", "num_hidden_layers",
               "encoder_attention_heads", "decoder_attention_heads", "num_heads", "num_attention_heads",
               "encoder_ffn_dim", "decoder_ffn_dim", "max_position_embeddings")
#: config.json fields holding token ids: a whole number >= 0, a list of them, or null
TOKEN_FIELDS = ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id")
MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit on a header


class Damaged(Exception):
    """What is wrong with one file of the folder (the message names the file)."""


def folder_problem(folder: Path, tokenizer_files: Sequence[Collection[str]],
                   model_types: Collection[str] | None = None) -> str | None:
    """Why ``folder`` cannot be loaded, or None if it looks complete.

    ``tokenizer_files`` lists groups of file names; each group needs one of its files present (a
    family's tokenizer files, e.g. ``[("source.spm",), ("target.spm",), ("vocab.json",)]`` for Marian).
    ``model_types``, when given, are the ``model_type`` values the family can load.
    """
    try:
        if not (folder / "config.json").is_file():
            return "no config.json"
        config = read_json(folder / "config.json")
        config_check(config, model_types)
        shards = shard_problem(folder)
        if shards:
            return shards
        weights = [p for pattern in WEIGHT_PATTERNS for p in sorted(folder.glob(pattern))]
        if not weights:
            return "no weight files (*.safetensors or pytorch_model*.bin)"
        for file in weights:
            weights_check(file)
        for group in tokenizer_files:
            if not any((folder / name).is_file() for name in group):
                return f"no tokenizer file {' or '.join(group)}"
        for file in sorted(folder.glob("*.json")):
            read_json(file)
        for name in sorted({n for group in tokenizer_files for n in group}):
            if name.endswith((".model", ".spm")) and (folder / name).is_file():
                sentencepiece_check(folder / name)
    except Damaged as exc:
        return str(exc)
    except OSError as exc:  # a symlink loop, a file that cannot be read
        return f"cannot read {Path(exc.filename or folder).name} ({exc.strerror or exc})"
    return None


def read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_bytes())
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Damaged(f"{file.name} is not valid JSON ({exc}): the file is truncated or corrupt") from None


def config_check(config: Any, model_types: Collection[str] | None) -> None:
    if not isinstance(config, dict):
        raise Damaged("config.json is not a JSON object")
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise Damaged("config.json has no model_type")
    if model_types is not None and model_type not in model_types:
        raise Damaged(f"config.json says model_type '{model_type}', but this model config loads "
                      f"{' or '.join(sorted(model_types))} checkpoints")
    for field in SIZE_FIELDS:
        value = config.get(field)
        if field in config and not (_whole(value) and value >= 1):
            raise Damaged(f"config.json has {field}={value!r}, not a whole number of at least 1")
    for field in TOKEN_FIELDS:
        value = config.get(field)
        ids = value if isinstance(value, list) else [value]
        if value is not None and not all(_whole(i) and i >= 0 for i in ids):
            raise Damaged(f"config.json has {field}={value!r}, not a token id")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shard_problem(folder: Path) -> str | None:
    for index in sorted(folder.glob("*.index.json")):
        data = read_json(index)
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict) or not all(isinstance(s, str) for s in weight_map.values()):
            return f"{index.name} has no weight_map of tensor names to shard files"
        absent = sorted(s for s in set(weight_map.values()) if not (folder / s).is_file())
        if absent:
            return f"{len(absent)} weight shard(s) listed in {index.name} are missing, e.g. {absent[0]}"
    return None


def weights_check(file: Path) -> None:
    """A safetensors file must be exactly as long as its header says; a ``.bin`` must be a whole zip
    (torch's format since 1.6; its directory sits at the end, so a cut file has none) or a pickle."""
    if file.suffix == ".safetensors":
        safetensors_check(file)
    elif file.suffix == ".bin":
        with open(file, "rb") as handle:
            first = handle.read(1)
        if not zipfile.is_zipfile(file) and first != b"\x80":
            raise Damaged(f"{file.name} is neither a torch zip checkpoint nor a pickle: it is truncated "
                          "or corrupt")


def safetensors_check(file: Path) -> None:
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if length < 2 or length > min(size - 8, MAX_HEADER_BYTES):
            raise Damaged(f"{file.name} has no valid safetensors header: it is truncated or corrupt")
        raw = handle.read(length)
    try:
        header = json.loads(raw)
        ends = [int(entry["data_offsets"][1]) for key, entry in header.items() if key != "__metadata__"]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise Damaged(f"{file.name} has a corrupt safetensors header") from None
    expected = 8 + length + max(ends, default=0)
    if expected != size:
        raise Damaged(f"{file.name} is {size} bytes, but its header describes {expected}: "
                      "the file is truncated or corrupt")


def sentencepiece_check(file: Path) -> None:
    import sentencepiece

    try:
        sentencepiece.SentencePieceProcessor(model_file=str(file))
    except (RuntimeError, OSError) as exc:
        raise Damaged(f"{file.name} is not a SentencePiece model ({str(exc).strip()[:80]})") from None
