"""Hybrid CNN+transformer baselines: parameter counts against the papers, and what makes
each network itself (TransUNet's interpolated position embeddings, FAT-Net's stride-2
skips, HiFormer's DLF cross-attention actually reaching the logits)."""

from __future__ import annotations

import pytest
import torch

import distill
from distill.core.interfaces import check_model_contract

HYBRIDS = ["transunet", "transfuse", "fatnet", "hiformer"]


def n_params(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


@pytest.mark.parametrize("name", HYBRIDS)
def test_parameter_count_matches_published(name: str) -> None:
    with torch.device("meta"):  # counts only: no memory, no weight initialisation
        model = distill.create("student", name)
    assert model.family == "hybrid"
    assert model.published_source
    ours = n_params(model)
    assert abs(ours - model.published_params) / model.published_params < 0.10, (
        f"{name}: {ours:.2f}M vs published {model.published_params}M"
    )


def test_transfuse_runs_at_a_size_other_than_its_position_grid() -> None:
    model = distill.create("student", "transfuse", img_size=(192, 256))
    check_model_contract(model, "transfuse", (64, 96))


def test_fatnet_features_start_at_stride_two() -> None:
    model = distill.create("student", "fatnet", num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64))
    assert [f.shape[-1] for f in out.features] == [32, 16, 8, 4]
    assert out.logits.shape == (1, 3, 64, 64)


def test_hiformer_cross_level_fusion_reaches_the_logits() -> None:
    model = distill.create("student", "hiformer").train()
    out = model(torch.randn(1, 3, 64, 64))
    out.logits.square().mean().backward()
    fusion = model.dlf.fusion[0].wq.weight.grad
    assert fusion is not None and fusion.abs().sum() > 0
