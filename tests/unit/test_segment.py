"""Sentence splitting: the cases the seed documents and their languages actually contain."""

from __future__ import annotations

import pytest

from bench.refset.segment import join_sentences, split_sentences


@pytest.mark.parametrize(("text", "expected"), [
    # closing quotes stay with their sentence, before or after the full stop
    ("“人心齐,泰山移”。脱贫致富不仅仅是贫困地区的事。",
     ["“人心齐,泰山移”。", "脱贫致富不仅仅是贫困地区的事。"]),
    ("他说:“要多做实事。”今后继续努力！真的吗？是的",
     ["他说:“要多做实事。”", "今后继续努力！", "真的吗？", "是的"]),
    # a semicolon joins clauses of one sentence (001 has "实现双方共赢;不仅要...")
    ("实现双方共赢;不仅要推动省级层面协作,而且要推动市县层面协作。",
     ["实现双方共赢;不仅要推动省级层面协作,而且要推动市县层面协作。"]),
    # numbers with a decimal point are not sentence ends
    ("在岗的第一书记20.6万人、驻村干部70万人。他们积极帮助群众。",
     ["在岗的第一书记20.6万人、驻村干部70万人。", "他们积极帮助群众。"]),
])
def test_chinese(text: str, expected: list[str]):
    assert split_sentences(text, "zh") == expected


def test_kazakh_sentence_may_start_in_lower_case():
    text = "Чжунхуа ұлтының дәстүрлі тамаша мөрәлі. бұдан былай, Қытай зерттеулер жүргізеді."
    assert split_sentences(text, "kk") == [
        "Чжунхуа ұлтының дәстүрлі тамаша мөрәлі.", "бұдан былай, Қытай зерттеулер жүргізеді."
    ]


def test_kazakh_quotes_and_abbreviations():
    assert split_sentences("Ол: «Біз жеңеміз!» деді. Кейін кетті.", "kk") == [
        "Ол: «Біз жеңеміз!» деді.", "Кейін кетті."
    ]
    assert split_sentences("Кітаптар, дәптерлер т.б. заттар алынды. Сосын 3 млн. адам келді.", "kk") == [
        "Кітаптар, дәптерлер т.б. заттар алынды.", "Сосын 3 млн. адам келді."
    ]
    # the kk side of 003: a number opens the sentence, "206 мың" and "700 мың" stay inside it
    text = "Талап етті. 2019 жылы сәуірге дейін 206 мың адам, 700 мың адам болды. Олар көмектесті."
    assert len(split_sentences(text, "kk")) == 3


def test_vietnamese_abbreviations_and_numbers():
    text = ("Các địa phương ký “giấy cam kết”, v.v., không ngừng tăng cường. Dân số TP. Hồ Chí Minh "
            "tăng 1.790 người, tức 20.6 phần trăm, v.v. Tiếp theo là Hà Nội.")
    assert split_sentences(text, "vi") == [
        "Các địa phương ký “giấy cam kết”, v.v., không ngừng tăng cường.",
        "Dân số TP. Hồ Chí Minh tăng 1.790 người, tức 20.6 phần trăm, v.v.",
        "Tiếp theo là Hà Nội.",
    ]


def test_vietnamese_final_abbreviation_before_lower_case_continues():
    assert split_sentences("Gạo, ngô v.v. được bán hết.", "vi") == ["Gạo, ngô v.v. được bán hết."]


@pytest.mark.parametrize(("text", "expected"), [
    ("Dr. Smith met Mr. Li in St. Louis. They talked.",
     ["Dr. Smith met Mr. Li in St. Louis.", "They talked."]),
    ("Growth was 3.5 percent, i.e. 1,200 jobs. It was J. Smith's plan.",
     ["Growth was 3.5 percent, i.e. 1,200 jobs.", "It was J. Smith's plan."]),
    ("Dynamic monitoring, scientific evaluation... In the face of tests, wait... and see.",
     ["Dynamic monitoring, scientific evaluation...", "In the face of tests, wait... and see."]),
    ("1. Build the road. 2. Open the school!", ["1. Build the road.", "2. Open the school!"]),
    ("He asked: \"Why?\" Nobody knew. Really?!", ["He asked: \"Why?\"", "Nobody knew.", "Really?!"]),
])
def test_english(text: str, expected: list[str]):
    assert split_sentences(text, "en") == expected


def test_empty_and_unterminated():
    assert split_sentences("", "kk") == []
    assert split_sentences("   ", "zh") == []
    assert split_sentences("Тақырып без точки", "kk") == ["Тақырып без точки"]
    assert split_sentences("标题", "zh") == ["标题"]


def test_join_sentences():
    assert join_sentences(["今后继续。", "同时推进。"], "zh") == "今后继续。同时推进。"
    assert join_sentences(["Бірінші.", "Екінші."], "kk") == "Бірінші. Екінші."
