"""Datasets of image files and mask files with the shared mask rules (``folder``, ``datalist``).

Parameters and behaviour both need: declared or inferred classes (:mod:`labels`), an
ignore value, binarising, channels from the images, and decoding of an item whose image
is one file or one file per channel (``SourceItem.extra``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.plugins.datasets.base import SourceItem
from distill.plugins.datasets.imageio import describe_image, read_image, read_mask, resize_mask
from distill.plugins.datasets.imaging import ImageParams, Normalised
from distill.plugins.datasets.labels import infer_num_classes, mask_values, to_labels
from distill.plugins.datasets.progress import note


class LabelledParams(ImageParams):
    num_classes: int | None = Field(
        None, ge=2, le=255, description="classes incl. background (default: from clean masks)"
    )
    class_names: list[str] | None = Field(None, description="one name per class")
    ignore_index: int | None = Field(
        None, ge=0, description="mask value of pixels that count for nothing (often 255)"
    )
    binarise: bool = Field(False, description="foreground = mask value > threshold")
    threshold: float | None = Field(None, description="binarise cut (default: half the range)")
    channels: Literal[1, 3] | None = Field(
        None, description="1 or 3 per image file (default: from the images)"
    )


def default_class_names(n: int) -> tuple[str, ...]:
    if n == 2:
        return ("background", "foreground")
    return ("background", *(f"class{i}" for i in range(1, n)))


class Labelled(Normalised):
    """Mixin for a FileDataset with :class:`LabelledParams`; call :meth:`settle` once the
    items are listed, before anything reads ``num_classes`` or ``in_channels``."""

    params: LabelledParams
    name: str
    per_file_channels: int = 3

    def settle(self, items: list[SourceItem]) -> None:
        p = self.params
        self.per_file_channels = p.channels or self.infer_channels(items)
        files = 1 + max((len(i.extra) for i in items), default=0)
        self.in_channels = self.per_file_channels * files
        self.set_classes(p.num_classes or (2 if p.binarise else self.infer_classes(items)))

    def set_classes(self, n: int) -> None:
        names = self.params.class_names
        if names is not None and len(names) != n:
            raise ConfigError(f"{self.name}: {len(names)} class_names for {n} classes")
        self.num_classes = n
        self.class_names = tuple(names) if names else default_class_names(n)

    def infer_channels(self, items: list[SourceItem]) -> int:
        """1 when every image is grayscale, else 3 (gray images are then replicated)."""
        counts = {1: 0, 3: 0}
        for item in items:
            try:
                counts[describe_image(item.image).channels] += 1
            except DataError:
                if not self.params.skip_bad:
                    raise
        if counts[1] and counts[3]:
            note(
                f"{self.name}: {counts[1]} grayscale and {counts[3]} colour images; all read as RGB"
            )
        return 3 if counts[3] else 1

    def infer_classes(self, items: list[SourceItem]) -> int:
        """Classes from the masks' values, only when clean (see :mod:`labels`)."""

        def values():
            for item in items:
                try:
                    yield item.mask, mask_values(read_mask(item.mask), self.params.ignore_index)
                except DataError:
                    if not self.params.skip_bad:
                        raise  # with skip_bad, reported again when the item is decoded

        return infer_num_classes(values(), self.params.ignore_index)

    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        assert item.mask is not None
        p = self.params
        planes, original = [], None
        for path in (item.image, *item.extra):
            plane, here = read_image(path, size, self.per_file_channels, p.intensity())
            if original is not None and here != original:
                raise DataError(f"{path}: size {here} differs from {item.image.name} {original}")
            planes.append(plane)
            original = here
        labels = to_labels(
            read_mask(item.mask, original),
            item.mask,
            self.num_classes,
            p.ignore_index,
            p.binarise,
            p.threshold,
        )
        return np.concatenate(planes, axis=2), resize_mask(labels, size)

    def config_identity(self) -> dict:
        identity = super().config_identity()  # type: ignore[misc]
        identity["inferred"] = [self.num_classes, self.in_channels]
        return identity


def resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path
