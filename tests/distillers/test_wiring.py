"""What every classic distiller shares: build-time checks, needs, inference-mode teachers."""

from __future__ import annotations

import pytest
import torch
from distiller_fixtures import (
    STUDENT,
    TEACHER,
    inference_copy,
    random_output,
    random_target,
    with_grad,
)

import distill
from distill.core.errors import ConfigError
from distill.core.interfaces import ModelSpec

CLASSIC = ["kd", "fitnet", "at", "skd", "cwd", "ifvd", "dist"]
FEATURE_BASED = ["fitnet", "at", "skd", "ifvd"]
FOUR_SCALE = ModelSpec("four-scale", "cnn", 3, (8, 16, 32, 64), (4, 8, 16, 32))


@pytest.mark.parametrize("name", CLASSIC + ["none"])
def test_every_distiller_is_registered_with_described_params(name):
    """Default params build against models with the usual strides 4..32."""
    assert name in distill.components("distiller")
    cls = type(distill.create("distiller", name, FOUR_SCALE, [FOUR_SCALE]))
    assert cls.__doc__ and cls.__doc__.strip()
    for field_name, info in cls.Params.model_fields.items():
        assert info.description, f"{name}.{field_name} has no description"


@pytest.mark.parametrize("name", FEATURE_BASED)
def test_missing_stride_is_a_build_time_config_error_naming_it(name):
    with pytest.raises(ConfigError, match="stride 16"):
        distill.create("distiller", name, STUDENT, [TEACHER], strides=[8, 16])
    only_student = ModelSpec("t", "transformer", 3, (5, 7, 9), (4, 8, 32))
    with pytest.raises(ConfigError, match="stride 32.*student"):
        distill.create("distiller", name, STUDENT, [only_student], strides=[32])


def test_cwd_on_features_checks_strides_too():
    with pytest.raises(ConfigError, match="stride 2"):
        distill.create("distiller", "cwd", STUDENT, [TEACHER], on="features", strides=[2])


@pytest.mark.parametrize("name", CLASSIC)
def test_teacher_index_out_of_range_is_a_config_error(name):
    with pytest.raises(ConfigError, match="'teacher' is 1 but 1 teacher"):
        distill.create("distiller", name, STUDENT, [TEACHER], teacher=1)


def test_logit_distillers_refuse_different_class_counts():
    other = ModelSpec("t", "cnn", 5, (5, 7), (4, 8))
    for name in ["kd", "skd", "cwd", "dist"]:
        with pytest.raises(ConfigError, match="classes"):
            distill.create("distiller", name, STUDENT, [other])


def test_needs_are_declared_for_what_each_reads():
    def needs(name, **params):
        return distill.create("distiller", name, FOUR_SCALE, [FOUR_SCALE], **params).needs

    assert needs("none") == frozenset()
    assert needs("kd") == needs("dist") == frozenset({"logits"})
    assert needs("fitnet") == needs("at") == needs("ifvd") == frozenset({"features"})
    assert needs("skd") == frozenset({"features", "logits"})
    assert needs("cwd") == frozenset({"logits"})
    assert needs("cwd", on="features", strides=[8]) == frozenset({"features"})


def test_none_returns_no_terms():
    none = distill.create("distiller", "none", STUDENT, [])
    assert none(random_output(STUDENT), [], random_target()) == {}


@pytest.mark.parametrize("name", CLASSIC)
def test_teacher_tensors_from_inference_mode_work_and_the_second_teacher_is_used(name):
    """The engine runs teachers under torch.inference_mode(); terms must still backprop."""
    params = {"strides": [4, 8]} if name in FEATURE_BASED else {}
    first = distill.create("distiller", name, STUDENT, [TEACHER, TEACHER], **params).double()
    second = distill.create(
        "distiller", name, STUDENT, [TEACHER, TEACHER], teacher=1, **params
    ).double()
    s = with_grad(random_output(STUDENT, seed=1))
    t0, t1 = (
        inference_copy(random_output(TEACHER, seed=2)),
        inference_copy(random_output(TEACHER, seed=3)),
    )
    second.load_state_dict(first.state_dict())
    terms_first = first(s, [t0, t1], random_target())
    terms_second = second(s, [t0, t1], random_target())
    total = sum(terms_second.values())
    total.backward()
    assert torch.isfinite(total)
    assert s.logits.grad is not None or any(f.grad is not None for f in s.features)
    assert any(not torch.equal(terms_first[k], terms_second[k]) for k in terms_first)
