from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from data_fakes import write_pair
from PIL import Image

import distill
from distill.core import store
from distill.plugins.datasets import cache


def folder_tree(root: Path, n: int = 6) -> None:
    for i in range(n):
        write_pair(root / "images" / f"img{i}.png", root / "masks" / f"img{i}.png", i)


def entries(cache_root: Path) -> list[Path]:
    return sorted(p.parent for p in cache_root.rglob("meta.json"))


def test_cache_is_reused_then_rebuilt_when_a_source_changes(tmp_path, _quiet_private_cache):
    folder_tree(tmp_path / "d")
    ds = distill.create(
        "dataset", "folder", data_root=tmp_path / "d", val_fraction=0.2, test_fraction=0.2
    )
    train = ds.load("train", (32, 32))
    first = entries(_quiet_private_cache)
    assert len(first) == 1
    again = distill.create(
        "dataset", "folder", data_root=tmp_path / "d", val_fraction=0.2, test_fraction=0.2
    ).load("train", (32, 32))
    assert entries(_quiet_private_cache) == first
    assert np.array_equal(train.images, again.images)

    stem = train.ids[0]
    mask_path = tmp_path / "d" / "masks" / f"{stem}.png"
    Image.fromarray(np.zeros((40, 48), np.uint8)).save(mask_path)
    os.utime(mask_path, ns=(1, 10**18))
    changed = distill.create(
        "dataset", "folder", data_root=tmp_path / "d", val_fraction=0.2, test_fraction=0.2
    ).load("train", (32, 32))
    now = entries(_quiet_private_cache)
    assert len(now) == 1 and now != first  # stale entry pruned
    assert changed.masks[0].sum() == 0 and train.masks[0].sum() > 0


def test_other_sizes_get_their_own_entry(tmp_path, _quiet_private_cache):
    ds = distill.create("dataset", "synthetic-derm", train_count=2)
    ds.load("train", (32, 32))
    ds.load("train", (64, 32))
    assert len(entries(_quiet_private_cache)) == 2


def test_failed_build_leaves_no_entry_and_no_temp(tmp_path):
    entry = cache.entry_for(tmp_path, "x", {"a": 1}, "train", (8, 8), [1])

    def broken(folder: Path) -> cache.Built:
        cache.new_arrays(folder, 2, (8, 8))
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.load_or_build(entry, broken)
    assert not entry.exists
    assert not [p for p in entry.path.parent.iterdir()]


def test_half_written_entry_is_never_used(tmp_path):
    entry = cache.entry_for(tmp_path, "x", {"a": 1}, "train", (8, 8), [1])
    entry.path.mkdir(parents=True)
    np.save(entry.path / "images.npy", np.zeros((1, 8, 8, 3), np.uint8))  # no meta.json

    def build(folder: Path) -> cache.Built:
        return cache.Built(
            np.full((2, 8, 8, 3), 7, np.uint8), np.ones((2, 8, 8), np.uint8), ["a", "b"]
        )

    arrays, built = cache.load_or_build(entry, build)
    assert built and arrays.images.shape == (2, 8, 8, 3) and arrays.ids == ["a", "b"]
    arrays, built = cache.load_or_build(entry, build)
    assert not built


def test_cache_dir_resolution(tmp_path, monkeypatch):
    assert store.cache_root(tmp_path / "p") == tmp_path / "p"
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "env"))
    assert store.cache_root() == tmp_path / "env"
    monkeypatch.delenv("DISTILL_CACHE")
    assert store.cache_root() == Path.home() / ".cache" / "distill"
