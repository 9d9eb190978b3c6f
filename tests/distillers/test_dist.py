"""dist: Pearson-correlation inter-class and intra-class relations of soft predictions."""

from __future__ import annotations

import math

import pytest
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad
from test_kd import softmax

import distill
from distill.core.interfaces import SegOutput


def loop_pearson(a: list[float], b: list[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum((x - ma) ** 2 for x in a))
    nb = math.sqrt(sum((y - mb) ** 2 for y in b))
    return cov / (na * nb)


def loop_dist(student, teacher, temperature: float, pooled: bool = False) -> tuple[float, float]:
    """Huang et al.: T^2 (1 - mean_pixels rho(classes)), T^2 (1 - mean_(image, class) rho(pixels));
    ``pooled``: the intra term per class over the pixels of every image (the authors' code)."""
    s, t = student.tolist(), teacher.tolist()
    batch, classes, height, width = student.shape
    pixels = [(i, j) for i in range(height) for j in range(width)]
    y_s = [
        {(i, j): softmax([s[b][k][i][j] for k in range(classes)], temperature) for i, j in pixels}
        for b in range(batch)
    ]
    y_t = [
        {(i, j): softmax([t[b][k][i][j] for k in range(classes)], temperature) for i, j in pixels}
        for b in range(batch)
    ]
    inter = [loop_pearson(y_s[b][px], y_t[b][px]) for b in range(batch) for px in pixels]
    images = [[b] for b in range(batch)] if not pooled else [list(range(batch))]
    intra = [
        loop_pearson(
            [y_s[b][px][k] for b in group for px in pixels],
            [y_t[b][px][k] for b in group for px in pixels],
        )
        for group in images
        for k in range(classes)
    ]
    scale = temperature**2
    return scale * (1 - sum(inter) / len(inter)), scale * (1 - sum(intra) / len(intra))


@pytest.mark.parametrize("form", ["ours", "authors"])
@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_dist_matches_loop_reference(temperature, form):
    """'authors' pools the batch's pixels for the intra term, as their segmentation code does
    (logits reshaped to (B*H*W, K)); the default correlates per image."""
    dist = distill.create(
        "distiller",
        "dist",
        STUDENT,
        [TEACHER],
        temperature=temperature,
        beta=2.0,
        gamma=0.5,
        form=form,
    )
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = dist(s, [t], random_target())
    inter, intra = loop_dist(s.logits, t.logits, temperature, pooled=form == "authors")
    assert terms["inter"].item() == pytest.approx(2.0 * inter, abs=1e-6)
    assert terms["intra"].item() == pytest.approx(0.5 * intra, abs=1e-6)


def test_dist_is_zero_for_identical_logits_and_ignores_per_pixel_logit_shifts():
    dist = distill.create("distiller", "dist", STUDENT, [TEACHER])
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    assert sum(dist(s, [s], random_target()).values()).item() == pytest.approx(0.0, abs=1e-9)
    offset = random_output(STUDENT, seed=9).logits[:, :1] * 5.0  # one offset per pixel
    plain = SegOutput(t.logits + offset, t.features)  # same softmax at every pixel
    a = dist(s, [t], random_target())
    b = dist(s, [plain], random_target())
    assert a["inter"].item() == pytest.approx(b["inter"].item(), abs=1e-9)
    assert a["intra"].item() == pytest.approx(b["intra"].item(), abs=1e-9)


def test_dist_gradients_reach_the_student():
    dist = distill.create("distiller", "dist", STUDENT, [TEACHER])
    s = with_grad(random_output(STUDENT, seed=1))
    sum(dist(s, [random_output(TEACHER, seed=2)], random_target()).values()).backward()
    assert s.logits.grad.abs().sum() > 0


def test_dist_forms_differ_only_in_the_intra_term():
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    ours, authors = (
        distill.create("distiller", "dist", STUDENT, [TEACHER], form=f)(s, [t], random_target())
        for f in ("ours", "authors")
    )
    assert ours["inter"].item() == pytest.approx(authors["inter"].item(), abs=1e-12)
    assert abs(ours["intra"].item() - authors["intra"].item()) > 1e-3
