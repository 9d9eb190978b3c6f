"""Tiny fake dataset trees for the data tests (real file formats, small sizes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_pair(
    image_path: Path,
    mask_path: Path,
    seed: int,
    size: tuple[int, int] = (40, 48),
    mask_values: tuple[int, int] = (0, 255),
) -> np.ndarray:
    """A random RGB image and a rectangle mask; returns the mask as class ids (0/1)."""
    rng = np.random.default_rng(seed)
    h, w = size
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ids = np.zeros((h, w), np.uint8)
    y0, x0 = rng.integers(2, h // 2), rng.integers(2, w // 2)
    ids[y0 : y0 + h // 3, x0 : x0 + w // 3] = 1
    image_path.parent.mkdir(parents=True, exist_ok=True)
    mask_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(image_path, quality=95)
    Image.fromarray(np.where(ids == 1, mask_values[1], mask_values[0]).astype(np.uint8)).save(
        mask_path
    )
    return ids


ISIC = {
    "train": ("ISIC-2017_Training_Data", "ISIC-2017_Training_Part1_GroundTruth"),
    "val": ("ISIC-2017_Validation_Data", "ISIC-2017_Validation_Part1_GroundTruth"),
    "test": ("ISIC-2017_Test_v2_Data", "ISIC-2017_Test_v2_Part1_GroundTruth"),
}


def make_isic_tree(
    root: Path, counts: dict[str, int], nested: bool = False, decoys: bool = True
) -> dict[str, list[str]]:
    """Official ISIC 2017 layout with superpixel/CSV decoys; returns ids per split."""
    ids: dict[str, list[str]] = {}
    n = 0
    for split, count in counts.items():
        img_name, gt_name = ISIC[split]
        img_dir = root / img_name / img_name if nested else root / img_name
        gt_dir = root / gt_name / gt_name if nested else root / gt_name
        ids[split] = []
        for _ in range(count):
            stem = f"ISIC_{n:07d}"
            write_pair(img_dir / f"{stem}.jpg", gt_dir / f"{stem}_segmentation.png", n)
            if decoys:
                Image.new("RGB", (48, 40), (1, 2, 3)).save(img_dir / f"{stem}_superpixels.png")
            ids[split].append(stem)
            n += 1
        if decoys:
            (img_dir / f"{img_name}_metadata.csv").write_text("image_id,age\nISIC_0000000,50\n")
    return ids


def ellipse_contour(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack((cx + rx * np.cos(t), cy + ry * np.sin(t)))


def write_dat(path: Path, points: np.ndarray, sep: str = ",") -> None:
    path.write_text("".join(f"{x:.6f}{sep}{y:.6f}\n" for x, y in points))


def make_sipakmed_tree(
    root: Path, per_class: dict[str, int], nested: bool = False, outside: int = 0
) -> None:
    """im_<Class>/CROPPED/NNN_KK.bmp with _cyt.dat/_nuc.dat (the real text format).

    The first ``outside`` cells of each class get a cell contour reaching past the crop."""
    rng = np.random.default_rng(0)
    for cls, count in per_class.items():
        base = root / f"im_{cls}" / f"im_{cls}" if nested else root / f"im_{cls}"
        folder = base / "CROPPED"
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(count):
            stem = f"{k + 1:03d}_{(k % 3) + 1:02d}"
            w, h = int(rng.integers(40, 60)), int(rng.integers(40, 60))
            image = rng.integers(100, 200, (h, w, 3), dtype=np.uint8)
            Image.fromarray(image).save(folder / f"{stem}.bmp")
            reach = 0.6 if k < outside else 0.4
            write_dat(folder / f"{stem}_cyt.dat", ellipse_contour(w / 2, h / 2, w * reach, h * 0.4))
            write_dat(
                folder / f"{stem}_nuc.dat",
                ellipse_contour(w / 2, h / 2, w * 0.12, h * 0.12),
                sep=" ",
            )
        (base / "CROPPED" / "notes.txt").write_text("decoy")
