"""The one image reader: bit depth, EXIF orientation, channels, DICOM and NIfTI (#26)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from format_writers import write_dicom, write_image, write_nifti, write_rgb16_tiff
from PIL import Image

from distill.core.errors import DataError
from distill.plugins.datasets.imageio import describe_image, read_image, read_mask
from distill.plugins.datasets.intensity import Intensity


def ramp16(h: int = 12, w: int = 16, top: int = 65535) -> np.ndarray:
    return np.linspace(0, top, h * w).round().astype(np.uint16).reshape(h, w)


def expected8(values: np.ndarray, bits: int) -> np.ndarray:
    return np.rint(values / (2**bits - 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_16bit_grayscale_scales_by_its_depth_not_all_white(tmp_path, ext):
    raw = ramp16()
    path = write_image(tmp_path / f"g16.{ext}", raw)
    gray, original = read_image(path, None, channels=1)
    assert original == (16, 12) and gray.shape == (12, 16, 1)
    np.testing.assert_array_equal(gray[..., 0], expected8(raw, 16))
    rgb, _ = read_image(path, None)  # the default 3 channels replicate the gray plane
    assert rgb.shape == (12, 16, 3) and (rgb == gray).all()
    assert describe_image(path).depth == "16-bit" and describe_image(path).channels == 1


def test_declared_bit_depth_and_image_range(tmp_path):
    raw = ramp16(top=4095)  # 12-bit data in a 16-bit container: nearly black at 16 bits
    path = write_image(tmp_path / "g12.png", raw)
    as12, _ = read_image(path, None, 1, Intensity(bit_depth=12))
    np.testing.assert_array_equal(as12[..., 0], expected8(raw, 12))
    ranged, _ = read_image(path, None, 1, Intensity(scaling="image_range"))
    assert ranged.min() == 0 and ranged.max() == 255
    with pytest.raises(
        DataError, match=r"g12.png: pixel value 4095 exceeds the declared bit_depth 10"
    ):
        read_image(path, None, 1, Intensity(bit_depth=10))


def test_8bit_rgb_and_gray_conversion(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (10, 14, 3), dtype=np.uint8)
    path = write_image(tmp_path / "c.png", rgb)
    out, _ = read_image(path, None)
    np.testing.assert_array_equal(out, rgb)
    gray, _ = read_image(path, None, channels=1)
    np.testing.assert_array_equal(gray[..., 0], np.asarray(Image.fromarray(rgb).convert("L")))


def test_16bit_rgb_tiff_default_depth_and_declared_depth_is_named(tmp_path):
    raw = np.stack([ramp16(), ramp16()[::-1], np.full((12, 16), 30000, np.uint16)], axis=-1)
    path = write_rgb16_tiff(tmp_path / "c16.tif", raw)
    out, _ = read_image(path, None)
    assert np.abs(out.astype(int) - expected8(raw, 16)).max() <= 1  # Pillow keeps the high byte
    assert describe_image(path).depth == "16-bit" and describe_image(path).channels == 3
    with pytest.raises(DataError, match="c16.tif: 16-bit colour image"):
        read_image(path, None, 3, Intensity(bit_depth=12))


def test_exif_orientation_is_applied_to_image_and_size(tmp_path):
    pixels = np.zeros((20, 30, 3), np.uint8)
    pixels[:, :10] = 255  # a white band on the left, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "phone.jpg"
    Image.fromarray(pixels).save(path, exif=exif.tobytes(), quality=95)
    image, original = read_image(path, None)
    assert original == (20, 30) and image.shape == (30, 20, 3)  # displayed: portrait
    assert image[:8].mean() > 200 and image[-8:].mean() < 50  # band now on top
    assert describe_image(path).size == (20, 30)


def test_float_tiff_needs_a_rule_outside_unit_range(tmp_path):
    path = tmp_path / "f.tif"
    Image.fromarray(np.linspace(-5, 5, 64, dtype=np.float32).reshape(8, 8)).save(path)
    with pytest.raises(DataError, match=r"f.tif: floating-point image with values in \[-5, 5\]"):
        read_image(path, None, 1)
    out, _ = read_image(path, None, 1, Intensity(scaling="image_range"))
    assert out.min() == 0 and out.max() == 255


def test_resize_of_16bit_is_area_average(tmp_path):
    raw = np.zeros((8, 8), np.uint16)
    raw[:, 4:] = 65535
    out, _ = read_image(write_image(tmp_path / "h.png", raw), (2, 2), channels=1)
    np.testing.assert_array_equal(out[..., 0], [[0, 255], [0, 255]])


def test_dicom_rescale_window_and_monochrome1(tmp_path):
    stored = np.array([[0, 1000, 1024, 1064], [1224, 1424, 2000, 4095]], np.uint16)
    path = write_dicom(tmp_path / "ct.dcm", stored, slope=1.0, intercept=-1024.0)
    hu = stored.astype(np.float32) - 1024  # -1024 .. 3071 HU
    out, original = read_image(path, None, 1, Intensity(window=(40.0, 400.0)))
    expected = np.rint(np.clip((hu - (40 - 200)) / 400, 0, 1) * 255).astype(np.uint8)
    assert original == (4, 2)
    np.testing.assert_array_equal(out[..., 0], expected)
    ranged, _ = read_image(path, None, 1)  # no window: per-image range of the HU values
    assert ranged[0, 0, 0] == 0 and ranged[1, 3, 0] == 255
    inverted = write_dicom(tmp_path / "cr.dcm", stored, photometric="MONOCHROME1")
    dark, _ = read_image(inverted, None, 1)
    np.testing.assert_array_equal(dark, 255 - ranged)
    assert describe_image(path).depth == "DICOM 12-bit"


def test_nifti_2d_singleton_ok_3d_is_named(tmp_path):
    rows_cols = np.arange(6 * 9, dtype=np.float32).reshape(6, 9)
    for name, singleton in (("flat.nii", False), ("slice.nii.gz", True)):
        out, original = read_image(write_nifti(tmp_path / name, rows_cols, singleton), None, 1)
        assert original == (9, 6)
        np.testing.assert_array_equal(out[..., 0], np.rint(rows_cols / rows_cols.max() * 255))
    import nibabel

    volume = tmp_path / "vol.nii.gz"
    nibabel.save(nibabel.Nifti1Image(np.zeros((9, 6, 4), np.float32), np.eye(4)), str(volume))
    with pytest.raises(DataError, match=r"vol.nii.gz: NIfTI of shape \(9, 6, 4\) is not 2D"):
        read_image(volume, None, 1)
    labels = write_nifti(tmp_path / "lab.nii.gz", (rows_cols % 3).astype(np.uint8))
    np.testing.assert_array_equal(read_mask(labels, (9, 6)), rows_cols % 3)


@pytest.mark.parametrize("module,ext", [("pydicom", ".dcm"), ("nibabel", ".nii.gz")])
def test_missing_medical_extra_names_file_and_extra(tmp_path, monkeypatch, module, ext):
    path = tmp_path / f"x{ext}"
    path.write_bytes(b"\0" * 400)
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    with pytest.raises(DataError, match=rf"x{ext}: reading this file needs {module}.*medical"):
        read_image(path, None, 1)


def test_gray_rgb_mask_reads_as_gray_colour_mask_is_named(tmp_path):
    ids = np.zeros((6, 6), np.uint8)
    ids[2:4, 2:4] = 255
    path = write_image(tmp_path / "m.png", np.stack([ids] * 3, axis=-1))
    np.testing.assert_array_equal(read_mask(path), ids)
    colour = write_image(tmp_path / "c.png", np.stack([ids, ids * 0, ids], axis=-1))
    with pytest.raises(DataError, match="c.png: mask has 3 channels"):
        read_mask(colour)
