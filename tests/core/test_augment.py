from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from distill.core.augment import BatchAugment, affine_matrices, sampling_grid
from distill.core.config import AugmentParams

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def aug_params(**values) -> AugmentParams:
    """The wide zoom off and black borders: these tests look at flips, the affine jitter
    and colour, against references that pad with zeros."""
    return AugmentParams(**{"zoom_p": 0.0, "padding": "zeros", **values})


def blocky_batch(b: int = 3, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose first channel encodes the mask, so alignment can be read back."""
    masks = torch.zeros(b, size, size, dtype=torch.long)
    masks[:, 10:40, 16:50] = 1
    masks[:, 20:30, 5:30] = 2
    images = torch.stack([masks.float() / 2, torch.rand(b, size, size), masks.float() / 2], 1)
    return images, masks


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_draws_only_from_its_generator():
    """Same generator seed, same augmentation; torch's global stream is neither read nor
    moved, so other code drawing random numbers cannot change a run's batches."""
    aug = BatchAugment(aug_params(elastic_p=0.5))
    images, masks = blocky_batch()
    outside = torch.get_rng_state()
    a = aug(images, masks, gen(1))
    torch.rand(100)  # another part of the process draws from the global stream
    b = aug(images, masks, gen(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    torch.set_rng_state(outside)
    aug(images, masks, gen(1))
    assert torch.equal(torch.get_rng_state(), outside)
    c = aug(images, masks, gen(2))
    assert not torch.equal(a[0], c[0])


def test_a_generator_is_required():
    images, masks = blocky_batch()
    with pytest.raises(TypeError):
        BatchAugment()(images, masks)


def test_image_and_mask_stay_aligned():
    aug = BatchAugment(aug_params(color_p=0.0, elastic_p=0.5, rotate=45, affine_p=1.0))
    images, masks = blocky_batch(4)
    out_images, out_masks = aug(images, masks, gen(0))
    assert out_masks.dtype == torch.long and out_images.shape == images.shape
    assert set(out_masks.unique().tolist()) <= {0, 1, 2}
    readback = (out_images[:, 0] * 2).round().long()
    assert (readback == out_masks).float().mean() > 0.98  # only boundary pixels may differ
    assert not torch.equal(out_masks, masks)


def test_flips_are_exact_and_disabled_is_identity():
    images, masks = blocky_batch(2)
    flip = BatchAugment(aug_params(hflip=1.0, vflip=0.0, affine_p=0.0, color_p=0.0))
    out_images, out_masks = flip(images, masks, gen())
    assert torch.equal(out_masks, masks.flip(-1))
    assert torch.allclose(out_images, images.flip(-1), atol=1e-4)
    off = BatchAugment(AugmentParams(enabled=False))
    same = off(images, masks, gen())
    assert same[0] is images and same[1] is masks


@pytest.mark.parametrize("hflip, vflip", [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
def test_flips_through_the_fused_grid_equal_torch_flip(hflip, vflip):
    images, masks = blocky_batch(3, size=48)
    images = torch.rand_like(images)
    aug = BatchAugment(aug_params(hflip=hflip, vflip=vflip, affine_p=0.0, color_p=0.0))
    out_images, out_masks = aug(images, masks, gen())
    dims = [d for d, on in ((-1, hflip), (-2, vflip)) if on]
    assert torch.equal(out_masks, masks.flip(dims))
    assert torch.allclose(out_images, images.flip(dims), atol=1e-4)


def test_fused_geometry_is_flip_then_affine():
    """One grid_sample with the flips folded in == flip exactly, then warp by the affine."""
    params = aug_params(rotate=30, affine_p=0.6, color_p=0.0)
    images, masks = blocky_batch(8)
    out_images, out_masks = BatchAugment(params)(images, masks, torch.Generator().manual_seed(4))
    hflip, vflip, use_affine, m = affine_matrices(
        params, 8, (64, 64), torch.Generator().manual_seed(4)
    )
    assert hflip.any() and vflip.any() and use_affine.any() and not use_affine.all()
    flipped_images, flipped_masks = images.clone(), masks.clone()
    for i in range(8):
        dims = [d for d, on in ((-1, hflip[i]), (-2, vflip[i])) if on]
        flipped_images[i], flipped_masks[i] = images[i].flip(dims), masks[i].flip(dims)
    grid = sampling_grid(m, (64, 64))
    ref_images = F.grid_sample(flipped_images, grid, mode="bilinear", align_corners=True)
    ref_masks = F.grid_sample(flipped_masks[:, None].float(), grid, "nearest", align_corners=True)
    assert torch.allclose(out_images, ref_images, atol=1e-4)
    assert torch.equal(out_masks, ref_masks[:, 0].long())


def test_uint8_input_with_normalisation_matches_the_float_path():
    images, masks = blocky_batch(4)
    as_uint8 = (images * 255).round().to(torch.uint8)
    aug = BatchAugment(aug_params(elastic_p=0.5, hue=0.1))
    fused = aug(as_uint8, masks.to(torch.uint8), torch.Generator().manual_seed(2), MEAN, STD)
    plain = aug(as_uint8.float() / 255, masks, torch.Generator().manual_seed(2))
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    assert fused[1].dtype == torch.long and torch.equal(fused[1], plain[1])
    assert torch.allclose(fused[0], (plain[0] - mean) / std, atol=1e-4)
    # the clamp to [0, 1] happens in normalised units
    assert (fused[0] >= (0 - mean) / std - 1e-6).all() and (
        fused[0] <= (1 - mean) / std + 1e-6
    ).all()
    # disabled augmentation still scales and normalises
    off_images, off_masks = BatchAugment(AugmentParams(enabled=False))(
        as_uint8, masks.to(torch.uint8), gen(), mean=MEAN, std=STD
    )
    assert torch.allclose(off_images, (as_uint8.float() / 255 - mean) / std, atol=1e-5)
    assert torch.equal(off_masks, masks)


def test_colour_jitter_touches_images_only_and_keeps_range():
    aug = BatchAugment(aug_params(hflip=0, vflip=0, affine_p=0, color_p=1.0, hue=0.1))
    images, masks = blocky_batch(3)
    out_images, out_masks = aug(images, masks, gen(3))
    assert torch.equal(out_masks, masks)
    assert out_images.min() >= 0 and out_images.max() <= 1
    assert not torch.allclose(out_images, images)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="BatchAugment expects"):
        BatchAugment()(torch.rand(2, 3, 32, 32), torch.zeros(2, 16, 16, dtype=torch.long), gen())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_parameters():
    aug = BatchAugment(aug_params(color_p=0.0))
    images, masks = blocky_batch(2)
    cpu = aug(images, masks, torch.Generator().manual_seed(5))
    gpu = aug(images.cuda(), masks.cuda(), torch.Generator().manual_seed(5))
    assert (gpu[1].cpu() == cpu[1]).float().mean() > 0.99


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_on_the_fused_uint8_path():
    aug = BatchAugment(aug_params())
    images, masks = blocky_batch(4)
    as_uint8, masks8 = (images * 255).round().to(torch.uint8), masks.to(torch.uint8)
    cpu = aug(as_uint8, masks8, torch.Generator().manual_seed(5), MEAN, STD)
    gpu = aug(as_uint8.cuda(), masks8.cuda(), torch.Generator().manual_seed(5), MEAN, STD)
    assert gpu[0].is_cuda and gpu[1].dtype == torch.long
    assert (gpu[1].cpu() == cpu[1]).float().mean() > 0.99
    assert (gpu[0].cpu() - cpu[0]).abs().mean() < 1e-2
