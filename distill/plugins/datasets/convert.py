"""Any registered dataset to an nnU-Net v2 raw folder, reproducing our split.

Images are written as decoded (8-bit PNG: one RGB file in ``_0000`` for RGB data, else one
gray file per channel), labels as PNG with the ignore index mapped to an ``ignore`` label.
train + val go to ``imagesTr``/``labelsTr`` with ``splits_final.json`` holding our split as
fold 0; test goes to ``imagesTs``/``labelsTs``. Reading the result back with the ``nnunet``
dataset gives the same arrays. File datasets are written at each image's own size unless
``size`` is given; generated ones need ``size``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from distill.core.errors import ConfigError
from distill.core.interfaces import Dataset
from distill.core.metrics import IGNORE_INDEX
from distill.plugins.datasets.imageio import describe_image
from distill.plugins.datasets.nnunet_format import dataset_json

FOLDERS = {
    "train": ("imagesTr", "labelsTr"),
    "val": ("imagesTr", "labelsTr"),
    "test": ("imagesTs", "labelsTs"),
}


def samples(
    ds: Dataset, split: str, size: tuple[int, int] | None
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(id, image (H, W, C), mask (H, W)) of a split, at ``size`` or each file's own size."""
    if size is not None:
        arrays = ds.load(split, size)
        for i, ident in enumerate(arrays.ids):
            yield ident, np.asarray(arrays.images[i]), np.asarray(arrays.masks[i])
        return
    if not hasattr(ds, "splits"):
        raise ConfigError(f"{type(ds).name}: a generated dataset needs --size to be converted")
    for item in ds.splits()[split]:
        w, h = describe_image(item.image).size
        image, mask = ds.decode(item, (h, w))
        yield item.id, image, mask


def write_case(out: Path, split: str, ident: str, image: np.ndarray, mask: np.ndarray, ignore: int):
    images_dir, labels_dir = (out / f for f in FOLDERS[split])
    planes = [image] if image.shape[2] == 3 else [image[..., c] for c in range(image.shape[2])]
    for c, plane in enumerate(planes):
        Image.fromarray(np.ascontiguousarray(plane)).save(images_dir / f"{ident}_{c:04d}.png")
    labels = np.where(mask == IGNORE_INDEX, ignore, mask).astype(np.uint8)
    Image.fromarray(labels).save(labels_dir / f"{ident}.png")


def to_nnunet(
    ds: Dataset,
    out: Path,
    size: tuple[int, int] | None = None,
    advance: Callable[[str], None] = lambda ident: None,
) -> dict[str, list[str]]:
    """Write ``out`` (which must not hold a dataset.json yet); returns the ids per split."""
    if (out / "dataset.json").exists():
        raise ConfigError(f"{out}: already holds a dataset.json; choose an empty folder")
    for folder in {f for pair in FOLDERS.values() for f in pair}:
        (out / folder).mkdir(parents=True, exist_ok=True)
    ignore = ds.num_classes  # the id after the last class, as nnU-Net wants it
    ids: dict[str, list[str]] = {}
    has_ignore = False
    for split in ("train", "val", "test"):
        ids[split] = []
        for ident, image, mask in samples(ds, split, size):
            write_case(out, split, ident, image, mask, ignore)
            has_ignore = has_ignore or bool((mask == IGNORE_INDEX).any())
            ids[split].append(ident)
            advance(ident)
    channels = (
        ["R", "G", "B"] if ds.in_channels == 3 else [f"channel{c}" for c in range(ds.in_channels)]
    )
    meta = dataset_json(channels, list(ds.class_names), len(ids["train"]) + len(ids["val"]), ".png")
    if has_ignore:
        meta["labels"]["ignore"] = ignore
    (out / "dataset.json").write_text(json.dumps(meta, indent=2))
    folds = [{"train": sorted(ids["train"]), "val": sorted(ids["val"])}]
    (out / "splits_final.json").write_text(json.dumps(folds, indent=2))
    return ids
