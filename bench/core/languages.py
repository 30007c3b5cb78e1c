"""Everything the harness knows about a language, one row per language.

A language touches many stages: the model families spell it differently (NLLB ``kaz_Cyrl``, M2M-100
``kk``, MADLAD-400 ``<2kk>``), the sentence splitter needs its abbreviations and whether its sentences
run on without spaces (Chinese, Japanese), BLEU needs a tokenizer for it, the off-target metric and
the builder's language identification need lingua's name for it and the script it is written in,
and the dataset card needs its names. Were each of those a table in its own module, a new language
would be a hunt through six files and a forgotten one a silent fallback. Here it is one row: every
consumer reads :data:`LANGUAGES` (at call time, so a row added at run time is seen), and a language
without a row is one line naming this file where it matters.

Marian/OPUS-MT needs no column: each checkpoint translates one fixed pair, declared in its config.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.core.errors import BenchError
from bench.core.pair import check_language

#: ISO 15924 script -> the first word of the Unicode names of its letters (``CYRILLIC SMALL LETTER A``).
#: The off-target metric counts letters by that word; a language in a script missing here needs it added.
SCRIPT_LETTERS: dict[str, tuple[str, ...]] = {
    "Latn": ("LATIN",), "Cyrl": ("CYRILLIC",), "Grek": ("GREEK",), "Armn": ("ARMENIAN",),
    "Geor": ("GEORGIAN",), "Hebr": ("HEBREW",), "Arab": ("ARABIC",), "Deva": ("DEVANAGARI",),
    "Thai": ("THAI",), "Laoo": ("LAO",), "Khmr": ("KHMER",), "Mymr": ("MYANMAR",), "Tibt": ("TIBETAN",),
    "Hans": ("CJK",), "Hant": ("CJK",), "Jpan": ("CJK", "HIRAGANA", "KATAKANA"), "Kore": ("HANGUL", "CJK"),
}


def _words(text: str) -> frozenset[str]:
    """``"т.б. ж."`` -> ``{"т.б.", "ж."}``: abbreviation lists stay one line per row."""
    return frozenset(text.split())


@dataclass(frozen=True)
class Language:
    """One language. Codes a family lacks are None; the config can still supply them
    (``model.lang_codes={ky: ky}``)."""

    code: str  # as in pair names and reference files (``zh-kk.jsonl``): ISO 639-1 where there is one
    name: str  # English name: LLM prompts, the dataset card
    native: str  # the language's name for itself: the dataset card
    scripts: tuple[str, ...]  # ISO 15924, the first is the card's BCP-47 subtag (kk-Cyrl)
    spaced: bool = True  # sentences are separated by white space (Chinese and Japanese run on)
    nllb: str | None = None  # NLLB-200: FLORES-200 code (ISO 639-3 + script)
    #: FLORES+ (openlanguagedata/flores_plus) file name where it differs from the NLLB code (cmn_Hans)
    flores: str | None = None
    m2m100: str | None = None  # M2M-100: ISO 639-1, wrapped as __kk__ by its tokenizer
    madlad: str | None = None  # MADLAD-400: the xx of its <2xx> target tag
    bleu_tokenizer: str = "13a"  # sacrebleu's tokenizer for this target (13a where it is not installed)
    #: marks that end a sentence besides ``. ! ? …`` (Burmese ``။``, Khmer ``។``, Arabic-script ``؟``)
    sentence_ends: str = ""
    lingua: str | None = None  # lingua's Language member (KAZAKH); None where lingua cannot detect it
    #: abbreviations before a name or number, never a sentence end (``проф.``)
    prefix_abbreviations: frozenset[str] = frozenset()
    #: abbreviations that may close a sentence: a split there only before a capital (``т.б.``)
    final_abbreviations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        check_language(self.code, "bench/core/languages.py")
        unknown = [s for s in self.scripts if s not in SCRIPT_LETTERS]
        if not self.scripts or unknown:
            raise BenchError(f"bench/core/languages.py: language '{self.code}' needs scripts from "
                             "SCRIPT_LETTERS "
                             f"(not {unknown or 'none'}); add the script there")

    @property
    def bcp47(self) -> str:
        """The code with its script subtag (``kk-Cyrl``), as the dataset card tags the texts."""
        return f"{self.code}-{self.scripts[0]}"

    @property
    def flores_plus(self) -> str | None:
        """This language's FLORES+ code (``kaz_Cyrl``): its parquet file is ``<split>/<code>.parquet``."""
        return self.flores or self.nllb

    @property
    def letters(self) -> frozenset[str]:
        """The Unicode script words (``CYRILLIC``) of the letters this language is written in."""
        return frozenset(word for script in self.scripts for word in SCRIPT_LETTERS[script])


