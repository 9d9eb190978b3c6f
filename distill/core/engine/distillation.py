"""Composition of distillers, and computing exactly the teacher outputs they need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from torch import Tensor, nn

from distill.core.engine.schedule import distill_ramp
from distill.core.interfaces import Distiller, SegOutput, TeacherNeed


class FrozenTeacher(Protocol):
    """What stage 2 calls on a teacher: a SegmentationModel, or one replayed from CUDA graphs."""

    def __call__(self, images: Tensor) -> SegOutput: ...

    def extract_features(self, images: Tensor) -> list[Tensor]: ...


class DistillerSuite(nn.Module):
    """Several distillers summed: each term is named ``<distiller>/<term>`` and multiplied
    by that distiller's ``weight`` and by ``ramp``, the warm-up factor that ``follow`` sets
    from training progress, so ablations need no new code."""

    def __init__(
        self, distillers: Sequence[tuple[str, Distiller]], warmup_epochs: float = 0.0
    ) -> None:
        super().__init__()
        names: list[str] = []
        for name, _ in distillers:
            names.append(name if name not in names else f"{name}{len(names)}")
        self.names = names
        self.members = nn.ModuleList(d for _, d in distillers)
        self.warmup_epochs = warmup_epochs
        self.ramp = 1.0

    def follow(self, epochs_done: float) -> None:
        """Set the warm-up factor for the batch that brings training to ``epochs_done``."""
        self.ramp = distill_ramp(epochs_done, self.warmup_epochs)

    @property
    def needs(self) -> frozenset[TeacherNeed]:
        out: frozenset[TeacherNeed] = frozenset()
        for d in self.members:
            out |= d.needs  # an instance may narrow its class default
        return out

    @property
    def target_free(self) -> list[str]:
        """The members that can learn from unlabelled images (they never read the masks)."""
        return [n for n, d in zip(self.names, self.members, strict=True) if not d.uses_target]

    @property
    def wants_strong_view(self) -> bool:
        """Whether a member asks for weak/strong pairing on unlabelled images (the teacher
        sees the weakly augmented image, the student a photometrically harder copy)."""
        return any(getattr(d.params, "strong", False) for d in self.members)

    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor | None
    ) -> dict[str, Tensor]:
        """``target`` None: an unlabelled batch, for the members that need no masks."""
        terms: dict[str, Tensor] = {}
        for name, distiller in zip(self.names, self.members, strict=True):
            weight = distiller.params.weight
            if weight == 0 or (target is None and distiller.uses_target):
                continue
            for term, value in distiller(student, teachers, target).items():
                terms[f"{name}/{term}"] = weight * self.ramp * value
        return terms


def teacher_outputs(
    teachers: Sequence[FrozenTeacher], images: Tensor, needs: frozenset[TeacherNeed]
) -> list[SegOutput]:
    """Run frozen teachers in inference mode, skipping decoders when only features are
    needed. Outputs are cloned so the student's graph may save them for backward."""
    if not needs or not teachers:
        return []
    with torch.inference_mode():
        if "logits" in needs:
            raw = [t(images) for t in teachers]
        else:
            raw = [SegOutput(None, t.extract_features(images)) for t in teachers]
    return [
        SegOutput(
            o.logits.clone() if o.logits is not None else None,
            [f.clone() for f in o.features] if "features" in needs else [],
        )
        for o in raw
    ]
