"""A tiny MetricX-24 checkpoint: an MT5 encoder-decoder of the real vocabulary size, built offline.

MetricX reads one number out of an MT5 model: the logit of token 250089 (``<extra_id_10>`` in mT5's
vocabulary) at the first decoder step. So the tiny model keeps mT5's vocabulary size (250112; 8M
parameters at width 16) while everything else is small, and it is saved with ``save_pretrained``
exactly as the Hub checkpoints are, with a T5 SentencePiece tokenizer trained here on a few lines
(the real one is google/mt5-xl's). The folder holds both, so it serves as ``metric.metricx.checkpoint``
and ``metric.metricx.tokenizer`` at once.

The weights are random except the row of the output matrix MetricX reads: it is the least-squares
fit of that logit to toy error scores (0 for the reference, 25 for a copied source, ...), which puts
the outputs inside (0, 25) instead of at the clamp, so tests exercise the real arithmetic. Random
features cannot tell a copy from a translation: the scores mean nothing, they are deterministic.
"""

from __future__ import annotations

from pathlib import Path

from bench.tiny.comet import SAMPLE_LINES
from bench.tiny.models import Corpus, default_corpus
from bench.tiny.spm import train_spm
from bench.tiny.store import built_once, versions

#: what MetricX reads: the logit of this token id at the first decoder step
PREDICTION_ID = 250089
#: mT5's vocabulary size (the real checkpoints' ``vocab_size``)
MT5_VOCAB = 250112


def toy_examples(corpus: Corpus) -> list[tuple[str, float]]:
    """MetricX inputs, with and without the reference, and toy error scores for each corpus pair."""
    rows: list[tuple[str, float]] = []
    for i, (src, ref, _) in enumerate(corpus):
        other = corpus[(i + 3) % len(corpus)][1]
        for hyp, error in ((ref, 0.0), (src, 25.0), (other, 18.0), (ref[: len(ref) // 2], 8.0)):
            rows.append((f"source: {src} candidate: {hyp} reference: {ref}", error))
            rows.append((f"source: {src} candidate: {hyp}", error))
    return rows


def build_tiny_metricx(out_dir: str | Path, corpus: Corpus | None = None, width: int = 16,
                       layers: int = 2, seed: int = 0) -> Path:
    """Build (or find) a tiny MetricX-24-shaped folder (model + tokenizer) and return it.

    ``corpus`` (default: the tiny translation models' toy corpus) gives the toy examples; its texts
    and :data:`bench.tiny.comet.SAMPLE_LINES` train the tokenizer.
    """
    corpus = [tuple(row) for row in (corpus or default_corpus())]
    spec = {"corpus": corpus, "width": width, "layers": layers, "seed": seed, "version": 1,
            "versions": versions("transformers", "torch", "sentencepiece")}
    return built_once(out_dir, "tiny-metricx", spec, "config.json",
                      lambda work, _final: _build(work, corpus, width, layers, seed))


def _build(work: Path, corpus: Corpus, width: int, layers: int, seed: int) -> None:
    import torch
    from transformers import AutoTokenizer, MT5Config, MT5ForConditionalGeneration, T5Tokenizer

    texts = [*SAMPLE_LINES, *(text for src, tgt, _ in corpus for text in (src, tgt))]
    spm_file = train_spm(texts, work / "spiece.model", vocab_size=1000)
    T5Tokenizer(vocab_file=str(spm_file), legacy=True).save_pretrained(work)
    tokenizer = AutoTokenizer.from_pretrained(work)  # the fast tokenizer MetricX's predict.py loads
    tokenizer.save_pretrained(work)
    torch.manual_seed(seed)
    config = MT5Config(vocab_size=MT5_VOCAB, d_model=width, d_kv=8, d_ff=2 * width, num_layers=layers,
                       num_decoder_layers=layers, num_heads=2, tie_word_embeddings=False, dropout_rate=0.0,
                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                       decoder_start_token_id=0, architectures=["MT5ForRegression"])
    model = MT5ForConditionalGeneration(config).eval()
    rows = toy_examples(corpus)
    batch = tokenizer([text for text, _ in rows], padding=True, return_tensors="pt")
    with torch.inference_mode():
        encoded = model.encoder(**batch).last_hidden_state
        features = model.decoder(input_ids=torch.zeros(len(rows), 1, dtype=torch.long),
                                 encoder_hidden_states=encoded,
                                 encoder_attention_mask=batch["attention_mask"]).last_hidden_state[:, 0]
        targets = torch.tensor([[error] for _, error in rows])
        # rounded, so that the last bits of a multi-threaded fit do not change the saved file
        fit = torch.linalg.lstsq(features, targets).solution[:, 0]
        model.lm_head.weight[PREDICTION_ID] = fit.round(decimals=3)
    model.save_pretrained(work)
