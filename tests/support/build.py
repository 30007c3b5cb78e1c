"""Raw documents the build tests and the CLI tests feed to ``bench build``."""

from __future__ import annotations

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

