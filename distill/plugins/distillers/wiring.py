"""Build-time checks and feature lookups shared by the classic distillers.

A distiller's wiring (which teacher, which strides) is checked once, when it is built, so a
typo in a config fails before any model runs, with a message naming the stride.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill.core.errors import ConfigError, DistillError
from distill.core.interfaces import DistillerParams, ModelSpec, SegOutput
from distill.plugins.distillers.functional import as_constant


class TeacherChoiceParams(DistillerParams):
    teacher: int = Field(0, ge=0, description="index of the teacher (in --teacher order) to use")


def pick_teacher(name: str, teachers: Sequence[ModelSpec], index: int) -> ModelSpec:
    """The chosen teacher's spec, or a ConfigError saying how many teachers there are."""
    if index >= len(teachers):
        raise ConfigError(
            f"distiller '{name}': parameter 'teacher' is {index} but {len(teachers)} "
            "teacher(s) were given"
        )
    return teachers[index]


def check_strides(
    name: str, strides: Sequence[int], student: ModelSpec, teacher: ModelSpec
) -> None:
    """Every requested stride must exist in both models; the error names the stride."""
    if not strides:
        raise ConfigError(f"distiller '{name}': 'strides' must name at least one stride")
    for stride in strides:
        for role, spec in (("student", student), ("teacher", teacher)):
            if stride not in spec.feature_strides:
                raise ConfigError(
                    f"distiller '{name}': stride {stride} is not a feature stride of the "
                    f"{role} '{spec.name}' (it has {list(spec.feature_strides)})"
                )


def feature_at(output: SegOutput, spec: ModelSpec, stride: int) -> Tensor:
    """The feature map of ``output`` at ``stride``, as declared by ``spec``."""
    index = spec.feature_strides.index(stride)
    if index >= len(output.features):
        raise DistillError(
            f"'{spec.name}' returned {len(output.features)} feature maps; the distiller needs "
            f"the one at stride {stride}"
        )
    return output.features[index]


def logits_of(output: SegOutput, role: str) -> Tensor:
    """Logits, or a clear error when the engine skipped them."""
    logits = output.logits
    if logits is None or logits.numel() == 0:
        raise DistillError(f"the {role} output has no logits, but this distiller needs them")
    return logits


def match_size(x: Tensor, reference: Tensor) -> Tensor:
    """Resize ``x`` bilinearly to ``reference``'s spatial size when the two differ."""
    if x.shape[-2:] == reference.shape[-2:]:
        return x
    return F.interpolate(x, size=reference.shape[-2:], mode="bilinear", align_corners=False)


def connector(in_channels: int, out_channels: int, norm: bool = False) -> nn.Module:
    """A 1x1 conv adapting student channels to teacher channels (optionally + BatchNorm)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=not norm)
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels)) if norm else conv


def check_same_classes(name: str, student: ModelSpec, teacher: ModelSpec) -> None:
    """Logit distillation compares class by class: both models need the same classes."""
    if student.num_classes != teacher.num_classes:
        raise ConfigError(
            f"distiller '{name}': the student predicts {student.num_classes} classes but the "
            f"teacher '{teacher.name}' predicts {teacher.num_classes}"
        )


def teacher_feature(output: SegOutput, spec: ModelSpec, stride: int) -> Tensor:
    """A teacher feature map as a constant (the engine computes it in inference mode)."""
    return as_constant(feature_at(output, spec, stride))


def teacher_logits(output: SegOutput) -> Tensor:
    """Teacher logits as a constant (the engine computes them in inference mode)."""
    return as_constant(logits_of(output, "teacher"))
