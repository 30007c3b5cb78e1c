"""Language codes per model family, one row per language the harness knows.

The harness names languages by ISO 639-1 code (``zh``, ``kk``, ``vi``), as the reference files do
(``zh-kk.jsonl``). Each model family spells them its own way: NLLB-200 adds the script
(``kaz_Cyrl``), M2M-100 uses bare codes wrapped as ``__kk__`` tokens, MADLAD-400 prefixes the source
with ``<2kk>``. Keeping every spelling of a language on one row makes a missing one visible, and lets
:meth:`lookup` turn "this model cannot translate that" into a config-time error instead of garbage.
A config can add or override codes (``model.lang_codes={kk: kaz_Cyrl}``) without editing this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from bench.errors import BenchError


class Language(NamedTuple):
    name: str  # English name, used in prompts for LLMs
    nllb: str | None  # NLLB-200 (FLORES-200 code: ISO 639-3 + script)
    m2m100: str | None  # M2M-100 (ISO 639-1, wrapped as __xx__ by its tokenizer)
    madlad: str | None  # MADLAD-400 (target tag <2xx>)


# NLLB and M2M-100 codes are checked against the tokenizers' own lists in tests/test_systems_langcodes.py.
LANGUAGES: dict[str, Language] = {
    "zh": Language("Chinese", "zho_Hans", "zh", "zh"),
    "kk": Language("Kazakh", "kaz_Cyrl", "kk", "kk"),
    "vi": Language("Vietnamese", "vie_Latn", "vi", "vi"),
    "en": Language("English", "eng_Latn", "en", "en"),
    "ru": Language("Russian", "rus_Cyrl", "ru", "ru"),
    "ja": Language("Japanese", "jpn_Jpan", "ja", "ja"),
    "ko": Language("Korean", "kor_Hang", "ko", "ko"),
    "mn": Language("Mongolian", "khk_Cyrl", "mn", "mn"),
    "ky": Language("Kyrgyz", "kir_Cyrl", None, "ky"),
    "uz": Language("Uzbek", "uzn_Latn", "uz", "uz"),
    "tg": Language("Tajik", "tgk_Cyrl", None, "tg"),
    "tk": Language("Turkmen", "tuk_Latn", None, "tk"),
    "ug": Language("Uyghur", "uig_Arab", None, "ug"),
    "bo": Language("Tibetan", "bod_Tibt", None, "bo"),
    "tr": Language("Turkish", "tur_Latn", "tr", "tr"),
    "az": Language("Azerbaijani", "azj_Latn", "az", "az"),
    "fa": Language("Persian", "pes_Arab", "fa", "fa"),
    "ar": Language("Arabic", "arb_Arab", "ar", "ar"),
    "hi": Language("Hindi", "hin_Deva", "hi", "hi"),
    "th": Language("Thai", "tha_Thai", "th", "th"),
    "lo": Language("Lao", "lao_Laoo", "lo", "lo"),
    "km": Language("Khmer", "khm_Khmr", "km", "km"),
    "my": Language("Burmese", "mya_Mymr", "my", "my"),
    "id": Language("Indonesian", "ind_Latn", "id", "id"),
    "ms": Language("Malay", "zsm_Latn", "ms", "ms"),
    "uk": Language("Ukrainian", "ukr_Cyrl", "uk", "uk"),
    "de": Language("German", "deu_Latn", "de", "de"),
    "fr": Language("French", "fra_Latn", "fr", "fr"),
    "es": Language("Spanish", "spa_Latn", "es", "es"),
    "pt": Language("Portuguese", "por_Latn", "pt", "pt"),
    "it": Language("Italian", "ita_Latn", "it", "it"),
}


def lookup(column: str, lang: str, overrides: Mapping[str, str] | None = None) -> str:
    """The spelling of ``lang`` in ``column`` ("name", "nllb", "m2m100", "madlad").

    ``overrides`` (from the config) win over the table. Raises :class:`BenchError` naming the
    setting that fixes it when neither knows the language.
    """
    if overrides and lang in overrides:
        return str(overrides[lang])
    row = LANGUAGES.get(lang)
    value = getattr(row, column) if row else None
    if value is None:
        if column == "name":
            what, setting = "English name", "lang_names"
        else:
            what, setting = f"{column} code", "lang_codes"
        known = ", ".join(k for k, r in LANGUAGES.items() if getattr(r, column))
        raise BenchError(
            f"language '{lang}' has no {what} (known: {known}); if the model supports it, "
            f"add it with model.{setting}={{{lang}: VALUE}}"
        )
    return value
