"""Dual distillation (our reading of Cui et al. 2024): MPD from a transformer teacher's
features (global context) plus pixel-wise logit KD from a CNN teacher (local detail), or
from the same teacher when only one is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import ConfigError, ModelSpec, SegOutput
from distill.nn import check_same_classes, ensemble_logits, pick_teacher, pixel_kd, teacher_logits
from distill.plugins.distillers.mpd import MPDDistiller, MPDParams


class DualParams(MPDParams):
    weight_logit: float = Field(1.0, ge=0.0, description="weight of the pixel-wise KD term")
    temperature: float = Field(4.0, gt=0.0, description="softmax temperature of the KD term")
    logit_teacher_index: int | None = Field(
        None,
        ge=0,
        description="teacher whose logits "
        "are distilled; default the first CNN teacher "
        "other than the feature teacher, else the same",
    )
    logit_ensemble: bool = Field(
        False,
        description="the logit path distils the mean of every teacher's softened class "
        "probabilities (multi-teacher KD) instead of one teacher's",
    )


class DualDistiller(MPDDistiller):
    """Dual distillation: MPD on transformer features + pixel-wise KD on CNN logits."""

    search_space: ClassVar[dict[str, Any]] = {
        "weight_feature": {"float": [0.05, 10.0], "log": True},
        "weight_context": {"float": [0.05, 10.0], "log": True},
        "weight_logit": {"float": [0.1, 10.0], "log": True},
        "temperature": {"float": [1.0, 8.0]},
        "grids": {"choices": [[2, 4], [2, 4, 8], [4, 8]]},
    }
    """Default `distill sweep` space over this component's parameters."""

    Params = DualParams
    needs = frozenset({"features", "logits"})
    component_name = "dual"

    def __init__(
        self, params: DualParams, student: ModelSpec, teachers: Sequence[ModelSpec]
    ) -> None:
        if (
            params.teacher_index is None
            and teachers
            and not any(t.family in ("transformer", "hybrid") for t in teachers)
        ):
            families = ", ".join(f"{t.name}: {t.family}" for t in teachers)
            raise ConfigError(
                f"dual distillation needs a transformer (or hybrid) teacher for "
                f"its MPD path; got {families}"
            )
        if params.teacher_index is None and teachers:
            families = [t.family for t in teachers]
            family = "transformer" if "transformer" in families else "hybrid"
            params = params.model_copy(update={"teacher_index": families.index(family)})
        super().__init__(params, student, teachers)
        if params.logit_teacher_index is not None:
            self.logit_teacher = pick_teacher(
                "dual", teachers, params.logit_teacher_index, field="logit_teacher_index"
            )
        else:
            self.logit_teacher = next(
                (
                    i
                    for i, t in enumerate(teachers)
                    if t.family == "cnn" and i != self.feature_teacher
                ),
                self.feature_teacher,
            )
        self.logit_teachers = (
            list(range(len(teachers))) if params.logit_ensemble else [self.logit_teacher]
        )
        for index in self.logit_teachers:
            check_same_classes("dual", student, teachers[index])

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        p: DualParams = self.params  # type: ignore[assignment]
        terms = self.mpd_terms(student, teachers[self.feature_teacher])
        if p.weight_logit > 0:
            logits = ensemble_logits(
                [teacher_logits(teachers[i]) for i in self.logit_teachers], p.temperature
            )
            terms["logit"] = p.weight_logit * pixel_kd(student.logits, logits, p.temperature)
        return terms


@hookimpl
def distill_register_distillers(register):
    register("dual", DualDistiller)
