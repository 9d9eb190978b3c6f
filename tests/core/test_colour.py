"""Shades-of-grey colour constancy on synthetic casts and real dermoscopy images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from distill.core.colour import constant_split, illuminant, shades_of_grey
from distill.core.errors import ConfigError


def scene(n: int = 3, size: int = 48) -> np.ndarray:
    """Neutral (gray-world) textured scenes, uint8 (N, H, W, 3)."""
    rng = np.random.default_rng(0)
    gray = rng.uniform(40, 200, (n, size, size, 1))
    return np.repeat(gray, 3, axis=-1).round().astype(np.uint8)


def cast(images: np.ndarray, gains) -> np.ndarray:
    return np.clip(images * np.asarray(gains), 0, 255).round().astype(np.uint8)


@pytest.mark.parametrize("p", [1.0, 6.0, float("inf")])
def test_a_coloured_light_is_undone(p):
    neutral = scene()
    tinted = cast(neutral, [1.2, 0.95, 0.7])
    fixed = shades_of_grey(tinted, p)
    assert fixed.dtype == np.uint8 and fixed.shape == tinted.shape
    spread = fixed.astype(float).std(axis=-1).mean()
    assert spread < 0.1 * tinted.astype(float).std(axis=-1).mean() and spread < 3
    assert abs(fixed.mean() - tinted.mean()) < 3  # brightness kept


def test_one_image_and_a_batch_agree_and_each_image_has_its_own_light():
    images = np.stack([cast(scene(1)[0], [1.1, 1.0, 0.9]), cast(scene(1)[0], [0.9, 1.0, 1.1])])
    batch = shades_of_grey(images, 6)
    assert np.array_equal(batch[0], shades_of_grey(images[0], 6))
    assert np.array_equal(batch[1], shades_of_grey(images[1], 6))
    assert np.abs(batch[0].astype(int) - batch[1].astype(int)).mean() < 2


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="uint8 RGB"):
        shades_of_grey(scene().astype(np.float32), 6)
    with pytest.raises(ValueError, match="uint8 RGB"):
        shades_of_grey(scene()[..., :1], 6)
    with pytest.raises(ValueError, match="p >= 1"):
        shades_of_grey(scene(), 0.5)


def test_black_images_stay_black():
    black = np.zeros((2, 8, 8, 3), np.uint8)
    assert np.array_equal(shades_of_grey(black, 6), black)


def test_real_dermoscopy_images_get_a_gray_illuminant(isic_sample):
    files = sorted((isic_sample / "ISIC-2017_Training_Data").glob("ISIC_*.jpg"))[:4]
    images = np.stack([np.asarray(Image.open(f).convert("RGB").resize((96, 72))) for f in files])
    before, after = illuminant(images, 6), illuminant(shades_of_grey(images, 6), 6)
    assert before.std(axis=-1).max() > 0.05, "some real images have a coloured illuminant"
    assert (after.std(axis=-1) < 0.02).all()


@dataclass
class Split:
    images: np.ndarray
    masks: np.ndarray
    ids: list[str]


def test_a_split_is_corrected_only_when_asked():
    split = Split(cast(scene(), [1.2, 1.0, 0.8]), np.zeros((3, 48, 48), np.uint8), ["a", "b", "c"])
    assert constant_split(split, None) is split
    fixed = constant_split(split, 6.0)
    assert fixed.masks is split.masks and fixed.ids == split.ids
    assert not np.array_equal(fixed.images, split.images)
    gray = Split(split.images[..., :1], split.masks, split.ids)
    with pytest.raises(ConfigError, match="RGB"):
        constant_split(gray, 6.0)
