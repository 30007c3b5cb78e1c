"""Raw documents the build tests and the CLI tests feed to ``bench build``."""

from __future__ import annotations

from bench.refset.builder import (
    Settings,
)
from tests.support.cli import ROOT

ENGLISH = """Home > Poverty alleviation

The last mile

12-03-2021 | english.example.org

"The last mile" originally meant the final stretch of a long journey. For a long time, poverty \
alleviation work was troubled by the "last mile" problem.
By April 2019, more than 3 million cadres had been sent to live in villages, among them 206,000 \
first secretaries.

“最后一公里”

“最后一公里”原指完成长途跋涉的最后一段里程。长期以来,扶贫开发工作就受困于“最后一公里”的问题。\
截至2019年4月,全国累计选派300多万干部驻村帮扶,其中第一书记20.6万人。
"""


REFS = ROOT / "references"


RAW = REFS / "raw"


SETTINGS = Settings(("kk", "vi", "en", "ru", "mn", "ja"), 0.5, None)


BAD = {
    "english_only.txt": (b"Poverty alleviation is a long task.\n\nIt continues this year.\n",
                         "no Chinese side"),
    "empty.txt": (b"\n  \n", "empty file"),
    "gbk.txt": ("扶贫工作。\n\nPoverty work.\n".encode("gbk"), "not valid UTF-8"),
    "furniture.txt": ("Бас бет> КЕДЕЙЛІКТЕН ДӘЛМЕ-ДӘЛ АРЫЛТУ\n\n(КЕДЕЙЛІКТЕН ДӘЛМЕ-ДӘЛ АРЫЛТУ)\n\n"
                      "08-01-2021 | russian.china.org.cn\n".encode(), "only page furniture"),
    "chinese_only.txt": ("政治优势\n\n坚持党的领导,这是中国的最大政治优势。\n".encode(), "no translation"),
    "german.txt": ("坚持党的领导,这是中国的最大政治优势。\n\nDie Führung der Partei ist der größte "
                   "politische Vorteil Chinas, und daran wird festgehalten.\n".encode(),
                   "translation is in de"),
}

