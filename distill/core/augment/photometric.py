"""Camera differences: the illuminant, focus and compression.

* illuminant: images from other clinics differ mostly by the colour of their light, which
  acts as one gain per channel (von Kries; what shades-of-grey colour constancy estimates
  and undoes). The gains are normalised to keep the luma and folded into the colour pass's
  per-sample matrix, so they cost no pass over the pixels;
* blur: kornia's ``gaussian_blur2d`` with one sigma per image;
* JPEG: kornia's ``jpeg_codec_differentiable`` with one quality per image, the blocking and
  ringing of a compressed file.

kornia's augmentation *modules* draw from torch's global generator, so only its functional
ops are used, with parameters drawn from the run's own generator.
"""

from __future__ import annotations

import math

import torch
from kornia.enhance import jpeg_codec_differentiable
from kornia.filters import gaussian_blur2d
from torch import Tensor

from distill.core.augment.draws import Draws
from distill.core.augment.shapes import GRAY, on_chosen
from distill.core.config import AugmentParams


def illuminant_gains(batch: int, channels: int, gen: torch.Generator, p: AugmentParams) -> Tensor:
    """(B, C) per-channel gains on the CPU, 1 where not chosen: log-gains uniform within
    ``+- p.illuminant``, scaled so the luma of a gray pixel stays the same. Images with
    other than 3 channels have no illuminant colour: their gains stay 1."""
    d = Draws(gen, batch)
    chosen = d.chance(p.illuminant_p)
    gains = torch.exp(d.symmetric(p.illuminant, 3)) if channels == 3 else torch.ones(batch, 1)
    if channels == 3:
        gains = gains / (gains @ torch.tensor(GRAY))[:, None]
    return torch.where(chosen[:, None], gains, 1.0).expand(batch, channels)


def degrade(x: Tensor, unit: float, gen: torch.Generator, p: AugmentParams) -> Tensor:
    """Blur, then JPEG; each only when its probability is above 0."""
    if p.blur_p > 0:
        x = blur(x, Draws(gen, x.shape[0]), p)
    if p.jpeg_p > 0:
        x = jpeg(x, unit, Draws(gen, x.shape[0]), p)
    return x


def blur(x: Tensor, d: Draws, p: AugmentParams) -> Tensor:
    """Gaussian blur of sigma up to ``p.blur`` of the shorter side (at least 0.3 pixels)."""
    shorter = min(x.shape[-2:])
    chosen = d.chance(p.blur_p)
    sigma = (d.uniform(0.25, 1.0) * p.blur * shorter).clamp(min=0.3)
    kernel = 2 * math.ceil(3 * float(sigma.max())) + 1

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        s = sigma[idx].to(sub.device, torch.float32)
        out = gaussian_blur2d(sub, kernel, torch.stack([s, s], 1), border_type="reflect")
        return out.to(sub.dtype)

    return on_chosen(x, chosen, draw)


def jpeg(x: Tensor, unit: float, d: Draws, p: AugmentParams) -> Tensor:
    """JPEG encoding and decoding at a quality within ``p.jpeg``; images with other than
    3 channels are coded channel by channel as gray images."""
    chosen = d.chance(p.jpeg_p)
    quality = d.integers(*p.jpeg).float()

    def draw(sub: Tensor, idx: Tensor) -> Tensor:
        n, c, h, w = sub.shape
        q = quality[idx].to(sub.device)
        rgb = sub / unit if c == 3 else (sub / unit).reshape(n * c, 1, h, w).expand(-1, 3, -1, -1)
        coded = jpeg_codec_differentiable(rgb.clamp(0, 1), q if c == 3 else q.repeat_interleave(c))
        coded = coded if c == 3 else coded[:, :1].reshape(n, c, h, w)
        return (coded.clamp(0, 1) * unit).to(sub.dtype)

    return on_chosen(x, chosen, draw)
