"""Two real runs shared by the deploy tests: synthetic lesions (U-Net, 64x64) and real
ISIC images (MPDNet, 32x32), each trained for a few steps, and their bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_data
from tests.engine.tiny_run import NO_TEACHER, cli

ISIC = shared_data() / "isic2017-cc0"  # ../shared/data beside the repository
ISIC_IMAGES = ISIC / "ISIC-2017_Training_Data"
ISIC_MASKS = ISIC / "ISIC-2017_Training_Part1_GroundTruth"
REAL_RUN = [
    "--student",
    "mpdnet",
    "--dataset",
    "isic2017-cc0",
    "--data-root",
    str(ISIC),
    "--size",
    "32",
    "32",
    "--epochs",
    "1",
    "--distiller",
    "none",
    "--set",
    "train.steps_per_epoch=3",
    "--set",
    "train.batch_size=4",
    "--set",
    "runtime.num_threads=1",
]


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    assert cli("run", *NO_TEACHER, "--out", out, "--name", "tiny", "--quiet") == 0
    return out / "tiny"


@pytest.fixture(scope="session")
def isic_run(tmp_path_factory) -> Path:
    if not ISIC_IMAGES.is_dir():
        pytest.skip("the real ISIC sample is not on this machine")
    out = tmp_path_factory.mktemp("runs")
    assert cli("run", *REAL_RUN, "--out", out, "--name", "isic", "--quiet") == 0
    return out / "isic"


@pytest.fixture(scope="session")
def bundle(synthetic_run, tmp_path_factory) -> Path:
    """The synthetic run's student with its int8 model."""
    out = tmp_path_factory.mktemp("bundles") / "unet"
    assert cli("export", synthetic_run, "--out", out, "--quantize", "int8") == 0
    return out


@pytest.fixture(scope="session")
def isic_bundle(isic_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles") / "mpdnet"
    assert cli("export", isic_run, "--out", out, "--parity-images", "8") == 0
    return out


@pytest.fixture(scope="session")
def isic_files() -> list[Path]:
    if not ISIC_IMAGES.is_dir():
        pytest.skip("the real ISIC sample is not on this machine")
    return sorted(ISIC_IMAGES.glob("*.jpg"))[:4]
