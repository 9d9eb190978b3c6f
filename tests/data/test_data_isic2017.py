from __future__ import annotations

import shutil

import numpy as np
import pytest
from data_fakes import make_isic_tree

import distill
from distill.core.errors import ConfigError, DataError


@pytest.mark.parametrize("nested", [False, True])
def test_official_layout_flat_and_nested(tmp_path, nested):
    ids = make_isic_tree(tmp_path, {"train": 5, "val": 2, "test": 3}, nested=nested)
    ds = distill.create("dataset", "isic2017", data_root=tmp_path)
    splits = ds.splits()
    assert {s: len(v) for s, v in splits.items()} == {"train": 5, "val": 2, "test": 3}
    assert [i.id for i in splits["val"]] == ids["val"]
    assert ds.split_origin == "official folders"
    test = ds.load("test", (32, 32))
    assert test.images.shape == (3, 32, 32, 3) and test.ids == ids["test"]
    assert set(np.unique(test.masks).tolist()) == {0, 1}


def test_training_only_makes_a_seeded_70_10_20_split(tmp_path):
    make_isic_tree(tmp_path, {"train": 20})
    a = distill.create("dataset", "isic2017", data_root=tmp_path).splits()
    b = distill.create("dataset", "isic2017", data_root=tmp_path).splits()
    c = distill.create("dataset", "isic2017", data_root=tmp_path, seed=3).splits()
    assert {s: len(v) for s, v in a.items()} == {"train": 14, "val": 2, "test": 4}
    assert a == b and a != c
    every = sorted(i.id for v in a.values() for i in v)
    assert len(set(every)) == 20


def test_real_sample_pairs_decode(tmp_path, isic_sample):
    src = isic_sample
    for folder, suffix in (
        ("ISIC-2017_Training_Data", ".jpg"),
        ("ISIC-2017_Training_Part1_GroundTruth", "_segmentation.png"),
    ):
        (tmp_path / folder).mkdir()
        for stem in ("ISIC_0000000", "ISIC_0000001", "ISIC_0000002", "ISIC_0000003"):
            shutil.copy(src / folder / f"{stem}{suffix}", tmp_path / folder)
    ds = distill.create(
        "dataset", "isic2017", data_root=tmp_path, val_fraction=0.25, test_fraction=0.25
    )
    arrays = ds.load("train", (64, 64))
    assert len(arrays) == 2
    fg = arrays.masks.mean(axis=(1, 2))
    assert np.all(fg > 0.005) and np.all(fg < 0.95)


def test_cc0_dataset_uses_shared_data_and_a_seeded_split(isic_data):
    ds = distill.create("dataset", "isic2017-cc0")
    assert {s: len(v) for s, v in ds.splits().items()} == {"train": 319, "val": 46, "test": 91}
    val = ds.load("val", (32, 32))
    assert val.images.shape == (46, 32, 32, 3) and val.masks.max() == 1


def test_cc0_absent_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("distill.plugins.datasets.isic2017.REPO_SHARED_DATA", tmp_path / "none")
    with pytest.raises(DataError, match="DISTILL_SHARED_DATA"):
        distill.create("dataset", "isic2017-cc0").splits()


def test_wrong_root_and_missing_root(tmp_path):
    (tmp_path / "stuff").mkdir()
    with pytest.raises(DataError, match="not an ISIC 2017 root"):
        distill.create("dataset", "isic2017", data_root=tmp_path).splits()
    with pytest.raises(DataError, match="does not exist"):
        distill.create("dataset", "isic2017", data_root=tmp_path / "missing").splits()
    with pytest.raises(ConfigError, match="data_root"):
        distill.create("dataset", "isic2017").splits()
