"""``nnunet``: an nnU-Net v2 raw dataset folder (``dataset.json``, ``imagesTr``, ``labelsTr``).

Channels come from ``channel_names`` (one file per channel, stacked; an RGB PNG in
``_0000`` gives three), classes and their names from ``labels``, whose ``ignore`` label
is mapped to the ignore index that losses and metrics leave out. Splits: train/val from
fold ``fold`` of ``splits_final.json`` when the folder holds one, else seeded; test from
``imagesTs``/``labelsTs`` when present, else carved seeded (``test_fraction``) from the
training cases. See :mod:`nnunet_format` for the file conventions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.core.hookspecs import hookimpl
from distill.core.metrics import IGNORE_INDEX
from distill.plugins.datasets.base import FileDataset, SourceItem
from distill.plugins.datasets.imageio import describe_image, read_image, read_mask, resize_mask
from distill.plugins.datasets.imaging import ImageParams, Normalised
from distill.plugins.datasets.nnunet_format import (
    DatasetJson,
    read_dataset_json,
    read_folds,
    split_channel_file,
)
from distill.plugins.datasets.splits import SPLITS, require_training, seeded_split


class NnUNetParams(ImageParams):
    fold: int = Field(0, ge=0, description="fold of splits_final.json used for train/val")
    splits_file: str = Field(
        "splits_final.json", description="nnU-Net folds file, relative to data_root"
    )
    val_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="seeded val share (no folds)")
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="seeded test (no labelsTs)")
    normalise: Literal["auto", "train", "imagenet"] = Field(
        "train", description="mean/std: training split (default), ImageNet, or auto"
    )


class NnUNet(Normalised, FileDataset):
    """An nnU-Net v2 raw dataset: multi-channel 2D images, named labels, nnU-Net's folds."""

    name = "nnunet"
    Params = NnUNetParams

    def __init__(self, params: NnUNetParams) -> None:
        super().__init__(params)
        self.params: NnUNetParams = params
        self.meta: DatasetJson = read_dataset_json(self.root() / "dataset.json")
        self.num_classes = self.meta.num_classes
        self.class_names = self.meta.class_names
        self.in_channels = len(self.meta.channel_names)
        self.split_origin = ""
        self.splits()

    def cases(self, images_dir: Path, labels_dir: Path | None) -> list[SourceItem]:
        """One item per case: every channel file present, and its label file."""
        ending, n = self.meta.file_ending, self.in_channels
        found: dict[str, dict[int, Path]] = {}
        for path in sorted(images_dir.iterdir()) if images_dir.is_dir() else []:
            parsed = split_channel_file(path.name, ending) if path.is_file() else None
            if parsed is None:
                self.unused(path, f"not a CASE_XXXX{ending} image of this dataset")
                continue
            found.setdefault(parsed[0], {})[parsed[1]] = path
        items = []
        for case, files in sorted(found.items()):
            item = self.case_item(case, files, n, images_dir, labels_dir)
            if item is not None:
                items.append(item)
        return items

    def case_item(self, case, files, n, images_dir, labels_dir) -> SourceItem | None:
        ending = self.meta.file_ending
        single_rgb = n == 3 and set(files) == {0} and describe_image(files[0]).channels == 3
        wanted = [0] if single_rgb else list(range(n))
        for c in sorted(set(files) - set(range(n))):
            self.unused(files[c], f"channel {c:04d} is not in channel_names of {self.meta.path}")
        absent = [c for c in wanted if c not in files]
        if absent:
            expected = images_dir / f"{case}_{absent[0]:04d}{ending}"
            self.problem(expected, f"missing channel file of case {case} ({n} channels)")
            return None
        label = labels_dir / f"{case}{ending}" if labels_dir is not None else None
        if label is not None and not label.is_file():
            self.problem(label, f"missing label file of case {case}")
            return None
        channels = [files[c] for c in wanted]
        return SourceItem(case, channels[0], label, tuple(channels[1:]))

    def list_splits(self) -> dict[str, list[SourceItem]]:
        root, p = self.root(), self.params
        training = self.cases(root / "imagesTr", root / "labelsTr")
        if len(training) != self.meta.num_training and not p.skip_bad:
            raise DataError(
                f"{self.meta.path}: numTraining is {self.meta.num_training} but imagesTr/labelsTr "
                f"hold {len(training)} complete case(s)"
            )
        test = (
            self.cases(root / "imagesTs", root / "labelsTs") if (root / "labelsTs").is_dir() else []
        )
        by_id = {i.id: i for i in training}
        test_fraction = 0.0 if test else p.test_fraction
        folds_path = root / p.splits_file
        if folds_path.is_file():
            ids = self.fold_split(folds_path, by_id)
            if not test:
                carved = seeded_split(ids["train"], 0.0, test_fraction, p.seed)
                ids["train"], ids["test"] = carved["train"], carved["test"]
            origin = f"fold {p.fold} of {folds_path}"
        else:
            ids = seeded_split(list(by_id), p.val_fraction, test_fraction, p.seed)
            origin = f"val_fraction/test_fraction of {len(by_id)} cases (no {p.splits_file})"
        splits = {s: [by_id[i] for i in ids.get(s, [])] for s in SPLITS}
        if test:
            splits["test"] = test
        self.split_origin = origin + ("; test from imagesTs/labelsTs" if test else "")
        require_training(splits, self.name, origin)
        return splits

    def fold_split(self, path: Path, by_id: dict[str, SourceItem]) -> dict[str, list[str]]:
        folds = read_folds(path)
        if self.params.fold >= len(folds):
            raise ConfigError(
                f"nnunet: fold {self.params.fold} but {path} holds {len(folds)} fold(s)"
            )
        fold = folds[self.params.fold]
        unknown = sorted(set(fold["train"] + fold["val"]) - set(by_id))
        if unknown and not self.params.skip_bad:
            raise DataError(f"{path}: fold {self.params.fold} names unknown case(s) {unknown[:3]}")
        return {s: sorted(c for c in fold[s] if c in by_id) for s in ("train", "val")}

    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        assert item.mask is not None
        intensity, files = self.params.intensity(), (item.image, *item.extra)
        per_file = self.in_channels if len(files) == 1 else 1
        planes, original = [], None
        for path in files:
            plane, size_here = read_image(path, size, per_file, intensity)
            if original is not None and size_here != original:
                raise DataError(
                    f"{path}: size {size_here[0]}x{size_here[1]} differs from channel 0 "
                    f"({original[0]}x{original[1]}) of case {item.id}"
                )
            original = size_here
            planes.append(plane)
        labels = self.labels(read_mask(item.mask, original), item.mask)
        return np.concatenate(planes, axis=2), resize_mask(labels, size)

    def labels(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """Label ids as uint8, ``ignore`` as the ignore index; ids not in ``labels`` fail."""
        known = set(range(self.num_classes)) | {self.meta.ignore_label}
        bad = sorted(int(v) for v in np.unique(raw) if int(v) not in known)
        if bad:
            raise DataError(
                f"{path}: label values {bad[:8]} are not in labels of {self.meta.path} "
                f"(ids 0..{self.num_classes - 1}"
                + (
                    f", ignore {self.meta.ignore_label})"
                    if self.meta.ignore_label is not None
                    else ")"
                )
            )
        out = raw.astype(np.uint8)
        if self.meta.ignore_label is not None:
            out[raw == self.meta.ignore_label] = IGNORE_INDEX
        return out


@hookimpl
def distill_register_datasets(register):
    register("nnunet", NnUNet)
