"""Fixtures for tracker tests: a finished run's folder and a stand-in for its Run."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from distill.core.config import build_config
from distill.core.report.curves import plot_curves

ROWS = [
    {"stage": "teacher:unet", "epoch": 1, "loss/total": 1.2, "loss/task/ce": 0.7, "lr": 1e-3},
    {"stage": "teacher:unet", "epoch": 2, "loss/total": 1.0, "loss/task/ce": 0.6, "lr": 5e-4},
    {"stage": "student", "epoch": 1, "loss/total": 1.5, "val/mDice": 0.30, "train_s": 0.5},
    {"stage": "student", "epoch": 2, "loss/total": 1.1, "val/mDice": 0.45, "train_s": 0.4},
]
TEST = {
    "summary": {"mDice": 0.5, "mIoU": 0.4, "mHD95": 3.0},
    "per_class": [{"class": "lesion", "class_index": 1, "dice": 0.5, "iou": 0.4}],
    "per_image": [{"id": "a", "mDice": 0.5}],
    "teachers": [{"name": "unet", "mDice": 0.6}],
}


def require(module: str) -> Any:
    """Import a tracker package; without the ``track`` extra skip, except in CI (never)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} missing: pip install -e '.[track]'")


@dataclass
class FinishedRun:
    """What a Run shows its mirrors (path, config, tags, test, artifacts), over a real
    folder holding the files a finished run writes."""

    path: Path
    config: Any
    tags: dict[str, str] = field(default_factory=dict)
    test: dict[str, Any] | None = None
    bundle: bool = True

    def artifacts(self) -> list[Path]:
        found = [self.path / "curves.png", self.path / "report.md"]
        found += sorted((self.path / "overlays").glob("*.png"))
        return found + ([self.path / "bundle"] if self.bundle else [])


def finished_run(root: Path, name: str = "tiny", **overrides: Any) -> FinishedRun:
    from PIL import Image

    path = root / name
    (path / "overlays").mkdir(parents=True)
    plot_curves(ROWS, path / "curves.png")
    Image.new("RGB", (24, 16), (200, 30, 30)).save(path / "overlays" / "test_best_worst.png")
    (path / "report.md").write_text("# tiny\n\nmDice 0.5\n")
    (path / "bundle").mkdir()
    (path / "bundle" / "distill.json").write_text('{"classes": ["lesion"]}')
    cfg = build_config({"out": str(root), "name": name, "seed": 3, **overrides})
    tags = {
        "student": "mpdnet",
        "teachers": "swin",
        "distillers": "mpd",
        "seed": "3",
        "dataset": "synthetic-derm",
        "preset": "quick",
        "commit": "abc123",
    }
    return FinishedRun(path, cfg, tags, TEST)


@pytest.fixture
def run(tmp_path: Path) -> FinishedRun:
    return finished_run(tmp_path)
