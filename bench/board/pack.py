"""A pair's references and every system's outputs as edits: what keeps the page small.

gzip over the outputs as text finds what systems share with the reference only where a copy runs
three bytes or more, and pays a length and a distance for each: at 50 systems x 2 pairs x 2,000
segments whose outputs differ as real systems' do, the page held 16 MB. Here each output is a short
program that rebuilds it from its reference, one byte per step:

* ``COPY n`` takes the next ``n`` reference tokens, ``SKIP n`` passes over ``n``, ``REST`` takes all
  that are left and ends the output, ``END`` ends it (what is left of the reference is dropped);
* ``REPLACE b`` and ``INSERT b`` write a word of the pair's word table (``REPLACE`` also passes over
  one reference token). Words are numbered from 1, most frequent first. A number of ``k + 1`` bits
  has its leading 1 and the bit after it said by ``b`` (half an octave: ``b`` is 0 for 1, else
  ``2k - 1`` plus that bit) and its ``k - 1`` low bits in a separate bit stream, so common words
  cost few bits, a step stays one byte, and a table whose size is not a power of two wastes no bit;
* ``SOURCE`` (the output is its source: the copy baseline) and ``SAME`` (the output of an earlier
  system on the segment, whose index follows as a varint).

The references come first, each written as edits of nothing, so their words share the table. Tokens
are the text split at single spaces (any string splits and joins back the same), or its characters
for a target written without spaces. Steps are laid out system by system, so each deflate block sees
one system's habits. On ``scripts/benchmark_board.py --outputs less-alike`` this is within about 10%
of the information the outputs carry.

:func:`encode` writes the steps; :func:`decode` reads them back the way ``assets/board.js`` does.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

#: how far past a reference token the output's word is looked for, to read the tokens between as
#: dropped (unrolled in :meth:`Steps.edits`)
LOOKAHEAD = 3
END, REST, SOURCE, SAME = 0, 1, 2, 3
#: first byte of each counted step: COPY 1..64, SKIP 1..LOOKAHEAD, REPLACE and INSERT of 63 half octaves
COPY, SKIP = 4, 68
REPLACE = SKIP + LOOKAHEAD
INSERT = REPLACE + 63
MAX_COPY = SKIP - COPY


def tokens(text: str, spaced: bool) -> list[str]:
    return text.split(" ") if spaced else list(text)


class Steps:
    """The steps as they are written; words are numbered once all of them are known."""

    def __init__(self) -> None:
        self.ops: list[int] = []
        self.literal_at: list[int] = []
        self.literals: list[str] = []

    def varint(self, value: int) -> None:
        while value >= 0x80:
            self.ops.append(0x80 | (value & 0x7F))
            value >>= 7
        self.ops.append(value)

    def copies(self, count: int) -> None:
        while count > MAX_COPY:
            self.ops.append(COPY + MAX_COPY - 1)
            count -= MAX_COPY
        if count:
            self.ops.append(COPY + count - 1)

    def edits(self, out: list[str], ref: list[str]) -> None:
        """Append the steps that turn ``ref`` into ``out``: greedy, looking a little past a mismatch.

        Any steps that rebuild ``out`` are correct; these are cheap for the usual case, an output that
        follows its reference with words dropped or replaced here and there. (Written for speed: this
        loop sees every token of every output.)
        """
        ops, put = self.ops, self.ops.append
        j, end, run = 0, len(ref), 0
        for word in out:
            if j < end and word == ref[j]:
                run += 1
                j += 1
                continue
            self.copies(run)
            if j + 1 < end and ref[j + 1] == word:
                ahead = 1
            elif j + 2 < end and ref[j + 2] == word:
                ahead = 2
            elif j + 3 < end and ref[j + 3] == word:
                ahead = 3
            else:
                ahead = 0
            if ahead:
                put(SKIP + ahead - 1)
                run, j = 1, j + ahead + 1
                continue
            run = 0
            self.literal_at.append(len(ops))
            self.literals.append(word)
            if j < end:
                put(REPLACE)
                j += 1
            else:
                put(INSERT)
        if j == end and run:
            put(REST)  # copies the last run to the end of the reference, and ends
            return
        self.copies(run)
        put(END)

    def numbered(self) -> tuple[list[str], bytes, bytes]:
        """The word table (most frequent first), the steps, and the packed low bits of the words' numbers."""
        words = [w for w, _ in Counter(self.literals).most_common()]  # ties in order of first use
        number = {w: k + 1 for k, w in enumerate(words)}
        values = np.array([number[w] for w in self.literals], dtype=np.int64)
        octave = np.frexp(values.astype(np.float64))[1].astype(np.int64) - 1  # exact below 2**53
        half = np.where(octave > 0, (values >> np.maximum(octave - 1, 0)) & 1, 0)
        ops = np.array(self.ops, dtype=np.uint8)
        steps = np.maximum(2 * octave - 1 + half, 0)
        ops[np.array(self.literal_at, dtype=np.int64)] += steps.astype(np.uint8)
        return words, ops.tobytes(), low_bits(values, np.maximum(octave - 1, 0))


