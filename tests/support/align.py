"""A test encoder for the aligner: texts made of meaning tokens, so joined spans mean what their
sentences mean together."""

from __future__ import annotations

import zlib

import numpy as np

from bench.refset import embed


class Meanings:
    """A test encoder: a text is a bag of meaning tokens (``m17``), its vector the normalised sum of
    one fixed random vector per meaning plus a little noise per text. Joined spans therefore mean
    what their sentences mean together, as with a real multilingual encoder."""

    name, sha256 = "meanings", "0" * 64

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            noise = np.random.default_rng(zlib.crc32(text.encode())).normal(0, 0.35, 64)
            ids = [int(token[1:]) for token in text.split() if token.startswith("m")]
            rows.append(sum((np.random.default_rng(k).normal(0, 1, 64) for k in ids), noise))
        return np.array(rows) / np.linalg.norm(rows, axis=1, keepdims=True)


def similarity_of(src: list[str], out: list[str], encoder: embed.Encoder, langs: str = "zh-zh"
                  ) -> embed.Similarity:
    src_lang, tgt_lang = langs.split("-")
    return embed.Similarity(embed.Spans.of(src, src_lang, encoder), embed.Spans.of(out, tgt_lang, encoder))

