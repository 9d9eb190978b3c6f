"""at: L2 distance between L2-normalised spatial attention maps sum_c |F_c|^p."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad

import distill


def loop_attention(feature: torch.Tensor, b: int, p: float) -> list[float]:
    f = feature.tolist()
    channels, height, width = feature.shape[1:]
    q = [
        sum(abs(f[b][c][i][j]) ** p for c in range(channels))
        for i in range(height)
        for j in range(width)
    ]
    norm = math.sqrt(sum(v * v for v in q))
    return [v / norm for v in q]


def loop_at(student: torch.Tensor, teacher: torch.Tensor, p: float) -> float:
    """Zagoruyko & Komodakis: || Q_s/||Q_s|| - Q_t/||Q_t|| ||_2, averaged over images."""
    total = 0.0
    for b in range(student.shape[0]):
        q_s, q_t = loop_attention(student, b, p), loop_attention(teacher, b, p)
        total += math.sqrt(sum((a - c) ** 2 for a, c in zip(q_s, q_t, strict=True)))
    return total / student.shape[0]


@pytest.mark.parametrize("p", [2.0, 1.0])
def test_at_matches_loop_reference(p):
    at = distill.create("distiller", "at", STUDENT, [TEACHER], strides=[4, 8], p=p)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = at(s, [t], random_target())
    assert set(terms) == {"at_s4", "at_s8"}
    for idx, stride in enumerate([4, 8]):
        expected = loop_at(s.features[idx], t.features[idx], p)
        assert terms[f"at_s{stride}"].item() == pytest.approx(expected, abs=1e-6)


def test_at_is_zero_for_identical_maps_and_ignores_feature_scale():
    at = distill.create("distiller", "at", STUDENT, [STUDENT], strides=[4, 8])
    s = random_output(STUDENT, seed=1)
    assert sum(at(s, [s], random_target()).values()).item() == pytest.approx(0.0, abs=1e-9)
    t = random_output(STUDENT, seed=2)
    scaled = type(t)(t.logits, [3.0 * f for f in t.features])
    a = at(s, [t], random_target())["at_s4"]
    assert at(s, [scaled], random_target())["at_s4"].item() == pytest.approx(a.item(), abs=1e-9)


def test_at_gradients_reach_the_student():
    at = distill.create("distiller", "at", STUDENT, [TEACHER], strides=[8])
    s = with_grad(random_output(STUDENT, seed=1))
    at(s, [random_output(TEACHER, seed=2)], random_target())["at_s8"].backward()
    assert s.features[1].grad.abs().sum() > 0
