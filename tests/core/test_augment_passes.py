"""The contract every robustness pass keeps: images only, its own generator, off at 0."""

from __future__ import annotations

import pytest
import torch
from augment_samples import IMAGE_ONLY, gen, params, skin_batch

from distill.core.augment import BatchAugment
from distill.core.config import AugmentParams

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
STRENGTHS = dict(
    hair=20,
    ruler=0.3,
    ink=0.3,
    bubble=20,
    vignette=0.9,
    rim=0.8,
    illuminant=0.9,
    blur=0.05,
    jpeg=(5, 10),
    zoom=(0.2, 0.3),
)


@pytest.mark.parametrize("name", sorted(IMAGE_ONLY))
def test_image_only_passes_leave_masks_alone_and_keep_the_range(name):
    images, masks = skin_batch()
    out, out_masks = BatchAugment(params(**IMAGE_ONLY[name]))(images, masks, gen(1))
    assert torch.equal(out_masks, masks) and out_masks.dtype == torch.long
    assert out.shape == images.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    assert (out - images).abs().amax() > 0.05, f"{name} changed nothing"
    assert torch.equal(images, skin_batch()[0]), "the input batch was written to"


def test_probability_zero_is_the_identity_and_draws_nothing():
    """Strengths without probabilities change nothing, not even the generator's state: a
    pass at probability 0 is as if it did not exist."""
    images, masks = skin_batch()
    g = gen(3)
    out, out_masks = BatchAugment(params(**STRENGTHS, padding="reflection"))(images, masks, g)
    assert torch.equal(out, images) and torch.equal(out_masks, masks)
    assert torch.equal(g.get_state(), gen(3).get_state())
    default = BatchAugment(AugmentParams(zoom_p=0.0))(images, masks, gen(4))
    with_strengths = BatchAugment(AugmentParams(**STRENGTHS, zoom_p=0.0))(images, masks, gen(4))
    assert torch.equal(default[0], with_strengths[0]) and torch.equal(default[1], with_strengths[1])


def every_pass(p: float = 1.0) -> AugmentParams:
    on = {k: v for values in IMAGE_ONLY.values() for k, v in values.items()}
    on = {k: (p if k.endswith("_p") else v) for k, v in on.items()}
    return AugmentParams(**on, zoom_p=p, elastic_p=p)


def test_same_seed_same_batch_and_the_global_stream_is_untouched():
    aug = BatchAugment(every_pass(0.7))
    images, masks = skin_batch(6)
    outside = torch.get_rng_state()
    a = aug(images, masks, gen(5))
    assert torch.equal(torch.get_rng_state(), outside)
    torch.rand(50)  # someone else draws from the global stream
    b = aug(images, masks, gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = aug(images, masks, gen(6))
    assert not torch.equal(a[0], c[0])


def test_only_chosen_samples_are_touched():
    images, masks = skin_batch(8)
    aug = BatchAugment(params(hair_p=0.5, ruler_p=0.5, vignette_p=0.5, blur_p=0.5, jpeg_p=0.5))
    out, _ = aug(images, masks, gen(2))
    changed = (out - images).flatten(1).abs().amax(1) > 0
    assert 0 < changed.sum() < 8


def test_uint8_input_with_normalisation_matches_the_float_path():
    images, masks = skin_batch()
    as_uint8 = (images * 255).round().to(torch.uint8)
    aug = BatchAugment(every_pass(0.8))
    fused = aug(as_uint8, masks.to(torch.uint8), gen(8), MEAN, STD)
    plain = aug(as_uint8.float() / 255, masks, gen(8))
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    assert torch.equal(fused[1], plain[1])
    assert torch.allclose(fused[0], (plain[0] - mean) / std, atol=2e-3)


def test_gray_images_get_every_pass():
    images, masks = skin_batch()
    gray = images.mean(1, keepdim=True)
    out, out_masks = BatchAugment(every_pass(1.0))(gray, masks, gen(9))
    assert out.shape == gray.shape and out.min() >= 0 and out.max() <= 1
    assert set(out_masks.unique().tolist()) <= {0, 1}


def test_bad_ranges_are_config_errors():
    from distill.core.config import build_config
    from distill.core.errors import ConfigError

    cfg = build_config({}, ["data.augment.hair_p=0.3", "data.augment.zoom=[0.3, 1.5]"])
    assert cfg.data.augment.hair_p == 0.3 and cfg.data.augment.zoom == (0.3, 1.5)
    for bad in (
        "data.augment.zoom=[2, 1]",
        "data.augment.jpeg=[0, 50]",
        "data.augment.padding=wrap",
        "data.augment.hair_p=2",
    ):
        with pytest.raises(ConfigError):
            build_config({}, [bad])
