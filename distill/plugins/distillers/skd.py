"""Structured KD: distil per-pixel classes and the pairwise structure between regions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from distill.core.hookspecs import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.plugins.distillers.functional import pixel_kd
from distill.plugins.distillers.wiring import (
    TeacherChoiceParams,
    check_same_classes,
    check_strides,
    chosen_teacher,
    feature_at,
    logits_of,
    match_size,
    teacher_feature,
    teacher_logits,
)


def pool_nodes(feature: Tensor, scale: float, mode: str) -> Tensor:
    """Pool a (B, C, H, W) map into nodes, each covering ``scale`` of the map a side."""
    kh = max(1, int(feature.shape[-2] * scale))
    kw = max(1, int(feature.shape[-1] * scale))
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(feature, kernel_size=(kh, kw), stride=(kh, kw), ceil_mode=True)


def similarity_matrix(nodes: Tensor) -> Tensor:
    """Cosine similarity between every pair of nodes: (B, N, N) with N = H*W."""
    flat = F.normalize(nodes.flatten(2), dim=1)
    return flat.transpose(1, 2) @ flat


def pairwise_distance(student: Tensor, teacher: Tensor, scale: float, mode: str) -> Tensor:
    """Mean over node pairs and batch of the squared difference of similarity matrices."""
    a_s = similarity_matrix(pool_nodes(match_size(student, teacher), scale, mode))
    a_t = similarity_matrix(pool_nodes(teacher, scale, mode))
    return (a_s - a_t).pow(2).mean()


class StructuredKD(Distiller):
    """SKD (Liu et al. CVPR 2019): pixel-wise KD plus pair-wise similarity distillation.

    "Structured Knowledge Distillation for Semantic Segmentation", CVPR 2019. Pixel term:
    temperature-scaled per-pixel KL on logits. Pair-wise term: features pooled into nodes
    (``pool_scale`` of the map per node, max pooling as in the authors' code), node vectors
    L2-normalised, and the squared differences of the two cosine-similarity matrices
    averaged. Channel counts may differ (no connector needed). The paper's third, holistic
    term (an adversarial discriminator on (image, segmentation) pairs) is not implemented:
    it needs its own optimiser step, which the engine's loss-only interface does not give.
    Defaults follow the authors' code: lambda_pi=10, lambda_pa=0.5, pool scale 0.5.
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight_pixel": {"float": [1.0, 20.0], "log": True},
        "weight_pair": {"float": [0.1, 5.0], "log": True},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        strides: list[int] = Field([8], description="feature strides for the pair-wise term")
        temperature: float = Field(1.0, gt=0.0, description="softmax temperature T (pixel term)")
        weight_pixel: float = Field(10.0, ge=0.0, description="weight of the pixel-wise term")
        weight_pair: float = Field(0.5, ge=0.0, description="weight of the pair-wise term")
        pool_scale: float = Field(
            0.5, gt=0.0, le=1.0, description="fraction of the map (a side) one node covers"
        )
        pool_mode: Literal["max", "avg"] = Field("max", description="node pooling")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features", "logits"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        self.teacher_spec = chosen_teacher("skd", self.teacher_specs, params.teacher)
        check_same_classes("skd", student, self.teacher_spec)
        check_strides("skd", params.strides, student, self.teacher_spec)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        p = self.params
        teacher = teachers[p.teacher]
        t_logits = teacher_logits(teacher)
        terms = {
            "pixel": p.weight_pixel
            * pixel_kd(logits_of(student, "student"), t_logits, p.temperature)
        }
        for s in p.strides:
            terms[f"pair_s{s}"] = p.weight_pair * pairwise_distance(
                feature_at(student, self.student_spec, s),
                teacher_feature(teacher, self.teacher_spec, s),
                p.pool_scale,
                p.pool_mode,
            )
        return terms


@hookimpl
def distill_register_distillers(register):
    register("skd", StructuredKD)
