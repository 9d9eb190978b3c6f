"""Random parameters of one augmentation pass, drawn on the CPU from the run's generator.

Every pass draws all of its parameters for the whole batch, chosen samples or not, so the
number of draws depends only on the batch size and the settings, never on which samples a
coin picked; the parameters then travel to the device with the samples that use them.
"""

from __future__ import annotations

import torch
from torch import Tensor


class Draws:
    """Per-sample draws, ``(batch,)`` or ``(batch, n)``, from one generator."""

    def __init__(self, gen: torch.Generator, batch: int) -> None:
        self.gen, self.batch = gen, batch

    def _shape(self, n: int | None) -> tuple[int, ...]:
        return (self.batch,) if n is None else (self.batch, n)

    def chance(self, p: float, n: int | None = None) -> Tensor:
        return torch.rand(self._shape(n), generator=self.gen) < p

    def uniform(self, lo: float, hi: float, n: int | None = None) -> Tensor:
        return lo + (hi - lo) * torch.rand(self._shape(n), generator=self.gen)

    def symmetric(self, reach: float, n: int | None = None) -> Tensor:
        return self.uniform(-reach, reach, n)

    def integers(self, lo: int, hi: int, n: int | None = None) -> Tensor:
        """Whole numbers in ``[lo, hi]``, both included."""
        return torch.randint(lo, hi + 1, self._shape(n), generator=self.gen)


def pick(values: Tensor, index: Tensor, like: Tensor) -> Tensor:
    """The chosen samples' parameters on the device and in the dtype of ``like``."""
    return values[index].to(like.device, like.dtype)
