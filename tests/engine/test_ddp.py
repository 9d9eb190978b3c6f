"""torchrun with 2 CPU processes (gloo) trains like one process with the same global batch.

The student here has no BatchNorm and the loss is cross-entropy alone, so the averaged
per-rank gradients equal the single-process gradient and the two runs must agree closely.
It is installed as a real plugin (entry-point metadata on PYTHONPATH), since torchrun's
processes load plugins themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

PLUGIN = '''
import torch.nn.functional as F
from torch import nn
from distill import SegOutput, Student, hookimpl

class NormFreeNet(Student):
    """Two-scale CNN with GroupNorm only (no per-rank batch statistics)."""

    def __init__(self, params):
        super().__init__(params)
        self.a = nn.Sequential(nn.Conv2d(params.in_channels, 8, 3, 4, 1), nn.GroupNorm(2, 8),
                               nn.ReLU())
        self.b = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.GroupNorm(4, 16), nn.ReLU())
        self.head = nn.Conv2d(24, params.num_classes, 1)
        self.feature_channels, self.feature_strides = [8, 16], [4, 8]

    def forward(self, x):
        a = self.a(x)
        b = self.b(a)
        up = F.interpolate(b, size=a.shape[-2:], mode="bilinear", align_corners=False)
        logits = F.interpolate(self.head(torch.cat([a, up], 1)), size=x.shape[-2:],
                               mode="bilinear", align_corners=False)
        return SegOutput(logits, [a, b])

import torch

@hookimpl
def distill_register_students(register):
    register("normfree", NormFreeNet)
'''

ARGS = [
    "--student",
    "normfree",
    "--distiller",
    "none",
    "--size",
    "64",
    "64",
    "--epochs",
    "2",
    "--set",
    "data.dataset.train_count=16",
    "--set",
    "data.dataset.val_count=4",
    "--set",
    "data.dataset.test_count=6",
    "--set",
    "train.batch_size=8",
    "--set",
    "train.loss.dice=0",
    "--set",
    "train.grad_clip=null",
    "--quiet",
]


@pytest.mark.slow
def test_two_gloo_ranks_match_one_process(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "normfree_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "normfree_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: normfree-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[distill]\nnormfree = normfree_plugin\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "DISTILL_QUIET": "1",
    }
    out = tmp_path / "runs"
    torchrun = str(Path(sys.executable).parent / "torchrun")
    for cmd in (
        [sys.executable, "-m", "distill", "run", *ARGS, "--name", "one"],
        [torchrun, "--nproc_per_node", "2", "-m", "distill", "run", *ARGS, "--name", "two"],
    ):
        done = subprocess.run(
            [*cmd, "--out", str(out)], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]

    rows = {
        n: [json.loads(x) for x in (out / n / "metrics.jsonl").read_text().splitlines()]
        for n in ("one", "two")
    }
    for a, b in zip(rows["one"], rows["two"], strict=True):
        assert b["loss/total"] == pytest.approx(a["loss/total"], rel=1e-4)
        assert b["val/mDice"] == pytest.approx(a["val/mDice"], abs=1e-4)
    one = torch.load(out / "one" / "last.pt", weights_only=True)["model"]
    two = torch.load(out / "two" / "last.pt", weights_only=True)["model"]
    for key in one:
        assert torch.allclose(one[key], two[key], atol=1e-4, rtol=1e-3), key
    summaries = [
        json.loads((out / n / "test_metrics.json").read_text())["summary"] for n in ("one", "two")
    ]
    assert summaries[1]["mDice"] == pytest.approx(summaries[0]["mDice"], abs=1e-4)
    assert not list((out / "two").glob(".student.*"))  # no part file left behind
