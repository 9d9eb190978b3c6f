"""A stage's checkpoints: the best weights (what is tested) and the resume state.

Best weights are kept in memory until the next resume state is written, so that the two
files on disk always agree: a run resumed from ``last.pt`` finds the best it had then.
Neither is ever written with a non-finite weight, and a stage never claims a best
checkpoint that was not written.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from distill.core.engine.checkpoint import save_atomic
from distill.core.errors import DistillError
from distill.core.run import ModelFiles


class NonFiniteWeightsError(DistillError):
    """An update left NaN or infinite weights; nothing was written from them."""


def non_finite(module: nn.Module) -> list[str]:
    """Names of parameters and buffers holding NaN or infinity."""
    tensors = {**dict(module.named_parameters()), **dict(module.named_buffers())}
    return [
        name
        for name, t in tensors.items()
        if t.is_floating_point() and not bool(torch.isfinite(t).all())
    ]


class Checkpointer:
    """Writes one stage's ``best`` and ``last`` files (only on rank 0)."""

    def __init__(self, stage: str, files: ModelFiles, *, main: bool, resume_state: bool):
        self.stage = stage
        self.files = files
        self.main = main
        self.resume_state = resume_state
        self._pending: dict[str, Any] | None = None
        self.best_written = files.best.is_file()

    def check_finite(self, modules: dict[str, nn.Module], where: str) -> None:
        for label, module in modules.items():
            bad = non_finite(module)
            if bad:
                raise NonFiniteWeightsError(
                    f"{self.stage}: {label} weights are not finite {where} ({', '.join(bad[:3])}"
                    f"{', ...' if len(bad) > 3 else ''}); stopped, {self.kept()}. Lower the learning "
                    "rate or the distillation weights, or set train.grad_clip."
                )

    def kept(self) -> str:
        if self.best_written:
            return f"the last good checkpoint is {self.files.best}"
        return "no good checkpoint was written"

    def offer_best(self, modules: dict[str, nn.Module], epoch: int, score: float, copy: bool):
        """Keep the weights as the new best; ``copy`` detaches them (on the CPU) from the
        weights that go on training, for a write that waits until the next checkpoint."""
        if not self.main:
            return
        self.check_finite(modules, f"at the best epoch {epoch + 1}")
        blob: dict[str, Any] = {label: _state(m, copy) for label, m in modules.items()}
        self._pending = {**blob, "epoch": epoch, "score": score}

    def flush_best(self) -> None:
        if self._pending is not None and self.main:
            save_atomic(self._pending, self.files.best)
            self.best_written = True
        self._pending = None

    def write_last(self, blob: dict[str, Any], modules: dict[str, nn.Module]) -> None:
        """The resume state, after the pending best (the two must agree)."""
        self.flush_best()
        if not (self.main and self.resume_state):
            return
        self.check_finite(modules, "in the resume state")
        save_atomic(blob, self.files.last)


def _state(module: nn.Module, copy: bool) -> dict[str, Tensor]:
    weights = module.state_dict()
    if not copy:
        return weights
    return {k: v.detach().to("cpu", copy=True) for k, v in weights.items()}
