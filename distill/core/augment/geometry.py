"""The geometry of batched augmentation: per-sample affine maps and their sampling grid."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from distill.core.augment.scale import wide_zoom
from distill.core.config import AugmentParams


def affine_matrices(
    p: AugmentParams, batch: int, size: tuple[int, int], gen: torch.Generator
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per sample: horizontal flip, vertical flip (bool), whether it is warped (the affine
    jitter or the wide zoom, bool), and its (B, 2, 3) pixel-space matrix from the flipped
    source to the output (rotation and zoom about the centre, then shift); float32 on the
    CPU. The wide zoom draws after everything else, so with ``zoom_p`` 0 the draws are the
    same as without it."""
    h, w = size

    def uniform(lo: float, hi: float) -> Tensor:
        return lo + (hi - lo) * torch.rand(batch, generator=gen)

    hflip = torch.rand(batch, generator=gen) < p.hflip
    vflip = torch.rand(batch, generator=gen) < p.vflip
    use_affine = torch.rand(batch, generator=gen) < p.affine_p
    angle = torch.where(use_affine, uniform(-p.rotate, p.rotate), 0.0) * (math.pi / 180)
    scale = torch.where(use_affine, uniform(*p.scale), 1.0)
    tx = torch.where(use_affine, uniform(-p.translate, p.translate) * w, 0.0)
    ty = torch.where(use_affine, uniform(-p.translate, p.translate) * h, 0.0)
    if p.zoom_p > 0:
        zoomed, factor, place = wide_zoom(p, batch, gen)
        scale, tx, ty = scale * factor, tx + place[:, 0] * w, ty + place[:, 1] * h
        use_affine = use_affine | zoomed
    cx, cy = (w - 1) / 2, (h - 1) / 2
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    # x' = R S (x - c) + c + t
    m = torch.zeros(batch, 2, 3)
    m[:, 0, 0], m[:, 0, 1] = cos, -sin
    m[:, 1, 0], m[:, 1, 1] = sin, cos
    m[:, 0, 2] = cx + tx - (m[:, 0, 0] * cx + m[:, 0, 1] * cy)
    m[:, 1, 2] = cy + ty - (m[:, 1, 0] * cx + m[:, 1, 1] * cy)
    return hflip, vflip, use_affine, m


def sampling_grid(
    matrices: Tensor,
    size: tuple[int, int],
    hflip: Tensor | None = None,
    vflip: Tensor | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """(B, H, W, 2) grid_sample coordinates (align_corners=True) on ``device``: each output
    pixel looks up the source pixel that ``matrices`` (pixel space, source to output) sends
    there, after the optional per-sample flips of the source (bool (B,)). The inverse map is
    folded into 6 coefficients per sample on the CPU; x and y are built as planes (B, 2, H, W)
    and returned as a permuted view, which grid_sample reads faster than interleaved pairs."""
    h, w = size
    b = matrices.shape[0]
    m = matrices.double().cpu()
    a, b_, tx = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    c, d, ty = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    det = a * d - b_ * c
    inverse = torch.stack([d, -b_, -c, a], 1).view(b, 2, 2) / det.view(b, 1, 1)
    # source pixel = inverse @ (output pixel - t); normalised = pixel * 2 / (n - 1) - 1,
    # negated for a flipped axis
    to_unit = torch.tensor([2 / max(w - 1, 1), 2 / max(h - 1, 1)], dtype=torch.float64)
    sign = torch.ones(b, 2, dtype=torch.float64)
    if hflip is not None:
        sign[:, 0] = torch.where(hflip.cpu(), -1.0, 1.0)
    if vflip is not None:
        sign[:, 1] = torch.where(vflip.cpu(), -1.0, 1.0)
    shift = (inverse @ torch.stack([tx, ty], 1)[:, :, None])[:, :, 0]
    coeffs = torch.stack([inverse[:, :, 0], inverse[:, :, 1], -shift], 2) * to_unit.view(1, 2, 1)
    coeffs[:, :, 2] -= 1
    coeffs = (coeffs * sign[:, :, None]).float().to(device or matrices.device)  # (B, 2, 3)
    dev = coeffs.device
    xs = torch.arange(w, dtype=torch.float32, device=dev).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=dev).view(1, h, 1)
    grid = torch.empty(b, 2, h, w, device=dev)
    for k in range(2):  # plane k = coeffs[k, 0] * x + coeffs[k, 1] * y + coeffs[k, 2]
        row = coeffs[:, k, 0].view(b, 1, 1) * xs + coeffs[:, k, 2].view(b, 1, 1)
        torch.addcmul(row, coeffs[:, k, 1].view(b, 1, 1), ys, out=grid[:, k])
    return grid.permute(0, 2, 3, 1)
