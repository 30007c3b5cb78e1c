"""Hostile HTTP answers in process: origins, what parse_json refuses and reads, and key redaction."""

from __future__ import annotations

import pytest

from bench.llm.client import excerpt, holds_secret, redact
from bench.llm.transport import UnreadableJSON, origin, parse_json
from tests.support.llm import DEEP, KEY, PIECES


def test_a_port_or_scheme_change_is_another_origin():
    assert origin("http://Example.org/v1") == origin("http://example.org:80/v1/models")
    assert origin("https://example.org/v1") == origin("https://example.org:443/x")
    assert origin("https://example.org/v1") != origin("http://example.org/v1")  # a downgrade
    assert origin("http://example.org:8000/v1") != origin("http://example.org:8001/v1")
    assert origin("http://example.org/v1") != origin("http://example.org.evil.net/v1")
    assert origin("http://example.org/v1") != origin("http://example.org:bad/v1")


@pytest.mark.parametrize(("data", "says"), [
    (DEEP, "nested more than 64 levels deep"),
    (b"[" * 65 + b"]" * 65, "nested more than 64 levels deep"),  # parses, but deeper than an answer
    (b'{"a": ' * 65 + b"1" + b"}" * 65, "nested more than 64 levels deep"),
    (b"-" + b"9" * 65, "an integer of more than 64 digits"),
    (b'"\\udfff"', "half a surrogate pair"),
    (b'{"\\ud800": 1}', "half a surrogate pair"),  # in a key too
    (b"\xff\xfe", "not UTF-8"),
    (b"{x", "invalid JSON"),
])
def test_parse_json_refuses_what_would_fail_later_with_a_reason(data, says):
    with pytest.raises(UnreadableJSON, match=says):
        parse_json(data)


def test_parse_json_reads_what_an_answer_holds():
    deepest: list = []
    for _ in range(63):
        deepest = [deepest]
    assert parse_json(b"[" * 64 + b"]" * 64) == deepest
    assert parse_json('{"n": -' + "9" * 64 + ', "t": "\\ud83d\\ude00"}') == {"n": -int("9" * 64), "t": "😀"}


def test_redact_removes_the_key_and_every_piece_of_it():
    assert redact(f"a {KEY} b", KEY) == "a *** b"
    assert redact(f"cut {KEY[:15]}", KEY) == "cut ***"
    assert redact(f"{KEY[-6:]} tail", KEY) == "*** tail"
    assert redact(f"mid {KEY[5:9]} and {KEY[5:8]}", KEY) == f"mid *** and {KEY[5:8]}"  # 3 are not a piece
    assert redact("nothing here", KEY) == "nothing here" and redact(KEY, None) == KEY
    assert redact("abc abd", "abc") == "*** abd"  # a key shorter than a piece is removed whole


def test_excerpt_scrubs_before_it_cuts():
    shown = excerpt("p" * 190 + KEY, KEY)
    assert shown.endswith("***'") and not [piece for piece in PIECES if piece in shown]
    assert len(excerpt("z" * 1000)) == 2 + 200 + 3


def test_an_answer_holds_the_key_from_eight_characters_in_a_row():
    assert holds_secret(f"x {KEY[3:11]} y", KEY) and not holds_secret(f"x {KEY[3:10]} y", KEY)
    assert not holds_secret("Сәлем.", KEY) and not holds_secret("anything", None)

