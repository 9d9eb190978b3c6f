"""``distill.load``: a trained model with everything needed to use it, and nothing else.

A :class:`Predictor` is a backend (a callable from normalised float32 NCHW batches to
logits: PyTorch or onnxruntime) plus the :class:`~distill.deploy.preprocess.Preprocess`
recorded at training and the class names. It never touches the training data, so it works
from an exported bundle on a machine that never saw the dataset. This module imports no
torch: the PyTorch backend is imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from distill.core.errors import ConfigError
from distill.deploy.preprocess import Decoded, ImageInput, Preprocess, resize_probabilities, softmax

Backend = Callable[[np.ndarray], np.ndarray]
TTA_MODES = (None, "none", "flip")
RUNTIMES = ("torch", "onnxruntime")
# (axis of an NCHW batch to flip) per view: the image, its horizontal and its vertical flip,
# the same views as ``distill eval --tta flip`` (distill.core.engine.evaluate.flip_mean).
FLIP_VIEWS: tuple[int | None, ...] = (None, 3, 2)


@dataclass
class Predictor:
    """Segment images with a trained model: :meth:`predict` (labels), :meth:`predict_proba`."""

    backend: Backend
    preprocess: Preprocess
    class_names: tuple[str, ...]
    label: str  # "student mpdnet"
    runtime: str  # "torch" or "onnxruntime"
    model: Any = None  # the torch module (eval mode) for the torch runtime
    source: Path | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def size(self) -> tuple[int, int]:
        return self.preprocess.size

    @property
    def in_channels(self) -> int:
        return self.preprocess.in_channels

    # ----- public: images in, masks out -------------------------------------------------
    def predict(
        self, images: ImageInput | Sequence[ImageInput], *, tta: str | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """uint8 label masks (H, W) at each image's original size; one in, one out."""
        probs = self.predict_proba(images, tta=tta)
        if isinstance(probs, np.ndarray):
            return labels_of(probs)
        return [labels_of(p) for p in probs]

    def predict_proba(
        self, images: ImageInput | Sequence[ImageInput], *, tta: str | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """float32 class probabilities (C, H, W) at each image's original size."""
        single = not isinstance(images, (list, tuple))
        items = [images] if single else list(images)
        decoded = [self.preprocess.decode(item) for item in items]
        out = [p for _, p in self.iter_probabilities(decoded, tta=tta)]
        return out[0] if single else out

    def iter_probabilities(
        self, decoded: Iterable[Decoded], *, tta: str | None = None, batch_size: int = 8
    ) -> Iterator[tuple[Decoded, np.ndarray]]:
        """(image, probabilities at its original size), batch by batch (the CLI streams)."""
        chunk: list[Decoded] = []
        for item in decoded:
            chunk.append(item)
            if len(chunk) == batch_size:
                yield from self._resized(chunk, tta)
                chunk = []
        if chunk:
            yield from self._resized(chunk, tta)

    def _resized(
        self, chunk: list[Decoded], tta: str | None
    ) -> Iterator[tuple[Decoded, np.ndarray]]:
        probs = self.probabilities(np.stack([d.pixels for d in chunk]), tta=tta)
        for item, p in zip(chunk, probs, strict=True):
            yield item, resize_probabilities(p, item.original)

    # ----- at the model's size (what evaluation and the parity check compare) -----------
    def probabilities(self, pixels: np.ndarray, *, tta: str | None = None) -> np.ndarray:
        """uint8 (N, H, W, C) at the model's size to float32 (N, classes, H, W);
        ``tta="flip"``: the mean over the image, its horizontal and its vertical flip."""
        if tta not in TTA_MODES:
            raise ConfigError(f"tta must be 'flip' or none, got '{tta}'")
        x = self.preprocess.batch(pixels)
        views = FLIP_VIEWS if tta == "flip" else (None,)
        total = None
        for axis in views:
            view = x if axis is None else np.ascontiguousarray(np.flip(x, axis))
            probs = softmax(self.logits(view))
            probs = probs if axis is None else np.flip(probs, axis)
            total = probs if total is None else total + probs
        return np.ascontiguousarray(total / len(views), dtype=np.float32)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Raw logits of a normalised float32 (N, C, H, W) batch."""
        out = np.asarray(self.backend(x), dtype=np.float32)
        expected = (x.shape[0], self.num_classes, *x.shape[2:])
        if out.shape != expected:
            raise ConfigError(f"{self.label}: logits of shape {out.shape}, expected {expected}")
        return out

    def __repr__(self) -> str:
        h, w = self.size
        return f"Predictor({self.label}, {self.runtime}, {h}x{w}, classes={list(self.class_names)})"


def labels_of(probs: np.ndarray) -> np.ndarray:
    """Class per pixel of (C, H, W) probabilities (first of ties, as argmax gives it)."""
    return probs.argmax(axis=0).astype(np.uint8)


def load(
    source: str | Path | Any,
    *,
    model: str = "student",
    device: str = "auto",
    runtime: str = "torch",
    threads: int | None = None,
    int8: bool = False,
) -> Predictor:
    """A :class:`Predictor` from a run folder (or :class:`~distill.core.run.Run`) or an
    exported bundle. ``runtime="onnxruntime"`` needs a bundle and imports no torch;
    ``int8`` picks the bundle's quantised model there."""
    if runtime not in RUNTIMES:
        raise ConfigError(f"runtime must be one of {', '.join(RUNTIMES)}, got '{runtime}'")
    path = Path(getattr(source, "path", source))
    from distill.deploy.bundle import is_bundle, read_bundle

    if is_bundle(path):
        bundle = read_bundle(path)
        if model != "student" and model != bundle.kind_label:
            raise ConfigError(
                f"bundle '{path}' holds the {bundle.label}; --model does not apply to a bundle"
            )
        if runtime == "onnxruntime":
            from distill.deploy.ort import ort_predictor

            return ort_predictor(bundle, threads=threads, int8=int8)
        if int8:
            raise ConfigError("int8 runs on onnxruntime only: add runtime='onnxruntime'")
        from distill.deploy.torch_backend import bundle_predictor

        return bundle_predictor(bundle, device=device, threads=threads)
    if runtime == "onnxruntime":
        raise ConfigError(
            f"'{path}' is not a bundle: the onnxruntime runtime needs one (distill export "
            f"{path} --out BUNDLE)"
        )
    from distill.core.run import Run  # torch-free, like this module

    if not (path / Run.CONFIG).is_file():
        raise ConfigError(f"'{path}' is neither a bundle (distill.json) nor a run folder")
    from distill.deploy.torch_backend import run_predictor

    return run_predictor(path, model=model, device=device, threads=threads)
