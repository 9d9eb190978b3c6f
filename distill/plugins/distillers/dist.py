"""DIST: match the teacher's relations between predictions, not their exact values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import Distiller, ModelSpec, SegOutput, TeacherNeed
from distill.nn import (
    TeacherChoiceParams,
    check_same_classes,
    chosen_teacher,
    logits_of,
    resize_to,
    teacher_logits,
)

Form = Literal["ours", "authors"]


def pearson(a: Tensor, b: Tensor, dim: int, eps: float = 1e-12) -> Tensor:
    """Pearson correlation of ``a`` and ``b`` along ``dim``. The norm product is clamped at
    ``eps`` (rather than eps added, as in the authors' code) so that the value is the exact
    correlation whenever it is defined, and 0 for a constant input."""
    a = a - a.mean(dim=dim, keepdim=True)
    b = b - b.mean(dim=dim, keepdim=True)
    return (a * b).sum(dim=dim) / (a.norm(dim=dim) * b.norm(dim=dim)).clamp_min(eps)


def relation_losses(
    student: Tensor, teacher: Tensor, temperature: float, form: Form = "ours"
) -> tuple[Tensor, Tensor]:
    """(1 - mean inter-class corr, 1 - mean intra-class corr), each times T^2.

    Inter: per pixel, correlation across classes. Intra, ``"ours"``: per image and class,
    correlation across that image's pixels; ``"authors"``: per class, across the pixels of
    the whole batch pooled. Logits (B, K, H, W)."""
    y_s = (student.flatten(2) / temperature).softmax(dim=1)  # (B, K, HW)
    y_t = (teacher.flatten(2) / temperature).softmax(dim=1)
    scale = temperature**2
    inter = 1.0 - pearson(y_s, y_t, dim=1).mean()
    if form == "authors":  # (K, B*HW): one instance per pixel of the batch
        y_s, y_t = (y.transpose(0, 1).flatten(1) for y in (y_s, y_t))
        intra = 1.0 - pearson(y_s, y_t, dim=1).mean()
    else:
        intra = 1.0 - pearson(y_s, y_t, dim=2).mean()
    return scale * inter, scale * intra


class DIST(Distiller):
    """DIST (Huang et al. NeurIPS 2022): Pearson-correlation relations of soft predictions.

    "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022. A pixel is an instance:
    the inter-class relation correlates student and teacher class distributions per pixel;
    the intra-class relation correlates each class's scores across an image's pixels.
    loss = T^2 (beta (1 - mean inter corr) + gamma (1 - mean intra corr)). With two classes
    the per-pixel correlation is +-1 (two points always lie on a line), so on binary tasks
    the intra term carries most of the signal.

    Departure from the authors' segmentation code in the default ``form="ours"``
    (``form="authors"`` restores theirs): the intra-class relation is computed per image
    (each class's scores across one image's pixels, averaged over images and classes),
    where theirs flattens the batch into one set of B*H*W pixel instances and correlates
    each class across all of them, so matching the differences between images (each
    image's mean score) counts too and the term depends on which images share a batch. Both forms clamp the norm product at
    1e-12 where the authors add 1e-8 (exact correlations wherever they are defined).
    """

    search_space: ClassVar[dict[str, Any]] = {
        "weight": {"float": [0.1, 10.0], "log": True},
        "temperature": {"float": [1.0, 4.0]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(TeacherChoiceParams):
        temperature: float = Field(1.0, gt=0.0, description="softmax temperature T")
        beta: float = Field(1.0, ge=0.0, description="weight of the inter-class relation")
        gamma: float = Field(1.0, ge=0.0, description="weight of the intra-class relation")
        form: Form = Field(
            "ours",
            description="intra-class relation per image ('ours') or over the batch's pooled "
            "pixels ('authors')",
        )

    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"logits"})

    def __init__(self, params: Params, student: ModelSpec, teachers: Sequence[ModelSpec]):
        super().__init__(params, student, teachers)
        check_same_classes(
            "dist", student, chosen_teacher("dist", self.teacher_specs, params.teacher)
        )

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:
        p = self.params
        t = teacher_logits(teachers[p.teacher])
        s = resize_to(logits_of(student, "student"), t)
        inter, intra = relation_losses(s, t, p.temperature, p.form)
        return {"inter": p.beta * inter, "intra": p.gamma * intra}


@hookimpl
def distill_register_distillers(register):
    register("dist", DIST)
