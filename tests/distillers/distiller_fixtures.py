"""Small float64 specs and outputs shared by the distiller tests."""

from __future__ import annotations

import torch

from distill.core.interfaces import ModelSpec, SegOutput

NUM_CLASSES = 3
STUDENT = ModelSpec("tiny-student", "cnn", NUM_CLASSES, (4, 6), (4, 8))
TEACHER = ModelSpec("tiny-teacher", "transformer", NUM_CLASSES, (5, 7), (4, 8))
SIZE = 16  # input size: features are 4x4 (stride 4) and 2x2 (stride 8)


def random_output(spec: ModelSpec, batch: int = 2, seed: int = 0) -> SegOutput:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, spec.num_classes, SIZE, SIZE, generator=g, dtype=torch.float64)
    features = [
        torch.randn(batch, c, SIZE // s, SIZE // s, generator=g, dtype=torch.float64)
        for c, s in zip(spec.feature_channels, spec.feature_strides, strict=True)
    ]
    return SegOutput(logits, features)


def random_target(batch: int = 2, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, NUM_CLASSES, (batch, SIZE, SIZE), generator=g)


def with_grad(output: SegOutput) -> SegOutput:
    return SegOutput(
        output.logits.clone().requires_grad_(True),
        [f.clone().requires_grad_(True) for f in output.features],
    )


def inference_copy(output: SegOutput) -> SegOutput:
    """What the engine hands over: teacher tensors made under torch.inference_mode()."""
    with torch.inference_mode():
        return SegOutput(output.logits.clone(), [f.clone() for f in output.features])
