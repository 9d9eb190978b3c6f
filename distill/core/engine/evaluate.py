"""Predict a split with a model and score it with the project's metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from distill.core.engine.batches import DeviceSplit
from distill.core.engine.runtime import Runtime
from distill.core.interfaces import SegmentationModel
from distill.core.metrics import SegmentationMetrics
from distill.core.metrics.aggregate import MetricsSummary


@torch.no_grad()
def predict_split(
    model: SegmentationModel, split: DeviceSplit, runtime: Runtime, batch_size: int = 16
) -> np.ndarray:
    """Label maps (N, H, W) uint8 for every image of a split, in order."""
    was_training = model.training
    model.eval()
    out = []
    try:
        for images, _, _ in split.ordered(batch_size):
            if runtime.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with runtime.autocast():
                logits = model(images).logits
            out.append(logits.argmax(1).to(torch.uint8).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out).numpy()


def evaluate(
    model: SegmentationModel,
    split: DeviceSplit,
    runtime: Runtime,
    batch_size: int = 16,
    spacing: float | None = None,
    class_names: Sequence[str] | None = None,
) -> Evaluation:
    preds = predict_split(model, split, runtime, batch_size)
    metrics = SegmentationMetrics(model.num_classes, class_names=class_names, spacing=spacing)
    metrics.update(preds, split.masks.cpu().numpy(), ids=split.ids)
    return Evaluation(preds, metrics.aggregate())


@dataclass
class Evaluation:
    preds: np.ndarray
    scores: MetricsSummary

    @property
    def summary(self) -> dict[str, float]:
        return self.scores.summary
