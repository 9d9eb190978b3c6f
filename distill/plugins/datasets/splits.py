"""Seeded splits: plain (70/10/20 style) and class-stratified with exact totals.

Both depend only on the sorted ids and the seed, so a split is the same on every machine
and does not change when files are listed in another order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from distill.core.errors import ConfigError

SPLITS = ("train", "val", "test")
SHIFT = "shift"  # a held-out split unlike training (a dataset offers it when it can)
SHIFT_VAL = "shift-val"  # part of the shift kept apart to choose settings on


def seeded_split(
    ids: Sequence[str], val_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[str]]:
    """Shuffle sorted ids with ``seed``; the first ``round(n*test)`` go to test, the next
    ``round(n*val)`` to val, the rest to train (each list returned sorted)."""
    ordered = sorted(ids)
    n = len(ordered)
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    if n_test + n_val >= n and n > 0:
        raise ConfigError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} leave no training "
            f"items out of {n}: lower them (or add items)"
        )
    order = np.random.default_rng(seed).permutation(n)
    picked = [ordered[i] for i in order]
    return {
        "test": sorted(picked[:n_test]),
        "val": sorted(picked[n_test : n_test + n_val]),
        "train": sorted(picked[n_test + n_val :]),
    }


def smallest_share(areas: Mapping[str, float], fraction: float, seed: int) -> list[str]:
    """The ``round(n*fraction)`` ids of smallest area (sorted): a distribution shift to hold
    out. Equal areas are ordered by a permutation seeded with ``seed`` over the sorted ids,
    so the cut through a tie is the same on every machine yet not biased by id."""
    ordered = sorted(areas)
    rank = np.random.default_rng(seed).permutation(len(ordered))
    by_size = sorted(range(len(ordered)), key=lambda i: (areas[ordered[i]], rank[i]))
    return sorted(ordered[i] for i in by_size[: round(len(ordered) * fraction)])


def require_training(splits: Mapping[str, Sequence], dataset: str, origin: str) -> None:
    """A split without training items is a configuration error, raised while listing (before
    any decoding); ``origin`` names the setting that made the split (fractions, a file)."""
    if not splits.get("train"):
        raise ConfigError(f"{dataset}: {origin} leaves no training items")


def largest_remainder(counts: Sequence[int], total: int) -> list[int]:
    """Split ``total`` across groups in proportion to ``counts``, summing exactly to total."""
    n = sum(counts)
    if n == 0:
        return [0] * len(counts)
    quotas = [c * total / n for c in counts]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def stratified_split(
    labels: Sequence[str], test_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices (train, test) with ``round(n*test_fraction)`` test items in total, spread over
    classes by largest remainder and drawn at random within each class.

    On SIPaKMeD's 4049 cells with ``test_fraction=0.25`` this gives exactly 3037 / 1012.
    """
    labels = list(labels)
    classes = sorted(set(labels))
    members = {c: [i for i, lab in enumerate(labels) if lab == c] for c in classes}
    n_test = round(len(labels) * test_fraction)
    shares = largest_remainder([len(members[c]) for c in classes], n_test)
    rng = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for cls, share in zip(classes, shares, strict=True):
        idx = np.asarray(members[cls])[rng.permutation(len(members[cls]))]
        test += idx[:share].tolist()
        train += idx[share:].tolist()
    return sorted(train), sorted(test)
