"""Shared settings for the method tests: offline, and a cheap hybrid teacher built on the
tiny Swin of tests/conftest.py."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def tiny_hybrid_params(tiny_swin):
    return dict(
        tiny_swin,
        cnn_backbone="test_resnet",
        fused_channels=[8, 16, 16, 16],
        decoder_channels=[16, 8, 8],
    )
