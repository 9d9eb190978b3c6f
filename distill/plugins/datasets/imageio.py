"""The one image reader and the one mask reader of every dataset, ``distill score`` and predict.

Images: 8/16-bit grayscale or RGB PNG/TIFF, JPEG, BMP, and (``medical`` extra) DICOM and 2D
NIfTI. EXIF orientation is applied, so an image and its mask line up as a viewer shows
them. Raw values become 8 bits by the rule in :mod:`intensity` (bit depth, per-image
range or window), never by a silent cast. ``channels`` asks for 1 (gray; colour is
converted with ITU-R 601 luma) or 3 (RGB; gray is replicated).

Images are resized with an area filter when shrinking (bilinear when enlarging); masks are
always resized with nearest neighbour so class ids survive. JPEGs are decoded at reduced
resolution (``draft``) when the target is much smaller, which makes full-size ISIC fast.
Every failure is a DataError naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from distill.core.errors import DataError
from distill.plugins.datasets import medical
from distill.plugins.datasets.intensity import (
    Intensity,
    float_unit,
    integer_unit,
    physical_unit,
    to_uint8,
)

PIL_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
IMAGE_EXTS = (*PIL_EXTS, *medical.DICOM_EXTS, *medical.NIFTI_EXTS)
SINGLE_CHANNEL_MODES = ("1", "L", "P", "I", "I;16", "I;16B", "I;16L")
EIGHT_BIT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB")
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
GRAY_MODES = ("1", "L", "LA", "I", "F", *SIXTEEN_BIT_MODES)
TRANSPOSED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601-2, as PIL's convert("L")
DEFAULT = Intensity()


def image_suffix(path: Path) -> str:
    """The file ending, ``.nii.gz`` counted as one."""
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def image_stem(path: Path) -> str:
    """The name without its ending (``case.nii.gz`` -> ``case``)."""
    return path.name[: len(path.name) - len(image_suffix(path))]


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and image_suffix(p) in IMAGE_EXTS)


def _open(path: Path, what: str) -> Image.Image:
    if not path.is_file():
        raise DataError(f"{path}: missing {what} file")
    try:
        img = Image.open(path)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path}: unreadable {what} ({exc})") from None
    return img


def _load(img: Image.Image, path: Path, what: str) -> None:
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: unreadable or truncated {what} ({exc})") from None


def _upright(img: Image.Image, path: Path) -> Image.Image:
    """Apply the EXIF orientation tag (phone and dermatoscope JPEGs carry one)."""
    try:
        return ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError) as exc:
        raise DataError(f"{path}: bad EXIF orientation ({exc})") from None


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except (OSError, ValueError, SyntaxError, TypeError):
        return 1


def _sixteen_bit_colour(img: Image.Image) -> bool:
    """Pillow decodes 48/64-bit RGB(A) to 8 bits (the high byte); seen in the raw mode."""
    modes = [t.args[0] if isinstance(t.args, tuple) else t.args for t in img.tile]
    return img.mode in ("RGB", "RGBA") and any(";16" in str(m) for m in modes)


@dataclass(frozen=True)
class ImageInfo:
    """What a file's header says: channels, bit depth ("8-bit", "16-bit", ...), (W, H)."""

    channels: int
    depth: str
    size: tuple[int, int]


def describe_image(path: Path) -> ImageInfo:
    """Header-only facts of an image (for channel inference and ``distill data info``)."""
    path = Path(path)
    if medical.is_dicom(path) or medical.is_nifti(path):
        return ImageInfo(*medical.describe(path))
    img = _open(path, "image")
    with img:
        w, h = img.size
        size = (h, w) if _orientation(img) in TRANSPOSED_ORIENTATIONS else (w, h)
        channels = 1 if img.mode in GRAY_MODES else 3
        if img.mode in SIXTEEN_BIT_MODES or _sixteen_bit_colour(img):
            depth = "16-bit"
        else:
            depth = {"I": "32-bit", "F": "float", "1": "1-bit"}.get(img.mode, "8-bit")
    return ImageInfo(channels, depth, size)


