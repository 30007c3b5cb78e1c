"""Reading Pearmut's annotations back through the sidecar ``human export`` wrote.

Pearmut (1.1.6) logs every submission as one record: ``user_id``, ``item_i``, ``item`` (the items as
the campaign held them, our ``item_id`` included) and ``annotation`` (per item, per system key:
``score`` and ``error_spans``). Its server exports them at ``/download-annotations?campaign_id=ID``
as ``{campaign_id: [records]}``; the server's own log, ``data/annotations/<ID>.jsonl``, holds the same
records one per line. Both are read here. As Pearmut itself does, a ``__RESET__`` record drops the
user's earlier records, and a later record of the same user and item replaces an earlier one.

Every item must be one of the sidecar's, with the source the test set has for its segment, so a
sidecar of another campaign or test-set version is refused rather than misread.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from pathlib import Path
from typing import Any

from bench.core.errors import BenchError
from bench.human.campaign import ATTENTION_MAX_ESA, SIDECAR_VERSION
from bench.human.formats import Rated, mqm_weight
from bench.store.io import read_json, read_text

log = logging.getLogger("bench.human")

RESET = "__RESET__"
#: an MQM weight at least this on an attention item (one Major error) passes the check
ATTENTION_MIN_MQM = 5.0


def records(path: Path, campaign_id: str) -> list[dict]:
    """The campaign's records from a ``/download-annotations`` JSON or a server log (JSONL)."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        data = None
    if isinstance(data, dict) and "campaign_id" not in data and "user_id" not in data:
        if campaign_id not in data:
            raise BenchError(f"{path}: no annotations of campaign {campaign_id} (it holds "
                             f"{', '.join(map(str, data)) or 'none'}); export that campaign's annotations")
        rows = data[campaign_id]
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except (json.JSONDecodeError, RecursionError):
                raise BenchError(f"{path}: row {number}: not JSON; give Pearmut's annotations export "
                                 "(/download-annotations) or its data/annotations/<campaign>.jsonl") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BenchError(f"{path}: the annotations are not a list of records")
    return rows


def latest(rows: list[dict]) -> dict[tuple[str, Any], tuple[int, dict]]:
    """``(user, item_i) -> (row number, record)``: resets honoured, the last submission kept."""
    kept: dict[tuple[str, Any], tuple[int, dict]] = {}
    for number, row in enumerate(rows, start=1):
        user = row.get("user_id")
        if row.get("annotation") == RESET:
            kept = {k: v for k, v in kept.items() if k[0] != user}
            continue
        item_i = row.get("item_i")
        if isinstance(item_i, bool) or not isinstance(item_i, int | str):
            raise BenchError(f"record {number}: item_i must be a number or a name; the export is damaged")
        if isinstance(item_i, str) and not item_i.isdigit():  # Pearmut's welcome/random/goodbye pages
            continue
        kept[(str(user), item_i)] = (number, row)
    return kept


def read_sidecar(path: object, testset: str, pair: str, sha256: str) -> dict:
    if path is None:
        raise BenchError("sidecar is required for format=pearmut: pass sidecar=.../campaign.sidecar.json "
                         "(written by `human export` beside the campaign)")
    data = read_json(Path(str(path)))
    if not isinstance(data, dict) or data.get("schema_version") != SIDECAR_VERSION \
            or not isinstance(data.get("items"), dict) or not isinstance(data.get("systems"), dict):
        raise BenchError(f"{path}: not a sidecar written by `bench human export`")
    systems, items = data["systems"], data["items"]
    kinds_fit = all(isinstance(e, dict) and isinstance(e.get("segment"), str) and (
        e.get("kind") == "judge" or e.get("kind") == "attention" and e.get("check") in systems)
        for e in items.values())
    if not all(isinstance(v, str) for v in systems.values()) or not kinds_fit \
            or data.get("protocol") not in ("esa", "mqm"):
        raise BenchError(f"{path}: damaged sidecar (systems, items or protocol do not fit); export the "
                         "campaign again or restore the file")
    if data.get("pair") != pair or data.get("sha256") != sha256:
        raise BenchError(f"{path}: made for {data.get('pair')} of another test-set version than {pair} here "
                         "(sha256 differs); import with the test set the campaign was exported from")
    if data.get("testset") != testset:
        log.warning("%s: exported from test set %s, imported into %s", path, data.get("testset"), testset)
    return data


def score_of(answer: object, scale: str, where: str) -> float | None:
    """An ESA score (0-100) or minus the MQM error weights of one answer; None for a skipped one."""
    if answer is None:
        return None
    if not isinstance(answer, dict):
        raise BenchError(f"{where}: an answer must be an object with score and error_spans")
    if scale == "mqm":
        spans = answer.get("error_spans") or []
        if not isinstance(spans, list) or not all(isinstance(s, dict) for s in spans):
            raise BenchError(f"{where}: error_spans must be a list of spans")
        return -math.fsum(mqm_weight(str(s.get("category") or ""), str(s.get("severity") or ""))
                          for s in spans)
    score = answer.get("score")
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
        raise BenchError(f"{where}: score {score!r} is not an ESA score between 0 and 100")
    return float(score)


def read_results(path: Path, sidecar_path: object, testset: str, pair: str, sha256: str,
                 sources: dict[str, str]) -> tuple[list[Rated], str]:
    """The judged items of a Pearmut export as :class:`Rated` rows (system: run name, segment: test-set
    id, rater: Pearmut user), and the scale. Attention checks are counted per rater and reported."""
    sidecar = read_sidecar(sidecar_path, testset, pair, sha256)
    scale, systems, items = sidecar["protocol"], sidecar["systems"], sidecar["items"]
    out: list[Rated] = []
    checks: dict[str, Counter] = {}
    skipped = 0
    for (user, _), (number, row) in sorted(latest(records(path, str(sidecar["campaign_id"]))).items(),
                                           key=lambda kv: kv[1][0]):
        where = f"{path}: record {number}"
        shown, answers = row.get("item"), row.get("annotation")
        if not isinstance(shown, list) or not isinstance(answers, list) or len(shown) != len(answers):
            raise BenchError(f"{where}: item and annotation must be lists of one length")
        for item, answer in zip(shown, answers):
            item_id = item.get("item_id") if isinstance(item, dict) else None
            entry = items.get(item_id)
            if entry is None or sources.get(entry.get("segment")) != item.get("src"):
                raise BenchError(f"{where}: item {item_id!r} is not one of the sidecar's (or its source "
                                 "differs from the test set's); use the sidecar of this campaign")
            if answer is None:
                skipped += 1
                continue
            if not isinstance(answer, dict) or not set(answer) <= set(systems):
                raise BenchError(f"{where}: item {item_id} answers for keys the campaign does not have")
            if entry["kind"] == "attention":
                value = score_of(answer.get(entry["check"]), scale, where)
                passed = value is not None and (value <= ATTENTION_MAX_ESA if scale == "esa"
                                                 else -value >= ATTENTION_MIN_MQM)
                checks.setdefault(user, Counter())[passed] += 1
                continue
            for key, given in sorted(answer.items()):
                value = score_of(given, scale, where)
                if value is None:
                    skipped += 1
                    continue
                out.append(Rated(systems[key], entry["segment"], value, user, None, number))
    for user, counted in sorted(checks.items()):
        level = logging.WARNING if counted[False] else logging.INFO
        log.log(level, "%s: annotator %s passed %d of %d attention checks", path, user, counted[True],
                counted[True] + counted[False])
    if skipped:
        log.info("%s: %d answers skipped by annotators (not imported)", path, skipped)
    return out, scale
