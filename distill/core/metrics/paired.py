"""Is one method better than another on the same test images, or is the gap noise?

Two methods scored on one test set are paired by image: the Wilcoxon signed-rank test asks
whether the per-image differences centre on zero, without assuming they are normal (Dice
differences pile up near 0 and 1). Each image's score is first averaged over the seeds that
ran the method, so an image counts once however many seeds there were.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PairedResult:
    delta: float  # mean per-image difference, method minus reference
    p: float  # two-sided Wilcoxon signed-rank p-value
    images: int  # images scored by both


def image_scores(
    per_image: Iterable[Mapping[str, Any]],
    metric: str = "mDice",
) -> dict[str, float]:
    """One run's ``per_image`` rows (test_metrics.json) as image id -> ``metric``."""
    return {row["image_id"]: float(row[metric]) for row in per_image if row.get(metric) is not None}


def seed_mean(runs: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """image id -> score averaged over the runs (seeds) that scored the image."""
    scores: dict[str, list[float]] = {}
    for run in runs:
        for image, value in run.items():
            scores.setdefault(image, []).append(value)
    return {image: statistics.fmean(values) for image, values in scores.items()}


def wilcoxon_paired(
    method: Mapping[str, float],
    reference: Mapping[str, float],
) -> PairedResult | None:
    """The images both scored, tested; None when they share none (other test sets)."""
    from scipy.stats import wilcoxon

    shared = sorted(method.keys() & reference.keys())
    if not shared:
        return None
    differences = [method[image] - reference[image] for image in shared]
    if not any(differences):
        return PairedResult(0.0, 1.0, len(shared))  # identical on every image: no evidence
    p = float(wilcoxon(differences, zero_method="wilcox", alternative="two-sided").pvalue)
    return PairedResult(statistics.fmean(differences), p, len(shared))


def format_p(p: float) -> str:
    """As papers print it: three decimals, or '<0.001'."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"
