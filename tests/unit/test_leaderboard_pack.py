"""The page's segment data: every output comes back exactly from its edit steps, the 7-bit text keeps
every byte, and outputs that differ as real systems' do take far fewer bytes than gzip over the text.
(The page's own reader, ``assets/board.js``, is checked against the stored files in Chromium:
tests/test_leaderboard_browser.py.)"""

from __future__ import annotations

import gzip
import json
import random

from bench.board import pack
from bench.board.drilldown import LAST, PAIRED, UNSAFE, as_text, from_text

LETTERS = "абвгдежзийклмнопрстуфхцчшыіэюяәғқңөұүһ"


def vocabulary(rng: random.Random, size: int) -> list[str]:
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 9))) for _ in range(size)]


def noisy(rng: random.Random, ref: str, swap: float, words: list[str]) -> str:
    """``ref`` with a share ``swap`` of its words replaced or dropped, and now and then a word added."""
    out = []
    for word in ref.split(" "):
        roll = rng.random()
        if roll < swap / 3:
            continue
        out.append(rng.choice(words) if roll < swap else word)
        if rng.random() < swap / 10:
            out.append(rng.choice(words))
    return " ".join(out)


def corpus(rng: random.Random, systems: int, rows: int) -> tuple[list[str], list[str], list[list[str]]]:
    words = vocabulary(rng, 3000)
    sources = [f"源{i}。" for i in range(rows)]
    refs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(rows)]
    outputs = [[noisy(rng, r, 0.05 + 0.5 * k / systems, words) for r in refs] for k in range(systems)]
    return sources, refs, outputs


def round_trip(sources: list[str], refs: list[str], outputs: list[list[str]], spaced: bool) -> None:
    words, ops, bits = pack.encode(sources, refs, outputs, spaced)
    assert pack.decode(sources, words, ops, bits, len(outputs), spaced) == (refs, outputs)


def test_every_output_comes_back_from_its_steps():
    rng = random.Random(7)
    sources, refs, outputs = corpus(rng, 6, 80)
    long_ref = " ".join(f"t{i}" for i in range(150))  # copies longer than one step, drops near the end
    refs.append(long_ref)
    sources.append("长。")
    odd = [long_ref, long_ref.replace("t70 ", ""), "", "  two  spaces ", "源79。", "t149 " + long_ref]
    for column, text in zip(outputs, odd):
        column.append(text)
    outputs.append(list(outputs[2]))  # the same outputs as an earlier system: SAME
    outputs.append(list(sources))  # the copy baseline: SOURCE
    round_trip(sources, refs, outputs, spaced=True)


def test_a_target_written_without_spaces_is_edited_by_characters():
    refs = ["今天天气很好。", "我们明天去北京。", ""]
    outputs = [["今天天气好。", "我们明天去上海。", "空"], ["今天天气很好。", "", ""]]
    round_trip(["a", "b", "c"], refs, outputs, spaced=False)


def test_the_seven_bit_text_keeps_every_byte_and_holds_no_unsafe_character():
    rng = random.Random(3)
    samples = [bytes(range(256)) * 3, b"\x00" * 9, b"<\r\x00", bytes(rng.randrange(256) for _ in range(5001))]
    for data in samples:
        for cut in range(max(len(data) - 8, 0), len(data) + 1):  # every length modulo 7, unsafe ends
            text = as_text(data[:cut])
            assert from_text(text, cut) == data[:cut]
            assert not {"\x00", "\r", "<"} & set(text)
            assert all(ord(c) < 0x80 or PAIRED <= ord(c) < LAST + len(UNSAFE) for c in text)


def test_outputs_that_differ_as_real_systems_do_take_far_less_than_gzip_over_their_text():
    rng = random.Random(11)
    sources, refs, outputs = corpus(rng, 12, 300)
    words, ops, bits = pack.encode(sources, refs, outputs, True)
    packed = len(gzip.compress(json.dumps(words, ensure_ascii=False).encode() + ops, 6)) + len(bits)
    rows = [[r, *(column[i] for column in outputs)] for i, r in enumerate(refs)]
    text = len(gzip.compress(json.dumps(rows, ensure_ascii=False).encode(), 9))
    assert packed < 0.7 * text, (packed, text)  # 0.52 here, 0.34 at 50 systems x 2,000 segments


def test_json_blocks_hold_no_control_characters_and_read_back_the_same():
    """A run id from a shared folder with a bidi override or a C1 control: escaped in the file, the
    same string after JSON.parse (here json.loads)."""
    import json

    from bench.board.markup import script_json

    data = {"run_id": "run\u202eevil\x9b[2J</script>&"}
    text = str(script_json(data))
    assert not any(ch in text for ch in "\u202e\x9b<>&")
    assert json.loads(text) == data
