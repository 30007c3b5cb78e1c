"""How each model family spells a language, read from the one language table.

The harness names languages by the codes of the reference files (``zh-kk.jsonl``); NLLB-200 adds the
script (``kaz_Cyrl``), M2M-100 wraps bare codes as ``__kk__`` tokens, MADLAD-400 prefixes the source
with ``<2kk>``. Those spellings are columns of :data:`bench.core.languages.LANGUAGES`, so a missing one is
visible there, and :func:`lookup` turns "this model cannot translate that" into a config-time error
instead of garbage. A config can add or override codes (``model.lang_codes={kk: kaz_Cyrl}``) without
editing the table.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.core.errors import BenchError
from bench.core.languages import LANGUAGES


def lookup(column: str, lang: str, overrides: Mapping[str, str] | None = None) -> str:
    """The spelling of ``lang`` in ``column``: ``name`` (English, for LLM prompts), ``nllb``,
    ``m2m100`` or ``madlad``.

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
        known = ("it is not in bench/core/languages.py: add a row for it" if row is None else
                 "known: " + ", ".join(k for k, r in LANGUAGES.items() if getattr(r, column)))
        raise BenchError(
            f"language '{lang}' has no {what} ({known}); if the model supports it, "
            f"add it with model.{setting}={{{lang}: VALUE}}"
        )
    return value
