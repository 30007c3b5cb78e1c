"""The test set, pair and runs that ``human import`` and ``human export`` both work on."""

from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import DictConfig

from bench.core.errors import BenchError
from bench.core.pair import Pair
from bench.human.store import default_testset, testset_name
from bench.refset.store import Segment, TestSet
from bench.store.runs import Run, discover_runs


class Context:
    """What both actions need: the test set's pair, its rows and hash, the runs, the test-set name."""

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg = cfg
        references: TestSet = instantiate(cfg.dataset)
        pairs = references.pairs()
        if cfg.pair is None and len(pairs) != 1:
            raise BenchError(f"pair: the test set has {len(pairs)} pairs; choose one with pair=NAME "
                             f"({', '.join(pairs)})")
        self.pair = Pair(str(cfg.pair if cfg.pair is not None else pairs[0]), "pair")
        if self.pair not in pairs:
            raise BenchError(f"pair={self.pair}: not in the test set {references.name}; "
                             f"available: {', '.join(pairs)}")
        self.segments: list[Segment] = references.load(self.pair)
        self.sha256 = references.sha256(self.pair)
        self.testset = (testset_name(cfg.testset) if cfg.testset is not None
                        else default_testset(references.name))
        self.results_dir = str(cfg.results_dir)
        found, _ = discover_runs(self.results_dir)
        #: the newest complete run of each system that translated this version of the pair
        self.runs: dict[str, Run] = {}
        for run in sorted(found, key=lambda r: (r.record.created, r.run_id)):
            held = run.record.pairs.get(self.pair)
            if held is not None and held.sha256 == self.sha256 and not run.record.limit:
                self.runs[run.system] = run
