"""The wide zoom: part of the one affine warp, masks aligned, lesions smaller or larger."""

from __future__ import annotations

import math

import pytest
import torch
from augment_samples import gen, params, skin_batch

from distill.core.augment import BatchAugment, affine_matrices
from distill.core.augment.scale import wide_zoom


def test_zoom_draws_log_uniformly_within_the_range_and_places_it_where_it_fits():
    p = params(zoom_p=1.0, zoom=(0.25, 4.0))
    zoomed, factor, place = wide_zoom(p, 4000, gen(0))
    assert zoomed.all() and factor.min() >= 0.25 and factor.max() <= 4.0
    # log-uniform: zooming out and zooming in equally likely
    assert abs((factor < 1).float().mean().item() - 0.5) < 0.03
    assert (place.abs() <= (factor - 1).abs()[:, None] / 2 + 1e-6).all()


def test_zoom_off_leaves_the_affine_draws_as_they_were():
    base = params(affine_p=0.7, rotate=20)
    with_range = params(affine_p=0.7, rotate=20, zoom=(0.1, 0.2))
    a = affine_matrices(base, 16, (64, 64), gen(1))
    b = affine_matrices(with_range, 16, (64, 64), gen(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("padding", ["zeros", "reflection", "border"])
def test_masks_follow_the_image_through_the_zoom(padding):
    images, masks = skin_batch(6)
    aug = BatchAugment(
        params(zoom_p=1.0, zoom=(0.3, 3.0), padding=padding, rotate=25, affine_p=1.0)
    )
    out, out_masks = aug(images, masks, gen(2))
    assert set(out_masks.unique().tolist()) <= {0, 1}
    lesion = (out[:, 0] - 0.4).abs() < 0.05  # the red channel says where the lesion went
    skin = (out[:, 0] - 0.8).abs() < 0.05
    assert (out_masks[lesion] == 1).float().mean() > 0.99
    assert (out_masks[skin] == 0).float().mean() > 0.99


def test_zooming_out_shrinks_lesions_and_pads_with_background():
    images, masks = skin_batch(4)
    out, out_masks = BatchAugment(params(zoom_p=1.0, zoom=(0.4, 0.4), padding="zeros"))(
        images, masks, gen(3)
    )
    area = out_masks.float().mean((1, 2)) / masks.float().mean((1, 2))
    assert torch.allclose(area, torch.full((4,), 0.16), atol=0.03)  # 0.4 ** 2
    black = out.amax(1) == 0
    assert black.float().mean() > 0.7 and (out_masks[black] == 0).all()


def test_zooming_in_is_a_crop_inside_the_image():
    images, masks = skin_batch(4)
    aug = BatchAugment(params(zoom_p=1.0, zoom=(2.0, 2.0)))
    out, out_masks = aug(images, masks, gen(4))
    assert (out.amax(1) > 0).all(), "a crop inside the image needs no padding"
    zoomed_area = out_masks.float().mean()
    assert zoomed_area > masks.float().mean() * 1.5 or math.isclose(zoomed_area, 0, abs_tol=0.1)