def low_bits(values: np.ndarray, widths: np.ndarray) -> bytes:
    """The ``widths`` low bits of each value, most significant first, one after the other."""
    starts = np.cumsum(widths) - widths
    bits = np.zeros(int(widths.sum()), dtype=np.uint8)
    for k in range(int(widths.max(initial=0))):
        has = widths > k
        bits[starts[has] + k] = (values[has] >> (widths[has] - 1 - k)) & 1
    return np.packbits(bits).tobytes()


def encode(sources: list[str], references: list[str], outputs: list[list[str]],
           spaced: bool) -> tuple[list[str], bytes, bytes]:
    """The references, then ``outputs[k][i]`` (system ``k``, segment ``i``): word table, steps, bits."""
    steps = Steps()
    refs = [tokens(r, spaced) for r in references]
    for ref in refs:
        steps.edits(ref, [])
    seen: list[dict[str, int]] = [{} for _ in references]  # per segment: the first system of each output
    for k, column in enumerate(outputs):
        for i, text in enumerate(column):
            earlier = seen[i].setdefault(text, k)
            if text == sources[i] and text != references[i]:
                steps.ops.append(SOURCE)
            elif earlier != k:
                steps.ops.append(SAME)
                steps.varint(earlier)
            else:
                steps.edits(tokens(text, spaced), refs[i])
    return steps.numbered()


class Reader:
    def __init__(self, words: list[str], ops: bytes, bits: bytes) -> None:
        self.words, self.ops, self.at = words, ops, 0
        self.bits, self.bit = np.unpackbits(np.frombuffer(bits, dtype=np.uint8)).tolist(), 0

    def byte(self) -> int:
        self.at += 1
        return self.ops[self.at - 1]

    def varint(self) -> int:
        value, shift = 0, 0
        while (b := self.byte()) & 0x80:
            value |= (b & 0x7F) << shift
            shift += 7
        return value | (b << shift)

    def word(self, step: int) -> str:
        """The word of a REPLACE or INSERT step whose half octave is ``step``."""
        if step == 0:
            return self.words[0]
        number, width = 2 | ((step + 1) & 1), ((step + 1) >> 1) - 1
        for bit in self.bits[self.bit:self.bit + width]:
            number = (number << 1) | bit
        self.bit += width
        return self.words[number - 1]

    def edits(self, ref: list[str]) -> list[str]:
        out: list[str] = []
        j = 0
        while (op := self.byte()) > REST:
            if op < SKIP:
                out += ref[j:j + op - COPY + 1]
                j += op - COPY + 1
            elif op < REPLACE:
                j += op - SKIP + 1
            elif op < INSERT:
                out.append(self.word(op - REPLACE))
                j += 1
            else:
                out.append(self.word(op - INSERT))
        return out + ref[j:] if op == REST else out


def decode(sources: list[str], words: list[str], ops: bytes, bits: bytes, systems: int,
           spaced: bool) -> tuple[list[str], list[list[str]]]:
    """The references and each system's outputs, from what :func:`encode` wrote."""
    reader = Reader(words, ops, bits)
    join = " ".join if spaced else "".join
    refs = [reader.edits([]) for _ in sources]
    outputs: list[list[str]] = []
    for _ in range(systems):
        column = []
        for i, ref in enumerate(refs):
            op = reader.ops[reader.at]
            if op in (SOURCE, SAME):
                reader.at += 1
                column.append(sources[i] if op == SOURCE else outputs[reader.varint()][i])
            else:
                column.append(join(reader.edits(ref)))
        outputs.append(column)
    return [join(r) for r in refs], outputs
