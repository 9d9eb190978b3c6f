"""Drawing on a batch, on its device: a shared frame, anti-aliased shapes, compositing.

Synthetic artefacts are drawn as analytic fields (a distance per pixel, turned into an
opacity), not rasterised on the CPU, so a whole batch is drawn with a few tensor ops where
it lives. Lengths are in frame units, where the shorter side spans 2, so an artefact looks
the same at 96x96 and 512x512; one pixel is ``2 / min(H, W)`` units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

GRAY = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class Frame:
    """Pixel-centre coordinates (1, H, W), centred, in frame units, and their extent."""

    ys: Tensor
    xs: Tensor
    half_h: float  # the frame spans [-half_h, half_h] vertically
    half_w: float
    pixel: float

    @classmethod
    def of(cls, x: Tensor) -> Frame:
        h, w = x.shape[-2:]
        unit = 2 / min(h, w)
        ys = (torch.arange(h, device=x.device, dtype=x.dtype) + 0.5 - h / 2) * unit
        xs = (torch.arange(w, device=x.device, dtype=x.dtype) + 0.5 - w / 2) * unit
        return cls(ys.view(1, h, 1), xs.view(1, 1, w), h * unit / 2, w * unit / 2, unit)

    def local(self, cy: Tensor, cx: Tensor, angle: Tensor) -> tuple[Tensor, Tensor]:
        """(along, across) coordinates (n, H, W) of each pixel in a frame rotated by
        ``angle`` about (``cy``, ``cx``), all (n,)."""
        dy, dx = self.ys - cy.view(-1, 1, 1), self.xs - cx.view(-1, 1, 1)
        cos, sin = torch.cos(angle).view(-1, 1, 1), torch.sin(angle).view(-1, 1, 1)
        return dx * cos + dy * sin, dy * cos - dx * sin


def per_sample(value: Tensor | float) -> Tensor | float:
    """(n,) values as (n, 1, 1), to broadcast over pixels; maps and floats as they are."""
    return value.view(-1, 1, 1) if isinstance(value, Tensor) and value.ndim == 1 else value


def stroke(distance: Tensor, half_width: Tensor, pixel: float) -> Tensor:
    """Opacity of a line ``half_width`` (n,) thick at ``distance`` (n, H, W): a one-pixel
    ramp at its edges, and lines thinner than a pixel as faint as their coverage, so thin
    hairs do not turn into one-pixel-wide black lines at low resolution."""
    hw = per_sample(half_width)
    edge = ((hw + pixel / 2 - distance) / pixel).clamp(0, 1)
    return edge * (2 * hw / pixel).clamp(max=1)


def inside(distance: Tensor, reach: Tensor | float, ramp: Tensor | float) -> Tensor:
    """Opacity of a filled region ``distance < reach`` whose edge fades over ``ramp``
    (one pixel for a sharp edge; more for a soft one)."""
    return ((per_sample(reach) - distance) / per_sample(ramp) + 0.5).clamp(0, 1)


def radius(frame: Frame, cy: Tensor, cx: Tensor) -> Tensor:
    """Distance (n, H, W) of each pixel from the centres (``cy``, ``cx``), (n,)."""
    return torch.hypot(frame.ys - per_sample(cy), frame.xs - per_sample(cx))


def combine(alphas: list[Tensor]) -> Tensor:
    """Opacity of layers laid over each other: ``1 - prod(1 - a)``."""
    clear = torch.ones_like(alphas[0])
    for a in alphas:
        clear = clear * (1 - a)
    return 1 - clear


def paint(x: Tensor, alpha: Tensor, colour: Tensor, unit: float) -> Tensor:
    """Lay ``colour`` (n, 3) RGB in [0, 1] over images ``x`` (n, C, H, W) in [0, ``unit``]
    with opacity ``alpha`` (n, H, W); images of other channel counts get its gray value."""
    c = x.shape[1]
    colour = colour.to(x.device, x.dtype)
    if c != 3:
        colour = (colour @ torch.tensor(GRAY, device=x.device, dtype=x.dtype))[:, None]
        colour = colour.expand(-1, c)
    a = alpha[:, None]
    return x * (1 - a) + (colour * unit).view(-1, c, 1, 1) * a


def on_chosen(x: Tensor, chosen: Tensor, draw: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
    """``draw(images, index)`` on the chosen samples only (``index`` on the CPU, to pick
    their parameters), the rest passed through; a new tensor, ``x`` is left untouched."""
    index = chosen.nonzero()[:, 0]
    if index.numel() == 0:
        return x
    device_index = index.to(x.device)
    return x.index_copy(0, device_index, draw(x.index_select(0, device_index), index))
