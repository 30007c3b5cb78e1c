"""``python -m bench human export``: a Pearmut campaign for chosen systems, and its sidecar.

Each campaign item is one segment: its source and every compared system's translation side by side
(Pearmut shows them in a shuffled order, under opaque keys ``s1``, ``s2``, ... so annotators cannot
tell which system is which). The *sidecar* (``campaign.sidecar.json``, never shown to annotators)
maps each item back to test set, pair and segment, and each key to a run name; ``human import
format=pearmut`` reads the annotations through it.

Which segments, when none are named: within ``budget``, those where a human judgment teaches most
about the compared systems (:func:`informativeness`); segments where every system wrote the same
text are never asked about. ``attention`` extra items show, under one key, the reference of another
segment: a fluent translation of the wrong sentence, which an attentive annotator scores low. Items
are shuffled with ``seed``. See ``docs/human-evaluation.md``.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from bench.board.collect import BASELINES
from bench.core.checks import choice, whole_number
from bench.core.errors import BenchError
from bench.human.store import CAMPAIGNS, HUMAN
from bench.metrics import load_metric
from bench.store.io import atomic_write_json, inside
from bench.store.runs import Run

if TYPE_CHECKING:
    from bench.human.context import Context

log = logging.getLogger("bench.human")

#: bench's protocol name -> (Pearmut's protocol, the scale the scores are stored on)
PROTOCOLS = {"ESA": ("ESA", "esa"), "ESA-AI": ("ESA", "esa"), "MQM": ("MQM", "mqm")}
#: preferred metrics for how close systems are (then any other, by name)
PREFERRED = ("comet", "xcomet", "metricx", "chrf", "bleu")
SIDECAR_VERSION = 1
#: an ESA score at or below this on an attention item passes the check
ATTENTION_MAX_ESA = 33.0
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def informativeness(outputs: dict[str, list[str]], metrics: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """How much a human judgment of each segment would tell about the compared systems.

    For every pair of systems whose outputs differ on a segment, the segment earns the pair's weight
    ``1 / (1 + gap)``, ``gap`` being the pair's distance in system score in units of the systems'
    spread on the first metric (close systems are the ones metrics cannot settle), doubled where the
    metrics disagree on which of the two is better on this segment. ``metrics`` is ``metric -> system
    -> segment goodness`` (larger is better).
    """
    systems = sorted(outputs)
    n = len(next(iter(outputs.values())))
    first = next(iter(metrics.values()), None)
    spread = float(np.std([first[s].mean() for s in systems])) if first else 0.0
    total = np.zeros(n)
    flat = {s: [" ".join(x.split()) for x in outputs[s]] for s in systems}
    for i, a in enumerate(systems):
        for b in systems[i + 1:]:
            differ = np.array([x != y for x, y in zip(flat[a], flat[b])])
            gap = abs(first[a].mean() - first[b].mean()) / spread if first and spread > 0 else 0.0
            signs = [np.sign(m[a] - m[b]) for m in metrics.values()]
            disagree = np.zeros(n, dtype=bool)
            for x in signs[1:]:
                disagree |= x != signs[0]
            total += differ * (1 + disagree) / (1 + gap)
    return total


def choose(scores: np.ndarray, budget: int, rng: random.Random) -> list[int]:
    """The ``budget`` most informative segments (ties in a seeded order), never an uninformative one."""
    order = list(range(len(scores)))
    rng.shuffle(order)
    order.sort(key=lambda j: -scores[j])
    return sorted(j for j in order[:budget] if scores[j] > 0)


def compared(ctx: Context, names: list[str]) -> dict[str, Run]:
    if not names:
        names = [s for s, r in ctx.runs.items() if not r.record.baseline and s not in BASELINES]
    unknown = [n for n in names if n not in ctx.runs]
    if unknown:
        raise BenchError(f"campaign.systems: {unknown[0]} has no complete run on this version of {ctx.pair}; "
                         f"runs: {', '.join(sorted(ctx.runs)) or 'none'}")
    if not names:
        raise BenchError(f"no runs to compare on {ctx.pair} under {ctx.results_dir}; run systems first or "
                         "name them with campaign.systems=[...]")
    return {n: ctx.runs[n] for n in sorted(names)}


def segment_goodness(runs: dict[str, Run], pair: str) -> dict[str, dict[str, np.ndarray]]:
    """``metric -> system -> segment scores`` (larger is better) for the metrics every system has
    segment scores of, preferred ones first."""
    held = {s: run.scores().get(pair) for s, run in runs.items()}
    common = set.intersection(*(set(h) for h in held.values())) if held else set()
    names = [m for m in PREFERRED if m in common] + sorted(common - set(PREFERRED))
    out = {}
    for name in names:
        if all(held[s][name].segments is not None for s in runs):
            metric = load_metric(name)
            out[name] = {s: np.asarray(metric.goodness(np.asarray(held[s][name].segments))) for s in runs}
    return out


def prefilled_spans(runs: dict[str, Run], pair: str) -> tuple[str | None, dict[str, list]]:
    """``(metric, system -> spans per segment)`` from the first stored metric with error spans that
    every system has (xCOMET's ``extra.error_spans``)."""
    held = {s: run.scores().get(pair) for s, run in runs.items()}
    for name in sorted(set.intersection(*(set(h) for h in held.values()))):
        spans = {s: held[s][name].extra.get("error_spans") for s in runs}
        if all(isinstance(v, list) for v in spans.values()):
            return name, spans
    return None, {}


def pearmut_spans(spans: object, text: str) -> list[dict[str, Any]]:
    """Stored spans (``start``, ``end`` exclusive, ``severity``) as Pearmut's pre-filled spans
    (``start_i``, ``end_i`` inclusive character indices); spans that do not fit the text are dropped."""
    out = []
    for span in spans if isinstance(spans, list) else []:
        start, end = (span.get("start"), span.get("end")) if isinstance(span, dict) else (None, None)
        severity = str(span.get("severity", "")).lower() if isinstance(span, dict) else ""
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text) \
                and severity in ("minor", "major"):
            out.append({"start_i": start, "end_i": end - 1, "category": None, "severity": severity})
    return out


