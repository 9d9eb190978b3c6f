"""Image in, model input out, and class probabilities back at the image's own size.

The one place where a deployed model's input is normalised: the PyTorch and the
onnxruntime predictors both call :meth:`Preprocess.batch`, so the two runtimes cannot drift
apart. Files are decoded by the project's one reader
(:func:`distill.plugins.datasets.imageio.read_image`), with the dataset's channel count and
intensity rule, exactly as training decoded them. numpy and Pillow only: no torch.

Resize policy ``stretch`` (the only one, recorded so a bundle says it): the whole image is
resized to the training size, ignoring its aspect ratio, as the training data was; the
probabilities are resized back bilinearly (half-pixel centres, as ``F.interpolate`` with
``align_corners=False``) and the label is their argmax.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np
from PIL import Image, ImageOps

from distill.core.errors import DataError
from distill.plugins.datasets.imageio import read_image, resize_image
from distill.plugins.datasets.intensity import Intensity

ImageInput = Union[str, Path, Image.Image, np.ndarray]
RESIZE_POLICIES = ("stretch",)
INTENSITY_FIELDS = ("scaling", "bit_depth", "window")


@dataclass(frozen=True)
class Decoded:
    """One input image: uint8 (H, W, C) at the model's size, and its original (W, H)."""

    pixels: np.ndarray
    original: tuple[int, int]
    name: str


@dataclass(frozen=True)
class Preprocess:
    """What an image needs before the model sees it, recorded at training time."""

    size: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    in_channels: int = 3
    resize: str = "stretch"
    intensity: dict[str, Any] = field(default_factory=dict)
    colour_constancy: float | None = None  # shades-of-grey p the model was trained with

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_POLICIES:
            raise DataError(f"resize policy '{self.resize}' unknown (known: stretch)")
        if not (len(self.mean) == len(self.std) == self.in_channels):
            raise DataError(
                f"mean/std have {len(self.mean)}/{len(self.std)} values for "
                f"{self.in_channels} input channel(s)"
            )

    # ----- recording --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["size"], data["mean"], data["std"] = list(self.size), list(self.mean), list(self.std)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocess:
        return cls(
            size=(int(data["size"][0]), int(data["size"][1])),
            mean=tuple(float(v) for v in data["mean"]),
            std=tuple(float(v) for v in data["std"]),
            in_channels=int(data.get("in_channels", len(data["mean"]))),
            resize=str(data.get("resize", "stretch")),
            intensity=dict(data.get("intensity") or {}),
            colour_constancy=data.get("colour_constancy"),
        )

    # ----- image to model input ---------------------------------------------------------
    def decode(self, item: ImageInput, name: str | None = None) -> Decoded:
        """A path, PIL image or uint8 array, at the model's size and channel count."""
        if isinstance(item, (str, Path)):
            rule = Intensity(**self.intensity) if self.intensity else None
            pixels, original = read_image(Path(item), self.size, self.in_channels, rule)
            return Decoded(pixels, original, name or str(item))
        if isinstance(item, np.ndarray):
            item = _array_image(item, name or "array")
        if not isinstance(item, Image.Image):
            raise DataError(
                f"{name or 'input'}: expected a path, a PIL image or a numpy array, "
                f"got {type(item).__name__}"
            )
        img = ImageOps.exif_transpose(item).convert("L" if self.in_channels == 1 else "RGB")
        original = img.size
        pixels = np.asarray(resize_image(img, self.size), dtype=np.uint8)
        return Decoded(pixels[..., None] if pixels.ndim == 2 else pixels, original, name or "image")

    def full_size(self, path: str | Path) -> np.ndarray:
        """The file at its own size (for overlays), decoded by the same rule."""
        rule = Intensity(**self.intensity) if self.intensity else None
        return read_image(Path(path), None, self.in_channels, rule)[0]

    def batch(self, pixels: list[np.ndarray] | np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) images to float32 (N, C, H, W): ``(x / 255 - mean) / std``,
        after the shades-of-grey correction when the model was trained with it."""
        if self.colour_constancy:
            from distill.core.colour import shades_of_grey  # numpy only

            pixels = shades_of_grey(np.asarray(pixels, np.uint8), self.colour_constancy)
        x = np.asarray(pixels, dtype=np.float32) / 255.0
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise DataError(f"expected (N, H, W, {self.in_channels}) images, got {x.shape}")
        mean = np.asarray(self.mean, np.float32)
        std = np.asarray(self.std, np.float32)
        return np.ascontiguousarray(((x - mean) / std).transpose(0, 3, 1, 2))


def _array_image(array: np.ndarray, name: str) -> Image.Image:
    """uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) as a PIL image."""
    if array.dtype != np.uint8:
        raise DataError(
            f"{name}: array of dtype {array.dtype}; pass uint8 pixels, or the file path so the "
            "dataset's intensity rule (bit depth, window) applies"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise DataError(f"{name}: array of shape {array.shape} is not an (H, W[, C]) image")
    return Image.fromarray(np.ascontiguousarray(array))


def softmax(logits: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted, dtype=np.float32)
    return exp / exp.sum(axis=axis, keepdims=True)


def resize_probabilities(probs: np.ndarray, original: tuple[int, int]) -> np.ndarray:
    """(C, h, w) probabilities to (C, H, W) for ``original`` (W, H): bilinear, half-pixel
    centres, no antialiasing; a convex combination, so each pixel still sums to 1."""
    width, height = original
    rows = _taps(probs.shape[1], height)
    cols = _taps(probs.shape[2], width)
    out = (
        probs[:, rows[0], :] * rows[2][None, :, None]
        + probs[:, rows[1], :] * rows[3][None, :, None]
    )
    return out[:, :, cols[0]] * cols[2] + out[:, :, cols[1]] * cols[3]


def _taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights along one axis, as PyTorch's bilinear computes them."""
    src = np.maximum((np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    low = np.minimum(src.astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = (src - low).astype(np.float32)
    return low, high, 1.0 - frac, frac
