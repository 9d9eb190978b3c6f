"""Distiller wiring: which teacher, which strides, connectors, and the feature lookups.

A distiller's wiring is checked once, when it is built, so a typo in a config fails before
any model runs, with a message naming the stride; at run time :func:`feature_pairs` hands
each stride's student and teacher maps over, ready to compare.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

from pydantic import Field
from torch import Tensor, nn

from distill.core.errors import ConfigError, DistillError
from distill.core.interfaces import DistillerParams, ModelSpec, SegOutput
from distill.nn.losses import as_constant
from distill.nn.resize import resize_to

ConnectorNorm = Literal["none", "bn", "gn"]


class TeacherChoiceParams(DistillerParams):
    teacher: int = Field(0, ge=0, description="index of the teacher (in --teacher order) to use")


def pick_teacher(
    name: str,
    teachers: Sequence[ModelSpec],
    index: int | None,
    family: str | None = None,
    field: str = "teacher",
) -> int:
    """The index of the teacher a distiller reads: ``index`` when given (a ConfigError says
    how many teachers there are when it is out of range), else the first teacher of
    ``family``, else the first teacher."""
    if not teachers:
        raise ConfigError(f"distiller '{name}' needs a teacher (give --teacher)")
    if index is None:
        return next((i for i, t in enumerate(teachers) if t.family == family), 0)
    if index >= len(teachers):
        raise ConfigError(
            f"distiller '{name}': parameter '{field}' is {index} but {len(teachers)} "
            "teacher(s) were given"
        )
    return index


def chosen_teacher(name: str, teachers: Sequence[ModelSpec], index: int) -> ModelSpec:
    """The spec of the teacher that parameter 'teacher' names (see ``pick_teacher``)."""
    return teachers[pick_teacher(name, teachers, index)]


def stride_teacher(
    name: str,
    strides: Sequence[int],
    student: ModelSpec,
    teachers: Sequence[ModelSpec],
    index: int,
) -> ModelSpec:
    """The teacher (parameter 'teacher') a feature distiller reads, once every stride it
    asks for is checked to exist in both models."""
    teacher = chosen_teacher(name, teachers, index)
    check_strides(name, strides, student, teacher)
    return teacher


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


def connector(in_channels: int, out_channels: int, norm: ConnectorNorm = "none") -> nn.Module:
    """A 1x1 conv adapting student channels to teacher channels, optionally followed by
    BatchNorm or GroupNorm (then the conv has no bias: the norm's shift replaces it)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=norm == "none")
    if norm == "none":
        return conv
    layer = (
        nn.BatchNorm2d(out_channels)
        if norm == "bn"
        else nn.GroupNorm(_groups(out_channels), out_channels)
    )
    return nn.Sequential(conv, layer)


def stride_connectors(
    strides: Sequence[int], student: ModelSpec, teacher: ModelSpec, norm: ConnectorNorm = "none"
) -> nn.ModuleDict:
    """One :func:`connector` per stride, keyed by the stride as text (``connectors.8``)."""
    return nn.ModuleDict(
        {str(s): connector(student.channels_at(s), teacher.channels_at(s), norm) for s in strides}
    )


def feature_pairs(
    student: SegOutput,
    teacher: SegOutput,
    student_spec: ModelSpec,
    teacher_spec: ModelSpec,
    strides: Sequence[int],
    connectors: Mapping[str, nn.Module] | None = None,
    resize: bool = True,
) -> Iterator[tuple[int, Tensor, Tensor]]:
    """(stride, student map, teacher map) for each stride: the teacher map a constant, the
    student map passed through its connector (when given) and resized to the teacher's
    size (unless ``resize=False``, for a loss that resizes something derived instead)."""
    for s in strides:
        t = teacher_feature(teacher, teacher_spec, s)
        f = feature_at(student, student_spec, s)
        if connectors is not None:
            f = connectors[str(s)](f)
        yield s, (resize_to(f, t) if resize else f), t


def _groups(channels: int, wanted: int = 32) -> int:
    """The most groups, up to ``wanted``, that divide ``channels``."""
    return max(g for g in range(1, min(wanted, channels) + 1) if channels % g == 0)


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
