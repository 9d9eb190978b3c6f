"""Shifted splits: the smallest-lesion fifth of the real sample, and synthetic-derm's
small lesions with rulers, ink and dense hair; nothing of them leaks into training."""

from __future__ import annotations

import numpy as np
import pytest
from data_fakes import make_isic_tree

import distill
from distill.core.errors import ConfigError
from distill.plugins.datasets.isic2017 import lesion_area
from distill.plugins.datasets.splits import smallest_share


def test_smallest_share_takes_the_smallest_and_breaks_ties_by_seed():
    areas = {f"id{i:02d}": a for i, a in enumerate([0.5, 0.1, 0.3, 0.1, 0.1, 0.9, 0.2, 0.1])}
    assert smallest_share(areas, 0.5, seed=0) == ["id01", "id03", "id04", "id07"]
    tied = {f"id{i:02d}": 0.25 for i in range(40)}
    picks = {tuple(smallest_share(tied, 0.25, seed)) for seed in range(5)}
    assert len(picks) > 1 and all(len(p) == 10 for p in picks)
    assert smallest_share(tied, 0.25, 3) == smallest_share(dict(reversed(tied.items())), 0.25, 3)
    assert smallest_share(areas, 0.0, 0) == []


def test_the_real_sample_holds_out_its_smallest_lesions(isic_data):
    ds = distill.create("dataset", "isic2017-cc0", shift_fraction=0.2)
    splits = ds.splits()
    assert {s: len(v) for s, v in splits.items()} == {
        "train": 256,
        "val": 36,
        "test": 73,
        "shift": 91,
    }
    ids = [i.id for v in splits.values() for i in v]
    assert len(ids) == len(set(ids)) == 456, "splits overlap or lose images"
    held = max(lesion_area(i) for i in splits["shift"])
    kept = min(lesion_area(i) for s in ("train", "val", "test") for i in splits[s])
    assert held <= kept and held < 0.2
    assert ds.split_names() == ["train", "val", "test", "shift"]
    shift = ds.load("shift", (32, 32))
    assert shift.images.shape == (91, 32, 32, 3) and shift.masks.max() == 1
    train = ds.load("train", (32, 32))
    assert shift.masks.mean() < 0.5 * train.masks.mean()


def test_shift_val_is_a_seeded_part_of_the_shift_and_the_rest_is_unchanged(isic_data):
    plain = distill.create("dataset", "isic2017-cc0", shift_fraction=0.2).splits()
    ds = distill.create("dataset", "isic2017-cc0", shift_fraction=0.2, shift_val_fraction=1 / 3)
    split = ds.splits()
    assert ds.split_names() == ["train", "val", "test", "shift", "shift-val"]
    assert (len(split["shift"]), len(split["shift-val"])) == (61, 30)
    ids = {s: {i.id for i in v} for s, v in split.items()}
    assert ids["shift"] | ids["shift-val"] == {i.id for i in plain["shift"]}
    assert not ids["shift"] & ids["shift-val"]
    for name in ("train", "val", "test"):
        assert ids[name] == {i.id for i in plain[name]}
    other_seed = distill.create(
        "dataset", "isic2017-cc0", shift_fraction=0.2, shift_val_fraction=1 / 3, seed=1
    )
    assert {i.id for i in other_seed.splits()["shift-val"]} != ids["shift-val"]
    with pytest.raises(ConfigError, match="shift_val_fraction"):
        distill.create("dataset", "isic2017-cc0", shift_fraction=0.2).load("shift-val", (32, 32))


def test_without_shift_fraction_the_sample_is_as_before_and_shift_is_refused(isic_data):
    ds = distill.create("dataset", "isic2017-cc0")
    assert {s: len(v) for s, v in ds.splits().items()} == {"train": 319, "val": 46, "test": 91}
    with pytest.raises(ConfigError, match="shift_fraction"):
        ds.load("shift", (32, 32))


def test_tied_lesion_areas_are_cut_by_the_seed(tmp_path):
    make_isic_tree(tmp_path, {"train": 30})  # every fake mask has the same area

    def held(seed: int) -> list[str]:
        ds = distill.create(
            "dataset", "isic2017-cc0", data_root=tmp_path, shift_fraction=0.2, seed=seed
        )
        return [i.id for i in ds.splits()["shift"]]

    assert len(held(0)) == 6 and held(0) == held(0) and held(0) != held(1)


def test_synthetic_derm_has_a_shift_split_with_small_lesions_and_marks():
    ds = distill.create(
        "dataset", "synthetic-derm", train_count=12, val_count=2, test_count=2, shift_count=12
    )
    assert ds.split_names() == ["train", "val", "test", "shift"]
    train, shift = ds.load("train", (96, 96)), ds.load("shift", (96, 96))
    assert shift.images.shape == (12, 96, 96, 3) and set(np.unique(shift.masks)) <= {0, 1}
    assert (shift.masks.mean((1, 2)) > 0).all(), "every shift image has a lesion"
    assert shift.masks.mean() < 0.4 * train.masks.mean()

    # dense hair, ink and rulers: many more dark thin structures away from the lesion
    def dark(split):
        return (split.images.mean(-1)[split.masks == 0] < 60).mean()

    assert dark(shift) > 2 * dark(train)
    with pytest.raises(ConfigError, match="shift"):
        ds.load("nope", (32, 32))


def test_the_shift_split_leaves_the_other_splits_and_their_cache_alone():
    a = distill.create("dataset", "synthetic-derm", train_count=4, shift_count=3)
    b = distill.create("dataset", "synthetic-derm", train_count=4, shift_count=9)
    assert a.config_identity() == b.config_identity()
    assert np.array_equal(a.load("train", (64, 64)).images, b.load("train", (64, 64)).images)
    assert len(a.load("shift", (64, 64))) == 3 and len(b.load("shift", (64, 64))) == 9
