"""distill.load: the same masks from the run, the bundle on PyTorch and on onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import distill
from distill.core.errors import ConfigError


def test_run_and_bundle_predict_the_same_masks(isic_run, isic_bundle, isic_files):
    from_run = distill.load(isic_run)
    from_bundle = distill.load(isic_bundle)
    on_ort = distill.load(isic_bundle, runtime="onnxruntime", threads=1)
    assert from_run.size == on_ort.size == (32, 32)
    assert on_ort.class_names == ("background", "lesion") and on_ort.in_channels == 3
    assert from_run.model is not None and not from_run.model.training
    masks = [p.predict(isic_files) for p in (from_run, from_bundle, on_ort)]
    for path, a, b, c in zip(isic_files, *masks, strict=True):
        assert a.shape == Image.open(path).size[::-1] and a.dtype == np.uint8
        np.testing.assert_array_equal(a, b)
        assert (a == c).mean() > 0.999


def test_probabilities_and_flip_tta(isic_bundle, isic_files):
    predictor = distill.load(isic_bundle, runtime="onnxruntime", threads=1)
    image = np.asarray(Image.open(isic_files[0]).convert("RGB"))
    plain = predictor.predict_proba(image)
    flipped = predictor.predict_proba(image, tta="flip")
    assert plain.shape == flipped.shape == (2, *image.shape[:2]) and plain.dtype == np.float32
    np.testing.assert_allclose(flipped.sum(0), 1.0, atol=1e-5)
    # by hand: the mean of the image's, its horizontal and its vertical flip's probabilities
    small = predictor.preprocess.decode(image).pixels[None]
    views = [small, small[:, :, ::-1], small[:, ::-1]]
    by_hand = [predictor.probabilities(np.ascontiguousarray(v)) for v in views]
    by_hand = (by_hand[0] + by_hand[1][..., ::-1] + by_hand[2][:, :, ::-1]) / 3
    np.testing.assert_allclose(predictor.probabilities(small, tta="flip"), by_hand, atol=1e-6)
    with pytest.raises(ConfigError, match="tta must be 'flip'"):
        predictor.predict(image, tta="rotate")


def test_int8_model_predicts(bundle, isic_files):
    predictor = distill.load(bundle, runtime="onnxruntime", int8=True, threads=1)
    assert predictor.label.endswith("int8")
    assert predictor.predict(isic_files[0]).shape == Image.open(isic_files[0]).size[::-1]


def test_onnxruntime_needs_a_bundle(isic_run):
    with pytest.raises(ConfigError, match="not a bundle: the onnxruntime runtime needs one"):
        distill.load(isic_run, runtime="onnxruntime")
