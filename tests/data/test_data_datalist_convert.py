"""``datalist`` (Decathlon / MONAI JSON), ``data convert --to nnunet`` and its round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from data_fakes import write_pair
from format_writers import case_labels, write_dicom, write_image, write_nifti

import distill
from distill.cli.app import run_app
from distill.core.errors import DataError


def decathlon(root, n=8, with_val=True):
    """NIfTI images and labels listed MSD-style; the last two entries as validation."""
    entries = []
    for i in range(n):
        ids = case_labels(i)
        write_nifti(root / "imagesTr" / f"p{i}.nii.gz", ids.astype(np.float32) * 50 + i)
        write_nifti(root / "labelsTr" / f"p{i}.nii.gz", ids)
        entries.append({"image": f"imagesTr/p{i}.nii.gz", "label": f"labelsTr/p{i}.nii.gz"})
    data = {"training": entries[: n - 2], "validation": entries[n - 2 :] if with_val else []}
    data["test"] = ["imagesTs/unlabelled.nii.gz"]
    (root / "dataset.json").write_text(json.dumps(data))


def test_datalist_lists_splits_and_notes_unlabelled_test(tmp_path):
    decathlon(tmp_path)
    ds = distill.create("dataset", "datalist", data_root=tmp_path)
    ids = {s: [i.id for i in items] for s, items in ds.splits().items()}
    assert ids["val"] == ["p6", "p7"] and len(ids["train"]) + len(ids["test"]) == 6
    assert ds.in_channels == 1 and ds.num_classes == 3
    assert [f for f, _ in ds.skipped] == [str(tmp_path / "imagesTs" / "unlabelled.nii.gz")]
    val = ds.load("val", (24, 32))
    np.testing.assert_array_equal(val.masks[0], case_labels(6))
    assert len(ds.mean) == 1


def test_datalist_missing_file_is_named(tmp_path):
    decathlon(tmp_path)
    (tmp_path / "labelsTr" / "p3.nii.gz").unlink()
    with pytest.raises(DataError, match=r"p3.nii.gz: file of training\[3\] not found"):
        distill.create("dataset", "datalist", data_root=tmp_path)


def test_datalist_of_dicom_images_with_png_labels(tmp_path):
    entries = []
    for i in range(6):
        ids = case_labels(i) > 0
        write_dicom(tmp_path / f"s{i}.dcm", (ids * 1000 + 24).astype(np.uint16), intercept=-1024)
        write_image(tmp_path / f"s{i}.png", (ids * 255).astype(np.uint8))
        entries.append({"image": f"s{i}.dcm", "label": f"s{i}.png"})
    (tmp_path / "list.json").write_text(json.dumps({"training": entries}))
    ds = distill.create(
        "dataset", "datalist", data_root=tmp_path, datalist="list.json", window=(-500, 1000)
    )
    assert ds.num_classes == 2 and ds.in_channels == 1
    train = ds.load("train", (24, 32))
    assert set(np.unique(train.images).tolist()) == {0, 255}  # -1000 HU and 0 HU, windowed


def folder_tree(root, n=8):
    for i in range(n):
        write_pair(root / "images" / f"c{i}.png", root / "masks" / f"c{i}.png", i)


def test_convert_to_nnunet_round_trip_identical_arrays(tmp_path):
    src, out = tmp_path / "src", tmp_path / "nn"
    folder_tree(src)
    argv = ["data", "convert", "folder", str(out), "--to", "nnunet", "--data-root", str(src)]
    assert run_app(argv) == 0
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["channel_names"] == {"0": "R", "1": "G", "2": "B"} and meta["numTraining"] == 6
    original = distill.create("dataset", "folder", data_root=src)
    back = distill.create("dataset", "nnunet", data_root=out)
    assert back.class_names == original.class_names and back.in_channels == 3
    for split in ("train", "val", "test"):
        a, b = original.load(split, (24, 32)), back.load(split, (24, 32))
        assert a.ids == b.ids
        np.testing.assert_array_equal(np.asarray(a.images), np.asarray(b.images))
        np.testing.assert_array_equal(np.asarray(a.masks), np.asarray(b.masks))


def test_convert_keeps_the_ignore_label(tmp_path):
    src, out = tmp_path / "src", tmp_path / "nn"
    for i in range(6):
        ids = case_labels(i)
        ids[0, :] = 255
        write_image(src / "images" / f"g{i}.png", (ids % 3 * 80).astype(np.uint8))
        write_image(src / "masks" / f"g{i}.png", ids)
    params = ["--set", "ignore_index=255", "--data-root", str(src)]
    assert run_app(["data", "convert", "folder", str(out), *params]) == 0
    assert json.loads((out / "dataset.json").read_text())["labels"]["ignore"] == 3
    original = distill.create("dataset", "folder", data_root=src, ignore_index=255)
    back = distill.create("dataset", "nnunet", data_root=out)
    np.testing.assert_array_equal(
        np.asarray(original.load("train", (24, 32)).masks),
        np.asarray(back.load("train", (24, 32)).masks),
    )


def test_info_and_preview_report_channels_depth_classes_and_skips(tmp_path, capsys):
    src = tmp_path / "src"
    for i in range(6):
        ids = case_labels(i) > 0
        write_image(src / "images" / f"g{i}.png", (ids * 40000).astype(np.uint16))
        write_image(src / "masks" / f"g{i}.png", (ids * 255).astype(np.uint8))
    write_image(src / "masks" / "orphan.png", np.zeros((4, 4), np.uint8))
    assert run_app(["data", "info", "folder", "--data-root", str(src)]) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert "channels: 1" in out and "16-bit x6" in out
    assert "0 background, 1 foreground" in out and "orphan.png" in out
    png = tmp_path / "p.png"
    argv = [
        "data",
        "preview",
        "folder",
        "--data-root",
        str(src),
        "--out",
        str(png),
        "--size",
        "24",
        "32",
    ]
    assert run_app(argv) == 0
    assert png.is_file() and "channels: 1" in capsys.readouterr().out
