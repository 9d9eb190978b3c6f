"""Schedules stepped per batch: the learning rate (linear warmup, then cosine or poly decay)
and the distillation ramp."""

from __future__ import annotations

import math

import torch

from distill.core.config import TrainConfig


def build_optimizer(params: list[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.AdamW:
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr)


def lr_factor(step: int, total: int, warmup: int, kind: str) -> float:
    if warmup and step < warmup:
        return (step + 1) / warmup
    if kind == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if kind == "poly":
        return (1 - progress) ** 0.9
    return 0.5 * (1 + math.cos(math.pi * progress))


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    total = cfg.epochs * steps_per_epoch
    warmup = int(cfg.warmup_epochs * steps_per_epoch)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total, warmup, cfg.schedule)
    )


def distill_ramp(epochs_done: float, warmup_epochs: float) -> float:
    """Factor on every distillation term: linear from 0 to 1 over the warm-up (as DKD, Zhao
    et al. CVPR 2022, warms its KD loss up), then 1; ``epochs_done`` counts the current batch."""
    if warmup_epochs <= 0:
        return 1.0
    return min(1.0, epochs_done / warmup_epochs)
