"""Tiny COMET checkpoints of the real ``Unbabel/wmt22-comet-da`` and ``Unbabel/XCOMET-XL`` layouts,
built offline in seconds.

The layout is what ``comet.download_model`` leaves on disk (``hparams.yaml`` beside
``checkpoints/model.ckpt``), the model classes and hyper-parameters are the real ones
(``RegressionMetric``, ``XCOMETMetric``), only the XLM-R encoder is small and random and its tokenizer
is a SentencePiece model trained on a few lines. So ``comet.load_from_checkpoint(path,
local_files_only=True)`` and ``predict`` run their real code on it.
Its scores mean nothing; they are deterministic, which is what tests and benchmarks need.

Built checkpoints are cached under ``out_dir/<content key>/`` (:func:`bench.tiny.store.built_once`):
the key covers every input (sizes, texts, seed, library versions), so a change rebuilds and an
unchanged call returns at once; concurrent builders never see half a checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.tiny.spm import train_spm
from bench.tiny.store import built_once, versions

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


#: XCOMET-XL's hyper-parameters (``XCOMETMetric``'s defaults), except the encoder, which is built here
XCOMET_XL = {
    "encoder_model": "XLM-RoBERTa-XL",
    "hidden_sizes": [2560, 1280],
    "sent_layer": "mix",
    "layer_transformation": "sparsemax",
    "loss_lambda": 0.055,
    "error_labels": ["minor", "major", "critical"],
}

_VERSIONS = ("unbabel-comet", "transformers", "torch")


def build_tiny_comet(out_dir: str | Path, texts: list[str] | None = None, hidden: int = 32,
                     layers: int = 2, heads: int = 2, seed: int = 0) -> Path:
    """Build (or find) a tiny wmt22-comet-da-shaped checkpoint; return ``.../checkpoints/model.ckpt``.

    ``hidden``/``layers`` size the XLM-R encoder (the estimator keeps wmt22-comet-da's 3072/1024 feed
    forward); ``texts`` train its tokenizer (default: :data:`SAMPLE_LINES`).
    """
    return _tiny("tiny-comet", "regression_metric", WMT22_COMET_DA, out_dir, texts, hidden, layers, heads,
                 seed)


def build_tiny_xcomet(out_dir: str | Path, texts: list[str] | None = None, hidden: int = 32,
                      layers: int = 2, heads: int = 2, seed: int = 0) -> Path:
    """Build (or find) a tiny XCOMET-XL-shaped checkpoint; return ``.../checkpoints/model.ckpt``.

    ``comet.models.XCOMETMetric`` over a small random XLM-RoBERTa-XL encoder (the architecture of
    XCOMET-XL and -XXL), its word-level tagger reading the last layer. Random taggers mark spans here
    and there, so ``predict`` returns scores and error spans through its real code.
    """
    hparams = {**XCOMET_XL, "word_layer": layers}
    return _tiny("tiny-xcomet", "xcomet_metric", hparams, out_dir, texts, hidden, layers, heads, seed)


def _tiny(prefix: str, identifier: str, hparams: dict, out_dir: str | Path, texts: list[str] | None,
          hidden: int, layers: int, heads: int, seed: int) -> Path:
    texts = list(texts or SAMPLE_LINES)
    spec = {"texts": texts, "hidden": hidden, "layers": layers, "heads": heads, "seed": seed,
            "hparams": hparams, "versions": versions(*_VERSIONS)}
    folder = built_once(out_dir, prefix, spec, "checkpoints/model.ckpt",
                        lambda work, final: _build(work, final, identifier, hparams, texts, hidden, layers,
                                                   heads, seed))
    return folder / "checkpoints" / "model.ckpt"


def _build(work: Path, final: Path, identifier: str, hparams: dict, texts: list[str], hidden: int,
           layers: int, heads: int, seed: int) -> None:
    import pytorch_lightning
    import torch
    from comet.models import RegressionMetric, XCOMETMetric
    from transformers import XLMRobertaConfig, XLMRobertaTokenizer, XLMRobertaXLConfig

    encoder = work / "encoder"
    spm_file = train_spm(texts, encoder / "sentencepiece.bpe.model", vocab_size=1000)
    tokenizer = XLMRobertaTokenizer(vocab_file=str(spm_file))
    tokenizer.save_pretrained(encoder)
    config_class = XLMRobertaXLConfig if hparams["encoder_model"] == "XLM-RoBERTa-XL" else XLMRobertaConfig
    config_class(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=514,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    ).save_pretrained(encoder)
    torch.manual_seed(seed)
    model_class = {"regression_metric": RegressionMetric, "xcomet_metric": XCOMETMetric}[identifier]
    model = model_class(pretrained_model=str(encoder), load_pretrained_weights=False,
                        local_files_only=True, **hparams)
    # COMET loads the fast tokenizer: save it so loading does not convert the slow one every time
    model.encoder.tokenizer.save_pretrained(encoder)
    # the checkpoint records where its encoder lives: the folder's final place, not this build folder
    saved = {**dict(model.hparams), "pretrained_model": str(final / "encoder")}
    (work / "checkpoints").mkdir()
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": saved,
                "pytorch-lightning_version": pytorch_lightning.__version__},
               work / "checkpoints" / "model.ckpt")
    (work / "hparams.yaml").write_text(
        yaml.safe_dump({**saved, "class_identifier": identifier}, sort_keys=True), encoding="utf-8")
