"""`python -m benchmarks.data`: the cached data path against a DataLoader decoding files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchmarks import data  # importable: pythonpath is the repo


def test_data_suite_compares_both_pipelines(tmp_path: Path) -> None:
    result = data.main(
        [
            "--size",
            "64",
            "--count",
            "8",
            "--batch",
            "4",
            "--repeats",
            "1",
            "--workers",
            "0",
            "--device",
            "cpu",
            "--out",
            str(tmp_path),
        ]
    )
    assert result["dataloader_images_per_s"] > 0 and result["cached_images_per_s"] > 0
    assert result["speedup"] == pytest.approx(
        result["cached_images_per_s"] / result["dataloader_images_per_s"]
    )
    saved = json.loads((tmp_path / "data.json").read_text())
    assert saved["environment"]["git_commit"] and saved["size"] == [64, 64]
    md = (tmp_path / "data.md").read_text()
    assert "Speed-up" in md and "Command: `" in md
    verdict = "PASS" if result["speedup"] >= 5 else "FAIL"
    assert f"- {verdict}: cache >= 5x the DataLoader (cpu)" in md
    assert result["cached_threads"] == torch.get_num_threads()  # every core, as the loader
    assert (tmp_path / "data.png").stat().st_size > 1000
