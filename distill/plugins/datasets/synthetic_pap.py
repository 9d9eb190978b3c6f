"""``synthetic-pap``: Pap-smear-like cells (3 classes: background, cytoplasm, nucleus).

Like SIPaKMeD's cropped cells: one cell near the centre with neighbours cut by the frame.
Cytoplasm is drawn as a stain that absorbs light (overlaps get darker, as in transmitted
light), cyanophilic (blue-green) or eosinophilic (pink-orange) per cell; nuclei are darker,
textured, of varied size and contrast. Small inflammatory cells and debris look like nuclei
but are background. ``difficulty`` lowers nucleus and cytoplasm contrast, blurs focus and
adds debris.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.synthetic_base import (
    SyntheticDataset,
    SyntheticParams,
    fractal_noise,
    grid,
    sigmoid,
    smooth_noise,
    star_shape,
    to_uint8,
)

# absorbance (optical density) of each stain per RGB channel: colour = background * 10^-OD
CYANOPHILIC = np.array([0.55, 0.22, 0.20], dtype=np.float32)
EOSINOPHILIC = np.array([0.10, 0.42, 0.30], dtype=np.float32)
HAEMATOXYLIN = np.array([0.65, 0.75, 0.35], dtype=np.float32)


class SyntheticPap(SyntheticDataset):
    """Synthetic Pap smear crops: overlapping cells, darker nuclei, stain variation."""

    name = "synthetic-pap"
    num_classes = 3
    class_names = ("background", "cytoplasm", "nucleus")
    Params = SyntheticParams

    def generate(self, rng: np.random.Generator, size: tuple[int, int]):
        d = self.params.difficulty
        yy, xx = grid(size)
        density = np.zeros((*size, 3), dtype=np.float32)
        mask = np.zeros(size, dtype=np.uint8)
        cells = [(np.clip(rng.normal(0, 0.12, 2), -0.3, 0.3), rng.uniform(0.45, 0.75))]
        for _ in range(int(rng.integers(1, 5))):
            angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0.7, 1.3)
            cells.append((np.array([np.sin(angle), np.cos(angle)]) * dist, rng.uniform(0.3, 0.65)))
        nuclei = np.zeros(size, dtype=bool)
        for centre, radius in cells:
            self._cell(rng, yy, xx, size, tuple(centre), radius, d, density, mask, nuclei)
        mask[nuclei] = 2

        self._debris(rng, yy, xx, density, int(rng.poisson(1 + 14 * d)), d)
        mucus = np.clip(smooth_noise(rng, size, 3) - 0.3, 0, 1) * rng.uniform(0, 0.5 * d)
        density += mucus[..., None] * (CYANOPHILIC if rng.random() < 0.5 else EOSINOPHILIC)
        background = np.array([0.93, 0.91, 0.90], np.float32) * rng.uniform(0.95, 1.04, 3)
        light = background * (1 + 0.04 * smooth_noise(rng, size, 3))[..., None]
        image = light * np.power(10.0, -density, dtype=np.float32)
        sigma = rng.uniform(0.4, 0.8 + 2.0 * d) * max(size) / 256
        image = ndimage.gaussian_filter(image, (sigma, sigma, 0))
        image = image + rng.normal(0, 0.01 + 0.015 * d, image.shape).astype(np.float32)
        return to_uint8(image), mask

    @staticmethod
    def _cell(rng, yy, xx, size, centre, radius, d, density, mask, nuclei) -> None:
        """Add one cell's stain to ``density`` and its classes to ``mask``/``nuclei``."""
        dist = star_shape(
            rng,
            yy,
            xx,
            centre,
            radius,
            rng.uniform(0.75, 1.3),
            rng.uniform(0, np.pi),
            irregularity=rng.uniform(0.2, 0.7),
            harmonics=6,
        )
        cyto_alpha = sigmoid((1 - dist) / rng.uniform(0.03, 0.05 + 0.3 * d))
        stain = CYANOPHILIC if rng.random() < 0.6 else EOSINOPHILIC
        stain = stain * rng.uniform(0.8, 1.2, 3).astype(np.float32)
        thickness = rng.uniform(0.35 - 0.25 * d, 0.6 - 0.15 * d)
        thickness = thickness * (1 + (0.25 + 0.3 * d) * fractal_noise(rng, size, 4, 3))
        density += (cyto_alpha * thickness)[..., None] * stain
        mask[dist < 1.0] = np.maximum(mask[dist < 1.0], 1)

        offset = rng.normal(0, 0.12, 2) * radius
        n_radius = radius * rng.uniform(0.14, 0.4)
        ndist = star_shape(
            rng,
            yy,
            xx,
            (centre[0] + offset[0], centre[1] + offset[1]),
            n_radius,
            rng.uniform(0.8, 1.25),
            rng.uniform(0, np.pi),
            irregularity=rng.uniform(0.05, 0.3),
            harmonics=4,
        )
        fuzz = rng.uniform(0.03, 0.05 + 0.25 * d)
        n_alpha = sigmoid((1 - ndist) / fuzz)
        chromatin = 1 + 0.3 * fractal_noise(rng, size, 12, 2)
        darkness = rng.uniform(0.5 - 0.45 * d, 1.1 - 0.4 * d)
        density += (n_alpha * darkness * chromatin)[..., None] * HAEMATOXYLIN
        nuclei |= ndist < 1.0

    @staticmethod
    def _debris(rng, yy, xx, density, n: int, d: float) -> None:
        """Inflammatory cells and debris: small dark dots that are background."""
        h, w = density.shape[:2]
        px = max(h, w) / 2
        for _ in range(n):
            cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
            r = rng.uniform(0.015, 0.03 + 0.07 * d)
            reach = int(np.ceil(2 * r * px)) + 1
            ys, xs = slice(max(cy - reach, 0), cy + reach), slice(max(cx - reach, 0), cx + reach)
            dd = np.sqrt((yy[ys, xs] - yy[cy, cx]) ** 2 + (xx[ys, xs] - xx[cy, cx]) ** 2) / r
            density[ys, xs] += (sigmoid((1 - dd) / 0.2) * rng.uniform(0.4, 1.0))[
                ..., None
            ] * HAEMATOXYLIN


@hookimpl
def distill_register_datasets(register):
    register("synthetic-pap", SyntheticPap)
