"""fitnet: MSE between the 1x1-connector-adapted student feature and the teacher's."""

from __future__ import annotations

import pytest
import torch
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad

import distill
from distill.core.interfaces import ModelSpec, SegOutput


def loop_hint(student: torch.Tensor, teacher: torch.Tensor, weight, bias) -> float:
    """Romero et al.: 1/2 ||r(u) - v||^2 up to the constant, as a mean over elements."""
    s, t, w, b_ = student.tolist(), teacher.tolist(), weight.tolist(), bias.tolist()
    batch, c_in, height, width = student.shape
    c_out = teacher.shape[1]
    total = 0.0
    for b in range(batch):
        for o in range(c_out):
            for i in range(height):
                for j in range(width):
                    adapted = b_[o] + sum(w[o][c][0][0] * s[b][c][i][j] for c in range(c_in))
                    total += (adapted - t[b][o][i][j]) ** 2
    return total / (batch * c_out * height * width)


def test_fitnet_matches_loop_reference_per_stride():
    fit = distill.create("distiller", "fitnet", STUDENT, [TEACHER], strides=[4, 8]).double()
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = fit(s, [t], random_target())
    assert set(terms) == {"hint_s4", "hint_s8"}
    for idx, stride in enumerate([4, 8]):
        conv = fit.connectors[str(stride)]
        expected = loop_hint(s.features[idx], t.features[idx], conv.weight, conv.bias)
        assert terms[f"hint_s{stride}"].item() == pytest.approx(expected, abs=1e-6)


def test_fitnet_is_zero_with_identity_connector_on_identical_features():
    spec = ModelSpec("same", "cnn", 3, (4, 6), (4, 8))
    fit = distill.create("distiller", "fitnet", spec, [spec], strides=[8]).double()
    with torch.no_grad():
        fit.connectors["8"].weight.copy_(torch.eye(6, dtype=torch.float64)[:, :, None, None])
        fit.connectors["8"].bias.zero_()
    out = random_output(spec, seed=4)
    assert fit(out, [out], random_target())["hint_s8"].item() == pytest.approx(0.0, abs=1e-12)


def test_fitnet_connector_and_student_receive_gradients():
    fit = distill.create("distiller", "fitnet", STUDENT, [TEACHER], strides=[8]).double()
    s = with_grad(random_output(STUDENT, seed=1))
    fit(s, [random_output(TEACHER, seed=2)], random_target())["hint_s8"].backward()
    assert fit.connectors["8"].weight.grad.abs().sum() > 0
    assert s.features[1].grad.abs().sum() > 0


def test_fitnet_resizes_a_student_map_of_another_size():
    fit = distill.create("distiller", "fitnet", STUDENT, [TEACHER], strides=[4]).double()
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    small = SegOutput(s.logits, [s.features[0][..., :3, :3], s.features[1]])
    assert torch.isfinite(fit(small, [t], random_target())["hint_s4"])
