from __future__ import annotations

import numpy as np

import distill


def test_synthetic_derm_splits_shapes_and_values():
    ds = distill.create("dataset", "synthetic-derm", train_count=4, val_count=2, test_count=3)
    assert ds.split_names() == ["train", "val", "test", "shift"]  # shift: see test_data_shift
    assert ds.num_classes == 2 and len(ds.class_names) == 2 and len(ds.mean) == 3
    for split, n in (("train", 4), ("val", 2), ("test", 3)):
        arrays = ds.load(split, (64, 96))
        assert arrays.images.shape == (n, 64, 96, 3) and arrays.images.dtype == np.uint8
        assert arrays.masks.shape == (n, 64, 96) and arrays.masks.dtype == np.uint8
        assert set(np.unique(arrays.masks).tolist()) <= {0, 1}
        assert len(arrays.ids) == n
    fg = ds.load("train", (64, 96)).masks.mean(axis=(1, 2))
    assert np.all(fg > 0.005) and np.all(fg < 0.95)


def test_synthetic_pap_has_three_classes_with_nucleus_inside_cells():
    ds = distill.create("dataset", "synthetic-pap", train_count=3)
    arrays = ds.load("train", (64, 64))
    assert ds.num_classes == 3 and ds.class_names == ("background", "cytoplasm", "nucleus")
    for mask in arrays.masks:
        assert set(np.unique(mask).tolist()) == {0, 1, 2}


def test_synthetic_is_deterministic_and_seeded(tmp_path):
    a = distill.create("dataset", "synthetic-derm", train_count=3, cache_dir=tmp_path / "a")
    b = distill.create("dataset", "synthetic-derm", train_count=3, cache_dir=tmp_path / "b")
    c = distill.create("dataset", "synthetic-derm", train_count=3, seed=1, cache_dir=tmp_path / "c")
    x, y, z = (d.load("train", (64, 64)) for d in (a, b, c))
    assert np.array_equal(x.images, y.images) and np.array_equal(x.masks, y.masks)
    assert not np.array_equal(x.images, z.images)
    # an image does not depend on how many others are generated
    more = distill.create("dataset", "synthetic-derm", train_count=5, cache_dir=tmp_path / "d")
    assert np.array_equal(more.load("train", (64, 64)).images[:3], x.images)


def test_difficulty_changes_the_images():
    easy = distill.create("dataset", "synthetic-pap", train_count=2, difficulty=0.0)
    hard = distill.create("dataset", "synthetic-pap", train_count=2, difficulty=1.0)
    assert not np.array_equal(
        easy.load("train", (64, 64)).images, hard.load("train", (64, 64)).images
    )


def test_generated_data_is_cached(_quiet_private_cache):
    ds = distill.create("dataset", "synthetic-derm", train_count=2)
    first = ds.load("train", (64, 64))
    entries = list(_quiet_private_cache.rglob("meta.json"))
    assert len(entries) == 1
    stamp = entries[0].stat().st_mtime_ns
    again = distill.create("dataset", "synthetic-derm", train_count=2).load("train", (64, 64))
    assert np.array_equal(first.images, again.images)
    assert entries[0].stat().st_mtime_ns == stamp
