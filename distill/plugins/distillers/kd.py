"""Pixel-wise knowledge distillation: the response-based baseline every other method beats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import (
    TeacherChoiceParams,
    check_same_classes,
    chosen_teacher,
    ensemble_logits,
    logits_of,
    pixel_kd,
    teacher_logits,
)


class PixelKD(Distiller):
    """KD (Hinton et al. 2015): per-pixel KL between softened teacher and student classes.

    "Distilling the Knowledge in a Neural Network", arXiv:1503.02531. Each pixel is one
    classification: KL(softmax(t/T) || softmax(s/T)) summed over classes, averaged over pixels
    and batch, times T^2 so gradients keep their size as T changes. With ``ensemble`` the
    target is the mean of all teachers' softened probabilities ("Learning from Multiple
    Teacher Networks", You et al., KDD 2017).
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 10.0], "log": True},
        "temperature": {"float": [1.0, 8.0]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        temperature: float = Field(4.0, gt=0.0, description="softmax temperature T")
        ensemble: bool = Field(
            False,
            description="distil the mean of every teacher's softened class probabilities "
            "(multi-teacher KD) instead of the one chosen by 'teacher'",
        )

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"logits"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        chosen = chosen_teacher("kd", self.teacher_specs, params.teacher)  # errors name 'teacher'
        for teacher in self.teacher_specs if params.ensemble else [chosen]:
            check_same_classes("kd", student, teacher)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        s = logits_of(student, "student")
        p: PixelKD.Params = self.params  # type: ignore[assignment]
        if p.ensemble:
            t = ensemble_logits([teacher_logits(out) for out in teachers], p.temperature)
        else:
            t = teacher_logits(teachers[p.teacher])
        return {"kd": pixel_kd(s, t, p.temperature)}


@hookimpl
def distill_register_distillers(register):
    register("kd", PixelKD)
