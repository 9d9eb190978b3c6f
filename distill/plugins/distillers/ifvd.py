"""Intra-class feature variation distillation: how each pixel sits within its class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import (
    TeacherChoiceParams,
    feature_pairs,
    stride_teacher,
)


def downsample_labels(target: Tensor, size: tuple[int, int]) -> Tensor:
    """Nearest-neighbour labels (B, h, w) at a feature map's size."""
    return F.interpolate(target[:, None].float(), size=size, mode="nearest")[:, 0].long()


def class_masks(labels: Tensor, num_classes: int) -> Tensor:
    """One-hot masks (B, K, h, w); pixels labelled outside [0, K) (e.g. 255) are in none."""
    valid = (labels >= 0) & (labels < num_classes)
    one_hot = F.one_hot(labels.clamp(0, num_classes - 1), num_classes).permute(0, 3, 1, 2)
    return one_hot.to(torch.float32) * valid[:, None]


def prototype_similarity(feature: Tensor, masks: Tensor, eps: float = 1e-8) -> Tensor:
    """Per pixel, cosine similarity of its feature to its class prototype (the masked mean
    feature of that class in the same image): (B, h, w), 0 where a pixel has no class."""
    masks = masks.to(feature.dtype)
    area = masks.sum(dim=(2, 3))  # (B, K)
    protos = torch.einsum("bchw,bkhw->bkc", feature, masks) / area.clamp_min(1.0)[..., None]
    f_norm = F.normalize(feature, dim=1, eps=eps)
    p_norm = F.normalize(protos, dim=2, eps=eps)
    cos = torch.einsum("bchw,bkc->bkhw", f_norm, p_norm)  # similarity to every prototype
    return (cos * masks).sum(dim=1)


class IntraClassFeatureVariation(Distiller):
    """IFVD (Wang et al. ECCV 2020): match each pixel's similarity to its class prototype.

    "Intra-class Feature Variation Distillation for Semantic Segmentation", ECCV 2020. The
    label is downsampled (nearest) to the feature size; each class's prototype is the mean
    feature of its pixels in the image; the IFV map is every pixel's cosine similarity to its
    own class prototype; the loss is the MSE between the student's and the teacher's maps,
    averaged over labelled pixels (``ignore`` labels outside [0, classes) are left out).
    Cosine similarity is channel-free, so no connector is needed.
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 50.0], "log": True},
        "strides": {"choices": [[8], [16], [8, 16]]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        strides: list[int] = Field([8], description="feature strides to distil")

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features"})
    uses_target: ClassVar[bool] = True  # class prototypes come from the ground truth

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        self.teacher_spec = stride_teacher(
            "ifvd", params.strides, student, self.teacher_specs, params.teacher
        )

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        teacher = teachers[self.params.teacher]
        terms = {}
        pairs = feature_pairs(
            student, teacher, self.student_spec, self.teacher_spec, self.params.strides
        )
        for s, f, t in pairs:
            masks = class_masks(
                downsample_labels(target, t.shape[-2:]), self.student_spec.num_classes
            )
            labelled = masks.sum(dim=1)
            diff = prototype_similarity(f, masks) - prototype_similarity(t, masks)
            terms[f"ifv_s{s}"] = (diff.pow(2) * labelled).sum() / labelled.sum().clamp_min(1.0)
        return terms


@hookimpl
def distill_register_distillers(register):
    register("ifvd", IntraClassFeatureVariation)
