"""Optics of a dermoscope: vignetting and the dark rim that blacks out the corners.

Both darken the image towards its border and never touch the mask. A model trained only on
evenly lit, full-frame images reads dark corners as lesion; these passes teach it they are
not. Both are per-pixel gains, so they work on images in any range.
"""

from __future__ import annotations

import torch
from torch import Tensor

from distill.core.augment.draws import Draws, pick
from distill.core.augment.shapes import Frame, inside, on_chosen, per_sample, radius
from distill.core.config import AugmentParams


def draw_optics(x: Tensor, gen: torch.Generator, p: AugmentParams) -> Tensor:
    """Vignetting, then the rim; each only when its probability is above 0."""
    if p.vignette_p == 0 and p.rim_p == 0:
        return x
    frame = Frame.of(x)
    if p.vignette_p > 0:
        x = vignette(x, Draws(gen, x.shape[0]), p, frame)
    if p.rim_p > 0:
        x = rim(x, Draws(gen, x.shape[0]), p, frame)
    return x


def vignette(x: Tensor, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """Light falling off with the distance from a slightly off-centre point:
    ``1 - strength * (r / r_corner) ** power``, at most ``p.vignette`` dark in the corners."""
    chosen, strength = d.chance(p.vignette_p), d.uniform(0.3, 1.0) * p.vignette
    cy, cx, power = d.symmetric(0.15), d.symmetric(0.15), d.uniform(1.5, 3.0)
    corner = (frame.half_h**2 + frame.half_w**2) ** 0.5

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        r = radius(frame, pick(cy, idx, sub), pick(cx, idx, sub)) / corner
        fall = (r.clamp(max=1) ** per_sample(pick(power, idx, sub))) * per_sample(
            pick(strength, idx, sub)
        )
        return sub * (1 - fall)[:, None]

    return on_chosen(x, chosen, draw)


def rim(x: Tensor, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """A dark circle outside a round aperture; reaching in up to ``p.rim`` of the
    half-diagonal, it blacks out the corners and, further in, the sides."""
    chosen, reach = d.chance(p.rim_p), d.uniform(0.3, 1.0) * p.rim
    cy, cx = d.symmetric(0.1), d.symmetric(0.1)
    soft, level = d.uniform(0.01, 0.06), d.uniform(0.0, 0.12)
    corner = (frame.half_h**2 + frame.half_w**2) ** 0.5

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        dist = radius(frame, pick(cy, idx, sub), pick(cx, idx, sub))
        aperture = corner * (1 - pick(reach, idx, sub))
        ramp = pick(soft, idx, sub).clamp(min=frame.pixel)
        floor = per_sample(pick(level, idx, sub))
        gain = floor + (1 - floor) * inside(dist, aperture, ramp)
        return sub * gain[:, None]

    return on_chosen(x, chosen, draw)
