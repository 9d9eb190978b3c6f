"""Hint learning: the student's intermediate features regress the teacher's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import (
    TeacherChoiceParams,
    feature_pairs,
    stride_connectors,
    stride_teacher,
)


class FitNet(Distiller):
    """FitNets (Romero et al. 2015): MSE between adapted student and teacher features.

    "FitNets: Hints for Thin Deep Nets", ICLR 2015. A learnable regressor (here a 1x1 conv,
    the connector) maps the student's guided layer to the teacher's hint layer's channels;
    the loss is the mean squared error per stride (student map resized if sizes differ).
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 10.0], "log": True},
        "strides": {"choices": [[8], [16], [32], [8, 16]]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        strides: list[int] = Field([16], description="feature strides used as hint layers")
        connector_norm: bool = Field(False, description="add BatchNorm after the 1x1 connector")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        self.teacher_spec = stride_teacher(
            "fitnet", params.strides, student, self.teacher_specs, params.teacher
        )
        norm = "bn" if params.connector_norm else "none"
        self.connectors = stride_connectors(params.strides, student, self.teacher_spec, norm)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        pairs = feature_pairs(
            student,
            teachers[self.params.teacher],
            self.student_spec,
            self.teacher_spec,
            self.params.strides,
            self.connectors,
        )
        return {f"hint_s{s}": F.mse_loss(adapted, t) for s, adapted, t in pairs}


@hookimpl
def distill_register_distillers(register):
    register("fitnet", FitNet)
