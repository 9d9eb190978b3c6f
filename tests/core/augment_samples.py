"""Batches for the augmentation tests: real tensors whose content can be read back."""

from __future__ import annotations

import torch

from distill.core.config import AugmentParams

# every pass of the default augmentation off, so one pass can be looked at alone
QUIET = dict(hflip=0.0, vflip=0.0, affine_p=0.0, color_p=0.0, zoom_p=0.0)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def skin_batch(b: int = 4, size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Skin-coloured images in [0, 1] with a dark disc lesion (class 1) and mild texture;
    the red channel encodes the mask exactly (0.8 outside, 0.4 inside), so alignment after a
    warp can be read back from the image."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    masks = torch.zeros(b, size, size, dtype=torch.long)
    for i in range(b):
        cy, cx, r = size / 2 + 4 * i - 6, size / 2 - 3 * i + 4, size / 5 + 2 * i
        masks[i] = (((ys - cy) ** 2 + (xs - cx) ** 2) < r * r).long()
    texture = 0.05 * torch.rand(b, 2, size, size, generator=gen(99))
    red = 0.8 - 0.4 * masks.float()
    images = torch.stack(
        [red, 0.6 - 0.3 * masks.float() + texture[:, 0], 0.5 - 0.3 * masks.float() + texture[:, 1]],
        1,
    )
    return images.clamp(0, 1), masks


def params(**values) -> AugmentParams:
    return AugmentParams(**{**QUIET, **values})


# each image-only pass switched fully on, with the strength it is tested at
IMAGE_ONLY = {
    "hair": dict(hair_p=1.0, hair=6),
    "ruler": dict(ruler_p=1.0),
    "ink": dict(ink_p=1.0),
    "bubble": dict(bubble_p=1.0, bubble=4),
    "vignette": dict(vignette_p=1.0),
    "rim": dict(rim_p=1.0, rim=0.5),
    "illuminant": dict(illuminant_p=1.0),
    "blur": dict(blur_p=1.0),
    "jpeg": dict(jpeg_p=1.0, jpeg=(20, 40)),
}
