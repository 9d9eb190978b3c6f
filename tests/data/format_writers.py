"""Test files written by the libraries that define each format: Pillow (8/16-bit PNG, TIFF,
JPEG with EXIF), tifffile (16-bit RGB TIFF, which Pillow cannot write), pydicom, nibabel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, array: np.ndarray, **save: object) -> Path:
    """A PNG/TIFF/JPEG from a uint8 or uint16 array (Pillow picks L, RGB or I;16)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **save)
    return path


def write_rgb16_tiff(path: Path, array: np.ndarray) -> Path:
    import tifffile

    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, array.astype(np.uint16), photometric="rgb")
    return path


def write_dicom(
    path: Path,
    stored: np.ndarray,
    slope: float = 1.0,
    intercept: float = 0.0,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
) -> Path:
    """A single-frame grayscale DICOM (secondary capture) with a modality rescale."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 0
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = stored.astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_nifti(path: Path, rows_cols: np.ndarray, singleton: bool = True) -> Path:
    """A NIfTI whose first axis is x (columns), as ITK / nnU-Net write 2D images."""
    import nibabel

    data = np.ascontiguousarray(rows_cols.T)
    if singleton and data.ndim == 2:
        data = data[:, :, None]
    path.parent.mkdir(parents=True, exist_ok=True)
    nibabel.save(nibabel.Nifti1Image(data, np.eye(4)), str(path))
    return path


def case_labels(i: int, h: int = 24, w: int = 32, ignore: int | None = None) -> np.ndarray:
    """Background, two classes and (optionally) an ignored top row, shifted per case."""
    ids = np.zeros((h, w), np.uint8)
    ids[3 + i % 3 : 11 + i % 3, 4:14] = 1
    ids[14:20, 10 + i % 4 : 24 + i % 4] = 2
    if ignore is not None:
        ids[0, :] = ignore
    return ids


def write_nnunet(
    root: Path,
    n: int = 8,
    channels: tuple[str, ...] = ("T1", "T2"),
    ending: str = ".png",
    ignore: bool = False,
    test_cases: int = 0,
) -> dict[str, np.ndarray]:
    """An nnU-Net v2 raw dataset (dataset.json, imagesTr/labelsTr, optional imagesTs/labelsTs);
    returns the label map of every case."""
    import json

    labels = {"background": 0, "liver": 1, "tumour": 2, **({"ignore": 3} if ignore else {})}
    truth = {}
    for i in range(n + test_cases):
        case = f"case_{i:03d}"
        images, label_dir = ("imagesTr", "labelsTr") if i < n else ("imagesTs", "labelsTs")
        ids = case_labels(i, ignore=3 if ignore else None)
        for c in range(len(channels)):
            plane = ((ids % 3) * (40 + 30 * c) + 10 * c).astype(np.uint8)
            if ending == ".png":
                write_image(root / images / f"{case}_{c:04d}.png", plane)
            elif ending == ".tif":
                write_image(root / images / f"{case}_{c:04d}.tif", plane.astype(np.uint16) * 200)
            else:
                write_nifti(root / images / f"{case}_{c:04d}{ending}", plane.astype(np.float32))
        if ending == ".png" or ending == ".tif":
            write_image(root / label_dir / f"{case}{ending}", ids)
        else:
            write_nifti(root / label_dir / f"{case}{ending}", ids)
        truth[case] = ids
    meta = {
        "channel_names": {str(c): name for c, name in enumerate(channels)},
        "labels": labels,
        "numTraining": n,
        "file_ending": ending,
    }
    (root / "dataset.json").write_text(json.dumps(meta))
    return truth
