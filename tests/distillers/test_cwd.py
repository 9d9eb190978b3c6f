"""cwd: KL between per-channel spatial softmaxes, on logits or connected features."""

from __future__ import annotations

import math

import pytest
import torch
from distiller_fixtures import STUDENT, TEACHER, random_output, random_target, with_grad

import distill


def loop_cwd(student, teacher, temperature: float) -> float:
    """Shu et al.: T^2/C sum_c sum_i phi(t_c)_i log(phi(t_c)_i / phi(s_c)_i), mean over images."""
    s, t = student.tolist(), teacher.tolist()
    batch, channels, height, width = student.shape
    total = 0.0
    for b in range(batch):
        for c in range(channels):
            zs = [s[b][c][i][j] / temperature for i in range(height) for j in range(width)]
            zt = [t[b][c][i][j] / temperature for i in range(height) for j in range(width)]
            log_zs = math.log(sum(math.exp(v) for v in zs))
            log_zt = math.log(sum(math.exp(v) for v in zt))
            for vs, vt in zip(zs, zt, strict=True):
                p_t = math.exp(vt - log_zt)
                total += p_t * ((vt - log_zt) - (vs - log_zs))
    return temperature**2 * total / (batch * channels)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_cwd_on_logits_matches_loop_reference(temperature):
    cwd = distill.create("distiller", "cwd", STUDENT, [TEACHER], temperature=temperature)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    terms = cwd(s, [t], random_target())
    assert set(terms) == {"cwd_logits"}
    assert cwd.needs == frozenset({"logits"})
    expected = loop_cwd(s.logits, t.logits, temperature)
    assert terms["cwd_logits"].item() == pytest.approx(expected, abs=1e-6)


def test_cwd_on_features_matches_loop_through_the_connector_and_trains_it():
    cwd = distill.create("distiller", "cwd", STUDENT, [TEACHER], on="features", strides=[4])
    cwd = cwd.double()
    assert cwd.needs == frozenset({"features"})
    s, t = with_grad(random_output(STUDENT, seed=1)), random_output(TEACHER, seed=2)
    term = cwd(s, [t], random_target())["cwd_s4"]
    adapted = cwd.connectors["4"](s.features[0]).detach()
    assert term.item() == pytest.approx(loop_cwd(adapted, t.features[0], 4.0), abs=1e-6)
    term.backward()
    assert cwd.connectors["4"].weight.grad.abs().sum() > 0
    assert s.features[0].grad.abs().sum() > 0


def test_cwd_is_zero_for_identical_maps_and_has_the_high_temperature_limit():
    cwd = distill.create("distiller", "cwd", STUDENT, [TEACHER], temperature=300.0)
    s, t = random_output(STUDENT, seed=1), random_output(TEACHER, seed=2)
    assert cwd(s, [s], random_target())["cwd_logits"].item() == pytest.approx(0.0, abs=1e-9)
    # T^2 KL -> sum_i (d_i - mean d)^2 / (2N) over the N locations of each channel
    gap = (s.logits - t.logits).flatten(2)
    gap = gap - gap.mean(dim=2, keepdim=True)
    limit = (gap.pow(2).sum(dim=2) / (2 * gap.shape[2])).mean().item()
    got = cwd(s, [t], random_target())["cwd_logits"].item()
    assert got == pytest.approx(limit, rel=2e-2)
    assert torch.isfinite(torch.tensor(got))