# NLLB and M2M-100 codes are checked against the tokenizers' own lists, sacrebleu tokenizers and lingua
# names against those libraries, in tests/unit/test_languages.py.
LANGUAGES: dict[str, Language] = {row.code: row for row in (
    Language("zh", "Chinese", "中文", ("Hans",), spaced=False, nllb="zho_Hans", flores="cmn_Hans",
             m2m100="zh", madlad="zh", bleu_tokenizer="zh", lingua="CHINESE"),
    Language("kk", "Kazakh", "Қазақ тілі", ("Cyrl",), nllb="kaz_Cyrl", m2m100="kk", madlad="kk",
             lingua="KAZAKH", prefix_abbreviations=_words("проф. акад. обл. көш. ғ."),
             final_abbreviations=_words("т.б. т.с.с. т.т. ж. жж. млн. млрд. мың.")),
    Language("vi", "Vietnamese", "Tiếng Việt", ("Latn",), nllb="vie_Latn", m2m100="vi", madlad="vi",
             lingua="VIETNAMESE", prefix_abbreviations=_words("TP. Tp. TS. ThS. PGS. GS. BS. KS. Q. P. TT."),
             final_abbreviations=_words("v.v. vv.")),
    Language("en", "English", "English", ("Latn",), nllb="eng_Latn", m2m100="en", madlad="en",
             lingua="ENGLISH",
             prefix_abbreviations=_words("Mr. Mrs. Ms. Dr. Prof. Sr. Jr. St. Mt. No. Nos. Fig. Gen. Gov. "
                                         "Sen. Rep. Rev. vs. Jan. Feb. Mar. Apr. Aug. Sep. Sept. Oct. Nov. "
                                         "Dec."),
             final_abbreviations=_words("etc. e.g. i.e. Inc. Ltd. Co.")),
    Language("ru", "Russian", "Русский", ("Cyrl",), nllb="rus_Cyrl", m2m100="ru", madlad="ru",
             lingua="RUSSIAN", prefix_abbreviations=_words("г. гг. им. ул. проф. акад. обл. т. см."),
             final_abbreviations=_words("т.д. т.п. др. млн. млрд. тыс. руб.")),
    Language("ja", "Japanese", "日本語", ("Jpan",), spaced=False, nllb="jpn_Jpan", m2m100="ja", madlad="ja",
             bleu_tokenizer="ja-mecab", lingua="JAPANESE"),
    Language("ko", "Korean", "한국어", ("Kore",), nllb="kor_Hang", m2m100="ko", madlad="ko",
             bleu_tokenizer="ko-mecab", lingua="KOREAN"),
    Language("mn", "Mongolian", "Монгол хэл", ("Cyrl",), nllb="khk_Cyrl", m2m100="mn", madlad="mn",
             lingua="MONGOLIAN"),
    Language("ky", "Kyrgyz", "Кыргызча", ("Cyrl",), nllb="kir_Cyrl", madlad="ky"),
    Language("uz", "Uzbek", "Oʻzbekcha", ("Latn",), nllb="uzn_Latn", m2m100="uz", madlad="uz"),
    Language("tg", "Tajik", "Тоҷикӣ", ("Cyrl",), nllb="tgk_Cyrl", madlad="tg"),
    Language("tk", "Turkmen", "Türkmençe", ("Latn",), nllb="tuk_Latn", madlad="tk"),
    Language("ug", "Uyghur", "ئۇيغۇرچە", ("Arab",), nllb="uig_Arab", madlad="ug", sentence_ends="؟"),
    Language("bo", "Tibetan", "བོད་སྐད་", ("Tibt",), nllb="bod_Tibt", madlad="bo"),
    Language("tr", "Turkish", "Türkçe", ("Latn",), nllb="tur_Latn", m2m100="tr", madlad="tr",
             lingua="TURKISH"),
    Language("az", "Azerbaijani", "Azərbaycan dili", ("Latn",), nllb="azj_Latn", m2m100="az", madlad="az",
             lingua="AZERBAIJANI"),
    Language("fa", "Persian", "فارسی", ("Arab",), nllb="pes_Arab", m2m100="fa", madlad="fa",
             lingua="PERSIAN", sentence_ends="؟"),
    Language("ar", "Arabic", "العربية", ("Arab",), nllb="arb_Arab", m2m100="ar", madlad="ar",
             lingua="ARABIC", sentence_ends="؟"),
    Language("hi", "Hindi", "हिन्दी", ("Deva",), nllb="hin_Deva", m2m100="hi", madlad="hi", lingua="HINDI",
             sentence_ends="।"),
    # Thai, Lao, Khmer and Burmese write words without spaces: BLEU on characters (sacrebleu's spBLEU
    # tokenizers download a model; 13a would count whole clauses as words)
    Language("th", "Thai", "ไทย", ("Thai",), nllb="tha_Thai", m2m100="th", madlad="th", bleu_tokenizer="char",
             lingua="THAI"),
    Language("lo", "Lao", "ລາວ", ("Laoo",), nllb="lao_Laoo", m2m100="lo", madlad="lo", bleu_tokenizer="char"),
    Language("km", "Khmer", "ខ្មែរ", ("Khmr",), nllb="khm_Khmr", m2m100="km", madlad="km",
             bleu_tokenizer="char", sentence_ends="។៕"),
    Language("my", "Burmese", "မြန်မာ", ("Mymr",), nllb="mya_Mymr", m2m100="my", madlad="my",
             bleu_tokenizer="char", sentence_ends="။"),
    Language("id", "Indonesian", "Bahasa Indonesia", ("Latn",), nllb="ind_Latn", m2m100="id", madlad="id",
             lingua="INDONESIAN"),
    Language("ms", "Malay", "Bahasa Melayu", ("Latn",), nllb="zsm_Latn", m2m100="ms", madlad="ms",
             lingua="MALAY"),
    Language("uk", "Ukrainian", "Українська", ("Cyrl",), nllb="ukr_Cyrl", m2m100="uk", madlad="uk",
             lingua="UKRAINIAN"),
    Language("de", "German", "Deutsch", ("Latn",), nllb="deu_Latn", m2m100="de", madlad="de",
             lingua="GERMAN"),
    Language("fr", "French", "Français", ("Latn",), nllb="fra_Latn", m2m100="fr", madlad="fr",
             lingua="FRENCH"),
    Language("es", "Spanish", "Español", ("Latn",), nllb="spa_Latn", m2m100="es", madlad="es",
             lingua="SPANISH"),
    Language("pt", "Portuguese", "Português", ("Latn",), nllb="por_Latn", m2m100="pt", madlad="pt",
             lingua="PORTUGUESE"),
    Language("it", "Italian", "Italiano", ("Latn",), nllb="ita_Latn", m2m100="it", madlad="it",
             lingua="ITALIAN"),
)}


def language(code: str, where: str = "language", alternative: str | None = None) -> Language:
    """The row of ``code``; else one line saying to add a row (or ``alternative``), prefixed by ``where``."""
    row = LANGUAGES.get(code)
    if row is None:
        fix = "add a row for it" + (f", or {alternative}" if alternative else "")
        raise BenchError(f"{where}: language {code!r} is not in bench/core/languages.py; {fix} "
                         f"(known: {', '.join(LANGUAGES)})")
    return row


def by_lingua(name: str) -> Language | None:
    """The row whose lingua language is ``name`` (``KAZAKH``), if any."""
    return next((row for row in LANGUAGES.values() if row.lingua == name), None)
