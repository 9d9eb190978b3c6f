"""torchrun with 2 CPU processes (gloo) trains like one process with the same global batch.

A teacher trains on half the labels, then the student learns by KD from labelled and
unlabelled batches, each rank taking its share of both. Neither network has BatchNorm and
the task loss is cross-entropy alone (a soft Dice of a batch does not split over ranks;
KD's per-pixel divergence does), so the averaged per-rank gradients equal the
single-process gradient and the two runs must agree closely.
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
import torch
import torch.nn.functional as F
from torch import nn
from distill import SegOutput, Student, Teacher, hookimpl

def build(model, params):
    """Two-scale CNN with GroupNorm only (no per-rank batch statistics)."""
    model.a = nn.Sequential(nn.Conv2d(params.in_channels, 8, 3, 4, 1), nn.GroupNorm(2, 8),
                            nn.ReLU())
    model.b = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.GroupNorm(4, 16), nn.ReLU())
    model.head = nn.Conv2d(24, params.num_classes, 1)
    model.feature_channels, model.feature_strides = [8, 16], [4, 8]

def forward(model, x):
    a = model.a(x)
    b = model.b(a)
    up = F.interpolate(b, size=a.shape[-2:], mode="bilinear", align_corners=False)
    logits = F.interpolate(model.head(torch.cat([a, up], 1)), size=x.shape[-2:],
                           mode="bilinear", align_corners=False)
    return SegOutput(logits, [a, b])

class NormFreeNet(Student):
    def __init__(self, params):
        super().__init__(params)
        build(self, params)

    def forward(self, x):
        return forward(self, x)

class NormFreeTeacher(Teacher):
    family = "cnn"

    def __init__(self, params):
        super().__init__(params)
        build(self, params)

    def forward(self, x):
        return forward(self, x)

@hookimpl
def distill_register_students(register):
    register("normfree", NormFreeNet)

@hookimpl
def distill_register_teachers(register):
    register("normfree", NormFreeTeacher)
'''

ARGS = [
    "--student",
    "normfree",
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
    "--teacher",
    "normfree",
    "--distiller",
    "kd",
    "--teacher-epochs",
    "1",
    "--set",
    "data.labeled_fraction=0.5",
    "--set",
    "teacher_train.loss.dice=0",
    "--set",
    "teacher_train.grad_clip=null",
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
    for name, launch in (("one", [sys.executable]), ("two", [torchrun, "--nproc_per_node", "2"])):
        # each its own teacher store: the teacher, too, trains once alone and once on 2 ranks
        cache = {"DISTILL_CACHE": str(tmp_path / f"cache-{name}")}
        done = subprocess.run(
            [*launch, "-m", "distill", "run", *ARGS, "--name", name, "--out", str(out)],
            env={**env, **cache},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    rows = {
        n: [json.loads(x) for x in (out / n / "metrics.jsonl").read_text().splitlines()]
        for n in ("one", "two")
    }
    student = [r for r in rows["two"] if r["stage"] == "student"]
    assert student and all("loss/unlabeled/kd/kd" in r for r in student)  # both kinds drawn
    assert len(rows["two"]) > len(student)  # and the teacher trained on the 2 ranks
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
