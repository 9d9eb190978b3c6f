"""Fusion blocks: output shape, gradients to every input, Selective Fusion weights."""

from __future__ import annotations

import pytest
import torch

import distill
from distill.core.errors import ConfigError

FUSIONS = ["selective", "concat", "add", "attention-gate"]


@pytest.mark.parametrize("name", FUSIONS)
@pytest.mark.parametrize("size", [(32, 32), (24, 32)])
def test_fusion_shape_and_gradients(name, size):
    block = distill.create("fusion", name, [16, 32], 24)
    skip = torch.randn(2, 16, *size, requires_grad=True)
    deeper = torch.randn(2, 32, *size, requires_grad=True)
    out = block([skip, deeper])
    assert out.shape == (2, 24, *size)
    out.square().mean().backward()
    assert skip.grad.abs().sum() > 0 and deeper.grad.abs().sum() > 0


def test_selective_weights_sum_to_one_over_branches():
    block = distill.create("fusion", "selective", [8, 8], 8)
    block([torch.randn(2, 8, 16, 16), torch.randn(2, 8, 16, 16)])
    weights = block.last_weights
    assert weights.shape == (2, 3, 8)  # skip, deeper, dilated context
    assert torch.allclose(weights.sum(dim=1), torch.ones(2, 8), atol=1e-6)
    assert (weights > 0).all()


def test_selective_branch_set_and_reduction_are_parameters():
    block = distill.create(
        "fusion", "selective", [8, 12], 8, branches=["skip", "deeper"], reduction=2
    )
    out = block([torch.randn(1, 8, 8, 8), torch.randn(1, 12, 8, 8)])
    assert out.shape == (1, 8, 8, 8)
    assert block.last_weights.shape == (1, 2, 8)
    assert block.context is None
    with pytest.raises(ConfigError, match="branches"):
        distill.create("fusion", "selective", [8, 8], 8, branches=["skip", "skip"])


def test_selective_output_is_convex_combination_of_branches():
    block = distill.create("fusion", "selective", [4, 4], 4).eval()
    inputs = [torch.randn(1, 4, 6, 6), torch.randn(1, 4, 6, 6)]
    out = block(inputs)
    branches = torch.stack(block.branch_maps(inputs), dim=1)
    assert (out <= branches.amax(1) + 1e-5).all() and (out >= branches.amin(1) - 1e-5).all()


def test_attention_gate_gate_lies_in_unit_interval():
    block = distill.create("fusion", "attention-gate", [8, 16], 8)
    block([torch.randn(1, 8, 8, 8), torch.randn(1, 16, 8, 8)])
    assert block.last_gate.shape == (1, 1, 8, 8)
    assert ((block.last_gate > 0) & (block.last_gate < 1)).all()
