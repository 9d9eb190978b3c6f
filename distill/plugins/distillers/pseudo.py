"""Pseudo-labels: cross-entropy on the teacher's confident hard labels.

On unlabelled images this is self-training from a teacher (Lee 2013, "Pseudo-Label";
FixMatch, Sohn et al. 2020, adds the weak/strong pairing): the teacher labels each pixel
with its arg-max class, pixels below ``threshold`` confidence are left out, and the
student is trained on the rest. With ``strong`` the engine shows the teacher the weakly
augmented image and the student a photometrically harder copy of it (same geometry, so
the labels still fit). The term is averaged over every pixel, so a batch the teacher is
unsure of teaches little.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import TeacherChoiceParams, check_same_classes, chosen_teacher, logits_of
from distill.nn import teacher_logits as constant_logits


class PseudoLabels(Distiller):
    """Cross-entropy on the teacher's confident arg-max labels (self-training)."""

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 4.0], "log": True},
        "threshold": {"float": [0.5, 0.99]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        threshold: float = Field(0.9, ge=0, lt=1, description="least teacher confidence kept")
        strong: bool = Field(
            False, description="weak/strong pairing: the student sees a harder copy"
        )

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"logits"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        check_same_classes(
            "pseudo", student, chosen_teacher("pseudo", self.teacher_specs, params.teacher)
        )

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor | None
    ) -> dict[str, Tensor]:
        p: PseudoLabels.Params = self.params  # type: ignore[assignment]
        s = logits_of(student, "student").float()
        t = constant_logits(teachers[p.teacher]).float()
        confidence, labels = t.softmax(dim=1).max(dim=1)
        kept = (confidence >= p.threshold).float()
        per_pixel = F.cross_entropy(s, labels, reduction="none")
        return {"ce": (per_pixel * kept).mean()}


@hookimpl
def distill_register_distillers(register):
    register("pseudo", PseudoLabels)