@dataclass(frozen=True)
class Settings:
    """The ``campaign:`` settings, checked before anything is read."""

    protocol: str
    systems: list[str]
    segments: list[str]
    budget: int
    attention: int
    annotators: int
    seed: int
    id: str | None
    out: str | None

    @classmethod
    def of(cls, cfg: DictConfig) -> Settings:
        return cls(protocol=choice(cfg.protocol, "campaign.protocol", PROTOCOLS),
                   systems=[str(s) for s in OmegaConf.to_container(cfg.systems) or []],
                   segments=[str(s) for s in OmegaConf.to_container(cfg.segments) or []],
                   budget=whole_number(cfg.budget, "campaign.budget"),
                   attention=whole_number(cfg.attention, "campaign.attention", minimum=0),
                   annotators=whole_number(cfg.annotators, "campaign.annotators"),
                   seed=whole_number(cfg.seed, "campaign.seed", minimum=0),
                   id=None if cfg.id is None else _campaign_id(str(cfg.id)),
                   out=None if cfg.out is None else str(cfg.out))


def _campaign_id(text: str) -> str:
    if not _ID.fullmatch(text):
        raise BenchError(f"campaign.id={text!r}: letters, digits and . _ - only (Pearmut makes it a file "
                         "name)")
    return text


def run_export(cfg: Settings, ctx: Context) -> Path:
    """Write ``campaign.json`` and ``campaign.sidecar.json``; returns the campaign's path."""
    protocol = cfg.protocol
    runs = compared(ctx, cfg.systems)
    outputs = {s: run.hypotheses(ctx.pair) for s, run in runs.items()}
    rng = random.Random(cfg.seed)
    keys = [f"s{i}" for i in range(1, len(runs) + 1)]
    rng.shuffle(keys)
    key_of = dict(zip(runs, keys))
    ids = [s.id for s in ctx.segments]
    picked = rows_to_ask(cfg, ctx, runs, outputs, rng)
    spans_from, spans = prefilled_spans(runs, ctx.pair) if protocol == "ESA-AI" else (None, {})
    if protocol == "ESA-AI" and spans_from is None:
        log.warning("ESA-AI: no stored metric has error spans for every system (score with xcomet); the "
                    "items carry no pre-filled spans")
    items, sidecar_items = [], {}
    for n, j in enumerate(picked, start=1):
        item: dict[str, Any] = {"item_id": f"i{n:04d}", "src": ctx.segments[j].src,
                                "tgt": {key_of[s]: outputs[s][j] for s in runs}}
        if spans:
            item["error_spans"] = {key_of[s]: pearmut_spans(spans[s][j], outputs[s][j]) for s in runs}
        items.append([item])
        sidecar_items[item["item_id"]] = {"segment": ids[j], "kind": "judge"}
    items += attention_items(ctx, outputs, key_of, picked, cfg.attention, rng, sidecar_items, protocol)
    rng.shuffle(items)
    campaign_id = cfg.id or f"bench-{ctx.testset}-{ctx.pair}-{protocol.lower()}"
    pearmut_protocol, scale = PROTOCOLS[protocol]
    info = {"assignment": "single-stream", "protocol": pearmut_protocol, "users": cfg.annotators}
    campaign = {"campaign_id": campaign_id, "info": info, "data": items}
    sidecar = {"schema_version": SIDECAR_VERSION, "campaign_id": campaign_id, "protocol": scale,
               "testset": ctx.testset, "pair": str(ctx.pair), "sha256": ctx.sha256,
               "systems": {key_of[s]: s for s in runs}, "prefilled_from": spans_from, "seed": cfg.seed,
               "items": sidecar_items}
    out = Path(ctx.results_dir, HUMAN, CAMPAIGNS, campaign_id) if cfg.out is None else Path(cfg.out)
    path = inside(out, "campaign.json")
    atomic_write_json(inside(out, "campaign.sidecar.json"), sidecar)
    atomic_write_json(path, campaign)
    log.info("wrote %s (%d items, %d attention checks, %d systems) and its sidecar; next: pearmut add %s",
             path, len(items), sum(v["kind"] == "attention" for v in sidecar_items.values()), len(runs), path)
    return path


