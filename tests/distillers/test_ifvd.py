"""ifvd: MSE between per-pixel cosine similarities to the class prototypes."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import (
    NUM_CLASSES,
    STUDENT,
    TEACHER,
    random_output,
    random_target,
    with_grad,
)

import distill
from distill.core.interfaces import SegOutput


def loop_ifv_map(feature, labels, b: int) -> dict[tuple[int, int], float]:
    """Cosine similarity of each labelled pixel to its class's mean feature in image b."""
    f, lab = feature.tolist(), labels
    channels, height, width = feature.shape[1:]
    pixels = [(i, j) for i in range(height) for j in range(width)]
    out = {}
    for k in range(NUM_CLASSES):
        members = [(i, j) for i, j in pixels if lab[b][i][j] == k]
        if not members:
            continue
        proto = [sum(f[b][c][i][j] for i, j in members) / len(members) for c in range(channels)]
        p_norm = math.sqrt(sum(v * v for v in proto))
        for i, j in members:
            vec = [f[b][c][i][j] for c in range(channels)]
            v_norm = math.sqrt(sum(v * v for v in vec))
            out[(i, j)] = sum(x * y for x, y in zip(vec, proto, strict=True)) / (v_norm * p_norm)
    return out


def loop_ifvd(student, teacher, target, stride: int) -> float:
    """Wang et al.: mean over labelled pixels of (M_s - M_t)^2; labels sampled every stride."""
    t_list = target.tolist()
    height, width = student.shape[-2:]
    labels = [
        [[t_list[b][i * stride][j * stride] for j in range(width)] for i in range(height)]
        for b in range(student.shape[0])
    ]
    total, count = 0.0, 0
    for b in range(student.shape[0]):
        m_s, m_t = loop_ifv_map(student, labels, b), loop_ifv_map(teacher, labels, b)
        for key, value in m_s.items():
            total += (value - m_t[key]) ** 2
            count += 1
    return total / count


def test_ifvd_matches_loop_reference():
    ifvd = distill.create("distiller", "ifvd", STUDENT, [TEACHER], strides=[4, 8])
    s, t, y = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2), random_target()
    terms = ifvd(s, [t], y)
    assert set(terms) == {"ifv_s4", "ifv_s8"}
    for idx, stride in enumerate([4, 8]):
        expected = loop_ifvd(s.features[idx], t.features[idx], y, stride)
        assert terms[f"ifv_s{stride}"].item() == pytest.approx(expected, abs=1e-6)


def test_ifvd_leaves_out_ignored_pixels():
    ifvd = distill.create("distiller", "ifvd", STUDENT, [TEACHER], strides=[4])
    s, t, y = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2), random_target()
    ignored = y.clone()
    ignored[:, :8] = 255  # the top half of every image is unlabelled
    got = ifvd(s, [t], ignored)["ifv_s4"].item()
    cropped = [f[:, :, 2:] for f in (s.features[0], t.features[0])]
    assert got == pytest.approx(loop_ifvd(*cropped, y[:, 8:], 4), abs=1e-6)


def test_ifvd_is_zero_for_identical_or_rescaled_features_and_reaches_the_student():
    ifvd = distill.create("distiller", "ifvd", STUDENT, [STUDENT], strides=[4])
    s, y = random_output(STUDENT, seed=1), random_target()
    scaled = SegOutput(s.logits, [2.5 * f for f in s.features])
    assert ifvd(s, [scaled], y)["ifv_s4"].item() == pytest.approx(0.0, abs=1e-9)
    s_grad = with_grad(s)
    ifvd(s_grad, [random_output(STUDENT, seed=5)], y)["ifv_s4"].backward()
    assert s_grad.features[0].grad.abs().sum() > 0
    assert torch.isfinite(s_grad.features[0].grad).all()
