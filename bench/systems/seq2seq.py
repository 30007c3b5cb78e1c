"""Encoder-decoder translation models: NLLB-200, M2M-100, MADLAD-400 and Marian (OPUS-MT).

They differ only in how the languages reach the model, so that is all each class says:

- NLLB-200 and M2M-100 mark the source with a language token (set through the tokenizer's
  ``src_lang``) and force the target's token as the first generated one (``forced_bos_token_id``);
- MADLAD-400 (T5) is told the target by a ``<2kk>`` tag in front of the source;
- a Marian checkpoint translates one fixed pair, declared in its config (``pairs: [zh-vi]``).

Loading, batching and generation live in :mod:`bench.systems.hf`; language codes in
:mod:`bench.systems.langcodes`. ``model.backend=ctranslate2`` runs the same families on CTranslate2
(:mod:`bench.systems.ct2`): the tokenizer and the batches stay, only generation changes engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.systems import langcodes
from bench.systems.base import string_map
from bench.systems.ct2 import CT2Engine, ModelSource
from bench.systems.hf import HFSystem

BACKENDS = ("hf", "ctranslate2")


class Seq2Seq(HFSystem):
    """An encoder-decoder model whose inputs are the plain source sentences.

    ``backend`` picks the engine that generates: transformers (``hf``, the default) or CTranslate2,
    which takes ``compute_type``, ``inter_threads``, ``intra_threads`` and ``convert_dir`` (where
    converted models are kept).
    """

    auto_model = "AutoModelForSeq2SeqLM"

    def __init__(self, name: str, backend: str = "hf", compute_type: str = "auto", inter_threads: int = 1,
                 intra_threads: int = 0, convert_dir: str = "results/cache/ctranslate2",
                 **options: Any) -> None:
        super().__init__(name, **options)
        if backend not in BACKENDS:
            raise BenchError(f"model.backend={backend!r} is not a backend; use {' or '.join(BACKENDS)}")
        # model.threads, where set, is CTranslate2's thread count too unless intra_threads says otherwise
        engine = CT2Engine(compute_type, self.device_setting, inter_threads, intra_threads or self.threads,
                           convert_dir)
        self.engine = engine if backend == "ctranslate2" else None

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        return self.tokenizer(sources)["input_ids"]

    # -- the CTranslate2 engine, where chosen --------------------------------------------------
    def check(self, pairs: list[tuple[str, str]]) -> None:
        super().check(pairs)
        if self.engine:
            folder = self.located().folder
            config = json.loads((folder / "config.json").read_bytes()) if folder else None
            self.engine.check(config)

    def numerics(self) -> dict[str, str]:
        return self.engine.numerics() if self.engine else super().numerics()

    def running_on(self) -> str:
        return self.engine.resolved()[0] if self.engine else super().running_on()

    def identity(self) -> dict[str, Any]:
        facts = super().identity()
        if self.num_beams > 1:
            facts["early_stopping"] = True  # see generate_ids
        if self.engine:  # the conversion the translations come from (made now if there is none)
            facts["conversion"] = self.engine.conversion(self.model_source()).digest[:16]
        return facts

    def model_source(self) -> ModelSource:
        located = self.located()
        return ModelSource(source=str(located.folder) if located.folder else located.repo_id,
                           revision=None if located.folder else located.commit, repo_id=located.repo_id,
                           weights=self.weights_id(), trust_remote_code=self.trust_remote_code)

    def load_weights(self, source: str, options: dict[str, Any]) -> None:
        if not self.engine:
            return super().load_weights(source, options)
        self.engine.load(self.model_source())

    def generate_ids(self, batch: list[list[int]], options: dict[str, Any]) -> list[list[int]]:
        """Beam search stops once ``num_beams`` hypotheses have ended, on both engines: CTranslate2's
        only rule (fairseq's too), given to transformers explicitly. Its own default
        (``early_stopping=False``) guesses whether to search on, and outputs then differ between the
        engines (issue 18: 11 of 39 lines; 1 to 10 of 63 on the tiny models)."""
        if not self.engine:
            return super().generate_ids(batch, {**options, "early_stopping": True} if self.num_beams > 1
                                        else options)
        return self.engine.generate(batch, options.get("forced_bos_token_id"), self.num_beams,
                                    self.max_new_tokens)

    def describe(self) -> dict[str, Any]:
        if not self.engine:
            return super().describe()
        facts = {"source": self.located().source, "batch_tokens": self.batch_tokens, **self.engine.describe()}
        if self.load_seconds is not None:
            facts["load_seconds"] = self.load_seconds
        return facts

    def close(self) -> None:
        super().close()
        if self.engine:
            self.engine.close()


class Marian(Seq2Seq):
    """An OPUS-MT/Marian checkpoint: one model per language pair, so the config lists its pair(s)."""

    tokenizer_files = (("source.spm",), ("target.spm",), ("vocab.json",))
    model_types = frozenset({"marian"})

    def __init__(self, name: str, pairs: list[str], **options: Any) -> None:
        super().__init__(name, **options)
        if not isinstance(pairs, list) or not pairs:
            raise BenchError(f"model.pairs={pairs!r}: set it to the pair(s) the checkpoint translates, "
                             "e.g. [zh-vi]")
        self.pairs = [Pair(p, "model.pairs") for p in pairs]

    def check_pair(self, src_lang: str, tgt_lang: str) -> None:
        pair = Pair.of(src_lang, tgt_lang)
        if pair not in self.pairs:
            raise BenchError(f"model {self.name} translates only {', '.join(self.pairs)}, not {pair}: "
                             f"pick another model or restrict the run with pairs=[{self.pairs[0]}]")


class Coded(Seq2Seq):
    """A multilingual model told the languages through codes from its own column of the table."""

    column: str  # column of bench.core.languages.LANGUAGES
    needs_source_code = True

    def __init__(self, name: str, lang_codes: Mapping[str, str] | None = None, **options: Any) -> None:
        super().__init__(name, **options)
        self.lang_codes = string_map(lang_codes, "model.lang_codes")

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

    model_types = frozenset({"m2m_100", "nllb-moe"})

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
    tokenizer_files = (("tokenizer.json", "sentencepiece.bpe.model"),)


class M2M100(_LanguageTokens):
    """M2M-100 (codes ``zh``, ``kk``, ``vi``; tokens ``__zh__``, ...)."""

    column = "m2m100"
    tokenizer_files = (("vocab.json",), ("sentencepiece.bpe.model",))

    def lang_token(self, code: str) -> str:
        return f"__{code}__"


class MADLAD(Coded):
    """MADLAD-400 (T5): a ``<2kk>`` tag before the source names the target; the source is not named."""

    column = "madlad"
    needs_source_code = False
    tokenizer_files = (("tokenizer.json", "spiece.model"),)
    model_types = frozenset({"t5", "mt5"})

    def encode(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[list[int]]:
        tag = f"<2{self.code(tgt_lang)}>"
        self.token_id(tag, tgt_lang)
        return self.tokenizer([f"{tag} {source}" for source in sources])["input_ids"]
