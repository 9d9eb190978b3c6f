"""Where ``distill predict`` writes: masks, overlays, probabilities, and a manifest.

``OUT/masks/NAME.png`` (what ``distill score --pred OUT/masks`` reads), ``OUT/overlays/``,
``OUT/probabilities/NAME.npy`` (float32, lossless) and ``OUT/manifest.csv`` mapping every
input to its outputs. NAME is the input's stem when no other input shares it, so scores
match ground truth by name; inputs that share a stem (``a.jpg`` beside ``a.png``, or
``x/a.png`` and ``y/a.png``) get their path under the input folder, folder separators
as ``__`` and the ending kept (``x__a_png``). A file already there is never overwritten:
the run stops before writing anything. numpy and Pillow only.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from distill.core.errors import ConfigError, DataError
from distill.plugins.datasets.imageio import image_stem, image_suffix, list_images

MASKS, OVERLAYS, PROBABILITIES, MANIFEST = "masks", "overlays", "probabilities", "manifest.csv"
# Prediction colours per foreground class (those of distill's report overlays).
COLOURS = np.array([(255, 0, 255), (255, 128, 0), (255, 0, 0), (160, 0, 255), (255, 105, 180)])


@dataclass(frozen=True)
class Input:
    path: Path
    relative: Path  # under the folder it was found in (its name, for a file given directly)
    root: str  # that folder's name ("" for a file given directly)


def collect(inputs: list[Path]) -> list[Input]:
    """Image files of ``inputs`` (files, or folders read one level deep)."""
    found: list[Input] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += [Input(p, p.relative_to(item), item.name) for p in list_images(item)]
        elif item.is_file():
            found.append(Input(item, Path(item.name), ""))
        else:
            raise DataError(f"{item}: no such file or folder")
    if not found:
        raise DataError(f"no images found in {', '.join(map(str, inputs))}")
    return found


def output_names(items: list[Input]) -> list[str]:
    """One unique name per input (see the module docstring)."""
    stems = Counter(image_stem(i.path) for i in items)
    names = []
    for item in items:
        stem = image_stem(item.path)
        if stems[stem] == 1:
            names.append(stem)
            continue
        parts = [item.root, *item.relative.parent.parts, stem] if item.root else [stem]
        names.append("__".join(p for p in parts if p) + "_" + image_suffix(item.path)[1:])
    taken: Counter[str] = Counter()
    unique = []
    for name in names:  # the same file given twice, or two folders with one name
        taken[name] += 1
        unique.append(name if taken[name] == 1 else f"{name}-{taken[name]}")
    return unique


def nnunet_case(name: str) -> str:
    """nnU-Net names a case's image files ``CASE_0000.png`` (one per channel) and its label
    file ``CASE.png``: the mask of an image takes the case's name."""
    return re.sub(r"_\d{4}$", "", name)


@dataclass
class Writer:
    """Writes one image's outputs; refuses to start if any of them already exists."""

    out: Path
    binary: bool
    overlays: bool = True
    probabilities: bool = False
    class_ids: bool = False  # masks hold class ids even for two classes (nnU-Net's labels)

    def targets(self, name: str) -> list[Path]:
        paths = [self.out / MASKS / f"{name}.png"]
        if self.overlays:
            paths.append(self.out / OVERLAYS / f"{name}.png")
        if self.probabilities:
            paths.append(self.out / PROBABILITIES / f"{name}.npy")
        return paths

    def check_free(self, names: list[str]) -> None:
        manifest = self.out / MANIFEST
        taken = [p for n in names for p in self.targets(n) if p.exists()]
        if manifest.exists():
            taken.insert(0, manifest)
        if taken:
            raise ConfigError(
                f"{taken[0]} already exists ({len(taken)} output(s) would be "
                "overwritten): choose another --out"
            )
        for path in self.targets("x"):
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, probs: np.ndarray, image: np.ndarray | None) -> list[Path]:
        labels = probs.argmax(axis=0).astype(np.uint8)
        paths = self.targets(name)
        mask = labels * 255 if self.binary and not self.class_ids else labels
        Image.fromarray(mask.astype(np.uint8)).save(paths[0])
        if self.overlays and image is not None:
            Image.fromarray(overlay(image, labels)).save(paths[1])
        if self.probabilities:
            np.save(paths[-1], probs.astype(np.float32))
        return paths


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.3) -> np.ndarray:
    """The image with each predicted class tinted and outlined in its colour."""
    rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]
    out = rgb.astype(np.float32)
    for cls in range(1, int(labels.max(initial=0)) + 1):
        region = labels == cls
        colour = COLOURS[(cls - 1) % len(COLOURS)]
        out[region] = (1 - alpha) * out[region] + alpha * colour
        out[region & ~_eroded(region)] = colour
    return out.astype(np.uint8)


def _eroded(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1, constant_values=False)
    return (
        padded[1:-1, 1:-1]
        & padded[:-2, 1:-1]
        & padded[2:, 1:-1]
        & padded[1:-1, :-2]
        & padded[1:-1, 2:]
    )


def write_manifest(out: Path, rows: list[dict[str, str]]) -> Path:
    path = out / MANIFEST
    fields = ["input", "mask", "overlay", "probabilities", "width", "height", "status"]
    with path.open("x", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path
