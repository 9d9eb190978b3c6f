"""A finished run's scores on a held-out split of its dataset (``shift``), computed once and
recorded in its folder as ``distill eval --record`` does: rereading a finished suite costs
no inference, and ``distill compare`` and the reports show them beside the test scores."""

from __future__ import annotations

from typing import Any

import distill
from distill.core.run import Run
from distill.plugins.datasets.splits import SHIFT


def split_scores(run: Run, split: str, device: str) -> dict[str, Any]:
    """``summary`` and ``per_image`` of ``run``'s student on ``split``; the test split is
    the run's own test payload."""
    if split == "test":
        return run.test or {}
    recorded = run.held_out_scores(split)
    if recorded is None:
        recorded = distill.evaluate(run, split=split, device=device).to_dict()
        run.write_held_out(split, recorded)
    return recorded


def record_shift(run: Run, device: str) -> bool:
    """Score the student on its dataset's ``shift`` split, when the dataset has one."""
    ds = run.config.data.dataset
    if SHIFT not in distill.create("dataset", ds.name, **ds.params).split_names():
        return False
    split_scores(run, SHIFT, device)
    return True
