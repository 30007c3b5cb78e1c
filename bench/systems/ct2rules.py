"""What a model's generation config asks of decoding, as CTranslate2 takes it.

transformers applies the decoding rules a model's ``generation_config.json`` sets; CTranslate2 applies
only what it is given. So bench passes on what CTranslate2 applies as transformers does, emulates a
forced end token, and names what it cannot (a warning when the model loads, and ``not_applied`` in
run.json's ``system_info``), measured on 63 inputs of the tiny NLLB and MADLAD, greedy and with 4 beams:

- ``length_penalty`` (0.6, 2.0) and ``no_repeat_ngram_size`` (2, 3) passed on: the same outputs as
  transformers (without them, up to 16 of 63 differed); the two together left 1 of 63 MADLAD outputs
  different with 4 beams (cause not found);
- ``forced_eos_token_id`` (set by OPUS-MT checkpoints) makes transformers end an output cut at
  ``max_new_tokens`` with the end token, one real token early: CTranslate2 decodes one token less and
  the end token is added (the tiny Marian at ``max_new_tokens=6``: 9 of 10 outputs differed before);
- ``repetition_penalty`` is named, not passed: CTranslate2 scales the logits, transformers' beam search
  the log-probabilities, and up to 19 of 63 outputs still differed with it passed on. So are the rules
  CTranslate2 has no counterpart for (:data:`NEUTRAL`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: generation-config rules CTranslate2's ``translate_batch`` takes under the same name and meaning
PASSED = ("length_penalty", "no_repeat_ngram_size")
#: rules transformers applies that CTranslate2 does not apply the same way, at their neutral values
NEUTRAL: dict[str, Any] = {
    "repetition_penalty": 1.0, "encoder_repetition_penalty": 1.0, "encoder_no_repeat_ngram_size": 0,
    "min_length": 0, "min_new_tokens": None, "bad_words_ids": None, "suppress_tokens": None,
    "begin_suppress_tokens": None, "sequence_bias": None, "exponential_decay_length_penalty": None,
    "num_beam_groups": 1, "diversity_penalty": 0.0, "renormalize_logits": False}


@dataclass(frozen=True)
class Rules:
    """How CTranslate2 decodes to give what transformers gives for one model."""

    #: extra ``translate_batch`` arguments
    options: dict[str, Any] = field(default_factory=dict)
    #: the end token transformers forces at the length limit, if the model asks for one
    forced_eos: int | None = None
    #: rules the model sets that CTranslate2 does not apply: its outputs may differ from transformers'
    not_applied: dict[str, Any] = field(default_factory=dict)

    def limit(self, max_new_tokens: int) -> int:
        """CTranslate2's ``max_decoding_length``: one less where the end token is forced at the limit."""
        return max(1, max_new_tokens - 1) if self.forced_eos is not None else max_new_tokens

    def ended(self, row: list[int], generated: int, max_new_tokens: int) -> list[int]:
        """``row`` (``generated`` new tokens) with the forced end token transformers would have put."""
        cut = generated >= self.limit(max_new_tokens) and row[-1:] != [self.forced_eos]
        return row + [self.forced_eos] if self.forced_eos is not None and cut else row


def rules(config: Any) -> Rules:
    """The :class:`Rules` for a ``transformers.GenerationConfig``."""
    forced = config.forced_eos_token_id
    not_applied = {key: value for key, neutral in NEUTRAL.items()
                   if (value := getattr(config, key, neutral)) != neutral}
    if not_applied.get("bad_words_ids") == [[config.pad_token_id]]:
        # OPUS-MT bans <pad>; the Marian conversion drops its row, so CTranslate2 cannot produce it either
        del not_applied["bad_words_ids"]
    return Rules(options={key: getattr(config, key) for key in PASSED},
                 forced_eos=forced[0] if isinstance(forced, list) else forced, not_applied=not_applied)


def generation_config(source: str, revision: str | None, trust_remote_code: bool) -> Any:
    """The generation config transformers would decode with: the model's ``generation_config.json``,
    else one made from its ``config.json``, as ``from_pretrained`` does."""
    from transformers import AutoConfig, GenerationConfig

    try:
        return GenerationConfig.from_pretrained(source, revision=revision)
    except OSError:  # no generation_config.json
        config = AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)
        return GenerationConfig.from_model_config(config)
