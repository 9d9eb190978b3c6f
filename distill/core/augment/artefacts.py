"""Synthetic marks on the skin: hair, ruler ticks, ink circles, gel bubbles and glints.

Dermoscopy images outside a training sample often carry what its images lack (dense hair,
a ruler along an edge, a surgeon's ink circle, air bubbles in the gel), and a segmenter
that never saw them marks them as lesion. Each mark is drawn on the images only (the mask
is unchanged: a hair over a lesion is still lesion), with a probability and a strength in
``data.augment``; shapes are analytic fields from :mod:`~distill.core.augment.shapes`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from distill.core.augment.draws import Draws, pick
from distill.core.augment.shapes import (
    Frame,
    combine,
    inside,
    on_chosen,
    paint,
    per_sample,
    radius,
    stroke,
)
from distill.core.config import AugmentParams

HAIR = (0.11, 0.08, 0.06)  # dark brown; a per-image shade makes it black to light brown
INK = ((0.36, 0.18, 0.52), (0.14, 0.22, 0.55), (0.08, 0.08, 0.1), (0.16, 0.42, 0.26))
RULER_INK, RULER_BAND, GLINT = (0.07, 0.07, 0.08), (0.92, 0.92, 0.88), (1.0, 1.0, 1.0)
DOTS = 3  # ink dots beside an ink circle


def draw_marks(x: Tensor, unit: float, gen: torch.Generator, p: AugmentParams) -> Tensor:
    """Ink, then hair, then rulers, then bubbles (the order they lie on the skin), each
    pass only when its probability is above 0, so a disabled pass draws nothing."""
    if not any(v > 0 for v in (p.ink_p, p.hair_p, p.ruler_p, p.bubble_p)):
        return x
    frame = Frame.of(x)
    for prob, mark in ((p.ink_p, ink), (p.hair_p, hair), (p.ruler_p, ruler), (p.bubble_p, bubbles)):
        if prob > 0:
            x = mark(x, unit, Draws(gen, x.shape[0]), p, frame)
    return x


def hair(x: Tensor, unit: float, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """Up to ``p.hair`` strands: bent lines (a sine wave across a straight axis) of random
    length, width and opacity, one colour per image."""
    n = p.hair
    chosen, count = d.chance(p.hair_p), d.integers(1, n)
    cy, cx = d.symmetric(frame.half_h, n), d.symmetric(frame.half_w, n)
    angle, half_len = d.uniform(0, math.pi, n), d.uniform(0.3, 1.5, n)
    bend, freq, phase = d.uniform(0, 0.15, n), d.uniform(0.5, 3.0, n), d.uniform(0, 2 * math.pi, n)
    half_width = d.uniform(0.004, 0.01, n)
    opacity = d.uniform(0.6, 1.0, n) * (torch.arange(n) < count[:, None])
    colour = (torch.tensor(HAIR) * d.uniform(0.4, 2.5)[:, None]).clamp(max=1)

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        layers = []
        for k in range(n):
            along, across = frame.local(*(pick(v[:, k], idx, sub) for v in (cy, cx, angle)))
            a, f = per_sample(pick(bend[:, k], idx, sub)), per_sample(pick(freq[:, k], idx, sub))
            wave = f * along + per_sample(pick(phase[:, k], idx, sub))
            # distance to the curve, first-order: the offset over the curve's slope
            dist = (across - a * torch.sin(wave)).abs() / torch.sqrt(
                1 + (a * f * torch.cos(wave)) ** 2
            )
            alpha = stroke(dist, pick(half_width[:, k], idx, sub), frame.pixel)
            alpha = alpha * inside(along.abs(), pick(half_len[:, k], idx, sub), frame.pixel)
            layers.append(alpha * per_sample(pick(opacity[:, k], idx, sub)))
        return paint(sub, combine(layers), colour[idx], unit)

    return on_chosen(x, chosen, draw)


def ruler(x: Tensor, unit: float, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """A ruler along one edge (slightly tilted): a pale band, a base line and ticks, every
    fifth one long, at a millimetre-like period."""
    chosen, side = d.chance(p.ruler_p), d.integers(0, 3)
    offset, slide, tilt = d.uniform(0.04, 0.3), d.symmetric(0.5), d.symmetric(0.25)
    flip = torch.where(d.chance(0.5), -1.0, 1.0)
    period, half_width = d.uniform(0.035, 0.07), d.uniform(0.003, 0.007)
    tick, reach = d.uniform(0.03, 0.06), d.uniform(0.6, 2.0)
    band, opacity = d.uniform(0.0, 0.6), d.uniform(0.5, 1.0) * p.ruler
    edge = torch.where(side % 2 == 0, -1.0, 1.0)  # sides 0/2: top/left, 1/3: bottom/right
    along_x = side < 2  # top or bottom: the ruler runs along x
    cy = torch.where(along_x, edge * (frame.half_h - offset), slide * frame.half_h)
    cx = torch.where(along_x, slide * frame.half_w, edge * (frame.half_w - offset))
    angle = torch.where(along_x, 0.0, math.pi / 2) + tilt

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        along, across = frame.local(pick(cy, idx, sub), pick(cx, idx, sub), pick(angle, idx, sub))
        v = across * per_sample(pick(flip, idx, sub))
        step, length = per_sample(pick(period, idx, sub)), per_sample(pick(tick, idx, sub))
        k = torch.round(along / step)
        length = length * (1 + (torch.remainder(k, 5) == 0).to(sub.dtype))
        hw = pick(half_width, idx, sub)
        ticks = stroke((along - k * step).abs(), hw, frame.pixel) * inside(
            (v - length / 2).abs(), length / 2, frame.pixel
        )
        marks = torch.maximum(ticks, stroke(v.abs(), hw, frame.pixel))
        extent = inside(along.abs(), pick(reach, idx, sub), frame.pixel)
        tape = inside((v - length).abs(), 1.4 * length, frame.pixel) * extent
        sub = paint(sub, tape * per_sample(pick(band, idx, sub)), _colours(RULER_BAND, idx), unit)
        alpha = marks * extent * per_sample(pick(opacity, idx, sub))
        return paint(sub, alpha, _colours(RULER_INK, idx), unit)

    return on_chosen(x, chosen, draw)


def ink(x: Tensor, unit: float, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """A marker's ink: an elliptical circle (often an open arc) round part of the image,
    and a few dots beside it, in one of four marker colours."""
    chosen = d.chance(p.ink_p)
    cy, cx = d.symmetric(0.6 * frame.half_h), d.symmetric(0.6 * frame.half_w)
    size, aspect, angle = d.uniform(0.25, 0.8), d.uniform(0.75, 1.33), d.uniform(0, math.pi)
    half_width, start, arc = d.uniform(0.006, 0.018), d.uniform(0, 2 * math.pi), d.uniform(0.55, 1)
    dot_on, dot_r = d.chance(0.5, DOTS), d.uniform(0.008, 0.025, DOTS)
    dot_y, dot_x = d.symmetric(frame.half_h, DOTS), d.symmetric(frame.half_w, DOTS)
    colour = torch.tensor(INK)[d.integers(0, len(INK) - 1)]
    opacity = d.uniform(0.5, 1.0) * p.ink

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        along, across = frame.local(pick(cy, idx, sub), pick(cx, idx, sub), pick(angle, idx, sub))
        a = per_sample(pick(aspect, idx, sub))
        ring = stroke(
            (torch.hypot(along / a, across * a) - per_sample(pick(size, idx, sub))).abs(),
            pick(half_width, idx, sub),
            frame.pixel,
        )
        theta = torch.atan2(across, along) - per_sample(pick(start, idx, sub))
        ring = ring * (torch.cos(theta) >= torch.cos(math.pi * per_sample(pick(arc, idx, sub))))
        dots = [
            inside(
                radius(frame, pick(dot_y[:, k], idx, sub), pick(dot_x[:, k], idx, sub)),
                pick(dot_r[:, k], idx, sub),
                frame.pixel,
            )
            * per_sample(pick(dot_on[:, k], idx, sub))
            for k in range(DOTS)
        ]
        alpha = combine([ring, *dots]) * per_sample(pick(opacity, idx, sub))
        return paint(sub, alpha, colour[idx], unit)

    return on_chosen(x, chosen, draw)


def bubbles(x: Tensor, unit: float, d: Draws, p: AugmentParams, frame: Frame) -> Tensor:
    """Up to ``p.bubble`` gel bubbles (a bright rim round a faintly bright disc) and
    specular glints (small bright blurred spots), half of each on average."""
    n = p.bubble
    chosen, count = d.chance(p.bubble_p), d.integers(1, n)
    cy, cx = d.symmetric(frame.half_h, n), d.symmetric(frame.half_w, n)
    size, is_bubble = d.uniform(0.01, 0.07, n), d.chance(0.5, n)
    opacity = d.uniform(0.3, 0.8, n) * (torch.arange(n) < count[:, None])

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        layers = []
        for k in range(n):
            r = pick(size[:, k], idx, sub)
            dist = radius(frame, pick(cy[:, k], idx, sub), pick(cx[:, k], idx, sub))
            rim = stroke(
                (dist - per_sample(r)).abs(), (0.12 * r).clamp(min=frame.pixel / 2), frame.pixel
            )
            bubble = 0.8 * rim + 0.12 * inside(dist, r, frame.pixel)
            glint = torch.exp(-0.5 * (dist / per_sample(0.4 * r)) ** 2)
            shape = torch.where(per_sample(pick(is_bubble[:, k], idx, sub)) > 0, bubble, glint)
            layers.append(shape * per_sample(pick(opacity[:, k], idx, sub)))
        return paint(sub, combine(layers), _colours(GLINT, idx), unit)

    return on_chosen(x, chosen, draw)


def _colours(rgb: tuple[float, float, float], idx: Tensor) -> Tensor:
    return torch.tensor(rgb).expand(idx.numel(), 3)
