"""MPD, dual distillation and the shared pixel-wise KD function."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import distill
from distill.core.errors import ConfigError
from distill.core.interfaces import ModelSpec, SegOutput
from distill.nn import pixel_kd

STUDENT = ModelSpec("student", "cnn", 2, (8, 16, 32, 64), (4, 8, 16, 32))
SWIN = ModelSpec("swin", "transformer", 2, (12, 24, 48, 96), (4, 8, 16, 32))
CNN = ModelSpec("cnn", "cnn", 2, (16, 16, 16, 16), (4, 8, 16, 32))


def student_maps(size=(64, 64), batch=2, spec=STUDENT):
    return [
        torch.randn(batch, c, size[0] // s, size[1] // s)
        for c, s in zip(spec.feature_channels, spec.feature_strides, strict=True)
    ]


def test_pixel_kd_matches_definition():
    s, t = torch.randn(2, 3, 5, 7), torch.randn(2, 3, 5, 7)
    assert pixel_kd(s, s.clone(), 4.0).abs() < 1e-6
    expected = F.kl_div(F.log_softmax(s / 2, 1), F.softmax(t / 2, 1), reduction="none")
    expected = expected.sum(1).mean() * 4
    assert torch.allclose(pixel_kd(s, t, 2.0), expected, atol=1e-6)
    with torch.inference_mode():
        frozen = t * 1
    assert pixel_kd(s.requires_grad_(), frozen, 2.0).isfinite()


def test_mpd_zero_when_connected_features_equal_teacher_and_grows_with_divergence():
    mpd = distill.create("distiller", "mpd", STUDENT, [SWIN]).eval()
    maps = student_maps()
    with torch.no_grad():
        teacher = [mpd.connectors[str(s)](m) for s, m in zip((4, 8, 16, 32), maps, strict=True)]
    student = SegOutput(torch.zeros(2, 2, 64, 64), maps)
    target = torch.zeros(2, 64, 64, dtype=torch.long)

    def total(noise: float) -> float:
        noisy = [t + noise * torch.randn_like(t) for t in teacher]
        terms = mpd(student, [SegOutput(torch.zeros(2, 2, 64, 64), noisy)], target)
        return sum(terms.values()).item()

    torch.manual_seed(0)
    losses = [total(n) for n in (0.0, 0.1, 1.0, 10.0)]
    assert losses[0] < 1e-6
    assert losses[0] < losses[1] < losses[2] < losses[3]


def test_mpd_terms_names_weights_and_resize():
    mpd = distill.create(
        "distiller",
        "mpd",
        STUDENT,
        [SWIN],
        strides=[8, 16],
        scale_weights=[1.0, 0.0],
        weight_context=2.0,
    )
    coarse_teacher = [torch.randn(1, c, 4, 4) for c in SWIN.feature_channels]
    terms = mpd(
        SegOutput(torch.zeros(1, 2, 64, 64), student_maps(batch=1)),
        [SegOutput(None, coarse_teacher)],
        torch.zeros(1, 64, 64, dtype=torch.long),
    )
    assert set(terms) == {"feat_s8", "ctx_s8", "feat_s16", "ctx_s16"}
    assert terms["feat_s16"] == 0 and terms["ctx_s16"] == 0 and terms["feat_s8"] > 0
    assert set(mpd.connectors) == {"8", "16"}


@pytest.mark.parametrize("name", ["mpd", "dual"])
def test_missing_stride_fails_at_build_time_naming_it(name):
    with pytest.raises(ConfigError, match="stride 2"):
        distill.create("distiller", name, STUDENT, [SWIN], strides=[2, 4])
    shallow = ModelSpec("shallow", "transformer", 2, (12, 24, 48), (4, 8, 16))
    with pytest.raises(ConfigError, match="stride 32.*shallow"):
        distill.create("distiller", name, STUDENT, [shallow])


def test_mpd_picks_transformer_teacher_and_validates_params():
    assert distill.create("distiller", "mpd", STUDENT, [CNN, SWIN]).feature_teacher == 1
    assert distill.create("distiller", "mpd", STUDENT, [CNN]).feature_teacher == 0
    with pytest.raises(ConfigError, match="scale_weights"):
        distill.create("distiller", "mpd", STUDENT, [SWIN], scale_weights=[1.0])
    with pytest.raises(ConfigError, match="normalize"):
        distill.create("distiller", "mpd", STUDENT, [SWIN], normalize="l1")


def test_dual_uses_cnn_logits_or_the_same_teacher():
    dual = distill.create("distiller", "dual", STUDENT, [CNN, SWIN])
    assert (dual.feature_teacher, dual.logit_teacher) == (1, 0)
    assert dual.needs == {"features", "logits"}
    alone = distill.create("distiller", "dual", STUDENT, [SWIN])
    assert (alone.feature_teacher, alone.logit_teacher) == (0, 0)
    with pytest.raises(ConfigError, match="transformer"):
        distill.create("distiller", "dual", STUDENT, [CNN])

    logits = torch.randn(2, 2, 64, 64)
    cnn_out = SegOutput(logits, student_maps(spec=CNN))
    swin_out = SegOutput(torch.randn(2, 2, 64, 64), student_maps(spec=SWIN))
    student = SegOutput(logits.clone(), student_maps())
    terms = dual(student, [cnn_out, swin_out], torch.zeros(2, 64, 64, dtype=torch.long))
    assert {"feat_s4", "ctx_s32", "logit"} <= set(terms)
    assert terms["logit"].abs() < 1e-6  # student logits equal the CNN teacher's
    assert math.isfinite(sum(terms.values()).item())

    both = distill.create("distiller", "dual", STUDENT, [CNN, SWIN], logit_ensemble=True)
    assert both.logit_teachers == [0, 1]
    both.load_state_dict(dual.state_dict())  # the same connectors
    expected = (
        16
        * F.kl_div(
            F.log_softmax(logits / 4, 1),
            F.softmax(logits / 4, 1) / 2 + F.softmax(swin_out.logits / 4, 1) / 2,
            reduction="none",
        )
        .sum(1)
        .mean()
    )
    ensemble_terms = both(student, [cnn_out, swin_out], torch.zeros(2, 64, 64, dtype=torch.long))
    assert torch.allclose(ensemble_terms["logit"], expected, atol=1e-5)
    assert ensemble_terms["logit"] > 1e-3  # the Swin half now disagrees with the student
    assert torch.equal(ensemble_terms["feat_s4"], terms["feat_s4"])  # same MPD path


def frozen_teacher(tiny_swin_params, size):
    teacher = distill.create("teacher", "swin", img_size=size, **tiny_swin_params).eval()
    teacher.requires_grad_(False)
    return teacher


def test_gradients_reach_student_and_connectors_never_teacher(tiny_swin_params):
    size = (64, 64)
    teacher = frozen_teacher(tiny_swin_params, size)
    student = distill.create(
        "student",
        "mpdnet",
        widths=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        decoder_channels=[8, 8, 16],
    )
    dual = distill.create("distiller", "dual", student.spec("mpdnet"), [teacher.spec("swin")])
    x = torch.randn(2, 3, *size)
    with torch.inference_mode():
        t_out = teacher(x)
    terms = dual(student(x), [t_out], torch.zeros(2, *size, dtype=torch.long))
    sum(terms.values()).backward()
    assert all(p.grad is not None for p in student.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in dual.connectors.parameters())
    assert all(p.grad is None and not p.requires_grad for p in teacher.parameters())


@pytest.mark.parametrize("name", ["mpd", "dual"])
def test_short_training_loop_lowers_distillation_loss(name, tiny_swin_params):
    torch.manual_seed(0)
    size = (64, 64)
    teacher = frozen_teacher(tiny_swin_params, size)
    student = distill.create(
        "student",
        "mpdnet",
        widths=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        decoder_channels=[8, 8, 16],
    )
    distiller = distill.create("distiller", name, student.spec("mpdnet"), [teacher.spec("swin")])
    x = torch.randn(2, 3, *size)
    target = torch.zeros(2, *size, dtype=torch.long)
    with torch.inference_mode():
        t_out = teacher(x)
    params = list(student.parameters()) + list(distiller.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-2)
    losses = []
    for _ in range(8):
        loss = sum(distiller(student(x), [t_out], target).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses
