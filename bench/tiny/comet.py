"""A tiny COMET checkpoint of the real ``Unbabel/wmt22-comet-da`` layout, built offline in seconds.

The layout is what ``comet.download_model`` leaves on disk (``hparams.yaml`` beside
``checkpoints/model.ckpt``), the model class and hyper-parameters are wmt22-comet-da's, only the XLM-R
encoder is small and random and its tokenizer is a SentencePiece model trained on a few lines. So
``comet.load_from_checkpoint(path, local_files_only=True)`` and ``predict`` run their real code on it.
Its scores mean nothing; they are deterministic, which is what tests and benchmarks need.

Built checkpoints are cached under ``out_dir/<content key>/``: the key covers every input (sizes,
texts, seed, library versions), so a change rebuilds and an unchanged call returns at once. A build
happens in a temporary folder that is renamed into place, so concurrent builders never see half a
checkpoint.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import yaml

from bench.io import sha256_text
from bench.tiny.spm import train_spm

#: wmt22-comet-da's hyper-parameters (its hparams.yaml), except the encoder, which is built here
WMT22_COMET_DA = {
    "activations": "Tanh",
    "batch_size": 16,
    "dropout": 0.1,
    "encoder_learning_rate": 1.0e-06,
    "encoder_model": "XLM-RoBERTa",
    "final_activation": None,
    "hidden_sizes": [3072, 1024],
    "keep_embeddings_frozen": True,
    "layer": "mix",
    "layer_norm": False,
    "layer_transformation": "sparsemax",
    "layerwise_decay": 0.95,
    "learning_rate": 1.5e-05,
    "loss": "mse",
    "nr_frozen_epochs": 0.3,
    "optimizer": "AdamW",
    "pool": "avg",
    "warmup_steps": 0,
}

#: a few lines in the project's languages, enough for a tokenizer that never emits <unk> on them
SAMPLE_LINES = [
    "实现贫困人口如期脱贫，是党中央向全国人民作出的郑重承诺。",
    "截至2019年4月，全国已有153个贫困县宣布脱贫摘帽。",
    "责任重于泰山，各级党委和政府要切实履行职责。",
    "Кедейлерді уағында кедейліктен арылту — партияның бүкіл халыққа берген салтанатты уәдесі.",
    "2019 жылдың сәуіріне дейін елде 153 кедей аудан кедейліктен шыққанын жариялады.",
    "Жауапкершілік Тайшань тауынан да ауыр, барлық деңгейдегі партия комитеттері міндетін атқаруы тиіс.",
    "Thoát nghèo đúng hạn cho người nghèo là cam kết trang trọng của Trung ương Đảng với toàn dân.",
    "Tính đến tháng 4 năm 2019, cả nước đã có 153 huyện nghèo tuyên bố thoát nghèo.",
    "Trách nhiệm nặng tựa núi Thái Sơn, cấp ủy và chính quyền các cấp phải thực hiện nghiêm túc.",
    "Ликвидация бедности в срок — торжественное обещание партии всему народу.",
    "Ядуурлыг хугацаанд нь арилгах нь намын ард түмэнд өгсөн амлалт юм.",
    "Eliminating poverty on schedule is a solemn promise to the whole nation.",
]


def _versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("unbabel-comet", "transformers", "torch")}


def build_tiny_comet(out_dir: str | Path, texts: list[str] | None = None, hidden: int = 32,
                     layers: int = 2, heads: int = 2, seed: int = 0) -> Path:
    """Build (or find) a tiny wmt22-comet-da-shaped checkpoint; return ``.../checkpoints/model.ckpt``.

    ``hidden``/``layers`` size the XLM-R encoder (the estimator keeps wmt22-comet-da's 3072/1024 feed
    forward); ``texts`` train its tokenizer (default: :data:`SAMPLE_LINES`).
    """
    texts = list(texts or SAMPLE_LINES)
    spec = {"texts": texts, "hidden": hidden, "layers": layers, "heads": heads, "seed": seed,
            "hparams": WMT22_COMET_DA, "versions": _versions()}
    out_dir = Path(out_dir).resolve()
    final = out_dir / f"tiny-comet-{sha256_text(json.dumps(spec, sort_keys=True))[:16]}"
    checkpoint = final / "checkpoints" / "model.ckpt"
    if checkpoint.is_file():
        return checkpoint
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir))
    work.chmod(0o755)
    try:
        _build(work, final, texts, hidden, layers, heads, seed)
        try:
            work.rename(final)
        except OSError:  # another process finished the same build first
            if not checkpoint.is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checkpoint


def _build(work: Path, final: Path, texts: list[str], hidden: int, layers: int, heads: int,
           seed: int) -> None:
    import pytorch_lightning
    import torch
    from comet.models import RegressionMetric
    from transformers import XLMRobertaConfig, XLMRobertaTokenizer

    encoder = work / "encoder"
    spm_file = train_spm(texts, encoder / "sentencepiece.bpe.model", vocab_size=1000)
    tokenizer = XLMRobertaTokenizer(vocab_file=str(spm_file))
    tokenizer.save_pretrained(encoder)
    XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=514,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    ).save_pretrained(encoder)
    torch.manual_seed(seed)
    model = RegressionMetric(pretrained_model=str(encoder), load_pretrained_weights=False,
                             local_files_only=True, **WMT22_COMET_DA)
    # COMET loads the fast tokenizer: save it so loading does not convert the slow one every time
    model.encoder.tokenizer.save_pretrained(encoder)
    # the checkpoint records where its encoder lives: the folder's final place, not this build folder
    hparams = {**dict(model.hparams), "pretrained_model": str(final / "encoder")}
    (work / "checkpoints").mkdir()
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": hparams,
                "pytorch-lightning_version": pytorch_lightning.__version__},
               work / "checkpoints" / "model.ckpt")
    (work / "hparams.yaml").write_text(
        yaml.safe_dump({**hparams, "class_identifier": "regression_metric"}, sort_keys=True),
        encoding="utf-8")
