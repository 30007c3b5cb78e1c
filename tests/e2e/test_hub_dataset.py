"""The reference set as a Hugging Face dataset: the exported folder, its card, and HubReferences.

Everything here runs offline: the export folder is read with ``datasets.load_dataset`` exactly as a Hub
copy would be, and a Hub copy is simulated by laying the export out as a Hugging Face cache snapshot.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from bench.core.errors import BenchError
from bench.refset import card, hub
from bench.refset.store import MANIFEST, LocalReferences, canonical_sha256
from tests.support.cli import ROOT, bench
from tests.support.http import closed_port_url
from tests.support.hub import REPO_ID, SEGMENTS, export, front_matter, write_references
from tests.support.runs import stored_scores

REAL = ROOT / "references"


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_references(tmp_path_factory.mktemp("references"))


@pytest.fixture(scope="module")
def exported(refs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(refs, tmp_path_factory.mktemp("export") / "repo")


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep ``load_dataset``'s Arrow cache out of the user's home."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "datasets-cache")


# --- the rows ------------------------------------------------------------------------------------


def test_load_dataset_from_the_export_returns_exactly_the_jsonl_rows(refs: Path, exported: Path):
    from datasets import load_dataset

    for pair in ("zh-kk", "zh-vi"):
        loaded = load_dataset(str(exported), pair, split="test")
        assert loaded.features == hub.features(pair)
        rows = [json.loads(line) for line in (refs / f"{pair}.jsonl").read_text().splitlines()]
        assert [hub.to_segment(r, pair).to_row() for r in loaded] == rows


@pytest.mark.skipif(not (REAL / MANIFEST).is_file(), reason="references/ not built yet")
def test_real_references_survive_the_export(tmp_path: Path):
    from datasets import load_dataset

    out = export(REAL, tmp_path / "repo")
    local = LocalReferences(REAL)
    published = hub.HubReferences(str(out))
    assert published.pairs() == local.pairs()
    for pair in local.pairs():
        rows = [json.loads(line) for line in (REAL / f"{pair}.jsonl").read_text().splitlines()]
        loaded = load_dataset(str(out), pair, split="test")
        assert [hub.to_segment(r, pair).to_row() for r in loaded] == rows
        assert published.sha256(pair) == local.sha256(pair)


# --- HubReferences --------------------------------------------------------------------------------


def test_hub_references_on_an_export_equal_the_local_references(refs: Path, exported: Path):
    local, published = LocalReferences(refs), hub.HubReferences(str(exported))
    assert published.pairs() == local.pairs() == ["zh-kk", "zh-vi"]
    for pair in local.pairs():
        assert published.load(pair) == local.load(pair)
        assert published.sha256(pair) == local.sha256(pair)


def test_hub_references_unknown_pair_names_the_available_ones(exported: Path):
    with pytest.raises(BenchError, match="zh-xx.*zh-kk, zh-vi"):
        hub.HubReferences(str(exported)).load("zh-xx")


def test_a_re_export_is_read_fresh_not_from_the_datasets_cache(tmp_path: Path):
    refs = write_references(tmp_path / "refs")
    out = export(refs, tmp_path / "repo")
    assert hub.HubReferences(str(out)).load("zh-kk")[1].ref == SEGMENTS["zh-kk"][1].ref
    changed = {**SEGMENTS, "zh-kk": [*SEGMENTS["zh-kk"]]}
    changed["zh-kk"][1] = dataclasses.replace(changed["zh-kk"][1], ref="Жаңа аударма.")
    export(write_references(refs, changed), out)
    assert hub.HubReferences(str(out)).load("zh-kk")[1].ref == "Жаңа аударма."


def cache_snapshot(cache: Path, repo_id: str, folder: Path) -> str:
    """Lay ``folder`` out as the Hugging Face cache holds a downloaded dataset repository."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    storage = cache / f"datasets--{repo_id.replace('/', '--')}"
    shutil.copytree(folder, storage / "snapshots" / commit)
    (storage / "refs").mkdir()
    (storage / "refs" / "main").write_text(commit)
    return commit


