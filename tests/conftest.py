"""Test-wide settings: offline, quiet, and a private cache folder per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DISTILL_QUIET", "1")

if os.environ.get("PYTEST_XDIST_WORKER"):
    import torch

    torch.set_num_threads(1)  # one thread per worker: workers share the machine's cores

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """../shared/data beside the repository, or DISTILL_SHARED_DATA."""
    return Path(os.environ.get("DISTILL_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    if "DISTILL_CACHE" not in os.environ:
        os.environ["DISTILL_CACHE"] = str(tmp_path_factory.mktemp("distill-cache"))


@pytest.fixture
def tiny_swin() -> dict:
    """Swin backbone sizes small enough to build and run many times on 2 CPU cores (the real
    defaults are checked separately, on the meta device, where they cost nothing)."""
    return dict(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])


@pytest.fixture
def tiny_swin_params(tiny_swin: dict) -> dict:
    """A whole tiny Swin teacher: the backbone above and a narrow decoder."""
    return dict(tiny_swin, decoder_channels=16)


def require_isic_sample() -> Path:
    """The shared data folder holding the real ISIC sample. Without it a test is skipped on
    a developer's machine, but fails under CI, where the sample is always beside the clone."""
    root = shared_data() / "isic2017-cc0"
    if not root.is_dir():
        message = f"real ISIC sample not found at {root}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return shared_data()


@pytest.fixture
def isic_sample() -> Path:
    return require_isic_sample() / "isic2017-cc0"


@pytest.fixture
def isic_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared data folder, also set as DISTILL_SHARED_DATA for the isic2017-cc0 dataset."""
    data = require_isic_sample()
    monkeypatch.setenv("DISTILL_SHARED_DATA", str(data))
    return data
