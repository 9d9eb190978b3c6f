"""Hint learning: the student's intermediate features regress the teacher's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill.core.hookspecs import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.plugins.distillers.wiring import (
    TeacherChoiceParams,
    check_strides,
    chosen_teacher,
    connector,
    feature_at,
    match_size,
    teacher_feature,
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
        self.teacher_spec = chosen_teacher("fitnet", self.teacher_specs, params.teacher)
        check_strides("fitnet", params.strides, student, self.teacher_spec)
        self.connectors = nn.ModuleDict(
            {
                str(s): connector(
                    student.channels_at(s),
                    self.teacher_spec.channels_at(s),
                    "bn" if params.connector_norm else "none",
                )
                for s in params.strides
            }
        )

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        teacher = teachers[self.params.teacher]
        terms = {}
        for s in self.params.strides:
            t = teacher_feature(teacher, self.teacher_spec, s)
            adapted = match_size(
                self.connectors[str(s)](feature_at(student, self.student_spec, s)), t
            )
            terms[f"hint_s{s}"] = F.mse_loss(adapted, t)
        return terms


@hookimpl
def distill_register_distillers(register):
    register("fitnet", FitNet)
