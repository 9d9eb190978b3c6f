"""MPD, multi-scale prior-knowledge distillation (our reading of Cui et al. 2024).

At each chosen stride a connector maps the student's map into the transformer teacher's
channel space; the loss then matches (a) the normalised features themselves and (b) their
*context*: how every region relates to every other region, at several grid sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import ConfigError, Distiller, DistillerParams, ModelSpec, SegOutput
from distill.nn import (
    ConnectorNorm,
    as_constant,
    check_strides,
    pick_teacher,
    resize_to,
    stride_connectors,
)

Normalize = Literal["channel", "standardize", "none"]


def normalize_map(x: Tensor, how: Normalize) -> Tensor:
    """'channel': unit vector per pixel; 'standardize': zero mean, unit variance per channel."""
    if how == "channel":
        return F.normalize(x, dim=1, eps=1e-6)
    if how == "standardize":
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = x.std(dim=(2, 3), keepdim=True, unbiased=False)
        return (x - mean) / (std + 1e-6)
    return x


def feature_distance(student: Tensor, teacher: Tensor, how: Normalize) -> Tensor:
    """Channel-normalised maps: squared distance per pixel (= 2 - 2 cos), averaged over
    pixels; otherwise element-wise MSE."""
    s, t = normalize_map(student, how), normalize_map(teacher, how)
    if how == "channel":
        return (s - t).pow(2).sum(1).mean()
    return F.mse_loss(s, t)


def region_affinity(x: Tensor, grid: int) -> Tensor:
    """Cosine affinity between the g*g pooled regions of a map: (B, g^2, g^2)."""
    regions = F.adaptive_avg_pool2d(x, grid).flatten(2)  # (B, C, g^2)
    regions = F.normalize(regions, dim=1, eps=1e-6)
    return regions.transpose(1, 2) @ regions


def context_distance(student: Tensor, teacher: Tensor, grids: Sequence[int]) -> Tensor:
    """Mean over grid sizes of the MSE between student and teacher region affinities."""
    losses = [F.mse_loss(region_affinity(student, g), region_affinity(teacher, g)) for g in grids]
    return sum(losses) / len(losses)


class MPDParams(DistillerParams):
    strides: list[int] = Field(
        [4, 8, 16, 32], min_length=1, description="feature strides distilled"
    )
    grids: list[int] = Field(
        [2, 4, 8], min_length=1, description="region grid sizes (g x g) of the context term"
    )
    weight_feature: float = Field(1.0, ge=0.0, description="weight of the feature term")
    weight_context: float = Field(1.0, ge=0.0, description="weight of the context term")
    scale_weights: list[float] | None = Field(
        None, description="per-stride weights, one per entry of strides (default all 1)"
    )
    normalize: Normalize = Field(
        "channel",
        description="feature normalisation before "
        "comparison: channel (unit L2 per pixel), standardize, none",
    )
    connector_norm: ConnectorNorm = Field("bn", description="norm of the connectors")
    teacher_index: int | None = Field(
        None,
        ge=0,
        description="teacher whose features are distilled; default the first transformer, else 0",
    )

    @model_validator(mode="after")
    def _check_lists(self) -> MPDParams:
        if self.scale_weights is not None and len(self.scale_weights) != len(self.strides):
            raise ValueError(
                f"scale_weights has {len(self.scale_weights)} entries but "
                f"strides has {len(self.strides)}"
            )
        if any(g < 1 for g in self.grids) or len(set(self.strides)) != len(self.strides):
            raise ValueError("grids must be >= 1 and strides unique")
        return self


class MPDDistiller(Distiller):
    """MPD: per-stride connectors; normalised-feature + region-affinity context losses."""

    search_space: ClassVar[dict[str, Any]] = {
        "weight_feature": {"float": [0.05, 10.0], "log": True},
        "weight_context": {"float": [0.05, 10.0], "log": True},
        "grids": {"choices": [[2, 4], [2, 4, 8], [4, 8], [1, 2, 4, 8]]},
        "strides": {"choices": [[4, 8, 16, 32], [8, 16, 32], [16, 32], [32]]},
    }
    """Default `distill sweep` space over this component's parameters."""

    Params = MPDParams
    needs = frozenset({"features"})
    component_name: ClassVar[str] = "mpd"
    """The registered name, which build-time errors quote."""

    def __init__(
        self, params: MPDParams, student: ModelSpec, teachers: Sequence[ModelSpec]
    ) -> None:
        super().__init__(params, student, teachers)
        name = self.component_name
        self.feature_teacher = pick_teacher(
            name, teachers, params.teacher_index, "transformer", "teacher_index"
        )
        teacher = teachers[self.feature_teacher]
        check_strides(name, params.strides, student, teacher)
        self.connectors = stride_connectors(params.strides, student, teacher, params.connector_norm)
        self.scale_weights = params.scale_weights or [1.0] * len(params.strides)

    def mpd_terms(self, student: SegOutput, teacher: SegOutput) -> dict[str, Tensor]:
        p: MPDParams = self.params  # type: ignore[assignment]
        t_spec = self.teacher_specs[self.feature_teacher]
        if not teacher.features:
            raise ConfigError("MPD needs the teacher's features but the teacher output has none")
        terms: dict[str, Tensor] = {}
        for stride, scale in zip(p.strides, self.scale_weights, strict=True):
            s_map = student.features[self.student_spec.feature_strides.index(stride)]
            t_map = as_constant(teacher.features[t_spec.feature_strides.index(stride)])
            mapped = resize_to(self.connectors[str(stride)](s_map), t_map)
            if p.weight_feature > 0:
                terms[f"feat_s{stride}"] = (
                    p.weight_feature * scale * feature_distance(mapped, t_map, p.normalize)
                )
            if p.weight_context > 0:
                terms[f"ctx_s{stride}"] = (
                    p.weight_context * scale * context_distance(mapped, t_map.float(), p.grids)
                )
        return terms

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        """Per-term weighted losses (terms with weight 0 are skipped); the engine applies
        ``weight``."""
        return self.mpd_terms(student, teachers[self.feature_teacher])


@hookimpl
def distill_register_distillers(register):
    register("mpd", MPDDistiller)
