"""The example plugin's distiller (the plugin guide's one-file distiller), through its
entry point: registered, numerically the MSE it claims, its wiring checked at build."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fake_distributions import install_fake_distribution

import distill
from distill.core import plugins
from distill.core.errors import ConfigError
from distill.core.interfaces import ModelSpec, SegOutput

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin-example"
STUDENT = ModelSpec("s", "cnn", 2, (4, 6), (4, 8))
TEACHER = ModelSpec("t", "transformer", 2, (5, 7), (4, 8))


@pytest.fixture
def example(site, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    install_fake_distribution(site, "distill-tiny", {"tiny": "distill_tiny"}, {})
    plugins.reset()
    yield
    plugins.reset()


def outputs(seed: int) -> tuple[SegOutput, SegOutput]:
    g = torch.Generator().manual_seed(seed)
    s = SegOutput(
        None, [torch.randn(2, 4, 8, 8, generator=g), torch.randn(2, 6, 4, 4, generator=g)]
    )
    t = SegOutput(
        None, [torch.randn(2, 5, 8, 8, generator=g), torch.randn(2, 7, 4, 4, generator=g)]
    )
    return s, t


def test_feature_mse_is_the_mean_squared_error_after_each_connector(example):
    component = plugins.registry().get("distiller", "feature-mse")
    assert component.source == "tiny (distill-tiny)"
    distiller = distill.create("distiller", "feature-mse", STUDENT, [TEACHER], strides=[4, 8])
    s, t = outputs(0)
    terms = distiller(s, [t], torch.zeros(2, 32, 32, dtype=torch.long))
    assert set(terms) == {"mse_s4", "mse_s8"}
    for i, stride in enumerate((4, 8)):
        conv = distiller.connectors[str(stride)]
        mapped = torch.einsum("oc,bchw->bohw", conv.weight[:, :, 0, 0], s.features[i])
        mapped = mapped + conv.bias[None, :, None, None]
        expected = (mapped - t.features[i]).pow(2).mean()
        torch.testing.assert_close(terms[f"mse_s{stride}"], expected)


def test_feature_mse_rejects_a_stride_the_models_lack(example):
    with pytest.raises(ConfigError, match="stride 16 is not a feature stride of the student"):
        distill.create("distiller", "feature-mse", STUDENT, [TEACHER], strides=[16])