def read_image(
    path: Path,
    size: tuple[int, int] | None,
    channels: int = 3,
    intensity: Intensity | None = None,
) -> tuple[np.ndarray, tuple[int, int]]:
    """uint8 (H, W, ``channels``) resized to ``size`` (height, width), and the original
    (W, H) after EXIF orientation. ``intensity`` is the dataset's scaling rule."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    intensity = intensity or DEFAULT
    path = Path(path)
    if medical.is_dicom(path):
        values, monochrome1 = medical.read_dicom(path)
        unit = physical_unit(values, intensity)
        return _finish(1 - unit if monochrome1 else unit, size, channels, path)
    if medical.is_nifti(path):
        return _finish(physical_unit(medical.read_nifti(path), intensity), size, channels, path)
    return _read_pil(path, size, channels, intensity)


def _read_pil(
    path: Path, size: tuple[int, int] | None, channels: int, intensity: Intensity
) -> tuple[np.ndarray, tuple[int, int]]:
    img = _open(path, "image")
    w, h = img.size
    turned = _orientation(img) in TRANSPOSED_ORIENTATIONS
    original = (h, w) if turned else (w, h)
    high_byte_only = _sixteen_bit_colour(img)
    gray = channels == 1
    if size is not None and img.format == "JPEG":
        img.draft("L" if gray else "RGB", size if turned else (size[1], size[0]))
    _load(img, path, "image")
    img = _upright(img, path)
    if img.mode in EIGHT_BIT_MODES:
        if high_byte_only and intensity != DEFAULT:
            raise DataError(
                f"{path}: 16-bit colour image; Pillow decodes only its high byte, so "
                "bit_depth, image_range and window cannot apply (store 8-bit RGB, or one "
                "16-bit grayscale file per channel)"
            )
        img = img.convert("L" if gray else "RGB")
        if intensity == DEFAULT or (intensity.bit_depth == 8 and intensity.window is None):
            if size is not None:
                img = resize_image(img, size)
            array = np.asarray(img, dtype=np.uint8)
            return (array[..., None] if gray else array), original
        unit = integer_unit(np.asarray(img), 8, path, intensity)
    elif img.mode in SIXTEEN_BIT_MODES or img.mode == "I":
        bits = 16 if img.mode in SIXTEEN_BIT_MODES else 32
        unit = integer_unit(np.asarray(img).astype(np.int64), bits, path, intensity)
    elif img.mode == "F":
        unit = float_unit(np.asarray(img), path, intensity)
    else:
        raise DataError(f"{path}: unsupported image mode {img.mode}")
    return _finish(unit, size, channels, path)[0], original


def _finish(
    unit: np.ndarray, size: tuple[int, int] | None, channels: int, path: Path
) -> tuple[np.ndarray, tuple[int, int]]:
    """[0, 1] float (H, W) or (H, W, C) to uint8 (H', W', channels), resized per channel."""
    if unit.ndim == 2:
        unit = unit[..., None]
    if unit.ndim != 3 or unit.shape[2] not in (1, 3, 4):
        raise DataError(f"{path}: pixel array of shape {unit.shape} is not a 2D image")
    unit = unit[..., :3]
    if channels == 1 and unit.shape[2] == 3:
        unit = (unit @ LUMA)[..., None]
    elif channels == 3 and unit.shape[2] == 1:
        unit = np.repeat(unit, 3, axis=2)
    original = (unit.shape[1], unit.shape[0])
    if size is not None:
        unit = np.stack([_resize_plane(unit[..., c], size) for c in range(channels)], axis=2)
    return to_uint8(unit), original


def _resize_plane(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    img = resize_image(Image.fromarray(np.ascontiguousarray(plane, np.float32), mode="F"), size)
    return np.asarray(img, dtype=np.float32)


def resize_image(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    h, w = size
    if img.size == (w, h):
        return img
    shrinking = img.size[0] >= w and img.size[1] >= h
    return img.resize((w, h), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR)


def read_mask(path: Path, image_size: tuple[int, int] | None = None) -> np.ndarray:
    """Raw single-channel mask values (H, W) at the file's own resolution, upright.

    ``image_size`` (W, H) is the size of the paired image; a different mask size is an error
    rather than a silent resize, because it usually means the wrong pair. RGB masks whose
    three channels are equal are read as gray; a colour mask is an error.
    """
    path = Path(path)
    if medical.is_nifti(path):
        values = medical.read_nifti_labels(path)
    elif medical.is_dicom(path):
        raise DataError(f"{path}: DICOM masks are not supported; store masks as PNG or NIfTI")
    else:
        values = _read_pil_mask(path)
    if image_size is not None and (values.shape[1], values.shape[0]) != tuple(image_size):
        raise DataError(
            f"{path}: mask size {values.shape[1]}x{values.shape[0]} differs from its image "
            f"{image_size[0]}x{image_size[1]}"
        )
    return values


def _read_pil_mask(path: Path) -> np.ndarray:
    img = _open(path, "mask")
    _load(img, path, "mask")
    img = _upright(img, path)
    if img.mode in SINGLE_CHANNEL_MODES:
        return np.asarray(img)
    if img.mode in ("RGB", "RGBA", "LA"):
        array = np.asarray(img)
        colour = array[..., :3] if img.mode != "LA" else array[..., :1]
        if (colour == colour[..., :1]).all():
            return colour[..., 0]
    raise DataError(
        f"{path}: mask has {len(img.getbands())} channels (mode {img.mode}) with different "
        "values; expected a single-channel (grayscale, palette or integer) image"
    )


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of class ids (H, W) uint8 to ``size`` (height, width)."""
    h, w = size
    if mask.shape == (h, w):
        return mask.astype(np.uint8, copy=False)
    img = Image.fromarray(mask.astype(np.uint8))
    return np.asarray(img.resize((w, h), Image.Resampling.NEAREST), dtype=np.uint8)


def binarise(mask: np.ndarray, path: Path) -> np.ndarray:
    """Lesion masks stored as 0/255 (or 0/1): foreground is ``> 127``, or ``== 1`` for 0/1."""
    values = np.unique(mask)
    if values.max(initial=0) <= 1:
        return (mask > 0).astype(np.uint8)
    if mask.dtype != np.uint8 or values.max() > 255:
        raise DataError(f"{path}: mask values up to {values.max()} for a binary 0/255 mask")
    return (mask > 127).astype(np.uint8)
