"""Channel-wise distillation: each channel as a spatial distribution to match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import (
    TeacherChoiceParams,
    check_same_classes,
    check_strides,
    chosen_teacher,
    feature_pairs,
    logits_of,
    resize_to,
    stride_connectors,
    teacher_logits,
)


def channel_wise_kl(student: Tensor, teacher: Tensor, temperature: float) -> Tensor:
    """T^2 * KL(teacher || student) of per-channel spatial softmaxes, summed over space and
    averaged over channels and batch. Inputs (B, C, H, W) of equal shape."""
    s = student.flatten(2) / temperature
    t = teacher.flatten(2) / temperature
    log_p_s = torch.log_softmax(s, dim=-1)
    log_p_t = torch.log_softmax(t, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=-1)  # (B, C)
    return kl.mean() * temperature**2


class ChannelWiseDistillation(Distiller):
    """CWD (Shu et al. ICCV 2021): KL between per-channel spatial distributions.

    "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021. Each channel's
    activations become a distribution over locations (softmax with temperature T); the
    student matches the teacher's by KL(teacher || student), summed over locations, averaged
    over channels and images, times T^2. On logits (default, the paper's main setting) or on
    features at chosen strides through a 1x1 connector to the teacher's channels.
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 10.0], "log": True},
        "temperature": {"float": [1.0, 8.0]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        on: Literal["logits", "features"] = Field("logits", description="what to distil")
        temperature: float = Field(4.0, gt=0.0, description="spatial softmax temperature T")
        strides: list[int] = Field([32], description="feature strides (when on='features')")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features", "logits"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        self.teacher_spec = chosen_teacher("cwd", self.teacher_specs, params.teacher)
        self.connectors = nn.ModuleDict()
        if params.on == "logits":
            self.needs = frozenset({"logits"})
            check_same_classes("cwd", student, self.teacher_spec)
        else:
            self.needs = frozenset({"features"})
            check_strides("cwd", params.strides, student, self.teacher_spec)
            self.connectors = stride_connectors(params.strides, student, self.teacher_spec)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        p = self.params
        teacher = teachers[p.teacher]
        if p.on == "logits":
            t = teacher_logits(teacher)
            s = resize_to(logits_of(student, "student"), t)
            return {"cwd_logits": channel_wise_kl(s, t, p.temperature)}
        pairs = feature_pairs(
            student, teacher, self.student_spec, self.teacher_spec, p.strides, self.connectors
        )
        return {f"cwd_s{stride}": channel_wise_kl(s, t, p.temperature) for stride, s, t in pairs}


@hookimpl
def distill_register_distillers(register):
    register("cwd", ChannelWiseDistillation)
