"""The one preprocess: normalisation, decoding of every input kind, resizing back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from distill.core.errors import DataError
from distill.deploy.preprocess import Preprocess, resize_probabilities, softmax

PRE = Preprocess((32, 48), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3))


@pytest.mark.parametrize("target", [(97, 61), (20, 10), (48, 32)])
def test_resize_back_matches_pytorch_bilinear(target):
    probs = softmax(np.random.default_rng(0).normal(size=(1, 3, 32, 48)).astype(np.float32))[0]
    ours = resize_probabilities(probs, target)
    ref = F.interpolate(
        torch.from_numpy(probs)[None],
        size=(target[1], target[0]),
        mode="bilinear",
        align_corners=False,
    )[0].numpy()
    assert ours.shape == (3, target[1], target[0])
    np.testing.assert_allclose(ours, ref, atol=1e-5)  # float32 source coordinates in torch
    np.testing.assert_allclose(ours.sum(0), 1.0, atol=1e-5)


def test_batch_normalises_per_channel_into_nchw():
    pixels = np.full((2, 32, 48, 3), 255, np.uint8)
    x = PRE.batch(pixels)
    assert x.shape == (2, 3, 32, 48) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, :, 0, 0], [[2.5, 2.4, 7 / 3]] * 2, rtol=1e-6)


def test_path_pil_and_array_inputs_decode_alike(isic_files):
    path = isic_files[0]
    from_path = PRE.decode(path)
    image = Image.open(path)
    from_pil = PRE.decode(image)
    from_array = PRE.decode(np.asarray(image.convert("RGB")))
    assert from_path.original == from_pil.original == from_array.original == image.size
    assert from_path.pixels.shape == (32, 48, 3)
    np.testing.assert_array_equal(from_pil.pixels, from_array.pixels)
    # a file is decoded as training decoded it (JPEG draft), so it may differ slightly
    assert np.abs(from_path.pixels.astype(int) - from_pil.pixels).mean() < 8


def test_gray_array_becomes_rgb_and_float_array_is_refused():
    assert PRE.decode(np.zeros((5, 7), np.uint8)).pixels.shape == (32, 48, 3)
    with pytest.raises(DataError, match="dtype float64"):
        PRE.decode(np.zeros((5, 7)), name="scan")


def test_recorded_form_round_trips_and_unknown_policy_is_refused():
    assert Preprocess.from_dict(PRE.to_dict()) == PRE
    with pytest.raises(DataError, match="resize policy 'letterbox'"):
        Preprocess((8, 8), (0.5,), (0.5,), 1, "letterbox")


def test_colour_constancy_recorded_at_training_is_applied_before_normalising():
    from distill.core.colour import shades_of_grey

    pixels = np.random.default_rng(0).integers(0, 255, (1, 8, 8, 3), dtype=np.uint8)
    plain = Preprocess((8, 8), (0.5,) * 3, (0.25,) * 3)
    corrected = Preprocess.from_dict({**plain.to_dict(), "colour_constancy": 6.0})
    expected = plain.batch(shades_of_grey(pixels, 6.0))
    assert np.allclose(corrected.batch(pixels), expected)
    assert not np.allclose(plain.batch(pixels), expected)
