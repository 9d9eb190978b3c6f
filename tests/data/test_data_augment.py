from __future__ import annotations

import pytest
import torch

from distill.core.config import AugmentParams
from distill.plugins.datasets.augment import BatchAugment


def blocky_batch(b: int = 3, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose first channel encodes the mask, so alignment can be read back."""
    masks = torch.zeros(b, size, size, dtype=torch.long)
    masks[:, 10:40, 16:50] = 1
    masks[:, 20:30, 5:30] = 2
    images = torch.stack([masks.float() / 2, torch.rand(b, size, size), masks.float() / 2], 1)
    return images, masks


def test_same_seed_same_augmentation_and_generator_is_independent():
    aug = BatchAugment(AugmentParams(elastic_p=0.5))
    images, masks = blocky_batch()
    torch.manual_seed(7)
    a = aug(images, masks)
    torch.manual_seed(7)
    b = aug(images, masks)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = aug(images, masks, torch.Generator().manual_seed(1))
    d = aug(images, masks, torch.Generator().manual_seed(1))
    assert torch.equal(c[0], d[0]) and torch.equal(c[1], d[1])
    assert not torch.equal(a[0], c[0])


def test_image_and_mask_stay_aligned():
    aug = BatchAugment(AugmentParams(color_p=0.0, elastic_p=0.5, rotate=45, affine_p=1.0))
    images, masks = blocky_batch(4)
    torch.manual_seed(0)
    out_images, out_masks = aug(images, masks)
    assert out_masks.dtype == torch.long and out_images.shape == images.shape
    assert set(out_masks.unique().tolist()) <= {0, 1, 2}
    readback = (out_images[:, 0] * 2).round().long()
    assert (readback == out_masks).float().mean() > 0.98  # only boundary pixels may differ
    assert not torch.equal(out_masks, masks)


def test_flips_are_exact_and_disabled_is_identity():
    images, masks = blocky_batch(2)
    flip = BatchAugment(AugmentParams(hflip=1.0, vflip=0.0, affine_p=0.0, color_p=0.0))
    out_images, out_masks = flip(images, masks)
    assert torch.equal(out_masks, masks.flip(-1))
    assert torch.allclose(out_images, images.flip(-1), atol=1e-4)
    off = BatchAugment(AugmentParams(enabled=False))
    same = off(images, masks)
    assert same[0] is images and same[1] is masks


def test_colour_jitter_touches_images_only_and_keeps_range():
    aug = BatchAugment(AugmentParams(hflip=0, vflip=0, affine_p=0, color_p=1.0, hue=0.1))
    images, masks = blocky_batch(3)
    torch.manual_seed(3)
    out_images, out_masks = aug(images, masks)
    assert torch.equal(out_masks, masks)
    assert out_images.min() >= 0 and out_images.max() <= 1
    assert not torch.allclose(out_images, images)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="BatchAugment expects"):
        BatchAugment()(torch.rand(2, 3, 32, 32), torch.zeros(2, 16, 16, dtype=torch.long))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_parameters():
    aug = BatchAugment(AugmentParams(color_p=0.0))
    images, masks = blocky_batch(2)
    cpu = aug(images, masks, torch.Generator().manual_seed(5))
    gpu = aug(images.cuda(), masks.cuda(), torch.Generator().manual_seed(5))
    assert (gpu[1].cpu() == cpu[1]).float().mean() > 0.99
