"""The interfaces enforce their abstract methods and declare the attributes code reads."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from distill.core.errors import PluginContractError
from distill.core.interfaces import (
    Dataset,
    DatasetParams,
    Distiller,
    DistillerParams,
    FusionBlock,
    FusionParams,
    ModelParams,
    ModelSpec,
    SegmentationModel,
    SegOutput,
    Student,
    Teacher,
)
from distill.core.plugins import registry

SPEC = ModelSpec("m", "cnn", 2, (4,), (4,))


class ForgotForward(Student):
    """Before, this instantiated (nn.Module's forward only fails when called)."""

    def __init__(self, params: ModelParams) -> None:
        super().__init__(params)
        self.feature_channels, self.feature_strides = [4], [4]


class ForgotTeacherForward(Teacher):
    pass


class ForgotLoss(Distiller):
    pass


class ForgotFuse(FusionBlock):
    pass


class ForgotLoad(Dataset):
    def split_names(self) -> list[str]:
        return ["train"]


@pytest.mark.parametrize(
    ("build", "interface", "method"),
    [
        (lambda: ForgotForward(ModelParams()), "Student", "forward"),
        (lambda: ForgotTeacherForward(ModelParams()), "Teacher", "forward"),
        (lambda: ForgotLoss(DistillerParams(), SPEC, [SPEC]), "Distiller", "forward"),
        (lambda: ForgotFuse(FusionParams(), [4, 4], 4), "FusionBlock", "forward"),
        (lambda: ForgotLoad(DatasetParams()), "Dataset", "load"),
    ],
)
def test_a_component_without_its_required_method_cannot_be_built(build, interface, method):
    with pytest.raises(PluginContractError) as info:
        build()
    message = str(info.value)
    assert f"{__name__}.Forgot" in message  # the class, by its import path
    assert f"does not implement {method}() (required by {interface})" in message


class Complete(Student):
    def __init__(self, params: ModelParams) -> None:
        super().__init__(params)
        self.conv = nn.Conv2d(params.in_channels, params.num_classes, 1)
        self.feature_channels, self.feature_strides = [params.num_classes], [1]

    def forward(self, x):
        logits = self.conv(x)
        return SegOutput(logits, [logits])


def test_a_complete_component_builds_and_runs():
    model = Complete(ModelParams(num_classes=3))
    assert model(torch.zeros(1, 3, 8, 8)).logits.shape == (1, 3, 8, 8)


def test_registering_an_incomplete_student_fails_when_it_is_built():
    registry().add("student", "forgot-forward", ForgotForward, source="tests.test_interfaces")
    try:
        with pytest.raises(PluginContractError, match="ForgotForward cannot be built"):
            registry().get("student", "forgot-forward").build({})
    finally:
        registry().remove_source("tests.test_interfaces")


def test_optional_attributes_are_declared_with_their_defaults():
    assert SegmentationModel.published_params is None and SegmentationModel.published_source == ""
    assert SegmentationModel.family == "cnn" and Teacher.family == "transformer"
    assert Distiller.search_space == {} and FusionBlock.search_space == {}
    assert Distiller.component_name == ""
    assert Dataset.split_origin == "" and Dataset.skipped == []


@pytest.mark.parametrize("kind", ["distiller", "fusion"])
def test_every_shipped_search_space_names_real_parameters(kind):
    """search_space paths are relative to the component's own parameters."""
    for component in registry().all(kind):
        space = component.factory.search_space
        unknown = set(space) - set(component.params.model_fields)
        assert not unknown, f"{kind} '{component.name}' searches unknown fields {unknown}"


def test_every_built_in_model_declares_where_a_published_count_comes_from():
    for kind in ("teacher", "student"):
        for component in registry().all(kind):
            cls = component.factory
            if cls.published_params is not None:
                assert cls.published_source, f"{component.name}: published count without source"
