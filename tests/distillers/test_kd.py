"""kd: per-pixel temperature-scaled KL, checked against a loop over pixels and classes."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target

import distill


def softmax(values: list[float], temperature: float) -> list[float]:
    top = max(values)
    exps = [math.exp((v - top) / temperature) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def loop_pixel_kd(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> float:
    """Hinton et al.: T^2 * KL(p_t || p_s) per pixel, averaged over pixels and images."""
    s, t = student.tolist(), teacher.tolist()
    batch, classes, height, width = student.shape
    total = 0.0
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                p_s = softmax([s[b][k][i][j] for k in range(classes)], temperature)
                p_t = softmax([t[b][k][i][j] for k in range(classes)], temperature)
                total += sum(p_t[k] * (math.log(p_t[k]) - math.log(p_s[k])) for k in range(classes))
    return temperature**2 * total / (batch * height * width)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_kd_matches_loop_reference(temperature):
    kd = distill.create("distiller", "kd", STUDENT, [TEACHER], temperature=temperature)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = kd(s, [t], random_target())
    assert set(terms) == {"kd"}
    assert terms["kd"].item() == pytest.approx(
        loop_pixel_kd(s.logits, t.logits, temperature), abs=1e-6
    )


def test_kd_is_zero_for_identical_logits():
    # 1e-6, not 1e-12: pixel_kd computes the teacher side in float32 (AMP-safe)
    kd = distill.create("distiller", "kd", STUDENT, [TEACHER])
    s = random_output(STUDENT, seed=1)
    assert kd(s, [s], random_target())["kd"].item() == pytest.approx(0.0, abs=1e-6)


def test_kd_high_temperature_limit_is_half_mean_squared_centred_logit_gap():
    """As T grows, T^2 KL -> sum_k (d_k - mean d)^2 / (2K), d = student - teacher logits:
    the T^2 factor is what keeps the loss finite and temperature-independent."""
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    gap = s.logits - t.logits
    gap = gap - gap.mean(dim=1, keepdim=True)
    limit = (gap.pow(2).sum(dim=1) / (2 * gap.shape[1])).mean().item()
    kd = distill.create("distiller", "kd", STUDENT, [TEACHER], temperature=500.0)
    assert kd(s, [t], random_target())["kd"].item() == pytest.approx(limit, rel=1e-2)
