"""``folder``: any ``images/`` + ``masks/`` pair of folders matched by file stem.

Masks may be binary (0/255 or 0/1) or multi-class (palette or integer PNGs holding class
ids); ``num_classes`` is inferred from the masks' largest value when not given. The split
comes from ``split_file`` (JSON ``{"train": [stems], ...}``, CSV with ``stem,split``
columns, or text lines ``stem split``) or is made seeded (``val_fraction``/``test_fraction``).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import CachedParams, FileDataset, SourceItem
from distill.plugins.datasets.imageio import (
    IMAGE_EXTS,
    check_classes,
    list_images,
    read_image,
    read_mask,
    resize_mask,
)
from distill.plugins.datasets.splits import SPLITS, seeded_split


class FolderParams(CachedParams):
    images_dir: str = Field("images", description="image folder, relative to data_root")
    masks_dir: str = Field("masks", description="mask folder, relative to data_root")
    mask_suffix: str = Field("", description="mask name = image stem + suffix, e.g. '_mask'")
    num_classes: int | None = Field(
        None, ge=2, le=255, description="classes incl. background (default: inferred)"
    )
    class_names: list[str] | None = Field(None, description="one name per class")
    split_file: Path | None = Field(
        None, description="JSON/CSV/txt listing stems per split (relative to data_root ok)"
    )
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="seeded val share")
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="seeded test share")


def read_split_file(path: Path) -> dict[str, str]:
    """stem -> split from a JSON, CSV or text split file."""
    if not path.is_file():
        raise DataError(f"{path}: split file not found")
    text = path.read_text()
    mapping: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise DataError(f"{path}: expected an object of split -> list of stems")
        for split, stems in data.items():
            mapping.update({str(s): split for s in stems})
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        key = next((k for k in ("stem", "id", "image", "name") if rows and k in rows[0]), None)
        if key is None or "split" not in rows[0]:
            raise DataError(f"{path}: CSV needs a 'stem' (or id/image/name) and a 'split' column")
        mapping = {Path(r[key]).stem: r["split"].strip() for r in rows}
    else:
        for number, line in enumerate(text.splitlines(), 1):
            fields = [f for f in re.split(r"[,\s]+", line.strip()) if f]
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) != 2:
                raise DataError(f"{path}: line {number}: expected 'stem split'")
            mapping[Path(fields[0]).stem] = fields[1]
    unknown = sorted(set(mapping.values()) - set(SPLITS))
    if unknown:
        raise DataError(f"{path}: unknown split name(s) {unknown}; use {', '.join(SPLITS)}")
    return mapping


class Folder(FileDataset):
    """Any images/ + masks/ folder pair, binary or multi-class, optional split file."""

    name = "folder"
    Params = FolderParams

    def __init__(self, params: FolderParams) -> None:
        super().__init__(params)
        self.params: FolderParams = params
        if params.num_classes is not None:
            self.set_classes(params.num_classes)
        else:  # infer now: the engine reads num_classes before it loads any split
            self.splits()

    def set_classes(self, n: int) -> None:
        names = self.params.class_names
        if names is not None and len(names) != n:
            raise ConfigError(f"folder: {len(names)} class_names for {n} classes")
        self.num_classes = n
        self.class_names = (
            tuple(names)
            if names
            else (
                ("background", "foreground")
                if n == 2
                else ("background", *(f"class{i}" for i in range(1, n)))
            )
        )

    def pairs(self) -> list[SourceItem]:
        root, p = self.root(), self.params
        images_dir, masks_dir = root / p.images_dir, root / p.masks_dir
        for folder in (images_dir, masks_dir):
            if not folder.is_dir():
                raise DataError(
                    f"{folder}: folder not found (folder dataset needs "
                    f"{p.images_dir}/ and {p.masks_dir}/ under {root})"
                )
        images = list_images(images_dir)
        if not images:
            raise DataError(f"{images_dir}: empty folder (no {'/'.join(IMAGE_EXTS)} images)")
        masks = {m.stem: m for m in list_images(masks_dir)}
        items = []
        for image in images:
            mask = masks.get(image.stem + p.mask_suffix)
            if mask is None:
                self.problem(
                    masks_dir / f"{image.stem}{p.mask_suffix}.png",
                    f"missing mask for image {image.name}",
                )
                continue
            items.append(SourceItem(image.stem, image, mask))
        return items

    def list_splits(self) -> dict[str, list[SourceItem]]:
        items = self.pairs()
        p = self.params
        if self.params.num_classes is None:
            self.set_classes(self.infer_classes(items))
        if p.split_file is None:
            by_id = {i.id: i for i in items}
            ids = seeded_split(list(by_id), p.val_fraction, p.test_fraction, p.seed)
            return {s: [by_id[i] for i in ids[s]] for s in SPLITS}
        split_file = p.split_file if p.split_file.is_absolute() else self.root() / p.split_file
        mapping = read_split_file(split_file)
        missing = [i.id for i in items if i.id not in mapping]
        if missing:
            raise DataError(
                f"{split_file}: no split for {len(missing)} image(s), e.g. {', '.join(missing[:3])}"
            )
        return {s: [i for i in items if mapping[i.id] == s] for s in SPLITS}

    def infer_classes(self, items: list[SourceItem]) -> int:
        """Classes from the masks: 0/255 (or 0/1) is binary, else the largest id + 1."""
        largest = 1
        for item in items:
            try:
                values = np.unique(read_mask(item.mask))
            except DataError as exc:
                if not self.params.skip_bad:
                    raise
                del exc  # reported again when the item is decoded
                continue
            top = int(values.max(initial=0))
            largest = max(largest, 1 if set(values.tolist()) <= {0, 255} else top)
        return largest + 1

    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        assert item.mask is not None
        image, original = read_image(item.image, size)
        mask = check_classes(read_mask(item.mask, original), self.num_classes, item.mask)
        return image, resize_mask(mask, size)

    def config_identity(self) -> dict:
        identity = super().config_identity()
        identity["inferred_classes"] = self.num_classes
        return identity


@hookimpl
def distill_register_datasets(register):
    register("folder", Folder)
