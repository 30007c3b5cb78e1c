"""Train a SentencePiece model on a handful of lines: the tokenizer every tiny model shares."""

from __future__ import annotations

import io
from pathlib import Path

import sentencepiece as spm

# Pieces every tiny tokenizer needs at fixed ids, in the order NLLB/XLM-R/Marian expect them.
PAD, UNK, BOS, EOS = 0, 1, 2, 3


def train_spm(texts: list[str], out_file: Path, vocab_size: int = 800) -> Path:
    """Train a unigram model on ``texts`` into ``out_file`` (a ``.model`` file) and return it.

    ``character_coverage=1.0`` keeps every Han character and every Kazakh/Vietnamese letter, so no
    test sentence turns into ``<unk>``. The vocabulary shrinks itself when the corpus is too small,
    which is the common case for tiny models.
    """
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    model = io.BytesIO()
    lines = [t for t in texts if t.strip()]
    if not lines:
        raise ValueError("train_spm needs at least one non-empty line")
    size = vocab_size
    while True:
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines),
                model_writer=model,
                vocab_size=size,
                model_type="unigram",
                character_coverage=1.0,
                pad_id=PAD, unk_id=UNK, bos_id=BOS, eos_id=EOS,
                hard_vocab_limit=False,
                num_threads=1,
                minloglevel=2,
                seed_sentencepiece_size=100_000,
                shuffle_input_sentence=False,
            )
            break
        except RuntimeError as exc:  # "Vocabulary size is too high" on very small corpora
            if "Vocabulary size" not in str(exc) or size <= 64:
                raise
            size //= 2
            model = io.BytesIO()
    out_file.write_bytes(model.getvalue())
    return out_file
