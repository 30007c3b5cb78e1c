"""Encoder-decoder translation models: NLLB-200, M2M-100, MADLAD-400 and Marian (OPUS-MT).

They differ only in how the languages reach the model, so that is all each class says:

- NLLB-200 and M2M-100 mark the source with a language token (set through the tokenizer's
  ``src_lang``) and force the target's token as the first generated one (``forced_bos_token_id``);
- MADLAD-400 (T5) is told the target by a ``<2kk>`` tag in front of the source;
- a Marian checkpoint translates one fixed pair, declared in its config (``pairs: [zh-vi]``).

Loading, batching and generation live in :mod:`bench.systems.hf`; language codes in
:mod:`bench.systems.langcodes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.errors import BenchError
from bench.pair import Pair
from bench.systems import langcodes
from bench.systems.hf import HFSystem


class Seq2Seq(HFSystem):
    """An encoder-decoder model whose inputs are the plain source sentences."""

    auto_model = "AutoModelForSeq2SeqLM"

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        return self.tokenizer(sources)["input_ids"]


class Marian(Seq2Seq):
    """An OPUS-MT/Marian checkpoint: one model per language pair, so the config lists its pair(s)."""

    def __init__(self, name: str, pairs: list[str], **options: Any) -> None:
        super().__init__(name, **options)
        self.pairs = [str(p) for p in pairs]
        if not self.pairs:
            raise BenchError(f"model {name}: set model.pairs to the pair(s) the checkpoint translates, "
                             "e.g. [zh-vi]")

    def check_pair(self, src_lang: str, tgt_lang: str) -> None:
        pair = Pair.of(src_lang, tgt_lang)
        if pair not in self.pairs:
            raise BenchError(f"model {self.name} translates only {', '.join(self.pairs)}, not {pair}: "
                             f"pick another model or restrict the run with pairs=[{self.pairs[0]}]")


class Coded(Seq2Seq):
    """A multilingual model told the languages through codes from its own column of the table."""

    column: str  # column of bench.systems.langcodes.LANGUAGES
    needs_source_code = True

    def __init__(self, name: str, lang_codes: Mapping[str, str] | None = None, **options: Any) -> None:
        super().__init__(name, **options)
        self.lang_codes = {str(k): str(v) for k, v in (lang_codes or {}).items()}

    def code(self, lang: str) -> str:
        return langcodes.lookup(self.column, lang, self.lang_codes)

    def check_pair(self, src_lang: str, tgt_lang: str) -> None:
        if self.needs_source_code:
            self.code(src_lang)
        self.code(tgt_lang)

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "lang_codes": self.lang_codes}

    def token_id(self, token: str, lang: str) -> int:
        """The id of a language token, checked: an unknown token would silently become <unk>."""
        token_id = self.tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise BenchError(f"model {self.name}: its tokenizer has no token {token} for language '{lang}'; "
                             f"fix it with model.lang_codes={{{lang}: CODE}}")
        return token_id


class _LanguageTokens(Coded):
    """NLLB-200 / M2M-100: source language token from the tokenizer, target token forced first."""

    def lang_token(self, code: str) -> str:
        return code

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        self.token_id(self.lang_token(self.code(src_lang)), src_lang)
        # Setting src_lang makes the tokenizer put the language token where its checkpoint expects it.
        self.tokenizer.src_lang = self.code(src_lang)
        return self.tokenizer(sources)["input_ids"]

    def generate_options(self, tgt_lang: str) -> dict[str, Any]:
        token = self.lang_token(self.code(tgt_lang))
        return {"forced_bos_token_id": self.token_id(token, tgt_lang)}


class NLLB(_LanguageTokens):
    """NLLB-200 (codes such as ``zho_Hans``, ``kaz_Cyrl``, ``vie_Latn``)."""

    column = "nllb"


class M2M100(_LanguageTokens):
    """M2M-100 (codes ``zh``, ``kk``, ``vi``; tokens ``__zh__``, ...)."""

    column = "m2m100"

    def lang_token(self, code: str) -> str:
        return f"__{code}__"


class MADLAD(Coded):
    """MADLAD-400 (T5): a ``<2kk>`` tag before the source names the target; the source is not named."""

    column = "madlad"
    needs_source_code = False

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        tag = f"<2{self.code(tgt_lang)}>"
        self.token_id(tag, tgt_lang)
        return self.tokenizer([f"{tag} {source}" for source in sources])["input_ids"]
