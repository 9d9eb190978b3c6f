"""Every kind of bad input is one DataError naming the file, or a reported skip."""

from __future__ import annotations

import numpy as np
import pytest
from data_fakes import make_isic_tree, write_pair
from PIL import Image

import distill
from distill.core.errors import DataError


def good_folder(root, n=10):
    for i in range(n):
        write_pair(root / "images" / f"c{i}.png", root / "masks" / f"c{i}.png", i)


def load_all(ds, size=(32, 32)):
    return {s: ds.load(s, size) for s in ds.split_names()}


def corrupt(kind: str, root):
    """Break item c0 in one way; returns (file that must be named, message fragment)."""
    image, mask = root / "images" / "c0.png", root / "masks" / "c0.png"
    if kind == "truncated image":
        data = image.read_bytes()
        image.write_bytes(data[: len(data) // 2])
        return image, "truncated"
    if kind == "not an image":
        image.write_bytes(b"this is not a png")
        return image, "unreadable"
    if kind == "missing mask":
        mask.unlink()
        return mask, "missing mask"
    if kind == "size mismatch":
        Image.fromarray(np.zeros((10, 10), np.uint8)).save(mask)
        return mask, "differs from its image"
    if kind == "rgb mask":  # a colour mask; one whose channels agree reads as gray
        Image.fromarray(np.full((40, 48, 3), (0, 255, 0), np.uint8)).save(mask)
        return mask, "expected a single-channel"
    if kind == "values outside":
        Image.fromarray(np.full((40, 48), 7, np.uint8)).save(mask)
        return mask, "outside the class set"
    raise AssertionError(kind)


KINDS = [
    "truncated image",
    "not an image",
    "missing mask",
    "size mismatch",
    "rgb mask",
    "values outside",
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_item_is_one_clear_error(tmp_path, kind):
    good_folder(tmp_path)
    file, fragment = corrupt(kind, tmp_path)
    with pytest.raises(DataError) as info:
        ds = distill.create("dataset", "folder", data_root=tmp_path, num_classes=2)
        load_all(ds)
    assert str(file) in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_skip_bad_skips_and_reports(tmp_path, kind, capsys):
    good_folder(tmp_path)
    file, _ = corrupt(kind, tmp_path)
    ds = distill.create("dataset", "folder", data_root=tmp_path, num_classes=2, skip_bad=True)
    arrays = load_all(ds)
    assert sum(len(a) for a in arrays.values()) == 9
    assert [f for f, _ in ds.skipped] == [str(file)]
    assert str(file.name) in capsys.readouterr().err.replace("\n", "")


def test_empty_folder_and_wrong_root(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(DataError, match="empty folder"):
        distill.create("dataset", "folder", data_root=tmp_path)
    with pytest.raises(DataError, match="folder not found"):
        distill.create("dataset", "folder", data_root=tmp_path / "images")
    with pytest.raises(DataError, match="not a SIPaKMeD root"):
        distill.create("dataset", "sipakmed", data_root=tmp_path).splits()


def test_isic_bad_mask_names_the_file(tmp_path):
    make_isic_tree(tmp_path, {"train": 4, "val": 1, "test": 1})
    mask = tmp_path / "ISIC-2017_Training_Part1_GroundTruth" / "ISIC_0000001_segmentation.png"
    Image.fromarray(np.full((40, 48, 3), (255, 0, 0), np.uint8)).save(mask)
    with pytest.raises(DataError, match="ISIC_0000001_segmentation.png: mask has 3 channels"):
        distill.create("dataset", "isic2017", data_root=tmp_path).load("train", (32, 32))
    (tmp_path / "ISIC-2017_Validation_Part1_GroundTruth" / "ISIC_0000004_segmentation.png").unlink()
    ds = distill.create("dataset", "isic2017", data_root=tmp_path, skip_bad=True)
    assert len(ds.load("train", (32, 32))) == 3
    assert len(ds.splits()["val"]) == 0
    skipped = {f.rsplit("/", 1)[-1] for f, _ in ds.skipped}
    assert skipped == {"ISIC_0000001_segmentation.png", "ISIC_0000004_segmentation.png"}
