"""The no-distillation baseline: the student trains on the task loss alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, DistillerParams, SegOutput, TeacherNeed


class NoDistillation(Distiller):
    """No distillation: returns no loss terms and needs nothing, so no teacher runs."""

    Params = DistillerParams
    needs: ClassVar[frozenset[TeacherNeed]] = frozenset()

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        return {}


@hookimpl
def distill_register_distillers(register):
    register("none", NoDistillation)
