"""Few labels, many images: the labelled part of a training split, the unlabelled pool,
and the endless stream of unlabelled batches stage 2 draws beside the labelled ones.

Teachers train on the labelled part only; the student learns from it (task loss plus
distillation) and from the unlabelled pool (distillation only), which is where a teacher's
knowledge of the images is worth most.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from distill.core.colour import constant_split
from distill.core.config import RunConfig
from distill.core.engine.batches import TrainBatches
from distill.core.engine.streams import stream_seed
from distill.core.errors import ConfigError
from distill.core.interfaces import SplitArrays
from distill.core.registry import Registry

if TYPE_CHECKING:
    from distill.core.engine.distillation import DistillerSuite
    from distill.core.engine.teacher_stage import StageContext


def labelled_subset(
    train: SplitArrays, fraction: float, seed: int
) -> tuple[SplitArrays, SplitArrays | None]:
    """(labelled, unlabelled) parts of ``train``: a seeded ``fraction`` of each group of
    images with the same foreground classes present (stratified, so a rare class keeps
    examples), at least one image in all."""
    if fraction >= 1:
        return train, None
    rng = np.random.default_rng(stream_seed(seed, "labelled"))
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, mask in enumerate(train.masks):
        present = tuple(int(c) for c in np.unique(mask) if 0 < c < 255)
        groups.setdefault(present, []).append(i)
    keep: list[int] = []
    for members in groups.values():
        order = rng.permutation(members)
        keep += [int(i) for i in order[: int(round(fraction * len(members)))]]
    if not keep:
        keep = [int(rng.integers(len(train)))]
    chosen = np.zeros(len(train), bool)
    chosen[keep] = True
    return _take(train, chosen), _take(train, ~chosen) if (~chosen).any() else None


def _take(arrays: SplitArrays, rows: np.ndarray) -> SplitArrays:
    ids = [i for i, keep in zip(arrays.ids, rows, strict=True) if keep]
    return SplitArrays(arrays.images[rows], arrays.masks[rows], ids)


def unlabelled_pool(parts: list[SplitArrays], in_channels: int) -> SplitArrays | None:
    """The unlabelled images of every source as one split (masks all zero, never read)."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return None
    for part in parts:
        if part.images.shape[-1] != in_channels:
            raise ConfigError(
                f"data.unlabeled: images have {part.images.shape[-1]} channels, "
                f"the labelled data {in_channels}"
            )
    images = np.concatenate([np.asarray(p.images) for p in parts])
    ids = [f"unlabelled:{i}" for p in parts for i in p.ids]
    return SplitArrays(images, np.zeros(images.shape[:3], np.uint8), ids)


class EndlessBatches:
    """Unlabelled batches on demand, epoch after epoch of their own, resumable exactly:
    the state is the underlying batches' streams plus the position in their epoch."""

    def __init__(self, batches: TrainBatches) -> None:
        self.batches = batches
        self.position = 0
        self._iterator: Iterator[tuple[Tensor, Tensor]] | None = None

    def next(self) -> Tensor:
        if self._iterator is None:
            self._iterator = self.batches.epoch(self.position)
        try:
            images, _ = next(self._iterator)
        except StopIteration:
            self.position, self._iterator = 0, self.batches.epoch(0)
            images, _ = next(self._iterator)
        self.position += 1
        return images

    def state_dict(self) -> dict[str, object]:
        return {"batches": self.batches.state_dict(), "position": self.position}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.batches.load_state_dict(state["batches"])  # type: ignore[arg-type]
        self.position, self._iterator = int(state["position"]), None  # type: ignore[arg-type]


def strong_view(images: Tensor, generator: torch.Generator, strength: float = 0.5) -> Tensor:
    """A photometrically harder copy of normalised images, same geometry (so the teacher's
    pixel labels on the weak view still fit): per-image contrast and brightness jitter and
    Gaussian noise, drawn from ``generator``."""
    b = images.shape[0]

    def draw(*shape: int) -> Tensor:
        return torch.randn(*shape, generator=generator).to(images.device, images.dtype)

    contrast = 1 + strength * 0.5 * draw(b, 1, 1, 1).clamp(-2, 2)
    brightness = strength * 0.5 * draw(b, 1, 1, 1).clamp(-2, 2)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    noise = strength * 0.2 * draw(*images.shape)
    return (images - mean) * contrast + mean + brightness + noise


def unlabelled_images(cfg: RunConfig, reg: Registry, size: tuple[int, int]):
    """The training images of ``data.unlabeled``, if the config names a dataset."""
    if cfg.data.unlabeled is None:
        return None
    source = reg.get("dataset", cfg.data.unlabeled.name).build(cfg.data.unlabeled.params)
    return constant_split(source.load("train", size), cfg.data.colour_constancy)


def unlabelled_batches(
    cfg: RunConfig, suite: DistillerSuite, ctx: StageContext
) -> EndlessBatches | None:
    """Batches of the unlabelled pool for the distillers that can learn from them; the
    run says which distillers see labelled batches only."""
    pool = ctx.splits.get("unlabelled")
    if pool is None or cfg.train.unlabeled_ratio == 0:
        return None
    learners = suite.target_free
    if not learners:
        ctx.progress.note(
            f"{len(pool)} unlabelled images unused: no distiller learns without "
            "masks (add kd, mpd, dual or pseudo)"
        )
        return None
    skipped = [n for n in suite.names if n not in learners]
    if skipped:
        ctx.progress.note(f"{', '.join(skipped)}: labelled batches only (needs the masks)")
    size = max(1, round(cfg.train.batch_size * cfg.train.unlabeled_ratio))
    seed = stream_seed(cfg.seed, "unlabelled")
    ctx.progress.note(f"{len(pool)} unlabelled images, {size} a step, for {', '.join(learners)}")
    return EndlessBatches(TrainBatches(pool, size, cfg.data.augment, seed))
