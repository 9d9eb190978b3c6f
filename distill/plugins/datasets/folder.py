"""``folder``: any ``images/`` + ``masks/`` pair of folders matched by file stem.

Masks may be binary (0/255 or 0/1) or multi-class (palette or integer PNGs holding class
ids). ``num_classes`` is inferred only from clean masks (see :mod:`labels`); anti-aliased,
JPEG or 255-as-ignore masks need ``binarise``, ``num_classes`` or ``ignore_index``.
Images are 8/16-bit gray or RGB, DICOM or NIfTI; ``in_channels`` follows them. The split
comes from ``split_file`` (JSON ``{"train": [stems], ...}``, CSV with ``stem,split``
columns, or text lines ``stem split``) or is made seeded (``val_fraction``/``test_fraction``).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from pydantic import Field

from distill.core.errors import DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import FileDataset, SourceItem
from distill.plugins.datasets.imageio import IMAGE_EXTS, image_stem, list_images
from distill.plugins.datasets.labelled import Labelled, LabelledParams
from distill.plugins.datasets.splits import SPLITS, require_training, seeded_split


class FolderParams(LabelledParams):
    images_dir: str = Field("images", description="image folder, relative to data_root")
    masks_dir: str = Field("masks", description="mask folder, relative to data_root")
    mask_suffix: str = Field("", description="mask name = image stem + suffix, e.g. '_mask'")
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


class Folder(Labelled, FileDataset):
    """Any images/ + masks/ folder pair, binary or multi-class, optional split file."""

    name = "folder"
    version = 2  # 2: bit depth, channels, EXIF, ignore label
    Params = FolderParams

    def __init__(self, params: FolderParams) -> None:
        super().__init__(params)
        self.params: FolderParams = params
        self.splits()  # channels and classes now: the engine reads them before any load

    def pairs(self) -> list[SourceItem]:
        root, p = self.root(), self.params
        images_dir, masks_dir = root / p.images_dir, root / p.masks_dir
        for folder in (images_dir, masks_dir):
            if not folder.is_dir():
                raise DataError(
                    f"{folder}: folder not found (folder dataset needs "
                    f"{p.images_dir}/ and {p.masks_dir}/ under {root})"
                )
        images = self.unique_stems(list_images(images_dir), "image")
        if not images:
            raise DataError(f"{images_dir}: empty folder (no {'/'.join(IMAGE_EXTS)} images)")
        masks = self.unique_stems(list_images(masks_dir), "mask")
        items = []
        for stem, image in images.items():
            mask = masks.pop(stem + p.mask_suffix, None)
            if mask is None:
                self.problem(
                    masks_dir / f"{stem}{p.mask_suffix}.png",
                    f"missing mask for image {image.name}",
                )
                continue
            items.append(SourceItem(stem, image, mask))
        for mask in masks.values():
            self.unused(mask, f"mask without an image in {images_dir}")
        return items

    def unique_stems(self, files: list[Path], what: str) -> dict[str, Path]:
        """Files by stem; files sharing a stem (``a.png`` and ``a.jpg``) are ambiguous, so
        all of them are a problem (an error, or skipped with skip_bad)."""
        by_stem: dict[str, list[Path]] = {}
        for f in files:
            by_stem.setdefault(image_stem(f), []).append(f)
        for stem, group in by_stem.items():
            if len(group) > 1:
                for f in group:
                    others = ", ".join(o.name for o in group if o != f)
                    self.problem(f, f"{what} stem '{stem}' is also used by {others}")
        return {stem: group[0] for stem, group in by_stem.items() if len(group) == 1}

    def list_splits(self) -> dict[str, list[SourceItem]]:
        items = self.pairs()
        p = self.params
        self.settle(items)
        if p.split_file is None:
            by_id = {i.id: i for i in items}
            ids = seeded_split(list(by_id), p.val_fraction, p.test_fraction, p.seed)
            splits = {s: [by_id[i] for i in ids[s]] for s in SPLITS}
            require_training(splits, self.name, f"val_fraction/test_fraction of {len(items)}")
            return splits
        split_file = p.split_file if p.split_file.is_absolute() else self.root() / p.split_file
        mapping = read_split_file(split_file)
        missing = [i.id for i in items if i.id not in mapping]
        if missing:
            raise DataError(
                f"{split_file}: no split for {len(missing)} image(s), e.g. {', '.join(missing[:3])}"
            )
        splits = {s: [i for i in items if mapping[i.id] == s] for s in SPLITS}
        require_training(splits, self.name, f"split_file {split_file}")
        return splits


@hookimpl
def distill_register_datasets(register):
    register("folder", Folder)
