"""What the suites that grid MPDNet over methods and seeds (label efficiency, robustness)
share: their command-line options, a budget with other epochs, and the config of one run."""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import distill
from distill.core.config import RunConfig


@dataclass(frozen=True)
class Budget:
    """Square training size, epochs of the student and of its teachers, batch size; a
    suite adds its teachers."""

    size: int
    epochs: int
    teacher_epochs: int
    batch: int


def add_grid_options(p: argparse.ArgumentParser, suite: str, out: Path) -> None:
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    p.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="train only seeds from this one on, and write the table of those (to share a "
        "grid between processes; a last invocation without it reads every seed)",
    )
    p.add_argument("--epochs", type=int, default=None, help="student and teacher epochs")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "distill-bench" / suite,
    )
    p.add_argument("--out", type=Path, default=out)
    p.add_argument("--name", default=None, help="result file stem (default: from the mode)")


def with_epochs(budget: Budget, epochs: int | None) -> Budget:
    """``budget`` with ``epochs`` for the student and the teachers alike (None: as it is)."""
    return dataclasses.replace(budget, epochs=epochs, teacher_epochs=epochs) if epochs else budget


def mpdnet_run(
    name: str,
    seed: int,
    dataset: dict[str, Any],
    teachers: list[dict[str, Any]],
    distiller: str | None,
    budget: Budget,
    work: Path,
    device: str,
    **settings: Any,
) -> RunConfig:
    """MPDNet on ``budget``, distilled by ``distiller`` from ``teachers`` (none: alone), in
    ``work/runs/name``; ``settings`` are further dotted config keys. Suites redo an
    unfinished run, so no resume state is written, and validation skips the distances."""
    return distill.config(
        "quick",
        out=work / "runs",
        name=name,
        seed=seed,
        student="mpdnet",
        teachers=teachers,
        distillers=[distiller or "none"],
        **{
            "data.dataset": dataset,
            "data.size": [budget.size, budget.size],
            "train.epochs": budget.epochs,
            "train.batch_size": budget.batch,
            "train.resume_state": False,
            "teacher_train.epochs": budget.teacher_epochs,
            "teacher_train.batch_size": budget.batch,
            "teacher_train.resume_state": False,
            "eval.overlays": 0,
            "eval.val_distances": False,
            "runtime.device": device,
            **settings,
        },
    )
