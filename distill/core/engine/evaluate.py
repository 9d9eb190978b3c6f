"""Predict a split with a model and score it with the project's metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from distill.core.engine.batches import DeviceSplit
from distill.core.engine.runtime import Runtime
from distill.core.errors import ConfigError
from distill.core.interfaces import SegmentationModel
from distill.core.metrics import SegmentationMetrics, label_map
from distill.core.metrics.aggregate import MetricsSummary


@torch.no_grad()
def predict_split(
    model: SegmentationModel,
    split: DeviceSplit,
    runtime: Runtime,
    batch_size: int = 16,
    tta: str | None = None,
) -> np.ndarray:
    """Label maps (N, H, W) uint8 for every image of a split, in order. Under torchrun each
    rank predicts its share and the shares are gathered, so every rank gets all of them.
    ``tta="flip"``: the mean class probabilities of the image and its flips."""
    if tta not in (None, "none", "flip"):
        raise ConfigError(f"tta must be 'flip' or none, got '{tta}'")
    was_training = model.training
    model.eval()
    ranks = runtime.dist
    mine = torch.arange(len(split)).tensor_split(ranks.world)[ranks.rank]
    out = [np.zeros((0, *split.masks.shape[1:]), np.uint8)]
    try:
        for start in range(0, len(mine), batch_size):
            images, _ = split.batch(mine[start : start + batch_size])
            images = split.normalise(images)
            if runtime.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with runtime.autocast():
                scores = flip_mean(model, images) if tta == "flip" else model(images).logits
            out.append(label_map(scores).to(torch.uint8).cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(ranks.gather(np.concatenate(out)))


def flip_mean(model: SegmentationModel, images: torch.Tensor) -> torch.Tensor:
    """Class probabilities averaged over the image, its horizontal and its vertical flip."""
    total = model(images).logits.float().softmax(1)
    for dims in ([-1], [-2]):
        total += model(images.flip(dims)).logits.float().softmax(1).flip(dims)
    return total / 3


def evaluate(
    model: SegmentationModel,
    split: DeviceSplit,
    runtime: Runtime,
    batch_size: int = 16,
    spacing: float | None = None,
    class_names: Sequence[str] | None = None,
    surface: bool = True,
    tta: str | None = None,
) -> Evaluation:
    """``surface=False``: overlap scores only, no ASSD/HD95 (most of the scoring time)."""
    preds = predict_split(model, split, runtime, batch_size, tta)
    metrics = SegmentationMetrics(
        model.num_classes, class_names=class_names, spacing=spacing, surface=surface
    )
    metrics.update(preds, split.masks.cpu().numpy(), ids=split.ids)
    return Evaluation(preds, metrics.aggregate())


@dataclass
class Evaluation:
    preds: np.ndarray
    scores: MetricsSummary

    @property
    def summary(self) -> dict[str, float]:
        return self.scores.summary
