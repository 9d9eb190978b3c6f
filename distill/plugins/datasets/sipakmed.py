"""SIPaKMeD cropped cells: 3 classes from the ``*_cyt.dat`` / ``*_nuc.dat`` contours.

Layout: ``im_<Class>/CROPPED/NNN_KK.bmp`` with ``NNN_KK_cyt.dat`` and ``NNN_KK_nuc.dat``
(also ``im_<Class>/im_<Class>/CROPPED/``). A .dat file holds one ``x,y`` vertex per line
(x = column, y = row; commas or whitespace; the polygon closes implicitly). Masks: 0
background, 1 cytoplasm (cell contour minus nucleus), 2 nucleus. The split is seeded and
stratified by the 5 cell classes: exactly 3037 train / 1012 test on the 4049 cells (25 %
test otherwise); ``val_fraction`` of train is carved (stratified too) as "val".
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pydantic import Field

from distill.core.errors import DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import CachedParams, FileDataset, SourceItem
from distill.plugins.datasets.imageio import read_image, resize_mask
from distill.plugins.datasets.progress import note
from distill.plugins.datasets.splits import stratified_split

CLASSES = ("Dyskeratotic", "Koilocytotic", "Metaplastic", "Parabasal", "Superficial-Intermediate")
CELL_NAME = re.compile(r"^(\d+_\d+)\.bmp$", re.IGNORECASE)


def read_contour(path: Path) -> np.ndarray:
    """(N, 2) float vertices (x, y) of one .dat file."""
    if not path.is_file():
        raise DataError(f"{path}: missing contour file")
    points = []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: unreadable contour file ({exc})") from None
    for number, line in enumerate(lines, 1):
        fields = [f for f in re.split(r"[,\s]+", line.strip()) if f]
        if not fields:
            continue
        try:
            if len(fields) != 2:
                raise ValueError
            points.append((float(fields[0]), float(fields[1])))
        except ValueError:
            raise DataError(
                f"{path}: line {number}: expected 'x,y', got {line.strip()!r}"
            ) from None
    if len(points) < 3:
        raise DataError(f"{path}: a contour needs at least 3 vertices, found {len(points)}")
    return np.asarray(points, dtype=np.float64)


def clip_contour(points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, bool]:
    """Vertices clipped into the image, and whether any was outside."""
    clipped = np.column_stack(
        (np.clip(points[:, 0], 0, width - 1), np.clip(points[:, 1], 0, height - 1))
    )
    return clipped, bool(np.any(clipped != points))


def rasterise(cyt: np.ndarray, nuc: np.ndarray, width: int, height: int) -> np.ndarray:
    """0 background, 1 inside the cell contour, 2 inside the nucleus contour."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    draw.polygon([tuple(p) for p in cyt], fill=1, outline=1)
    draw.polygon([tuple(p) for p in nuc], fill=2, outline=2)
    return np.asarray(canvas, dtype=np.uint8)


def class_folders(root: Path) -> dict[str, Path]:
    """``CROPPED`` folder of each class present, flat or nested."""
    found = {}
    for cls in CLASSES:
        for base in (root / f"im_{cls}" / f"im_{cls}", root / f"im_{cls}"):
            if (base / "CROPPED").is_dir():
                found[cls] = base / "CROPPED"
                break
    return found


class SipakmedParams(CachedParams):
    test_fraction: float = Field(
        0.25, gt=0.0, lt=1.0, description="test share, stratified (0.25 gives 3037/1012)"
    )
    val_fraction: float = Field(
        0.1,
        ge=0.0,
        lt=1.0,
        description="share of train carved as val (stratified); 0 makes val the test split",
    )


class Sipakmed(FileDataset):
    """SIPaKMeD Pap smear cells: background, cytoplasm, nucleus (stratified 3037/1012)."""

    name = "sipakmed"
    num_classes = 3
    class_names = ("background", "cytoplasm", "nucleus")
    Params = SipakmedParams

    def __init__(self, params: SipakmedParams) -> None:
        super().__init__(params)
        self.params: SipakmedParams = params
        self.clipped: list[str] = []

    def manifest(self) -> list[SourceItem]:
        root = self.root()
        folders = class_folders(root)
        if not folders:
            raise DataError(
                f"{root}: not a SIPaKMeD root (no im_<Class>/CROPPED folders for any of "
                f"{', '.join(CLASSES)})"
            )
        items = []
        for cls, folder in folders.items():
            for path in sorted(folder.iterdir()):
                match = CELL_NAME.match(path.name)
                if not match:
                    continue
                stem = match.group(1)
                cyt, nuc = folder / f"{stem}_cyt.dat", folder / f"{stem}_nuc.dat"
                absent = [p for p in (cyt, nuc) if not p.is_file()]
                if absent:
                    self.problem(absent[0], f"missing contour file for cell {path.name}")
                    continue
                items.append(SourceItem(f"{cls}/{stem}", path, None, (cyt, nuc), cls))
        if not items and not self.listing_problems:
            raise DataError(f"{root}: the CROPPED folders hold no NNN_KK.bmp cells")
        return items

    def list_splits(self) -> dict[str, list[SourceItem]]:
        items = self.manifest()
        p = self.params
        return split_manifest(items, p.test_fraction, p.val_fraction, p.seed)

    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        image, (width, height) = read_image(item.image, size)
        contours = []
        clipped_any = False
        for dat in item.extra:
            points, clipped = clip_contour(read_contour(dat), width, height)
            contours.append(points)
            clipped_any |= clipped
        if clipped_any:
            self.clipped.append(item.id)
        return image, resize_mask(rasterise(*contours, width, height), size)

    def build_split(self, split, size, folder):
        self.clipped = []
        built = super().build_split(split, size, folder)
        if self.clipped:
            note(
                f"{self.name} {split}: {len(self.clipped)} cell contour(s) extended outside "
                f"their crop and were clipped to it (e.g. {', '.join(sorted(self.clipped)[:3])})"
            )
        return built


def split_manifest(
    items: list[SourceItem], test_fraction: float, val_fraction: float, seed: int
) -> dict[str, list[SourceItem]]:
    """Stratified train/test, then stratified val carved from train (val = test if 0)."""
    train_idx, test_idx = stratified_split([i.label for i in items], test_fraction, seed)
    train = [items[i] for i in train_idx]
    test = [items[i] for i in test_idx]
    if val_fraction <= 0:
        return {"train": train, "val": test, "test": test}
    keep_idx, val_idx = stratified_split([i.label for i in train], val_fraction, seed + 1)
    return {"train": [train[i] for i in keep_idx], "val": [train[i] for i in val_idx], "test": test}


@hookimpl
def distill_register_datasets(register):
    register("sipakmed", Sipakmed)
