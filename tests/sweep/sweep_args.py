"""A sweep small enough for tests: tiny student, 64x64 synthetic lesions, 2 epochs."""

from __future__ import annotations

import os
import subprocess
import sys

BASE = [
    "--student",
    "mpdnet",
    "--set",
    "student.widths=[8,16,32,64]",
    "--set",
    "student.decoder_channels=[8,16,32]",
    "--size",
    "64",
    "64",
    "--epochs",
    "2",
    "--set",
    "data.dataset.train_count=12",
    "--set",
    "data.dataset.val_count=4",
    "--set",
    "data.dataset.test_count=4",
    "--set",
    "train.batch_size=4",
    "--set",
    "runtime.num_threads=1",
]
SPACE = "train.lr: {float: [0.0005, 0.01], log: true}\nstudent.fusion: {choices: [add, concat]}\n"


def worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DISTILL_QUIET": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "distill", "sweep", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
