"""skd: pixel-wise KD + pair-wise similarity distillation on pooled nodes."""

from __future__ import annotations

import math

import pytest
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad
from test_kd import loop_pixel_kd

import distill


def loop_nodes(feature, b: int, kernel: int, mode: str) -> list[list[float]]:
    """Node vectors (one per kernel x kernel patch), L2-normalised over channels."""
    f = feature.tolist()
    channels, height, width = feature.shape[1:]
    nodes = []
    for pi in range(0, height, kernel):
        for pj in range(0, width, kernel):
            vec = []
            for c in range(channels):
                patch = [
                    f[b][c][i][j] for i in range(pi, pi + kernel) for j in range(pj, pj + kernel)
                ]
                vec.append(max(patch) if mode == "max" else sum(patch) / len(patch))
            norm = math.sqrt(sum(v * v for v in vec))
            nodes.append([v / norm for v in vec])
    return nodes


def loop_pairwise(student, teacher, kernel: int, mode: str) -> float:
    """Liu et al.: mean over node pairs (i, j) and images of (a_ij^s - a_ij^t)^2, a = cosine."""
    total, count = 0.0, 0
    for b in range(student.shape[0]):
        n_s, n_t = loop_nodes(student, b, kernel, mode), loop_nodes(teacher, b, kernel, mode)
        for i in range(len(n_s)):
            for j in range(len(n_s)):
                a_s = sum(x * y for x, y in zip(n_s[i], n_s[j], strict=True))
                a_t = sum(x * y for x, y in zip(n_t[i], n_t[j], strict=True))
                total += (a_s - a_t) ** 2
                count += 1
    return total / count


@pytest.mark.parametrize(("scale", "kernel", "mode"), [(0.5, 2, "max"), (0.25, 1, "avg")])
def test_skd_matches_loop_reference(scale, kernel, mode):
    skd = distill.create(
        "distiller",
        "skd",
        STUDENT,
        [TEACHER],
        strides=[4],
        temperature=2.0,
        weight_pixel=3.0,
        weight_pair=0.7,
        pool_scale=scale,
        pool_mode=mode,
    )
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = skd(s, [t], random_target())
    assert set(terms) == {"pixel", "pair_s4"}
    assert terms["pixel"].item() == pytest.approx(
        3.0 * loop_pixel_kd(s.logits, t.logits, temperature=2.0), abs=1e-6
    )
    expected = 0.7 * loop_pairwise(s.features[0], t.features[0], kernel, mode)
    assert terms["pair_s4"].item() == pytest.approx(expected, abs=1e-6)


def test_skd_is_zero_for_identical_outputs_and_reaches_the_student():
    skd = distill.create("distiller", "skd", STUDENT, [STUDENT], strides=[4, 8])
    s = random_output(STUDENT, seed=1)
    assert sum(skd(s, [s], random_target()).values()).item() == pytest.approx(0.0, abs=1e-6)
    s_grad = with_grad(s)
    sum(skd(s_grad, [random_output(STUDENT, seed=5)], random_target()).values()).backward()
    assert s_grad.logits.grad.abs().sum() > 0 and s_grad.features[0].grad.abs().sum() > 0
