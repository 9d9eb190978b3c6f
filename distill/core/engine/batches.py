"""Batches from the decoded cache: uint8 arrays moved to the device once, augmented there.

Shuffling and augmentation draw from the batches' own generators, whose states go into
checkpoints, so a resumed run sees the same batches as an uninterrupted one and nothing
else in the process can change them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

from distill.core.augment import BatchAugment
from distill.core.config import AugmentParams
from distill.core.engine.streams import stream
from distill.core.interfaces import Dataset, SplitArrays


class DeviceSplit:
    """One split as uint8 tensors (images NCHW, masks NHW), on the device when it fits."""

    def __init__(
        self,
        arrays: SplitArrays,
        dataset: Dataset,
        device: torch.device,
        on_device: bool = True,
        stats: tuple[Sequence[float], Sequence[float]] | None = None,
    ) -> None:
        """``stats`` (mean, std) normalise instead of the dataset's own: a trained model is
        scored on other data with the statistics it was trained with."""
        self.ids = list(arrays.ids)
        self.device = device
        store = device if on_device else torch.device("cpu")
        self.images = torch.from_numpy(arrays.images).permute(0, 3, 1, 2).contiguous().to(store)
        self.masks = torch.from_numpy(arrays.masks).to(store)
        if store.type == "cpu" and device.type == "cuda":
            self.images, self.masks = self.images.pin_memory(), self.masks.pin_memory()
        mean, std = stats or (dataset.mean, dataset.std)
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1)
        # plain floats for BatchAugment, which folds the normalisation into its colour pass
        self.stats = (tuple(map(float, mean)), tuple(map(float, std)))

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
        self.shuffle = stream(seed, "shuffle")
        self.augment_stream = stream(seed, "augment")
        self.augment = BatchAugment(augment).to(split.device) if augment.enabled else None
        self._epoch_start = self.shuffle.get_state()
        self._in_epoch = False

    def epoch(self, start: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """One epoch's batches from step ``start`` on (earlier ones are not even drawn, so
        the augmentation stream continues exactly where an interrupted run stopped)."""
        self._epoch_start, self._in_epoch = self.shuffle.get_state(), True
        order = torch.randperm(len(self.split), generator=self.shuffle)
        for step in range(start, self.steps):
            index = order[step * self.batch_size : (step + 1) * self.batch_size]
            if self.augment is None:
                images, masks = self.split.batch(index)
                yield self.split.normalise(images), masks
            else:  # uint8 in; scaling and normalisation happen inside the colour pass
                mean, std = self.split.stats
                raw = self.split.raw(index)
                yield self.augment(*raw, self.augment_stream, mean=mean, std=std)
        self._in_epoch = False

    def state_dict(self) -> dict[str, Tensor]:
        """Mid-epoch, the shuffle state the epoch started from (its order is drawn again on
        resume); between epochs, the state the next epoch starts from."""
        shuffle = self._epoch_start if self._in_epoch else self.shuffle.get_state()
        return {"shuffle": shuffle, "augment": self.augment_stream.get_state()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.shuffle.set_state(state["shuffle"])
        self.augment_stream.set_state(state["augment"])
