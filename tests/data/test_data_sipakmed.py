from __future__ import annotations

import numpy as np
import pytest
from data_fakes import make_sipakmed_tree

import distill
from distill.core.errors import DataError
from distill.plugins.datasets.base import SourceItem
from distill.plugins.datasets.sipakmed import CLASSES, read_contour, split_manifest
from distill.plugins.datasets.splits import largest_remainder, stratified_split

TRUE_COUNTS = {
    "Dyskeratotic": 813,
    "Koilocytotic": 825,
    "Metaplastic": 793,
    "Parabasal": 787,
    "Superficial-Intermediate": 831,
}


def manifest() -> list[SourceItem]:
    return [
        SourceItem(f"{c}/{i:03d}", f"{c}/{i}.bmp", None, (), c)  # type: ignore[arg-type]
        for c, n in TRUE_COUNTS.items()
        for i in range(n)
    ]


def test_full_manifest_splits_exactly_3037_1012_stratified():
    items = manifest()
    assert len(items) == 4049
    train, test = stratified_split([i.label for i in items], 0.25, seed=0)
    assert (len(train), len(test)) == (3037, 1012)
    assert not set(train) & set(test)
    per_class = {c: sum(items[i].label == c for i in test) for c in CLASSES}
    for c, n in TRUE_COUNTS.items():
        assert abs(per_class[c] - n * 1012 / 4049) < 1
    assert stratified_split([i.label for i in items], 0.25, seed=0) == (train, test)
    assert stratified_split([i.label for i in items], 0.25, seed=1)[1] != test


def test_validation_is_carved_from_train_only():
    splits = split_manifest(manifest(), 0.25, 0.1, seed=0)
    assert len(splits["test"]) == 1012
    assert len(splits["train"]) + len(splits["val"]) == 3037
    assert len(splits["val"]) == round(3037 * 0.1)
    no_val = split_manifest(manifest(), 0.25, 0.0, seed=0)
    assert len(no_val["train"]) == 3037 and no_val["val"] == no_val["test"]


def test_largest_remainder_sums_exactly():
    assert sum(largest_remainder([3, 3, 3], 4)) == 4
    assert largest_remainder([0, 0], 0) == [0, 0]


@pytest.mark.parametrize("nested", [False, True])
def test_tree_counts_masks_and_classes(tmp_path, nested):
    make_sipakmed_tree(tmp_path, {c: 4 for c in CLASSES}, nested=nested)
    ds = distill.create("dataset", "sipakmed", data_root=tmp_path, val_fraction=0.2)
    splits = ds.splits()
    assert sum(len(v) for v in splits.values()) == 20 and len(splits["test"]) == 5
    assert ds.num_classes == 3
    arrays = ds.load("train", (32, 32))
    for mask in arrays.masks:
        assert set(np.unique(mask).tolist()) == {0, 1, 2}
        assert mask[16, 16] == 2 and mask[0, 0] == 0  # nucleus at the centre
    assert all(i.startswith(tuple(CLASSES)) for i in arrays.ids)


def test_contours_outside_the_crop_are_clipped_and_counted(tmp_path):
    make_sipakmed_tree(tmp_path, {"Parabasal": 4}, outside=2)
    ds = distill.create(
        "dataset", "sipakmed", data_root=tmp_path, test_fraction=0.25, val_fraction=0.0
    )
    arrays = ds.load("train", (32, 32))
    assert len(arrays) == 3
    assert 1 <= len(ds.clipped) <= 2
    touching = int((arrays.masks[:, :, 0].max(axis=1) >= 1).sum())  # cell reaches the border
    assert touching == len(ds.clipped)


def test_dat_parsing_commas_whitespace_and_errors(tmp_path):
    good = tmp_path / "a_cyt.dat"
    good.write_text("1.5,2\n3 4\n\n5.0\t6.25\n")
    assert read_contour(good).tolist() == [[1.5, 2.0], [3.0, 4.0], [5.0, 6.25]]
    bad = tmp_path / "b_cyt.dat"
    bad.write_text("1,2\nx,y\n3,4\n")
    with pytest.raises(DataError, match=r"b_cyt.dat: line 2"):
        read_contour(bad)
    short = tmp_path / "c_nuc.dat"
    short.write_text("1,2\n")
    with pytest.raises(DataError, match="at least 3"):
        read_contour(short)