@pytest.mark.parametrize("offline", ["HF_HUB_OFFLINE", "unreachable"])
def test_a_cached_hub_dataset_loads_without_the_hub(offline: str, refs: Path, exported: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    from huggingface_hub import constants

    cache_snapshot(tmp_path / "hub", REPO_ID, exported)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline == "HF_HUB_OFFLINE")
    monkeypatch.setattr(constants, "ENDPOINT", closed_port_url())
    published = hub.HubReferences(REPO_ID)
    assert published.pairs() == ["zh-kk", "zh-vi"]
    assert published.load("zh-vi") == LocalReferences(refs).load("zh-vi")


@pytest.mark.parametrize("offline", ["HF_HUB_OFFLINE", "unreachable"])
def test_an_uncached_hub_dataset_without_the_hub_is_one_error_in_seconds(offline: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline == "HF_HUB_OFFLINE")
    monkeypatch.setattr(constants, "ENDPOINT", closed_port_url())
    started = time.monotonic()
    with pytest.raises(BenchError, match="not in the local Hugging Face cache.*export_dir=DIR") as error:
        hub.HubReferences(REPO_ID).pairs()
    assert time.monotonic() - started < 10
    assert "\n" not in str(error.value)


def test_hub_config_instantiates_hub_references(exported: Path):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(ROOT / "configs" / "dataset" / "hub.yaml")
    assert OmegaConf.is_missing(cfg, "repo_id") and cfg.revision is None
    cfg.repo_id = str(exported)
    testset = instantiate(cfg)
    assert isinstance(testset, hub.HubReferences) and testset.pairs() == ["zh-kk", "zh-vi"]


def test_run_on_the_export_records_the_same_test_set_as_on_the_local_folder(refs: Path, exported: Path,
                                                                             tmp_path: Path):
    recorded = {}
    for name, dataset in {"local": [f"dataset.path={refs}"],
                          "hub": ["dataset=hub", f"dataset.repo_id={exported}"]}.items():
        results = tmp_path / name
        out = bench("run", "model=reference", *dataset, f"results_dir={results}", "metric=[chrf]",
                    env={"HF_DATASETS_CACHE": str(tmp_path / "datasets-cache")})
        assert out.returncode == 0, out.stderr
        [run] = (results / "runs" / "reference").iterdir()
        info = json.loads((run / "run.json").read_text())
        recorded[name] = (info["testset"]["pairs"], stored_scores(run))
    assert recorded["hub"][0] == recorded["local"][0]
    assert {p: s["chrf"]["score"] for p, s in recorded["hub"][1].items()} == \
        {p: s["chrf"]["score"] for p, s in recorded["local"][1].items()}


