"""DICOM and 2D NIfTI decoding (the ``medical`` extra: pydicom, nibabel).

Both give physical values (DICOM after its rescale slope/intercept, NIfTI after
``scl_slope``/``scl_inter``), which :mod:`intensity` windows or range-scales. Arrays come
back as (H, W) or (H, W, C) with rows first, like a PNG: a NIfTI's first axis is x (image
columns), as ITK, SimpleITK and nnU-Net read it, so it is transposed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from distill.core.errors import DataError

DICOM_EXTS = (".dcm", ".dicom")
NIFTI_EXTS = (".nii.gz", ".nii")
INSTALL_HINT = 'pip install "distill[medical]"'


def is_dicom(path: Path) -> bool:
    return path.name.lower().endswith(DICOM_EXTS)


def is_nifti(path: Path) -> bool:
    return path.name.lower().endswith(NIFTI_EXTS)


def _require(module: str, path: Path) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise DataError(
            f"{path}: reading this file needs {module}, which is not installed ({INSTALL_HINT})"
        ) from None


def read_dicom(path: Path) -> tuple[np.ndarray, bool]:
    """Rescaled float32 pixels (H, W) or (H, W, 3), and whether it is MONOCHROME1 (dark =
    high values, to be inverted after scaling so that every image reads bright = dense)."""
    pydicom = _require("pydicom", path)
    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for bad files
        raise DataError(f"{path}: unreadable DICOM ({exc})") from None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise DataError(f"{path}: DICOM holds {frames} frames; only 2D images are supported")
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    values = pixels.astype(np.float32) * slope + intercept
    monochrome1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    return values, monochrome1


def read_nifti(path: Path) -> np.ndarray:
    """A 2D NIfTI (a singleton third axis is fine) as float32 (H, W); 3D is an error."""
    nibabel = _require("nibabel", path)
    try:
        data = np.asarray(nibabel.load(str(path)).get_fdata(dtype=np.float32))
    except Exception as exc:  # nibabel raises many types for bad files
        raise DataError(f"{path}: unreadable NIfTI ({exc})") from None
    extra = data.shape[2:]
    if data.ndim < 2 or any(n != 1 for n in extra):
        raise DataError(
            f"{path}: NIfTI of shape {data.shape} is not 2D (a 3D volume is not supported; "
            "store one slice per file)"
        )
    return data.reshape(data.shape[:2]).T


def read_nifti_labels(path: Path) -> np.ndarray:
    """Integer labels of a 2D NIfTI mask; non-integer values are an error, never rounded."""
    values = read_nifti(path)
    labels = np.rint(values)
    if not np.array_equal(labels, values):
        raise DataError(f"{path}: label NIfTI holds non-integer values")
    if labels.size and labels.min() < 0:
        raise DataError(f"{path}: label NIfTI holds negative values")
    return labels.astype(np.int64)


def describe(path: Path) -> tuple[int, str, tuple[int, int]]:
    """Channels, bit depth and (W, H) from the header alone."""
    if is_dicom(path):
        pydicom = _require("pydicom", path)
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as exc:  # pydicom raises many types for bad files
            raise DataError(f"{path}: unreadable DICOM ({exc})") from None
        bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 0)) or 0)
        size = (int(ds.get("Columns", 0)), int(ds.get("Rows", 0)))
        return int(ds.get("SamplesPerPixel", 1) or 1), f"DICOM {bits}-bit", size
    nibabel = _require("nibabel", path)
    try:
        header = nibabel.load(str(path)).header
    except Exception as exc:  # nibabel raises many types for bad files
        raise DataError(f"{path}: unreadable NIfTI ({exc})") from None
    shape = header.get_data_shape()
    return 1, f"NIfTI {header.get_data_dtype()}", (int(shape[0]), int(shape[1]))
