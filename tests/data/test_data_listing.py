"""Nothing dropped without a note: orphan masks, duplicate stems, broken cache, empty train."""

from __future__ import annotations

import numpy as np
import pytest
from data_fakes import write_pair

import distill
from distill.core.errors import ConfigError, DataError


def good_folder(root, n=6):
    for i in range(n):
        write_pair(root / "images" / f"c{i}.png", root / "masks" / f"c{i}.png", i)


def test_orphan_masks_are_counted_and_named(tmp_path, capsys):
    good_folder(tmp_path)
    write_pair(tmp_path / "elsewhere" / "x.png", tmp_path / "masks" / "lost.png", 9)
    ds = distill.create("dataset", "folder", data_root=tmp_path)
    assert sum(len(v) for v in ds.splits().values()) == 6
    assert ds.skipped == [
        (str(tmp_path / "masks" / "lost.png"), f"mask without an image in {tmp_path / 'images'}")
    ]
    assert "lost.png" in capsys.readouterr().err.replace("\n", "")


def test_duplicate_stems_are_an_error_or_skipped_by_name(tmp_path):
    good_folder(tmp_path)
    write_pair(tmp_path / "images" / "c1.jpg", tmp_path / "unused" / "m.png", 7)
    with pytest.raises(DataError, match=r"c1.jpg: image stem 'c1' is also used by c1.png"):
        distill.create("dataset", "folder", data_root=tmp_path)
    ds = distill.create("dataset", "folder", data_root=tmp_path, skip_bad=True)
    images, masks = tmp_path / "images", tmp_path / "masks"
    expected = [str(images / "c1.jpg"), str(images / "c1.png"), str(masks / "c1.png")]
    assert sorted(f for f, _ in ds.skipped) == expected  # the mask is then an orphan
    assert "c1" not in {i.id for items in ds.splits().values() for i in items}


def test_zero_byte_cache_array_is_rebuilt(tmp_path):
    good_folder(tmp_path)
    ds = distill.create("dataset", "folder", data_root=tmp_path)
    first = ds.load("train", (16, 16))
    entry = ds.cache_entry("train", (16, 16))
    (entry.path / "images.npy").write_bytes(b"")  # a disk-full or killed copy
    again = distill.create("dataset", "folder", data_root=tmp_path).load("train", (16, 16))
    np.testing.assert_array_equal(np.asarray(again.images), np.asarray(first.images))
    assert (entry.path / "images.npy").stat().st_size > 0


def test_split_without_training_items_is_a_config_error(tmp_path):
    good_folder(tmp_path, 4)
    with pytest.raises(ConfigError, match="val_fraction=0.5 and test_fraction=0.5 leave no"):
        distill.create("dataset", "folder", data_root=tmp_path, val_fraction=0.5, test_fraction=0.5)
    (tmp_path / "s.txt").write_text("".join(f"c{i} test\n" for i in range(4)))
    with pytest.raises(ConfigError, match=r"split_file \S*s.txt leaves no training items"):
        distill.create("dataset", "folder", data_root=tmp_path, split_file="s.txt")