def test_run_on_an_uncached_hub_dataset_offline_fails_in_one_line(tmp_path: Path):
    started = time.monotonic()
    out = bench("run", "model=copy", "dataset=hub", f"dataset.repo_id={REPO_ID}",
                f"results_dir={tmp_path / 'results'}", "metric=[]",
                env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")})
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "not in the local Hugging Face cache" in out.stderr
    assert time.monotonic() - started < 30


# --- the card ------------------------------------------------------------------------------------

# Field rules of the Hub's dataset card metadata (hub-docs datasetcard.md, huggingface_hub's
# DatasetCardData docstring, https://huggingface.co/docs/hub/repositories-licenses).
CARD_KEYS = {
    "language", "license", "license_name", "license_link", "license_details", "tags", "annotations_creators",
    "language_creators", "language_details", "pretty_name", "size_categories", "source_datasets",
    "task_categories", "task_ids", "paperswithcode_id", "configs", "dataset_info", "multilinguality",
}
CREATORS = {"found", "crowdsourced", "expert-generated", "machine-generated", "no-annotation", "other"}
MULTILINGUALITY = {"monolingual", "multilingual", "translation", "other"}


def test_card_metadata_follows_the_hub_rules(exported: Path):
    meta = front_matter(exported / "README.md")
    assert set(meta) <= CARD_KEYS
    assert meta["language"] == ["kk", "vi", "zh"]
    assert all(re.fullmatch(r"[a-z]{2,3}", code) for code in meta["language"])  # ISO 639-1/2/3
    assert meta["language_details"] == ["kk-Cyrl", "vi-Latn", "zh-Hans"]
    assert all(re.fullmatch(r"[a-z]{2,3}-[A-Z][a-z]{3}", tag) for tag in meta["language_details"])  # BCP-47
    assert {"kk-Cyrl", "vi-Latn", "zh-Hans"} <= set(meta["tags"])
    assert meta["task_categories"] == ["translation"]
    assert meta["multilinguality"] in MULTILINGUALITY and meta["multilinguality"] == "translation"
    assert meta["size_categories"] == ["n<1K"]
    assert set(meta["annotations_creators"]) | set(meta["language_creators"]) <= CREATORS
    assert meta["source_datasets"] == ["original"]
    assert isinstance(meta["pretty_name"], str) and meta["pretty_name"]
    # license: other needs a name (lowercase id) and a link to the terms, which exist in the repository
    assert meta["license"] == "other"
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", meta["license_name"])
    assert (exported / meta["license_link"]).is_file()
    assert "china.org.cn" in meta["license_details"] and "copyright" in meta["license_details"].lower()


def test_card_configs_point_at_the_parquet_files_and_parse_as_datasets_reads_them(exported: Path):
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(exported / "README.md").data
    configs = MetadataConfigs.from_dataset_card_data(data)  # raises on malformed data_files
    assert list(configs) == ["zh-kk", "zh-vi"]
    for pair, config in configs.items():
        [files] = config["data_files"]
        assert files["split"] == "test" and (exported / files["path"]).is_file()
        assert files["path"] == f"{pair}/test-00000-of-00001.parquet"
    infos = DatasetInfosDict.from_dataset_card_data(data)
    for pair, rows in SEGMENTS.items():
        assert infos[pair].features == hub.features(pair)
        assert infos[pair].splits["test"].num_examples == len(rows)
        assert infos[pair].download_size == (exported / hub.data_file(pair)).stat().st_size
    layout = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert layout == ["LICENSE.md", "README.md", "build_report.md", "zh-kk/test-00000-of-00001.parquet",
                      "zh-vi/test-00000-of-00001.parquet"]


def test_card_metadata_round_trips_through_huggingface_hub(exported: Path):
    from huggingface_hub import DatasetCard, DatasetCardData
    from huggingface_hub.repocard import metadata_load

    readme = exported / "README.md"
    parsed = DatasetCard(readme.read_text(encoding="utf-8"))
    assert parsed.data.to_dict() == metadata_load(readme) == front_matter(readme)
    rebuilt = DatasetCardData(**parsed.data.to_dict())
    assert rebuilt.to_dict() == parsed.data.to_dict()
    assert str(DatasetCard(f"---\n{rebuilt.to_yaml()}\n---\n{parsed.text}")) == str(parsed)


def test_card_prose_is_read_from_the_rows_and_the_manifest(exported: Path):
    text = (exported / "README.md").read_text(encoding="utf-8")
    guid = card.canary(REPO_ID)
    assert re.fullmatch(r"BENCH CANARY GUID [0-9a-f-]{36}", guid) and guid == card.canary(REPO_ID)
    assert text.count(guid) == 2  # the notice and the citation
    assert card.canary("acme/other") != guid
    assert "| `zh-kk` | Chinese → Kazakh | 5 | 2 | 6 | 6 |" in text  # rows, docs, bead sums
    assert "| `zh-vi` | Chinese → Vietnamese | 2 | 1 | 2 | 2 |" in text
    assert all(canonical_sha256(rows) in text for rows in SEGMENTS.values())
    assert "| `1-2` | 1 | 20.0% |" in text  # bead table from the rows
    assert "“最后 \\| 一公里”" in text  # a title with a pipe, escaped in its table cell
    assert "no Chinese side" in text and "Gale-Church" in text  # from the manifest
    assert "non-breaking space" in text and "күрестен" in text  # the manifest's repairs and problems
    assert "Low-confidence beads" not in text  # a "- none" list is not a problem
    assert f"python -m bench run dataset=hub dataset.repo_id={REPO_ID} model=" in text
    assert re.search(r"```bibtex\n@misc\{zh_news_mt,\n.*\n\}\n```", text, re.DOTALL)
    assert not re.search(r"\d{2}:\d{2}(:\d{2})?", text)  # no timestamps


def test_card_without_a_report_says_so(tmp_path: Path):
    out = export(write_references(tmp_path / "refs", report=None), tmp_path / "repo")
    text = (out / "README.md").read_text(encoding="utf-8")
    assert "No build report was published with the references" in text
    assert not (out / card.REPORT_FILE).exists()


def bomb_table(rows: int, length: int):
    """zh-kk rows whose translation is one ``length``-character string, stored once in the column's
    dictionary and pointed at by every row: a few kilobytes of parquet, ``rows`` x ``length`` of text."""
    import numpy as np
    import pyarrow as pa

    def repeated(text: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array([text]))

    return pa.table({"id": [f"d-{k:05d}" for k in range(rows)], "doc_id": repeated("d"),
                     "seg": pa.array(range(rows), pa.int32()),
                     "translation": pa.StructArray.from_arrays([repeated("你好。"), repeated("Ж" * length)],
                                                               names=["zh", "kk"]),
                     **{name: repeated("body" if name == "kind" else "1-1") for name in hub.PLAIN_COLUMNS}})


def test_a_parquet_bomb_is_refused_before_it_is_decoded(exported: Path, tmp_path: Path):
    """600 rows pointing at one string of a million bytes (the attacker's had 3,000): one line, before
    any row is decoded."""
    import pyarrow.parquet as pq

    dataset = tmp_path / "dataset"
    shutil.copytree(exported, dataset)
    file = dataset / hub.data_file("zh-kk")
    pq.write_table(bomb_table(600, 500_000), file, compression="zstd")
    assert file.stat().st_size < 64 << 10
    result = bench("run", "model=copy", "dataset=hub", f"dataset.repo_id={dataset}", "metric=[]",
                   f"results_dir={tmp_path / 'results'}")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert f"{file}: its text decodes to more than {hub.MAX_DECODED_BYTES} bytes" in lines[0]


@pytest.mark.parametrize("limit, value, table, needle", [
    ("MAX_ROWS", 5, lambda: bomb_table(6, 10), "6 rows, more than the 5"),
    ("MAX_DECODED_BYTES", 20_000, lambda: bomb_table(3, 30_000), "bytes uncompressed, more than 20000"),
    (None, None, lambda: bomb_table(3, 10).append_column("extra", nested(3)), "column extra.list.element"),
    (None, None, lambda: bomb_table(3, 10).append_column("price", decimals()), "holds FIXED_LEN_BYTE_ARRAY"),
], ids=["rows", "uncompressed", "nesting", "type"])
def test_a_parquet_footer_beyond_a_test_set_is_refused_before_reading(
        exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit, value, table, needle: str):
    import pyarrow.parquet as pq

    dataset = tmp_path / "dataset"
    shutil.copytree(exported, dataset)
    pq.write_table(table(), dataset / hub.data_file("zh-kk"))
    if limit:
        monkeypatch.setattr(hub, limit, value)
    with pytest.raises(BenchError, match=re.escape(needle)):
        hub.HubReferences(str(dataset)).load("zh-kk")


def nested(depth: int):
    import pyarrow as pa

    kind, value = pa.string(), "x"
    for _ in range(depth - 1):  # list<list<...<string>>>: more_refs is one list deep
        kind, value = pa.list_(kind), [value]
    return pa.array([value] * 3, kind)


def decimals():
    import decimal

    import pyarrow as pa

    return pa.array([decimal.Decimal("1.5")] * 3, pa.decimal128(5, 1))
