"""The task loss: cross-entropy plus soft Dice over foreground classes, as named terms.

Target pixels labelled ``IGNORE_INDEX`` (255: unlabelled, or a dataset's declared ignore
label) count for nothing in either term.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from distill.core.config import LossConfig
from distill.core.metrics.overlap import IGNORE_INDEX


def soft_dice_loss(logits: Tensor, target: Tensor, eps: float = 1.0) -> Tensor:
    """1 - mean soft Dice over foreground classes, computed over the whole batch."""
    probs = logits.float().softmax(dim=1)
    valid = (target != IGNORE_INDEX).unsqueeze(1).to(probs.dtype)
    labels = target.masked_fill(target == IGNORE_INDEX, 0)
    one_hot = F.one_hot(labels, probs.shape[1]).permute(0, 3, 1, 2).to(probs.dtype) * valid
    probs = probs * valid
    dims = (0, 2, 3)
    inter = (probs * one_hot).sum(dims)
    denom = probs.sum(dims) + one_hot.sum(dims)
    dice = (2 * inter + eps) / (denom + eps)
    return 1 - dice[1:].mean() if probs.shape[1] > 1 else 1 - dice.mean()


def cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Mean over labelled pixels; 0 (not NaN) for a batch whose pixels are all ignored."""
    total = F.cross_entropy(logits.float(), target, ignore_index=IGNORE_INDEX, reduction="sum")
    return total / (target != IGNORE_INDEX).sum().clamp(min=1)


def task_loss(logits: Tensor, target: Tensor, cfg: LossConfig) -> dict[str, Tensor]:
    terms: dict[str, Tensor] = {}
    if cfg.ce:
        terms["ce"] = cfg.ce * cross_entropy(logits, target)
    if cfg.dice:
        terms["dice"] = cfg.dice * soft_dice_loss(logits, target)
    if not terms:
        terms["ce"] = torch.zeros((), device=logits.device)
    return terms
