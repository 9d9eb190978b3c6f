"""Shared settings for the method tests: offline, and cheap Swin configurations (the real
defaults are checked separately, on the meta device, where they cost nothing)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TINY_SWIN = dict(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])


@pytest.fixture
def tiny_swin_params():
    """Params for a Swin teacher small enough to run many times on 2 CPU cores."""
    return dict(TINY_SWIN, decoder_channels=16)


@pytest.fixture
def tiny_hybrid_params():
    return dict(
        TINY_SWIN,
        cnn_backbone="test_resnet",
        fused_channels=[8, 16, 16, 16],
        decoder_channels=[16, 8, 8],
    )
