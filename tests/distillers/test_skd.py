"""skd: pixel-wise KD + pair-wise similarity distillation on pooled nodes."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad
from test_kd import loop_pixel_kd, softmax

import distill
from distill.plugins.distillers.skd import pairwise_distance


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


def loop_pixel_cross_entropy(student, teacher, temperature: float) -> float:
    """The authors' pixel term: sum over images of the pixel-mean of -sum_k p_t log p_s."""
    s, t = student.tolist(), teacher.tolist()
    batch, classes, height, width = student.shape
    total = 0.0
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                p_s = softmax([s[b][k][i][j] for k in range(classes)], temperature)
                p_t = softmax([t[b][k][i][j] for k in range(classes)], temperature)
                total -= sum(p_t[k] * math.log(p_s[k]) for k in range(classes))
    return temperature**2 * total / (height * width)  # summed over the batch


def test_skd_authors_form_sums_cross_entropy_over_the_batch():
    """Form 'authors': their CriterionPixelWise (cross-entropy / (W H), summed over images).
    The default keeps the batch-mean KL; the two differ by the teacher's entropy and the
    batch size."""
    options = dict(strides=[4], temperature=2.0, weight_pixel=3.0, weight_pair=0.7)
    ours = distill.create("distiller", "skd", STUDENT, [TEACHER], **options)
    authors = distill.create("distiller", "skd", STUDENT, [TEACHER], form="authors", **options)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    expected = 3.0 * loop_pixel_cross_entropy(s.logits, t.logits, temperature=2.0)
    assert authors(s, [t], random_target())["pixel"].item() == pytest.approx(expected, abs=1e-6)
    assert ours(s, [t], random_target())["pixel"].item() == pytest.approx(
        3.0 * loop_pixel_kd(s.logits, t.logits, temperature=2.0), abs=1e-6
    )
    # same minimiser: the gradient of the authors' term is the batch size times ours
    grads = []
    for distiller in (ours, authors):
        s_grad = with_grad(s)
        distiller(s_grad, [t], random_target())["pixel"].backward()
        grads.append(s_grad.logits.grad)
    torch.testing.assert_close(grads[1], s.logits.shape[0] * grads[0])


def loop_pair_loss(student, teacher, kernel: int, detached: bool) -> torch.Tensor:
    """The pair term written node pair by node pair, in torch so it can be differentiated.
    ``detached``: each node's norm (+1e-8) is a constant, as in the authors' similarity()."""

    def nodes(feature, b):
        pooled = torch.nn.functional.max_pool2d(feature[b : b + 1], kernel)[0].flatten(1)
        vectors = [pooled[:, n] for n in range(pooled.shape[1])]
        if detached:
            return [v / (float(v.detach().norm()) + 1e-8) for v in vectors]
        return [v / v.norm() for v in vectors]

    total, count = 0.0, 0
    for b in range(student.shape[0]):
        n_s, n_t = nodes(student, b), nodes(teacher, b)
        for i in range(len(n_s)):
            for j in range(len(n_s)):
                total = total + ((n_s[i] @ n_s[j]) - (n_t[i] @ n_t[j])) ** 2
                count += 1
    return total / count


@pytest.mark.parametrize("form", ["ours", "authors"])
def test_skd_pair_term_value_and_gradient_follow_the_form(form):
    """Both forms give the same value; 'authors' holds the norms constant (their detach), so
    its gradient differs from the exact cosine's."""
    s = random_output(STUDENT, seed=1).features[0].clone().requires_grad_(True)
    t = random_output(STUDENT, seed=2).features[0]
    ours = pairwise_distance(s, t, 0.5, "max", form)
    (grad,) = torch.autograd.grad(ours, s)
    reference = loop_pair_loss(s, t, kernel=2, detached=form == "authors")
    (reference_grad,) = torch.autograd.grad(reference, s)
    assert ours.item() == pytest.approx(reference.item(), abs=1e-9)
    torch.testing.assert_close(grad, reference_grad)
    other = pairwise_distance(s, t, 0.5, "max", "ours" if form == "authors" else "authors")
    (other_grad,) = torch.autograd.grad(other, s)
    assert not torch.allclose(grad, other_grad)
