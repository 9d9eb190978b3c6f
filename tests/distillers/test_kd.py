"""kd: per-pixel temperature-scaled KL, checked against a loop over pixels and classes."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import NUM_CLASSES, STUDENT, TEACHER, random_output, random_target

import distill
from distill.core.errors import ConfigError
from distill.core.interfaces import ModelSpec, SegOutput
from distill.nn import ensemble_logits, pixel_kd


def softmax(values: list[float], temperature: float) -> list[float]:
    top = max(values)
    exps = [math.exp((v - top) / temperature) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def loop_pixel_kd(student: torch.Tensor, *teachers: torch.Tensor, temperature: float) -> float:
    """Hinton et al.: T^2 * KL(p_t || p_s) per pixel, averaged over pixels and images; with
    several teachers p_t is the mean of their softened probabilities (You et al. 2017)."""
    s, ts = student.tolist(), [t.tolist() for t in teachers]
    batch, classes, height, width = student.shape
    total = 0.0
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                p_s = softmax([s[b][k][i][j] for k in range(classes)], temperature)
                each = [softmax([t[b][k][i][j] for k in range(classes)], temperature) for t in ts]
                p_t = [sum(p[k] for p in each) / len(each) for k in range(classes)]
                total += sum(p_t[k] * (math.log(p_t[k]) - math.log(p_s[k])) for k in range(classes))
    return temperature**2 * total / (batch * height * width)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_kd_matches_loop_reference(temperature):
    kd = distill.create("distiller", "kd", STUDENT, [TEACHER], temperature=temperature)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = kd(s, [t], random_target())
    assert set(terms) == {"kd"}
    assert terms["kd"].item() == pytest.approx(
        loop_pixel_kd(s.logits, t.logits, temperature=temperature), abs=1e-6
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


OTHER_TEACHER = ModelSpec("other-teacher", "cnn", NUM_CLASSES, (3,), (4,))


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_kd_ensemble_distils_the_mean_of_the_teachers_probabilities(temperature):
    teachers = [TEACHER, OTHER_TEACHER]
    kd = distill.create(
        "distiller", "kd", STUDENT, teachers, temperature=temperature, ensemble=True
    )
    s = random_output(STUDENT, seed=1)
    t1, t2 = random_output(TEACHER, seed=2), random_output(OTHER_TEACHER, seed=3)
    expected = loop_pixel_kd(s.logits, t1.logits, t2.logits, temperature=temperature)
    assert kd(s, [t1, t2], random_target())["kd"].item() == pytest.approx(expected, abs=1e-6)
    # the mean of probabilities, not of logits: the two differ for unequal teachers
    mean_logits = SegOutput((t1.logits + t2.logits) / 2, [])
    single = distill.create("distiller", "kd", STUDENT, [TEACHER], temperature=temperature)
    assert single(s, [mean_logits], random_target())["kd"].item() != pytest.approx(expected)


def test_kd_ensemble_of_equal_teachers_is_plain_kd_and_checks_every_teacher():
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    plain = distill.create("distiller", "kd", STUDENT, [TEACHER])(s, [t], random_target())
    both = distill.create("distiller", "kd", STUDENT, [TEACHER, TEACHER], ensemble=True)
    assert both(s, [t, t], random_target())["kd"].item() == pytest.approx(
        plain["kd"].item(), abs=1e-6
    )
    two_classes = ModelSpec("binary-teacher", "cnn", 2, (3,), (4,))
    with pytest.raises(ConfigError, match="binary-teacher"):
        distill.create("distiller", "kd", STUDENT, [TEACHER, two_classes], ensemble=True)
    distill.create("distiller", "kd", STUDENT, [TEACHER, two_classes])  # only teacher 0 read


def test_ensemble_logits_stay_finite_where_one_teacher_is_certain():
    """A pixel where one teacher puts ~0 on a class: the mean is still > 0, and log-sum-exp
    keeps it finite where log(mean(softmax)) would underflow to log(0)."""
    certain = torch.tensor([[1e4, -1e4]]).view(1, 2, 1, 1)
    unsure = torch.zeros(1, 2, 1, 1)
    mixed = ensemble_logits([certain, unsure], temperature=1.0)
    assert torch.isfinite(mixed).all()
    assert mixed.softmax(1).flatten().tolist() == pytest.approx([0.75, 0.25])
    student = torch.zeros(1, 2, 1, 1, requires_grad=True)
    loss = pixel_kd(student, mixed, 1.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(student.grad).all()
