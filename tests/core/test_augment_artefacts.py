"""What each artefact and photometric pass does to an image, on synthetic and real images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from augment_samples import IMAGE_ONLY, gen, params, skin_batch
from PIL import Image

from distill.core.augment import BatchAugment
from distill.core.augment.photometric import illuminant_gains
from distill.core.augment.shapes import GRAY


def run(images, masks, seed=0, **values):
    return BatchAugment(params(**values))(images, masks, gen(seed))[0]


def test_hair_and_ink_darken_bubbles_brighten():
    images, masks = skin_batch(6)
    hair = run(images, masks, hair_p=1.0, hair=10)
    assert (hair <= images + 1e-6).all() and (images - hair).amax() > 0.3
    ink = run(images, masks, ink_p=1.0, ink=1.0)
    assert ((images - ink).amax((1, 2, 3)) > 0.1).all()
    glints = run(images, masks, bubble_p=1.0, bubble=8)
    assert (glints.mean(1) >= images.mean(1) - 1e-6).all() and (glints - images).amax() > 0.1


def test_rulers_lie_along_an_edge():
    images, masks = skin_batch(8, size=96)
    changed = (run(images, masks, 5, ruler_p=1.0) - images).abs().amax(1) > 0.05
    border = torch.zeros(96, 96, dtype=torch.bool)
    border[:30], border[-30:], border[:, :30], border[:, -30:] = True, True, True, True
    assert changed.any((1, 2)).all()
    assert changed[:, border].sum() > 0.9 * changed.sum()


def test_vignette_and_rim_darken_the_corners_not_the_centre():
    images, masks = skin_batch(4)
    for values in (dict(vignette_p=1.0, vignette=0.8), dict(rim_p=1.0, rim=0.6)):
        out = run(images, masks, 1, **values)
        ratio = out / images.clamp(min=1e-3)
        corner, centre = ratio[..., :4, :4].mean(), ratio[..., 28:36, 28:36].mean()
        assert corner < 0.75 and centre > 0.9, values


def test_the_illuminant_is_per_channel_gains_that_keep_the_luma():
    p = params(illuminant_p=1.0, illuminant=0.3)
    gains = illuminant_gains(64, 3, gen(0), p)
    assert torch.allclose(gains @ torch.tensor(GRAY), torch.ones(64), atol=1e-5)
    assert (gains.log().abs() <= 0.3 * 2 + 1e-5).all() and gains.std() > 0.02
    assert torch.equal(illuminant_gains(8, 1, gen(0), p), torch.ones(8, 1))


def test_the_illuminant_folded_into_the_colour_pass_equals_gains_applied_first():
    images, masks = skin_batch(4)
    p = params(illuminant_p=1.0, color_p=1.0, hue=0.05)
    fused = BatchAugment(p)(images, masks, gen(7))[0]
    g = gen(7)
    gains = illuminant_gains(4, 3, g, p)  # drawn first, then the colour jitter
    colour_only = params(color_p=1.0, hue=0.05)
    manual = BatchAugment(colour_only)(images * gains.view(4, 3, 1, 1), masks, g)[0]
    assert torch.allclose(fused, manual, atol=1e-5)


def test_blur_smooths_and_jpeg_degrades():
    images, masks = skin_batch(4)

    def roughness(x):
        return (x[..., 1:, :] - x[..., :-1, :]).abs().mean()

    blurred = run(images, masks, blur_p=1.0, blur=0.05)
    assert roughness(blurred) < 0.5 * roughness(images)
    coded = run(images, masks, jpeg_p=1.0, jpeg=(5, 10))
    error = (coded - images).abs().mean()
    assert 0.003 < error < 0.1


def real_images(root, n: int = 4, size: int = 96):
    files = sorted((root / "ISIC-2017_Training_Data").glob("ISIC_*.jpg"))[:n]
    pixels = [np.asarray(Image.open(f).convert("RGB").resize((size, size))) for f in files]
    masks = [
        np.asarray(
            Image.open(
                root / "ISIC-2017_Training_Part1_GroundTruth" / f"{f.stem}_segmentation.png"
            ).resize((size, size))
        )
        > 127
        for f in files
    ]
    images = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).contiguous()
    return images, torch.from_numpy(np.stack(masks)).to(torch.uint8)


@pytest.mark.parametrize("name", sorted(IMAGE_ONLY))
def test_real_dermoscopy_images_stay_valid(isic_sample, name):
    images, masks = real_images(isic_sample)
    out, out_masks = BatchAugment(params(**IMAGE_ONLY[name]))(images, masks, gen(3))
    assert torch.equal(out_masks, masks.long())
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert (out - images.float() / 255).abs().amax() > 0.05
