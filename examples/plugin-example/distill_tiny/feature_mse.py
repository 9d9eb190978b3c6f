"""A distiller in one file: mean squared error between connected feature maps.

The student's map at each chosen stride goes through a learnable 1x1 connector to the
teacher's channel count, is resized to the teacher's map, and is compared with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import TeacherChoiceParams, feature_pairs, stride_connectors, stride_teacher


class FeatureMSE(Distiller):
    """Feature MSE: 1x1-connected student maps regressed onto the teacher's."""

    class Params(TeacherChoiceParams):  # weight (of every term) and teacher (an index)
        strides: list[int] = Field([8, 16], description="feature strides to compare")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features"})  # no teacher decoder
    search_space: ClassVar[dict] = {"weight": {"float": [0.1, 10.0], "log": True}}

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        # checked now, so a stride that one model lacks fails before training starts
        self.teacher_spec = stride_teacher(
            "feature-mse", params.strides, student, teachers, params.teacher
        )
        self.connectors = stride_connectors(params.strides, student, self.teacher_spec)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        teacher = teachers[self.params.teacher]
        pairs = feature_pairs(
            student,
            teacher,
            self.student_spec,
            self.teacher_spec,
            self.params.strides,
            self.connectors,
        )
        return {f"mse_s{stride}": F.mse_loss(s, t) for stride, s, t in pairs}


@hookimpl
def distill_register_distillers(register):
    register("feature-mse", FeatureMSE)
