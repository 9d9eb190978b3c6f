"""Resizing maps to another map's size: the one helper every decoder and distiller needs.

Networks meet maps of different sizes everywhere: a skip one pixel off after pooling an odd
size, logits that must come back to the input size, a student map compared with a
teacher's. One function, bilinear with ``align_corners=False``, a no-op at equal size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor


def resize_to(x: Tensor, target: Tensor | Sequence[int]) -> Tensor:
    """``x`` (N, C, H, W) resized bilinearly to ``target``'s height and width: a tensor
    (its last two dims) or a size ``(H, W)``. Returned unchanged when it already fits."""
    size = tuple(target.shape[-2:] if isinstance(target, Tensor) else target)
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
