"""``python -m bench human import|export``: the Hydra application behind both actions.

The action is the word after ``human`` (turned into ``action=`` by :func:`action_argv`, since Hydra
cannot parse a bare word). Both read the test set (``dataset=``) and the runs under ``results_dir``;
neither imports torch.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from bench.core.errors import BenchError
from bench.human import formats, importer
from bench.human.context import Context
from bench.human.store import PairJudgments

log = logging.getLogger("bench.human")

ACTIONS = ("import", "export")
FORMATS = ("mqm", "mqm_avg", "esa", "pearmut")


def action_argv(args: list[str], value_flags: Collection[str]) -> list[str]:
    """``import format=mqm ...`` -> ``action=import format=mqm ...``: the first bare word that is not the
    value of one of Hydra's ``value_flags`` (``--cfg job``) is the action."""
    for i, arg in enumerate(args):
        if not arg.startswith("-") and "=" not in arg and (i == 0 or args[i - 1] not in value_flags):
            return [*args[:i], f"action={arg}", *args[i + 1:]]
    return args


def run_import(cfg: DictConfig) -> Path:
    if cfg.format not in FORMATS:
        raise BenchError(f"format={cfg.format}: choose one of {', '.join(FORMATS)}")
    if cfg.path is None:
        raise BenchError("path is required: pass path=FILE (the judgment file to import)")
    path = Path(str(cfg.path))
    systems = OmegaConf.to_container(cfg.systems) if cfg.systems is not None else {}
    if not isinstance(systems, dict) or not all(isinstance(v, str) for v in systems.values()):
        raise BenchError("systems must map names in the file to run names, e.g. "
                         "'systems={WeChat_AI: wechat}'")
    if not path.is_file():
        raise BenchError(f"path={path}: no such file")
    ctx = Context(cfg)
    if cfg.format == "pearmut":
        from bench.human.pearmut import read_results

        rated, protocol = read_results(path, cfg.sidecar, ctx.testset, ctx.pair, ctx.sha256,
                                       {s.id: s.src for s in ctx.segments})
    else:
        rated, protocol = formats.READERS[cfg.format](path), formats.PROTOCOLS[cfg.format]
    try:
        found = importer.match(rated, ctx.segments, set(ctx.runs), {str(k): v for k, v in systems.items()},
                               str(cfg.match))
    except BenchError as exc:
        raise BenchError(f"{path}: {exc}") from None
    for line in found.report(path):
        log.warning("%s", line)
    new = PairJudgments(ctx.testset, ctx.pair, ctx.sha256, protocol, found.judgments)
    stored = importer.merged(new, ctx.results_dir, bool(cfg.replace))
    written = stored.save(ctx.results_dir)
    raters = {j.rater for j in new.judgments}
    segments = {j.segment for j in new.judgments}
    log.info("imported %d %s judgments of %d systems on %d segments (%d raters; segments matched by %s) "
             "into %s", len(new.judgments), protocol, len(new.systems()), len(segments), len(raters - {None}),
             found.how, written)
    return written


def main(cfg: DictConfig) -> None:
    if cfg.action not in ACTIONS:
        given = f"'{cfg.action}' is not an action; " if cfg.action else ""
        raise BenchError(f"{given}choose one: python -m bench human import|export [key=value ...]")
    if cfg.action == "import":
        run_import(cfg)
    else:
        from bench.human.campaign import Settings, run_export

        settings = Settings.of(cfg.campaign)
        run_export(settings, Context(cfg))
