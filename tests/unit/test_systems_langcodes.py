"""Language-code tables agree with the tokenizers' own lists, and gaps are config-time errors."""

from __future__ import annotations

import pytest
from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES as M2M_CODES
from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES as NLLB_CODES

from bench.core.errors import BenchError
from bench.core.languages import LANGUAGES
from bench.systems.langcodes import lookup


def test_every_nllb_and_m2m100_code_exists_in_the_tokenizers():
    for lang, row in LANGUAGES.items():
        assert row.nllb is None or row.nllb in NLLB_CODES, lang
        assert row.m2m100 is None or row.m2m100 in M2M_CODES["m2m100"], lang


def test_the_languages_of_the_test_set():
    assert [lookup("nllb", x) for x in ("zh", "kk", "vi")] == ["zho_Hans", "kaz_Cyrl", "vie_Latn"]
    assert [lookup("m2m100", x) for x in ("zh", "kk", "vi")] == ["zh", "kk", "vi"]
    assert [lookup("name", x) for x in ("zh", "kk", "vi")] == ["Chinese", "Kazakh", "Vietnamese"]


def test_missing_code_names_the_setting_that_fixes_it():
    with pytest.raises(BenchError, match=r"'ky' has no m2m100 code.*model\.lang_codes=\{ky: VALUE\}"):
        lookup("m2m100", "ky")
    with pytest.raises(BenchError, match=r"no English name.*model\.lang_names"):
        lookup("name", "xx")


def test_config_overrides_win():
    assert lookup("nllb", "zh", {"zh": "zho_Hant"}) == "zho_Hant"
    assert lookup("m2m100", "ky", {"ky": "ky"}) == "ky"
