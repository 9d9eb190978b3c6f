"""Data-parallel training under ``torchrun``: ranks, sharding, gradient and metric reduction.

Every rank draws the same global batch (same seeds), augments it identically and trains on
its contiguous share, so K processes see exactly the batches one process would. The student
is wrapped in DistributedDataParallel (SyncBatchNorm on GPU; CPU BatchNorm stays per rank),
connectors' gradients are averaged by hand, frozen teachers are never wrapped, and only
rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> Distributed:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
        return cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, batch: Tensor) -> Tensor:
        """This rank's contiguous part of a global batch."""
        return batch.tensor_split(self.world)[self.rank] if self.active else batch

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        if not self.active:
            return model
        if device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            return nn.parallel.DistributedDataParallel(model, device_ids=[device.index])
        return nn.parallel.DistributedDataParallel(model)

    def average_gradients(self, params: list[nn.Parameter]) -> None:
        if self.active:
            for p in params:
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad /= self.world

    def mean(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        if not self.active or not values:
            return values
        keys = sorted(values)
        stacked = torch.stack([values[k].float() for k in keys])
        dist.all_reduce(stacked)
        return {k: v / self.world for k, v in zip(keys, stacked, strict=True)}

    def gather(self, obj: Any) -> list[Any]:
        if not self.active:
            return [obj]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def shutdown() -> None:
    """End torchrun's process group once every rank is done. A rank that exits with the
    group still open can abort in gloo's threads at interpreter exit ("terminate called
    without an active exception", seen under load) and torchrun then kills the others."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
