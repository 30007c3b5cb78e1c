"""The language registry: its rows agree with the libraries they feed, every consumer reads it, and a
language without a row is one line naming bench/core/languages.py wherever it is needed."""

from __future__ import annotations

import dataclasses
import importlib.util
import re

import pytest
from lingua import Language as LinguaLanguage
from sacrebleu.metrics import BLEU

from bench.core.errors import BenchError
from bench.core.languages import LANGUAGES, Language
from bench.metrics.offtarget import OffTarget, dominant_script
from bench.metrics.sacre import Bleu
from bench.refset import card, langid
from bench.refset.segment import join_sentences, split_sentences
from bench.systems import langcodes

#: a language the table does not have: Georgian, in a script no other row uses
GEORGIAN = Language("ka", "Georgian", "ქართული", ("Geor",), nllb="kat_Geor", m2m100="ka", madlad="ka",
                    bleu_tokenizer="intl", lingua="GEORGIAN", prefix_abbreviations=frozenset({"ქ."}))
GEORGIAN_TEXT = "შეხვედრა გაიმართა ქ. თბილისში, სადაც ბევრი ადამიანი მოვიდა. ის ძალიან წარმატებული იყო."


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_row_fits_the_libraries_it_feeds(code: str):
    row = LANGUAGES[code]
    assert row.code == code
    assert row.bleu_tokenizer in BLEU.TOKENIZERS
    if row.lingua is not None:
        assert getattr(LinguaLanguage, row.lingua).iso_code_639_1.name.lower() == code
    # the native name is written in the row's script: scripts and names cannot drift apart
    assert dominant_script(row.native) in row.letters


def test_only_chinese_and_japanese_run_sentences_together():
    assert sorted(code for code, row in LANGUAGES.items() if not row.spaced) == ["ja", "zh"]
    assert split_sentences("今天很好。明天更好。", "ja") == ["今天很好。", "明天更好。"]


def test_a_row_with_a_bad_code_or_script_is_refused():
    with pytest.raises(BenchError, match=r"bench/core/languages.py: 'Ka' is not a language code"):
        dataclasses.replace(GEORGIAN, code="Ka")
    with pytest.raises(BenchError, match=r"'ka' needs scripts from SCRIPT_LETTERS \(not \['Gorg'\]\)"):
        dataclasses.replace(GEORGIAN, scripts=("Gorg",))


