"""Wide zoom, folded into the affine map: small lesions by zooming out, random resized crops
by zooming in.

The training sample's lesions cover a band of sizes; images elsewhere hold far smaller and
larger ones. A zoom drawn log-uniformly (so halving and doubling are equally likely) over a
wide range, then placed anywhere it fits, covers that band without a second resampling:
it only changes each sample's scale and shift, so geometry stays one ``grid_sample``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from distill.core.config import AugmentParams


def wide_zoom(p: AugmentParams, batch: int, gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """Per sample: whether it is zoomed (bool), its zoom factor (1 where not) and its
    placement (B, 2) as (x, y) shifts in shares of the frame's width and height.

    The placement is uniform over the positions where a zoomed-out image stays inside the
    frame, or a zoomed-in crop stays inside the image: a shift of at most ``|z - 1| / 2``."""
    zoomed = torch.rand(batch, generator=gen) < p.zoom_p
    lo, hi = math.log(p.zoom[0]), math.log(p.zoom[1])
    factor = torch.exp(lo + (hi - lo) * torch.rand(batch, generator=gen))
    factor = torch.where(zoomed, factor, 1.0)
    reach = (factor - 1).abs() / 2
    place = (2 * torch.rand(batch, 2, generator=gen) - 1) * reach[:, None]
    return zoomed, factor, place
