"""Paired tests against values worked out by hand: the exact Wilcoxon signed-rank null
distribution for small n is a count of subsets of ranks."""

from __future__ import annotations

import pytest

from distill.core.metrics.paired import format_p, image_scores, seed_mean, wilcoxon_paired


def scores(values: list[float]) -> dict[str, float]:
    return {f"img{i}": v for i, v in enumerate(values)}


def test_all_six_images_better_gives_the_exact_two_sided_p() -> None:
    """W- = 0 is 1 of the 2^6 equally likely sign patterns: p = 2 / 64."""
    reference = scores([0.5] * 6)
    method = scores([0.51, 0.52, 0.53, 0.54, 0.55, 0.56])
    result = wilcoxon_paired(method, reference)
    assert result.p == pytest.approx(2 / 64) and result.images == 6
    assert result.delta == pytest.approx(0.035)


def test_one_small_loss_among_five_gains() -> None:
    """Ranks 1..5, the smallest negative: W- = 1; subsets of {1..5} summing to <= 1 are {}
    and {1}, so p = 2 * 2 / 32."""
    reference = scores([0.5] * 5)
    method = scores([0.49, 0.52, 0.53, 0.54, 0.55])
    assert wilcoxon_paired(method, reference).p == pytest.approx(4 / 32)


def test_images_pair_by_id_and_average_over_seeds() -> None:
    seed0 = [{"image_id": "a", "mDice": 0.2}, {"image_id": "b", "mDice": 0.4}]
    seed1 = [
        {"image_id": "b", "mDice": 0.6},
        {"image_id": "a", "mDice": 0.4},
        {"image_id": "c", "mDice": None},
    ]
    assert image_scores(seed1) == {"b": 0.6, "a": 0.4}  # an unscored image is left out
    averaged = seed_mean(map(image_scores, (seed0, seed1)))
    assert averaged == pytest.approx({"a": 0.3, "b": 0.5})
    assert wilcoxon_paired({"a": 0.3}, {"z": 0.3}) is None  # other test sets: nothing to pair
    same = wilcoxon_paired({"a": 0.3, "b": 0.5}, {"b": 0.5, "a": 0.3, "x": 0.9})
    assert (same.p, same.delta, same.images) == (1.0, 0.0, 2)


def test_p_values_print_as_papers_print_them() -> None:
    assert [format_p(p) for p in (0.03125, 0.0004, 1.0)] == ["0.031", "<0.001", "1.000"]
