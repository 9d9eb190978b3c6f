"""The ``nnunet`` dataset on real nnU-Net v2 raw folders (PNG, TIFF, NIfTI)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from format_writers import write_image, write_nnunet

import distill
from distill.core.errors import ConfigError, DataError
from distill.core.metrics import IGNORE_INDEX


@pytest.mark.parametrize("ending", [".png", ".tif", ".nii.gz"])
def test_channels_stacked_classes_named_ignore_mapped(tmp_path, ending):
    truth = write_nnunet(tmp_path, ending=ending, ignore=True)
    ds = distill.create("dataset", "nnunet", data_root=tmp_path)
    assert ds.in_channels == 2 and ds.num_classes == 3
    assert ds.class_names == ("background", "liver", "tumour")
    train = ds.load("train", (24, 32))
    assert train.images.shape[1:] == (24, 32, 2)
    for mask, case in zip(train.masks, train.ids, strict=True):
        expected = np.where(truth[case] == 3, IGNORE_INDEX, truth[case])
        np.testing.assert_array_equal(mask, expected)
    assert len(ds.mean) == 2 and len(ds.std) == 2  # from the training split
    assert all(0 < s < 1 for s in ds.std)


def test_fold_from_splits_final_and_test_from_labelsTs(tmp_path):
    write_nnunet(tmp_path, n=6, test_cases=2)
    folds = [
        {
            "train": ["case_000", "case_001", "case_002", "case_003"],
            "val": ["case_004", "case_005"],
        },
        {
            "train": ["case_002", "case_003", "case_004", "case_005"],
            "val": ["case_000", "case_001"],
        },
    ]
    (tmp_path / "splits_final.json").write_text(json.dumps(folds))
    ds = distill.create("dataset", "nnunet", data_root=tmp_path, fold=1)
    ids = {s: [i.id for i in items] for s, items in ds.splits().items()}
    assert ids == {
        "train": ["case_002", "case_003", "case_004", "case_005"],
        "val": ["case_000", "case_001"],
        "test": ["case_006", "case_007"],
    }
    assert "fold 1" in ds.split_origin and "labelsTs" in ds.split_origin
    with pytest.raises(ConfigError, match="fold 2 but .*splits_final.json holds 2 fold"):
        distill.create("dataset", "nnunet", data_root=tmp_path, fold=2)


def test_rgb_png_in_one_channel_file(tmp_path):
    write_nnunet(tmp_path, n=5, channels=("R", "G", "B"))
    for path in (tmp_path / "imagesTr").glob("*_0001.png"):
        path.unlink()
    for path in (tmp_path / "imagesTr").glob("*_0002.png"):
        path.unlink()
    for path in sorted((tmp_path / "imagesTr").glob("*_0000.png")):
        write_image(path, np.full((24, 32, 3), (10, 20, 30), np.uint8))
    ds = distill.create("dataset", "nnunet", data_root=tmp_path, test_fraction=0.2)
    assert ds.in_channels == 3
    np.testing.assert_array_equal(ds.load("train", (24, 32)).images[0, 0, 0], [10, 20, 30])


def test_missing_required_key_is_named(tmp_path):
    write_nnunet(tmp_path)
    meta = json.loads((tmp_path / "dataset.json").read_text())
    del meta["file_ending"]
    (tmp_path / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match=r"dataset.json: missing required key\(s\) file_ending"):
        distill.create("dataset", "nnunet", data_root=tmp_path)


def test_label_value_not_in_labels_is_named(tmp_path):
    write_nnunet(tmp_path)
    bad = tmp_path / "labelsTr" / "case_003.png"
    write_image(bad, np.full((24, 32), 5, np.uint8))
    ds = distill.create(
        "dataset", "nnunet", data_root=tmp_path, val_fraction=0.0, test_fraction=0.0
    )
    with pytest.raises(DataError, match=r"case_003.png: label values \[5\] are not in labels"):
        ds.load("train", (24, 32))


def test_missing_channel_file_is_named_or_skipped(tmp_path):
    write_nnunet(tmp_path)
    (tmp_path / "imagesTr" / "case_002_0001.png").unlink()
    with pytest.raises(
        DataError, match=r"case_002_0001.png: missing channel file of case case_002"
    ):
        distill.create("dataset", "nnunet", data_root=tmp_path)
    ds = distill.create("dataset", "nnunet", data_root=tmp_path, skip_bad=True)
    assert ds.skipped[0][0].endswith("case_002_0001.png")
    assert "case_002" not in {i.id for items in ds.splits().values() for i in items}


def test_numtraining_mismatch_and_region_labels_are_named(tmp_path):
    write_nnunet(tmp_path)
    meta = json.loads((tmp_path / "dataset.json").read_text())
    (tmp_path / "dataset.json").write_text(json.dumps({**meta, "numTraining": 9}))
    with pytest.raises(DataError, match="numTraining is 9 but imagesTr/labelsTr hold 8"):
        distill.create("dataset", "nnunet", data_root=tmp_path)
    regions = {**meta, "labels": {"background": 0, "whole": [1, 2]}}
    (tmp_path / "dataset.json").write_text(json.dumps(regions))
    with pytest.raises(DataError, match="label 'whole' is a region"):
        distill.create("dataset", "nnunet", data_root=tmp_path)
