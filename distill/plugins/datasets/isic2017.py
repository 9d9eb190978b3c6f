"""ISIC 2017 Part 1 (lesion segmentation) in its official layout, and the CC0 sample.

``isic2017`` reads the six official folders (images ``ISIC_nnnnnnn.jpg``, masks
``ISIC_nnnnnnn_segmentation.png`` with 0/255), also when unzipping nested them as
``X/X/``. Superpixel PNGs and metadata CSVs in the image folders are ignored; masks are
binarised at > 127. A split whose folders are missing is carved, seeded, from training:
with training only, that is a 70/10/20 train/val/test split (said on stderr).

``isic2017-cc0`` is the 456 real CC0 training pairs in ``../shared/data/isic2017-cc0``
(found via ``$DISTILL_SHARED_DATA``); it always uses the seeded 70/10/20 split, so numbers
on it are not comparable with the official 600-image test set. With ``shift_fraction``
(0.2 typical) the images of smallest lesion area are first held out as a ``shift`` split,
never seen in training, validation or test, and the 70/10/20 split is made from the rest.
``shift_val_fraction`` keeps a seeded share of those images apart as ``shift-val``, so that
settings meant for the shift (augmentation) are chosen without looking at ``shift``.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import CachedParams, FileDataset, SourceItem
from distill.plugins.datasets.imageio import binarise, read_image, read_mask, resize_mask
from distill.plugins.datasets.progress import info, note
from distill.plugins.datasets.splits import (
    SHIFT,
    SHIFT_VAL,
    SPLITS,
    seeded_split,
    smallest_share,
)

FOLDERS = {
    "train": ("ISIC-2017_Training_Data", "ISIC-2017_Training_Part1_GroundTruth"),
    "val": ("ISIC-2017_Validation_Data", "ISIC-2017_Validation_Part1_GroundTruth"),
    "test": ("ISIC-2017_Test_v2_Data", "ISIC-2017_Test_v2_Part1_GroundTruth"),
}
OFFICIAL_SIZES = {"train": 2000, "val": 150, "test": 600}
IMAGE_NAME = re.compile(r"^(ISIC_\d+)\.(jpe?g|png)$", re.IGNORECASE)
SHARED_ENV = "DISTILL_SHARED_DATA"
REPO_SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"  # ../shared/data


def find_folder(root: Path, name: str) -> Path | None:
    """``root/name`` or the ``root/name/name`` that unzipping often produces."""
    for candidate in (root / name / name, root / name):
        if candidate.is_dir() and any(p.name.startswith("ISIC_") for p in candidate.iterdir()):
            return candidate
    return (root / name) if (root / name).is_dir() else None


class IsicParams(CachedParams):
    val_fraction: float = Field(
        0.1, ge=0.0, lt=1.0, description="val share carved from training when no val folder"
    )
    test_fraction: float = Field(
        0.2, ge=0.0, lt=1.0, description="test share carved from training when no test folder"
    )


class Isic2017(FileDataset):
    """ISIC 2017 Part 1 dermoscopy lesions (binary), official 2000/150/600 folders."""

    name = "isic2017"
    num_classes = 2
    class_names = ("background", "lesion")
    Params = IsicParams

    def __init__(self, params: IsicParams) -> None:
        super().__init__(params)
        self.params: IsicParams = params
        self.split_origin = ""

    def official_items(self, split: str, root: Path) -> list[SourceItem] | None:
        images_name, masks_name = FOLDERS[split]
        images_dir = find_folder(root, images_name)
        if images_dir is None:
            return None
        masks_dir = find_folder(root, masks_name)
        items = []
        for path in sorted(images_dir.iterdir()):
            match = IMAGE_NAME.match(path.name)
            if not match:
                continue  # superpixels, metadata CSVs, license files
            stem = match.group(1)
            mask = (masks_dir / f"{stem}_segmentation.png") if masks_dir else None
            if mask is None or not mask.is_file():
                where = mask or root / masks_name / f"{stem}_segmentation.png"
                self.problem(where, f"missing mask for image {path.name}")
                continue
            items.append(SourceItem(stem, path, mask))
        if not items and not self.listing_problems:
            raise DataError(f"{images_dir}: no ISIC_nnnnnnn.jpg images in this folder")
        return items

    def list_splits(self) -> dict[str, list[SourceItem]]:
        root = self.root()
        found = {s: self.official_items(s, root) for s in FOLDERS}
        train = found["train"]
        if train is None:
            raise DataError(
                f"{root}: not an ISIC 2017 root (no {FOLDERS['train'][0]} folder; expected "
                f"the official folders {', '.join(f for pair in FOLDERS.values() for f in pair)})"
            )
        return self.arrange(found)

    def arrange(self, found: dict[str, list[SourceItem] | None]) -> dict[str, list[SourceItem]]:
        """Official splits where present; missing ones carved seeded from training."""
        p = self.params
        missing = [s for s in ("val", "test") if found[s] is None]
        train = found["train"] or []
        splits = {s: found[s] or [] for s in FOLDERS}
        if missing:
            fractions = {
                "val": p.val_fraction if "val" in missing else 0.0,
                "test": p.test_fraction if "test" in missing else 0.0,
            }
            by_id = {i.id: i for i in train}
            carved = seeded_split(list(by_id), fractions["val"], fractions["test"], p.seed)
            splits["train"] = [by_id[i] for i in carved["train"]]
            for s in missing:
                splits[s] = [by_id[i] for i in carved[s]]
            self.split_origin = (
                f"{', '.join(missing)} carved from training (seed {p.seed}, "
                f"val {fractions['val']:.0%} / test {fractions['test']:.0%})"
            )
            note(f"{self.name}: no official {' or '.join(missing)} folder; {self.split_origin}")
        else:
            self.split_origin = "official folders"
        counts = {s: len(v) for s, v in splits.items()}
        full = "" if missing or counts == OFFICIAL_SIZES else " (official full set: 2000/150/600)"
        info(
            f"{self.name}: {counts['train']} train / {counts['val']} val / "
            f"{counts['test']} test ({self.split_origin}){full}"
        )
        return splits

    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        assert item.mask is not None
        image, original = read_image(item.image, size)
        mask = binarise(read_mask(item.mask, original), item.mask)
        return image, resize_mask(mask, size)


def default_shared_root() -> Path | None:
    """``$DISTILL_SHARED_DATA/isic2017-cc0``, else ``../shared/data/isic2017-cc0`` next to
    the current folder or next to this repository."""
    candidates = []
    if os.environ.get(SHARED_ENV):
        candidates.append(Path(os.environ[SHARED_ENV]).expanduser())
    candidates += [Path.cwd().parent / "shared" / "data", REPO_SHARED_DATA]
    for base in candidates:
        if (base / "isic2017-cc0").is_dir():
            return base / "isic2017-cc0"
    return None


class Cc0Params(IsicParams):
    shift_fraction: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="share of smallest lesions held out as the 'shift' split before the "
        "70/10/20 split (0: no shift split, the 319/46/91 split; 0.2 typical)",
    )
    shift_val_fraction: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="share of the shift images (seeded) kept apart as 'shift-val', to choose "
        "settings on a shift without the 'shift' test images (0: none)",
    )


def lesion_area(item: SourceItem) -> float:
    """Lesion share of the frame, from the mask at its own resolution (so it does not depend
    on the decode size); foreground as :func:`binarise` reads it, without its full sort."""
    assert item.mask is not None
    values = read_mask(item.mask)
    return float((values > (0 if values.max(initial=0) <= 1 else 127)).mean())


class Isic2017Cc0(Isic2017):
    """The 456 real CC0 ISIC 2017 training pairs, seeded 70/10/20 split (not official),
    optionally without the smallest-lesion share, held out as a ``shift`` split."""

    name = "isic2017-cc0"
    Params = Cc0Params

    def __init__(self, params: Cc0Params) -> None:
        super().__init__(params)
        self.params: Cc0Params = params

    def split_names(self) -> list[str]:
        p = self.params
        held = [SHIFT] if p.shift_fraction > 0 else []
        held += [SHIFT_VAL] if p.shift_fraction > 0 and p.shift_val_fraction > 0 else []
        return [*SPLITS, *held]

    def check_split(self, split: str) -> None:
        if split in (SHIFT, SHIFT_VAL) and self.params.shift_fraction == 0:
            raise ConfigError(
                f"{self.name}: no '{split}' split with shift_fraction=0; train and evaluate "
                f"with --set data.dataset.shift_fraction=0.2 so its images stay unseen"
            )
        if split == SHIFT_VAL and self.params.shift_val_fraction == 0:
            raise ConfigError(
                f"{self.name}: no '{SHIFT_VAL}' split with shift_val_fraction=0; train and "
                f"evaluate with --set data.dataset.shift_val_fraction=0.33"
            )
        super().check_split(split)

    def root(self) -> Path:
        if self.params.data_root is not None:
            return super().root()
        root = default_shared_root()
        if root is None:
            raise DataError(
                "isic2017-cc0: data not found; set DISTILL_SHARED_DATA to the 'data' folder "
                "holding isic2017-cc0/ (or pass --data-root PATH/isic2017-cc0)"
            )
        return root

    def list_splits(self) -> dict[str, list[SourceItem]]:
        root = self.root()
        train = self.official_items("train", root)
        if train is None:
            raise DataError(f"{root}: no {FOLDERS['train'][0]} folder (isic2017-cc0 layout)")
        shift = self.smallest_lesions(train)
        rest = [i for i in train if i.id not in {s.id for s in shift}]
        splits = self.arrange({"train": rest, "val": None, "test": None})
        if self.params.shift_fraction == 0:
            return splits
        return {**splits, **self.split_shift(shift)}

    def split_shift(self, shift: list[SourceItem]) -> dict[str, list[SourceItem]]:
        """``shift`` and, with ``shift_val_fraction``, its seeded ``shift-val`` share."""
        fraction = self.params.shift_val_fraction
        if fraction == 0:
            return {SHIFT: shift}
        by_id = {i.id: i for i in shift}
        carved = seeded_split(list(by_id), fraction, 0.0, self.params.seed)
        info(
            f"{self.name}: {len(carved['val'])} of the {len(shift)} '{SHIFT}' images kept "
            f"apart as '{SHIFT_VAL}' (shift_val_fraction {fraction})"
        )
        return {
            SHIFT: [by_id[i] for i in carved["train"]],
            SHIFT_VAL: [by_id[i] for i in carved["val"]],
        }

    def smallest_lesions(self, items: list[SourceItem]) -> list[SourceItem]:
        """The ``shift_fraction`` of ``items`` with the smallest lesions (ties seeded)."""
        fraction = self.params.shift_fraction
        if fraction == 0:
            return []
        with ThreadPoolExecutor(min(4, os.cpu_count() or 1)) as pool:
            areas = dict(zip([i.id for i in items], pool.map(lesion_area, items), strict=True))
        held = smallest_share(areas, fraction, self.params.seed)
        info(
            f"{self.name}: {len(held)} images of lesion area <= {max(areas[i] for i in held):.1%}"
            f" of the frame held out as '{SHIFT}' (shift_fraction {fraction})"
        )
        by_id = {i.id: i for i in items}
        return [by_id[i] for i in held]

    def config_identity(self) -> dict:
        identity = super().config_identity()
        identity["data_root"] = str(self.root())
        return identity


@hookimpl
def distill_register_datasets(register):
    register("isic2017", Isic2017)
    register("isic2017-cc0", Isic2017Cc0)
