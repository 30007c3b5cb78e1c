"""Tiny translation models of every family the harness loads, trained in seconds on a toy corpus.

Random weights generate empty or degenerate strings, which test nothing. A model of a few hundred
thousand parameters trained for a few hundred full-batch steps on ~30 sentences per language learns to
reproduce them exactly: output is deterministic and scoreable, and -- because every Chinese sentence
is paired with both a Kazakh and a Vietnamese target -- a model can only get it right if the target
language really reaches it (NLLB/M2M forced BOS token, MADLAD ``<2kk>`` tag, the LLM's prompt).

Every model is saved with ``save_pretrained`` and loaded back by the systems through the real
``from_pretrained`` path. Folders are keyed by a hash of everything that shapes them (kind, corpus,
steps, seed, library versions), so a second call returns at once, and are written to a temporary
folder renamed into place, so parallel test sessions never see half a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bench.systems import langcodes
from bench.systems.causal import ChatPrompt
from bench.tiny.spm import train_spm

#: (source, target, target language): the shape of every training corpus here
Corpus = list[tuple[str, str, str]]

SOURCE_LANG = "zh"
BUILDER_VERSION = 2  # bump when a builder changes what it writes
#: versions of single kinds, bumped instead when one builder changes (the others keep their folders)
KIND_VERSIONS = {"marian": 3, "m2m100": 3}

# (Chinese, Kazakh, Vietnamese), written for these tests.
_ROWS = [
    ("今天天气很好。", "Бүгін ауа райы өте жақсы.", "Hôm nay thời tiết rất đẹp."),
    ("我喜欢读书。", "Мен кітап оқығанды ұнатамын.", "Tôi thích đọc sách."),
    ("他是一名医生。", "Ол дәрігер.", "Anh ấy là một bác sĩ."),
    ("我们明天去北京。", "Біз ертең Пекинге барамыз.", "Ngày mai chúng tôi đi Bắc Kinh."),
    ("这本书很有意思。", "Бұл кітап өте қызықты.", "Cuốn sách này rất thú vị."),
    ("请给我一杯水。", "Маған бір стақан су беріңізші.", "Xin cho tôi một cốc nước."),
    ("火车站在哪里？", "Теміржол вокзалы қайда?", "Ga tàu hỏa ở đâu?"),
    ("我的朋友住在上海。", "Менің досым Шанхайда тұрады.", "Bạn tôi sống ở Thượng Hải."),
    ("学生们正在教室里学习。", "Оқушылар сыныпта оқып жатыр.", "Các học sinh đang học trong lớp."),
    ("这个城市有很多公园。", "Бұл қалада көптеген саябақтар бар.", "Thành phố này có nhiều công viên."),
    ("经济增长速度加快了。", "Экономикалық өсу қарқыны жеделдеді.",
     "Tốc độ tăng trưởng kinh tế đã tăng nhanh."),
    ("政府发布了新的政策。", "Үкімет жаңа саясат жариялады.", "Chính phủ đã ban hành chính sách mới."),
    ("两国签署了合作协议。", "Екі ел ынтымақтастық туралы келісімге қол қойды.",
     "Hai nước đã ký thỏa thuận hợp tác."),
    ("会议将于下周举行。", "Жиналыс келесі аптада өтеді.", "Cuộc họp sẽ được tổ chức vào tuần tới."),
    ("农民们正在收割小麦。", "Фермерлер бидай жинап жатыр.", "Nông dân đang thu hoạch lúa mì."),
    ("我每天早上喝茶。", "Мен күнде таңертең шай ішемін.", "Tôi uống trà mỗi buổi sáng."),
    ("孩子们在公园里玩。", "Балалар саябақта ойнап жүр.", "Bọn trẻ đang chơi trong công viên."),
    ("这家医院很大。", "Бұл аурухана өте үлкен.", "Bệnh viện này rất lớn."),
    ("他每天骑自行车上班。", "Ол күнде жұмысқа велосипедпен барады.", "Anh ấy đi xe đạp đi làm mỗi ngày."),
    ("新的学校明年开学。", "Жаңа мектеп келесі жылы ашылады.", "Trường học mới sẽ khai giảng vào năm sau."),
    ("我不会说哈萨克语。", "Мен қазақша сөйлей алмаймын.", "Tôi không biết nói tiếng Kazakh."),
    ("越南的咖啡很有名。", "Вьетнамның кофесі өте танымал.", "Cà phê Việt Nam rất nổi tiếng."),
    ("山上有很多雪。", "Тауда қар көп.", "Trên núi có nhiều tuyết."),
    ("她在银行工作。", "Ол банкте жұмыс істейді.", "Cô ấy làm việc ở ngân hàng."),
    ("这条河很长。", "Бұл өзен өте ұзын.", "Con sông này rất dài."),
    ("游客们参观了博物馆。", "Туристер мұражайға барды.", "Du khách đã tham quan bảo tàng."),
    ("商店九点开门。", "Дүкен сағат тоғызда ашылады.", "Cửa hàng mở cửa lúc chín giờ."),
    ("我们一起吃晚饭吧。", "Кешкі асты бірге ішейік.", "Chúng ta cùng ăn tối nhé."),
    ("科学家发现了一种新药。", "Ғалымдар жаңа дәрі тапты.",
     "Các nhà khoa học đã phát hiện ra một loại thuốc mới."),
    ("明天会下雨吗？", "Ертең жаңбыр жауа ма?", "Ngày mai trời có mưa không?"),
    ("阿拉木图是一座美丽的城市。", "Алматы – әдемі қала.", "Almaty là một thành phố xinh đẹp."),
    ("河内是越南的首都。", "Ханой – Вьетнамның астанасы.", "Hà Nội là thủ đô của Việt Nam."),
]


def default_corpus() -> Corpus:
    """The built-in toy corpus: every Chinese sentence paired with its Kazakh and Vietnamese target."""
    return [(zh, kk, "kk") for zh, kk, _ in _ROWS] + [(zh, vi, "vi") for zh, _, vi in _ROWS]


def chatty_answer(index: int, target: str, tgt_lang: str) -> str:
    """Every fourth LLM training answer wears the chatter real LLMs add, so cleanup is tested end to end."""
    if index % 4 != 3:
        return target
    return f'Here is the {langcodes.lookup("name", tgt_lang)} translation:\n"{target}"'


# -- tokenizers and models, per kind ----------------------------------------------------------------


def _seq2seq_config(cls: Any, tokenizer: Any, **extra: Any) -> Any:
    """A d_model=64, 2+2-layer encoder-decoder; dropout off so a few hundred steps memorise the corpus."""
    extra.setdefault("vocab_size", len(tokenizer))
    return cls(
        d_model=64, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128,
        max_position_embeddings=256, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **extra,
    )


def _reload_fast(slow: Any, folder: Path) -> Any:
    """Save a slow tokenizer and load it back as the systems will (AutoTokenizer, fast when possible),
    so the model is trained on exactly the token ids it will see at translation time."""
    from transformers import AutoTokenizer

    slow.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def _coded_encoder(tokenizer: Any, family: str) -> Callable:
    """Training-pair encoder for families whose tokenizer takes language codes (NLLB, M2M100)."""

    def encode(sources: list[str], targets: list[str], tgt_lang: str) -> dict:
        tokenizer.src_lang = langcodes.lookup(family, SOURCE_LANG)
        tokenizer.tgt_lang = langcodes.lookup(family, tgt_lang)
        return tokenizer(sources, text_target=targets)

    return encode


def _nllb(corpus: Corpus, spm: Path, folder: Path) -> tuple[Any, Any, Callable]:
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    tokenizer = _reload_fast(NllbTokenizer(vocab_file=str(spm)), folder)
    config = _seq2seq_config(M2M100Config, tokenizer, bos_token_id=tokenizer.bos_token_id,
                             decoder_start_token_id=tokenizer.eos_token_id, scale_embedding=True)

    return tokenizer, M2M100ForConditionalGeneration(config), _coded_encoder(tokenizer, "nllb")


def _m2m100(corpus: Corpus, spm: Path, folder: Path) -> tuple[Any, Any, Callable]:
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    # fairseq's id layout, as in the published checkpoints: its positions start after <pad>'s id (1).
    pieces = [p for p in _spm_pieces(spm) if p not in FAIRSEQ_SPECIALS]
    vocab = _write_vocab(folder, FAIRSEQ_SPECIALS + pieces)
    # The real checkpoints list the language tokens as special (so decoding drops them); the
    # constructor alone does not.
    codes = FAIRSEQ_LANGUAGE_CODES["m2m100"]
    tokenizer = M2M100Tokenizer(vocab_file=str(vocab), spm_file=str(spm),
                                additional_special_tokens=[f"__{code}__" for code in codes])
    # Language tokens (and the "madeup words" after them) have ids past len(tokenizer).
    size = len(tokenizer.encoder) + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    config = _seq2seq_config(M2M100Config, tokenizer, vocab_size=size, bos_token_id=tokenizer.bos_token_id,
                             decoder_start_token_id=tokenizer.eos_token_id, scale_embedding=True)

    return tokenizer, M2M100ForConditionalGeneration(config), _coded_encoder(tokenizer, "m2m100")


def _marian(corpus: Corpus, spm: Path, folder: Path) -> tuple[Any, Any, Callable]:
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    # As in OPUS-MT checkpoints (converted from Marian, which has no <pad>): <pad> is the last id, its
    # embedding row is zeros and never trained (decoding starts from it), and it is never generated.
    vocab = _write_vocab(folder, [p for p in _spm_pieces(spm) if p != "<pad>"] + ["<pad>"])
    tokenizer = MarianTokenizer(source_spm=str(spm), target_spm=str(spm), vocab=str(vocab))
    config = _seq2seq_config(MarianConfig, tokenizer, decoder_start_token_id=tokenizer.pad_token_id,
                             forced_eos_token_id=tokenizer.eos_token_id,
                             share_encoder_decoder_embeddings=True)
    model = MarianMTModel(config)
    _zero_row(model.get_input_embeddings().weight, tokenizer.pad_token_id)
    model.generation_config.bad_words_ids = [[tokenizer.pad_token_id]]

    def encode(sources: list[str], targets: list[str], tgt_lang: str) -> dict:
        return tokenizer(sources, text_target=targets)

    return tokenizer, model, encode


def _madlad(corpus: Corpus, spm: Path, folder: Path) -> tuple[Any, Any, Callable]:
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    tags = [f"<2{langcodes.lookup('madlad', lang)}>" for lang in sorted({t for _, _, t in corpus})]
    slow = T5Tokenizer(vocab_file=str(spm), extra_ids=0, additional_special_tokens=tags, legacy=False)
    tokenizer = _reload_fast(slow, folder)
    config = T5Config(
        vocab_size=len(tokenizer), d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2,
        num_heads=4, dropout_rate=0.0, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id,
    )

    def encode(sources: list[str], targets: list[str], tgt_lang: str) -> dict:
        tag = f"<2{langcodes.lookup('madlad', tgt_lang)}>"
        return tokenizer([f"{tag} {s}" for s in sources], text_target=targets)

    return tokenizer, T5ForConditionalGeneration(config), encode


CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _causal(corpus: Corpus, spm: Path, folder: Path) -> tuple[Any, Any, Callable]:
    """A Qwen-style chat model: ChatML template, ``<|im_end|>`` ends a turn, fast tokenizer."""
    import sentencepiece
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm))
    pieces = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]
    backend = Tokenizer(models.Unigram(pieces, unk_id=processor.unk_id()))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
        eos_token="<|im_end|>", additional_special_tokens=["<|im_start|>"],
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.add_tokens(["\n"])  # the Unigram pieces lack it; chat templates and chatter need it
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
    )
    prompt = ChatPrompt()
    end = tokenizer.eos_token_id

    def encode(sources: list[str], targets: list[str], tgt_lang: str) -> dict:
        rows: dict[str, list] = {"input_ids": [], "labels": []}
        for source, target in zip(sources, targets):
            ask = tokenizer.apply_chat_template(prompt.messages(source, SOURCE_LANG, tgt_lang),
                                                add_generation_prompt=True, tokenize=True)
            answer = tokenizer(target, add_special_tokens=False)["input_ids"] + [end]
            rows["input_ids"].append(ask + answer)
            rows["labels"].append([-100] * len(ask) + answer)
        return rows

    return tokenizer, LlamaForCausalLM(config), encode


BUILDERS: dict[str, Callable[[Corpus, Path, Path], tuple[Any, Any, Callable]]] = {
    "nllb": _nllb, "m2m100": _m2m100, "marian": _marian, "madlad": _madlad, "causal": _causal,
}
#: which target languages each kind learns; Marian checkpoints translate one fixed pair
TARGETS = {"marian": {"vi"}}
DEFAULT_STEPS = {"causal": 200}


FAIRSEQ_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def _spm_pieces(spm: Path) -> list[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _write_vocab(folder: Path, pieces: list[str]) -> Path:
    """``vocab.json`` giving each piece its position in ``pieces`` as its id."""
    vocab = folder / "vocab.json"
    vocab.write_text(json.dumps({piece: i for i, piece in enumerate(pieces)}, ensure_ascii=False),
                     encoding="utf-8")
    return vocab


def _zero_row(weight: Any, row: int) -> None:
    """Zero one embedding row and keep it zero through training (its gradient is dropped)."""
    import torch

    with torch.no_grad():
        weight[row] = 0
    weight.register_hook(lambda grad: grad.index_fill(0, torch.tensor([row]), 0.0))


def _examples(kind: str, corpus: Corpus) -> list[tuple[str, str, str]]:
    wanted = TARGETS.get(kind)
    rows = [row for row in corpus if wanted is None or row[2] in wanted]
    if kind == "causal":
        rows = [(src, chatty_answer(i, tgt, lang), lang) for i, (src, tgt, lang) in enumerate(rows)]
    return rows


def _batch(encoded: list[dict], pad_id: int) -> dict:
    """Right-pad encoded rows into tensors; padded label positions are ignored by the loss (-100)."""
    import torch

    width = max(len(row["input_ids"]) for row in encoded)
    label_width = max(len(row["labels"]) for row in encoded)

    def padded(values: list[int], size: int, fill: int) -> list[int]:
        return values + [fill] * (size - len(values))

    return {
        "input_ids": torch.tensor([padded(r["input_ids"], width, pad_id) for r in encoded]),
        "attention_mask": torch.tensor([padded([1] * len(r["input_ids"]), width, 0) for r in encoded]),
        "labels": torch.tensor([padded(r["labels"], label_width, -100) for r in encoded]),
    }


def _train(kind: str, corpus: Corpus, folder: Path, steps: int, seed: int) -> None:
    import torch

    threads = torch.get_num_threads()
    # One thread: these matrices are too small to share, and on a busy machine OpenMP threads waiting
    # for each other made training ten times slower. It also keeps the arithmetic order fixed.
    torch.set_num_threads(1)
    try:
        _fit(kind, corpus, folder, steps, seed)
    finally:
        torch.set_num_threads(threads)


def _fit(kind: str, corpus: Corpus, folder: Path, steps: int, seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    examples = _examples(kind, corpus)
    texts = [src for src, _, _ in corpus] + [tgt for _, tgt, _ in examples]
    if kind == "causal":  # the prompt is text the model reads, so its words get pieces of their own
        texts += [ChatPrompt().messages("", SOURCE_LANG, lang)[0]["content"] for lang in ("kk", "vi")]
    spm = train_spm(texts, folder / "spm.model", vocab_size=600)
    tokenizer, model, encode = BUILDERS[kind](corpus, spm, folder)
    encoded: list[dict] = []
    for lang in sorted({lang for _, _, lang in examples}):
        group = [(src, tgt) for src, tgt, tgt_lang in examples if tgt_lang == lang]
        rows = encode([s for s, _ in group], [t for _, t in group], lang)
        encoded += [{k: rows[k][i] for k in ("input_ids", "labels")} for i in range(len(group))]
    batch = _batch(encoded, tokenizer.pad_token_id)
    # A constant 5e-3 left the loss spiking up to the last steps, so whether one sentence came out
    # exactly depended on the CPU's arithmetic (it failed on another EPYC); clipping and a linear decay
    # to zero end every build in the same settled minimum.
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
    model.eval()
    model.generation_config.max_length = None
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    spm.unlink()


def build(kind: str, root: str | os.PathLike, corpus: Corpus | None = None, steps: int | None = None,
          seed: int = 0) -> Path:
    """Train (or reuse) the tiny ``kind`` model under ``root`` and return its folder."""
    import torch
    import transformers

    if kind not in BUILDERS:
        raise ValueError(f"unknown tiny model kind {kind!r}; choose from {', '.join(BUILDERS)}")
    corpus = [tuple(row) for row in (corpus or default_corpus())]  # type: ignore[misc]
    steps = steps or DEFAULT_STEPS.get(kind, 150)
    version = KIND_VERSIONS.get(kind, BUILDER_VERSION)
    key = json.dumps([version, kind, corpus, steps, seed, transformers.__version__, torch.__version__],
                     ensure_ascii=False)
    root = Path(root)
    folder = root / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    if (folder / "config.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=root))
    try:
        _train(kind, corpus, work, steps, seed)
        os.replace(work, folder)
    except OSError:  # another process finished the same model first: keep theirs
        if not (folder / "config.json").is_file():
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


class TinyModels(Mapping[str, Path]):
    """``{kind: folder}`` for every kind, each trained on first access (tests that use one kind do not
    pay for the others) and reused from disk afterwards."""

    def __init__(self, root: str | os.PathLike, corpus: Corpus | None = None) -> None:
        self.root, self.corpus = Path(root), corpus
        self._built: dict[str, Path] = {}

    def __getitem__(self, kind: str) -> Path:
        if kind not in BUILDERS:
            raise KeyError(kind)
        if kind not in self._built:
            self._built[kind] = build(kind, self.root, self.corpus)
        return self._built[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(BUILDERS)

    def __len__(self) -> int:
        return len(BUILDERS)


def build_tiny_models(root: str | os.PathLike, corpus: Corpus | None = None) -> TinyModels:
    """The tiny models (``nllb``, ``m2m100``, ``marian``, ``madlad``, ``causal``) under ``root``."""
    return TinyModels(root, corpus)