def rows_to_ask(cfg: Settings, ctx: Context, runs: dict[str, Run], outputs: dict[str, list[str]],
                rng: random.Random) -> list[int]:
    """The rows named by ``campaign.segments``, or the most informative ones within the budget."""
    ids = [s.id for s in ctx.segments]
    if cfg.segments:
        missing = [x for x in cfg.segments if x not in ids]
        if missing:
            raise BenchError(f"campaign.segments: {missing[0]} is not a segment of {ctx.pair}")
        return sorted({ids.index(x) for x in cfg.segments})
    picked = choose(informativeness(outputs, segment_goodness(runs, ctx.pair)), cfg.budget, rng)
    if not picked:
        raise BenchError(f"the systems {', '.join(runs)} wrote the same text on every segment of {ctx.pair}: "
                         "there is nothing to ask annotators; choose other systems (campaign.systems=[...])")
    log.info("chose %d of %d segments (budget %d) where the systems are hardest to tell apart", len(picked),
             len(ids), cfg.budget)
    return picked


def attention_items(ctx: Context, outputs: dict[str, list[str]], key_of: dict[str, str], picked: list[int],
                    count: int, rng: random.Random, sidecar: dict[str, dict],
                    protocol: str) -> list[list[dict]]:
    """``count`` items like the others, except that one system's translation is the reference of another
    segment; segments not asked about are used first, so no real answer is asked twice."""
    n = len(ctx.segments)
    if n < 2 or not count:
        return []
    others = [j for j in range(n) if j not in picked]
    rng.shuffle(others)
    pool = others + rng.sample(picked, len(picked))
    items = []
    for k in range(count):
        j = pool[k % len(pool)]
        wrong = rng.choice([x for x in range(n) if ctx.segments[x].ref.strip() != ctx.segments[j].ref.strip()]
                           or [(j + 1) % n])
        system = rng.choice(sorted(key_of))
        item_id = f"a{k + 1:04d}"
        tgt = {key_of[s]: outputs[s][j] for s in sorted(key_of)}
        tgt[key_of[system]] = ctx.segments[wrong].ref
        item: dict[str, Any] = {"item_id": item_id, "src": ctx.segments[j].src, "tgt": tgt}
        if protocol != "MQM":  # silent: Pearmut records the outcome, the annotator is not told
            item["validation"] = {key_of[system]: {"score": [0, ATTENTION_MAX_ESA]}}
        items.append([item])
        sidecar[item_id] = {"segment": ctx.segments[j].id, "kind": "attention", "check": key_of[system]}
    return items
