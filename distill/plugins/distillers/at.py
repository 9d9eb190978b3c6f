"""Attention transfer: match where the networks look, not what they compute."""

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
    resize_to,
    stride_teacher,
)


def attention_map(feature: Tensor, p: float) -> Tensor:
    """Spatial attention sum_c |F_c|^p, shape (B, 1, H, W); channel count does not matter."""
    return feature.abs().pow(p).sum(dim=1, keepdim=True)


def attention_distance(student: Tensor, teacher: Tensor, p: float) -> Tensor:
    """|| Q_s/||Q_s|| - Q_t/||Q_t|| ||_2 per image (maps flattened), averaged over the batch."""
    q_s = resize_to(attention_map(student, p), teacher)
    q_t = attention_map(teacher, p)
    q_s = F.normalize(q_s.flatten(1), dim=1)
    q_t = F.normalize(q_t.flatten(1), dim=1)
    return (q_s - q_t).norm(dim=1).mean()


class AttentionTransfer(Distiller):
    """AT (Zagoruyko & Komodakis 2017): L2 distance of normalised spatial attention maps.

    "Paying More Attention to Attention", ICLR 2017. The activation-based map
    sum_c |F_c|^p is flattened and L2-normalised; the loss per stride is the L2 norm of
    the difference (the paper's beta/2 factor is left to ``weight``). No connector: the map
    has one channel whatever the width. A student map of another size is resized first.
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 100.0], "log": True},
        "p": {"choices": [1.0, 2.0, 4.0]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        strides: list[int] = Field([4, 8, 16, 32], description="feature strides to transfer")
        p: float = Field(2.0, gt=0.0, description="exponent p in sum_c |F_c|^p")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        self.teacher_spec = stride_teacher(
            "at", params.strides, student, self.teacher_specs, params.teacher
        )

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        pairs = feature_pairs(
            student,
            teachers[self.params.teacher],
            self.student_spec,
            self.teacher_spec,
            self.params.strides,
            resize=False,  # the attention map is resized, not the feature
        )
        return {f"at_s{s}": attention_distance(f, t, self.params.p) for s, f, t in pairs}


@hookimpl
def distill_register_distillers(register):
    register("at", AttentionTransfer)
