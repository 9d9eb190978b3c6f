"""Does the ONNX file compute what the PyTorch model computes? Measured, not assumed.

Both runtimes get the same normalised batch (from the one preprocess); we record the
largest absolute logit difference and the share of pixels whose predicted class agrees.

Tolerances for fp32 (documented in docs/guides/export.md):

* logits: ``max |onnx - torch| <= 1e-4 * max(1, max |torch logits|)``. float32 carries
  about 7 digits, and onnxruntime's fused convolutions sum in another order than PyTorch,
  so differences scale with the logits' size; we measured up to 3e-6 at magnitude 2.4
  over all 18 built-in models, so the bound leaves a 30x margin without hiding a wrong
  operator (those differ by 1e-1 or more).
* labels: at least 99.9 % of pixels get the same class (only near-ties may flip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from distill.core.errors import DistillError

LOGIT_RTOL = 1e-4
MIN_AGREEMENT = 0.999
Logits = Callable[[np.ndarray], np.ndarray]


class ParityError(DistillError):
    """The exported model's outputs differ from PyTorch's beyond the tolerances."""


@dataclass(frozen=True)
class Parity:
    images: int
    size: tuple[int, int]
    max_abs_logit_diff: float
    logit_scale: float  # max |torch logits|
    pixel_agreement: float
    source: str  # "val split of isic2017-cc0", "random images", ...

    @property
    def tolerance(self) -> float:
        return LOGIT_RTOL * max(1.0, self.logit_scale)

    @property
    def ok(self) -> bool:
        return self.max_abs_logit_diff <= self.tolerance and self.pixel_agreement >= MIN_AGREEMENT

    def to_dict(self) -> dict:
        data = asdict(self)
        data["size"] = list(self.size)
        data.update(tolerance=self.tolerance, min_agreement=MIN_AGREEMENT, ok=self.ok)
        return data

    def describe(self) -> str:
        return (
            f"{self.images} {self.source} at {self.size[0]}x{self.size[1]}: max |logit diff| "
            f"{self.max_abs_logit_diff:.2e} (tolerance {self.tolerance:.1e}), "
            f"{100 * self.pixel_agreement:.3f}% of pixels agree (need {100 * MIN_AGREEMENT}%)"
        )


def measure(
    reference: Logits, candidate: Logits, x: np.ndarray, source: str, batch: int = 4
) -> Parity:
    """Compare two logit functions on normalised float32 (N, C, H, W) ``x``."""
    worst, scale, agree, total = 0.0, 0.0, 0, 0
    for start in range(0, len(x), batch):
        chunk = x[start : start + batch]
        ref, got = reference(chunk), candidate(chunk)
        if ref.shape != got.shape:
            raise ParityError(f"ONNX logits have shape {got.shape}, PyTorch's {ref.shape}")
        worst = max(worst, float(np.abs(ref - got).max()))
        scale = max(scale, float(np.abs(ref).max()))
        agree += int((ref.argmax(1) == got.argmax(1)).sum())
        total += ref.shape[0] * ref.shape[2] * ref.shape[3]
    size = (int(x.shape[2]), int(x.shape[3]))
    return Parity(len(x), size, worst, scale, agree / max(total, 1), source)


def require(parity: Parity, label: str) -> Parity:
    """``parity`` if within the tolerances; else a :class:`ParityError` saying by how much."""
    if not parity.ok:
        raise ParityError(
            f"{label}: ONNX export refused, outputs differ from PyTorch: {parity.describe()}"
        )
    return parity
