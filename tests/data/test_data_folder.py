from __future__ import annotations

import json

import numpy as np
import pytest
from data_fakes import write_pair
from PIL import Image

import distill
from distill.core.errors import DataError


def tree(root, n=5, suffix="", values=(0, 255)):
    for i in range(n):
        write_pair(
            root / "images" / f"case{i}.png",
            root / "masks" / f"case{i}{suffix}.png",
            i,
            mask_values=values,
        )


def test_binary_with_suffix_and_seeded_split(tmp_path):
    tree(tmp_path, 10, suffix="_mask")
    ds = distill.create("dataset", "folder", data_root=tmp_path, mask_suffix="_mask")
    assert ds.num_classes == 2
    sizes = {s: len(v) for s, v in ds.splits().items()}
    assert sizes == {"train": 7, "val": 1, "test": 2}
    arrays = ds.load("train", (32, 32))
    assert set(np.unique(arrays.masks).tolist()) == {0, 1}


def test_multiclass_palette_masks_infer_classes(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i in range(4):
        Image.fromarray(np.full((20, 30, 3), 40 * i, np.uint8)).save(
            tmp_path / "images" / f"{i}.jpg"
        )
        ids = np.zeros((20, 30), np.uint8)
        ids[5:10, 5:10], ids[12:18, 10:20] = 1, 3
        mask = Image.fromarray(ids, mode="L").convert("P")
        mask.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
        mask.save(tmp_path / "masks" / f"{i}.png")
    ds = distill.create(
        "dataset", "folder", data_root=tmp_path, val_fraction=0.25, test_fraction=0.25
    )
    assert ds.num_classes == 4 and ds.class_names[0] == "background"
    assert set(np.unique(ds.load("train", (32, 32)).masks).tolist()) == {0, 1, 3}


@pytest.mark.parametrize("kind", ["json", "csv", "txt"])
def test_split_files(tmp_path, kind):
    tree(tmp_path, 4)
    plan = {"case0": "train", "case1": "train", "case2": "val", "case3": "test"}
    path = tmp_path / f"split.{kind}"
    if kind == "json":
        grouped: dict[str, list[str]] = {}
        for stem, split in plan.items():
            grouped.setdefault(split, []).append(stem)
        path.write_text(json.dumps(grouped))
    elif kind == "csv":
        path.write_text("stem,split\n" + "".join(f"{k}.png,{v}\n" for k, v in plan.items()))
    else:
        path.write_text("# stem split\n" + "".join(f"{k} {v}\n" for k, v in plan.items()))
    ds = distill.create("dataset", "folder", data_root=tmp_path, split_file=path.name)
    assert [i.id for i in ds.splits()["train"]] == ["case0", "case1"]
    assert [i.id for i in ds.splits()["test"]] == ["case3"]


def test_split_file_problems(tmp_path):
    tree(tmp_path, 3)
    (tmp_path / "s.txt").write_text("case0 train\ncase1 holdout\ncase2 test\n")
    with pytest.raises(DataError, match="unknown split"):
        distill.create("dataset", "folder", data_root=tmp_path, split_file="s.txt")
    (tmp_path / "s.json").write_text(json.dumps({"train": ["case0"], "test": ["case1"]}))
    with pytest.raises(DataError, match="no split for 1 image"):
        distill.create("dataset", "folder", data_root=tmp_path, split_file="s.json")
