"""``python -m bench human export`` without Pearmut: which segments, what the sidecar says, what the
annotators do not see."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import bench
from tests.support.human import make_world


def export(world, out: Path, *more: str):
    return bench("human", "export", "campaign.budget=4", "campaign.attention=2", f"campaign.out={out}",
                 *more, *world.args())


def test_campaign_is_blind_seeded_and_its_sidecar_maps_every_item(tmp_path: Path):
    world = make_world(tmp_path)
    done = export(world, tmp_path / "one")
    assert done.returncode == 0, done.stderr
    campaign = json.loads((tmp_path / "one" / "campaign.json").read_text())
    sidecar = json.loads((tmp_path / "one" / "campaign.sidecar.json").read_text())
    items = [doc[0] for doc in campaign["data"]]
    assert len(items) == 6 and {i["item_id"] for i in items} == set(sidecar["items"])
    assert sorted(sidecar["systems"].values()) == ["bad", "good", "mid", "weak"]
    text = (tmp_path / "one" / "campaign.json").read_text()
    assert not any(f'"{name}"' in text for name in sidecar["systems"].values())  # keys only
    sources = {s.id: s.src for s in world.segments}
    hyps = {name: (next((world.results / "runs" / name).iterdir()) / "hypotheses" / "zh-en.txt")
            .read_text().splitlines() for name in sidecar["systems"].values()}
    ids = [s.id for s in world.segments]
    for item in items:
        entry = sidecar["items"][item["item_id"]]
        assert item["src"] == sources[entry["segment"]]
        row = ids.index(entry["segment"])
        shown = {sidecar["systems"][k]: t for k, t in item["tgt"].items()}
        if entry["kind"] == "attention":
            check = sidecar["systems"][entry["check"]]
            assert shown.pop(check) in {s.ref for s in world.segments} - {world.segments[row].ref}
            assert item["validation"] == {entry["check"]: {"score": [0, 33.0]}}
        assert all(hyps[name][row] == t for name, t in shown.items())
    assert sum(e["kind"] == "attention" for e in sidecar["items"].values()) == 2
    again = export(world, tmp_path / "two")
    other = export(world, tmp_path / "three", "campaign.seed=7")
    assert again.returncode == other.returncode == 0

    def made(name: str) -> bytes:
        return (tmp_path / name / "campaign.json").read_bytes()

    assert made("two") == made("one") and made("three") != made("one")


def test_identical_systems_and_unknown_names_are_refused(tmp_path: Path):
    world = make_world(tmp_path, systems={"a": 0, "b": 0})
    done = export(world, tmp_path / "c")
    assert done.returncode == 2 and "wrote the same text on every segment" in done.stderr
    done = export(world, tmp_path / "c", "campaign.systems=[a,nope]")
    assert done.returncode == 2 and "campaign.systems: nope has no complete run" in done.stderr
    assert not (tmp_path / "c").exists()
