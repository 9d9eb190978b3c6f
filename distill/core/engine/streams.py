"""A run's own random streams: nothing in a training run draws from torch's global one.

Shuffling and augmentation take explicit generators. Dropout and drop-path have no
generator argument in torch, so a stage keeps the state they draw from in a
:class:`ModuleStream` and swaps it into torch's generator only for the span of a step.
Other code in the process (a notebook cell, a report thread between steps, a model built
for a table) can draw from the global stream freely: the run's numbers do not move. What
cannot be shielded is another thread drawing at the very moment the run builds its models
(``nn.init`` knows only the global generator) or runs a step of a model with dropout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor


def stream_seed(seed: int, purpose: str) -> int:
    """A seed for one purpose ("shuffle", "augment", "dropout", "build:student", ...), so
    streams of one run never overlap and adding a stream leaves the others unchanged."""
    digest = hashlib.blake2b(f"{seed}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


def stream(seed: int, purpose: str) -> torch.Generator:
    return torch.Generator().manual_seed(stream_seed(seed, purpose))


@contextmanager
def seeded(seed: int, purpose: str) -> Iterator[None]:
    """Code that can only use torch's global generator (building a model: ``nn.init``) runs
    from its own seed and leaves the global stream as it found it."""
    with torch.random.fork_rng(devices=_cuda_devices()):
        torch.manual_seed(stream_seed(seed, purpose))
        yield


class ModuleStream:
    """The stream a stage's dropout draws from, swapped in for each step."""

    def __init__(self, seed: int, purpose: str, device: torch.device) -> None:
        self.device = device
        start = stream_seed(seed, purpose)
        self.cpu = torch.Generator().manual_seed(start).get_state()  # torch's own format
        self.cuda = (
            torch.Generator(device=device).manual_seed(start).get_state()
            if device.type == "cuda"
            else None
        )

    @contextmanager
    def active(self) -> Iterator[None]:
        outside_cpu = torch.get_rng_state()
        outside_cuda = self._get_cuda()
        torch.set_rng_state(self.cpu)
        self._set_cuda(self.cuda)
        try:
            yield
        finally:
            self.cpu = torch.get_rng_state()
            self.cuda = self._get_cuda()
            torch.set_rng_state(outside_cpu)
            self._set_cuda(outside_cuda)

    def state_dict(self) -> dict[str, Tensor]:
        state = {"cpu": self.cpu}
        if self.cuda is not None:
            state["cuda"] = self.cuda
        return state

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.cpu = state["cpu"]
        if self.cuda is not None and "cuda" in state:
            self.cuda = state["cuda"]

    def _get_cuda(self) -> Tensor | None:
        return torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None

    def _set_cuda(self, state: Tensor | None) -> None:
        if state is not None:
            torch.cuda.set_rng_state(state, self.device)


def _cuda_devices() -> list[int]:
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
