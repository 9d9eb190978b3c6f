"""A tiny but real experiment: small U-Net, synthetic lesions, 64x64, a few epochs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

TINY_DATA = [
    "--size",
    "64",
    "64",
    "--epochs",
    "3",
    "--set",
    "data.dataset.train_count=16",
    "--set",
    "data.dataset.val_count=4",
    "--set",
    "data.dataset.test_count=6",
    "--set",
    "train.batch_size=4",
    "--set",
    "runtime.num_threads=1",
]
TINY = ["--student", "unet", "--set", "student.base_width=4", *TINY_DATA]
NO_TEACHER = [*TINY, "--distiller", "none"]
WITH_TEACHER = [
    *TINY,
    "--teacher",
    "unet",
    "--set",
    "teacher.base_width=4",
    "--teacher-epochs",
    "1",
    "--distiller",
    "kd",
]


def cli(*args: str) -> int:
    from distill.cli.app import run_app

    return run_app([str(a) for a in args])


def spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "DISTILL_QUIET": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "distill", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def final_summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "test_metrics.json").read_text())["summary"]


def metric_rows(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@contextmanager
def registered_distiller(name: str, cls: type):
    """A test's distiller in the registry for the span of the block."""
    from distill.core.plugins import registry

    reg = registry()
    reg.add("distiller", name, cls, source="test")
    try:
        yield
    finally:
        reg.remove_source("test")
