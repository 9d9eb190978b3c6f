"""Batches from the decoded cache: uint8 arrays moved to the device once, augmented there.

Shuffling uses a dedicated generator whose state goes into checkpoints, so a resumed run
sees the same batches as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from distill.core.config import AugmentParams
from distill.core.interfaces import Dataset, SplitArrays


class DeviceSplit:
    """One split as uint8 tensors (images NCHW, masks NHW), on the device when it fits."""

    def __init__(
        self, arrays: SplitArrays, dataset: Dataset, device: torch.device, on_device: bool = True
    ) -> None:
        self.ids = list(arrays.ids)
        self.device = device
        store = device if on_device else torch.device("cpu")
        self.images = torch.from_numpy(arrays.images).permute(0, 3, 1, 2).contiguous().to(store)
        self.masks = torch.from_numpy(arrays.masks).to(store)
        if store.type == "cpu" and device.type == "cuda":
            self.images, self.masks = self.images.pin_memory(), self.masks.pin_memory()
        self.mean = torch.tensor(dataset.mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(dataset.std, device=device).view(1, -1, 1, 1)
        # plain floats for BatchAugment, which folds the normalisation into its colour pass
        self.stats = (tuple(map(float, dataset.mean)), tuple(map(float, dataset.std)))

    def __len__(self) -> int:
        return len(self.ids)

    def normalise(self, images01: Tensor) -> Tensor:
        return (images01 - self.mean) / self.std

    def raw(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """Images and masks as stored (uint8), on the device; ``index_select`` gathers far
        faster than advanced indexing on a CPU."""
        index = index.to(self.images.device)
        images = self.images.index_select(0, index).to(self.device, non_blocking=True)
        return images, self.masks.index_select(0, index).to(self.device, non_blocking=True)

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """Images as floats in [0, 1] and masks as int64, on the device."""
        images, masks = self.raw(index)
        return images.float().div_(255), masks.long()


class TrainBatches:
    """Shuffled, augmented training batches; ``steps`` per epoch, last partial batch dropped
    when the split is larger than one batch."""

    def __init__(
        self,
        split: DeviceSplit,
        batch_size: int,
        augment: AugmentParams,
        seed: int,
        steps_per_epoch: int | None = None,
    ) -> None:
        self.split = split
        self.batch_size = min(batch_size, len(split))
        full = max(1, len(split) // self.batch_size)
        self.steps = min(full, steps_per_epoch) if steps_per_epoch else full
        self.generator = torch.Generator().manual_seed(seed)
        self.augment = build_augment(augment).to(split.device) if augment.enabled else None

    def epoch(self, start: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """One epoch's batches from step ``start`` on (earlier ones are not even drawn, so
        the augmentation RNG continues exactly where an interrupted run stopped)."""
        order = torch.randperm(len(self.split), generator=self.generator)
        for step in range(start, self.steps):
            index = order[step * self.batch_size : (step + 1) * self.batch_size]
            if self.augment is None:
                images, masks = self.split.batch(index)
                yield self.split.normalise(images), masks
            else:  # uint8 in; scaling and normalisation happen inside the colour pass
                mean, std = self.split.stats
                yield self.augment(*self.split.raw(index), mean=mean, std=std)


def build_augment(params: AugmentParams) -> torch.nn.Module:
    from distill.plugins.datasets.augment import BatchAugment

    return BatchAugment(params)