def test_a_new_row_reaches_every_consumer(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(LANGUAGES, "ka", GEORGIAN)
    # model families and LLM prompts
    assert [langcodes.lookup(c, "ka") for c in ("name", "nllb", "m2m100", "madlad")] == \
        ["Georgian", "kat_Geor", "ka", "ka"]
    # the dataset card
    assert (card.language_name("ka"), card.bcp47("ka")) == ("Georgian", "ka-Geor")
    # sentence splitting: the row's abbreviation keeps "ქ. თბილისში" in one sentence
    sentences = split_sentences(GEORGIAN_TEXT, "ka")
    assert len(sentences) == 2 and sentences[0].endswith("მოვიდა.")
    assert join_sentences(sentences, "ka") == GEORGIAN_TEXT
    # BLEU's default tokenizer for the target
    bleu = Bleu()
    bleu.check([("zh", "ka")])
    assert "tok:intl" in bleu.expected_signature("zh", "ka")
    # off-target: lingua and the script check
    metric = OffTarget(candidates=("ka", "ru", "en"))
    metric.check([("zh", "ka")])
    outputs = [sentences[1], "Сегодня на улице очень хорошая погода.", "今天天气很好。"]
    assert metric.flags(outputs, "ka") == [0, 1, 1]
    # the builder's language identification
    assert langid.detect(GEORGIAN_TEXT, ("ka", "ru"), 0.5).lang == "ka"


def test_without_its_row_the_same_language_is_one_line_naming_the_table():
    missing = r"language 'ka' is not in bench/core/languages.py; add a row for it"
    with pytest.raises(BenchError, match=r"'ka' has no English name \(it is not in bench/core/languages.py"):
        langcodes.lookup("name", "ka")
    with pytest.raises(BenchError, match=f"^dataset card: {missing}"):
        card.language_name("ka")
    with pytest.raises(BenchError, match=f"^sentence splitting: {missing}"):
        split_sentences(GEORGIAN_TEXT, "ka")
    with pytest.raises(BenchError, match=f"^metric.bleu: {missing}, or set metric.bleu.tokenize"):
        Bleu().check([("zh", "ka")])
    Bleu(tokenize="13a").check([("zh", "ka")])  # a tokenizer set by hand needs no row
    with pytest.raises(BenchError, match=f"^metric.off_target: {missing}"):
        OffTarget().check([("zh", "ka")])
    with pytest.raises(BenchError, match=f"^metric.off_target.candidates: {missing}"):
        OffTarget(candidates=("ka",)).check([("zh", "kk")])
    with pytest.raises(BenchError, match=f"^languages in configs/build.yaml: {missing}"):
        langid.detect(GEORGIAN_TEXT, ("ka", "vi"), 0.5)  # candidates no detector was built for


def test_a_language_lingua_cannot_detect_is_refused_where_lingua_is_needed():
    assert LANGUAGES["ky"].lingua is None
    with pytest.raises(BenchError, match=r"^metric.off_target: lingua cannot detect Kyrgyz \('ky'\); leave"):
        OffTarget().check([("zh", "ky")])
    with pytest.raises(BenchError, match=r"^languages in configs/build.yaml: lingua cannot detect Kyrgyz"):
        langid.detect("Бүгүн аба ырайы жакшы.", ("ky", "kk"), 0.5)
    assert split_sentences("Бүгүн жакшы. Эртең да.", "ky") == ["Бүгүн жакшы.", "Эртең да."]


def test_bleu_uses_mecab_for_japanese_only_where_it_is_installed(tmp_path, monkeypatch: pytest.MonkeyPatch):
    if all(importlib.util.find_spec(m) for m in ("MeCab", "ipadic")):
        pytest.skip("MeCab is installed here; the fallback cannot be seen")
    assert LANGUAGES["ja"].bleu_tokenizer == "ja-mecab"
    absent = Bleu().tokenizer_for("ja")
    for module in ("MeCab", "ipadic"):  # stand-ins that make both importable
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert (absent, Bleu().tokenizer_for("ja")) == ("13a", "ja-mecab")


#: the languages a user may bring a test set in without code (issue 21): zh -> X and en -> X
BROUGHT = ("zh", "kk", "vi", "en", "ru", "ky", "mn", "ja", "ko", "th", "lo", "my", "km", "id", "ms", "ug")


@pytest.mark.parametrize("code", BROUGHT)
def test_a_brought_language_has_a_flores_code_and_a_bleu_tokenizer_that_runs_here(code: str):
    row = LANGUAGES[code]
    assert re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", row.flores_plus)
    bleu = Bleu()
    bleu.check([("zh", code)])  # the tokenizer runs offline (or falls back to one that does)
    if code in ("th", "lo", "my", "km"):  # words run on: BLEU on characters, not on whole clauses
        assert bleu.tokenizer_for(code) == "char"


def test_chinese_is_cmn_hans_in_flores_plus_and_zho_hans_for_nllb():
    assert (LANGUAGES["zh"].flores_plus, LANGUAGES["zh"].nllb) == ("cmn_Hans", "zho_Hans")
    assert LANGUAGES["kk"].flores_plus == "kaz_Cyrl"


@pytest.mark.parametrize("code, text, first", [
    ("my", "ကျွန်တော် စာအုပ် ဖတ်တယ်။ သူ ထမင်း စားတယ်။", "ကျွန်တော် စာအုပ် ဖတ်တယ်။"),
    ("km", "ខ្ញុំអានសៀវភៅ។ គាត់ញ៉ាំបាយ។", "ខ្ញុំអានសៀវភៅ។"),
    ("ug", "سىز قەيەرگە بارىسىز؟ مەن مەكتەپكە بارىمەن.", "سىز قەيەرگە بارىسىز؟"),
])
def test_a_row_s_own_sentence_ends_split_its_sentences(code: str, text: str, first: str):
    assert split_sentences(text, code)[0] == first and len(split_sentences(text, code)) == 2
    assert len(split_sentences(text, "en")) == 1  # without the row's marks: one sentence
