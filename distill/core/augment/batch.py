"""On-device, batched augmentation, identical for an image and its mask.

The engine keeps the decoded training set as uint8 tensors on the device and augments whole
batches there, which removes the CPU decode/augment bottleneck of a conventional
DataLoader. Every pass over the pixels costs, so the work is fused:

* geometry: each sample's flips, rotation, zoom and shift form ONE affine map, so the whole
  batch goes through a single ``grid_sample`` per tensor (bilinear for images, nearest for
  masks, so class ids never blend), from one grid;
* colour jitter, the uint8 -> [0, 1] scaling and the mean/std normalisation are one
  per-sample matrix plus offset, applied in one batched multiply-add; colour follows
  torchvision's brightness, contrast and saturation maths, and hue is a rotation of the YIQ
  chroma plane (close to an HSV hue shift for the small shifts used), which avoids the HSV
  round trip that costs more than everything else on a CPU;
* elastic jitter (optional) uses kornia's ``elastic_transform2d`` with one displacement field
  shared by image and mask;
* robustness passes (optional, off by default; issue #24): the wide zoom is part of the
  affine map (:mod:`.scale`, with ``padding`` for the uncovered frame); then, on the images
  only, marks on the skin (:mod:`.artefacts`), dermoscope optics (:mod:`.optics`), blur and
  JPEG (:mod:`.photometric`), each on its chosen samples only; an illuminant change is
  per-channel gains folded into the colour matrix below.

Random parameters are drawn on the CPU from the ``generator`` the caller owns (the training
batches' own stream, saved in the resume state), never from torch's global RNG: other code
in the process cannot shift a run's augmentation, and a seed gives the same augmentation on
CPU and CUDA.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from kornia.geometry.transform import elastic_transform2d
from torch import Tensor, nn

from distill.core.augment.artefacts import draw_marks
from distill.core.augment.geometry import affine_matrices, sampling_grid
from distill.core.augment.optics import draw_optics
from distill.core.augment.photometric import degrade, illuminant_gains
from distill.core.augment.shapes import GRAY
from distill.core.config import AugmentParams

RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))
# disabled augmentation still converts and normalises; these parameters draw nothing: every
# pass at probability 0, including any on by default
NOTHING = AugmentParams(
    enabled=False,
    hflip=0,
    vflip=0,
    **{name: 0.0 for name in AugmentParams.model_fields if name.endswith("_p")},
)


class BatchAugment(nn.Module):
    """Flips, affine (rotation, zoom, shift), optional elastic jitter and colour jitter;
    optionally a wide zoom, synthetic artefacts, optics, blur, JPEG and illuminant changes."""

    def __init__(self, params: AugmentParams | None = None) -> None:
        super().__init__()
        self.params = params or AugmentParams()

    def forward(
        self,
        images: Tensor,
        masks: Tensor,
        generator: torch.Generator,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``images`` (B, C, H, W), float in [0, 1] or uint8 in [0, 255] (any strides, e.g. a
        permuted NHWC cache), ``masks`` integer (B, H, W). Returns float images in [0, 1], or
        ``(x - mean) / std`` per channel when ``mean`` and ``std`` are given, and long masks."""
        if (
            images.ndim != 4
            or masks.ndim != 3
            or images.shape[0] != masks.shape[0]
            or images.shape[-2:] != masks.shape[-2:]
        ):
            raise ValueError(
                f"BatchAugment expects images (B, C, H, W) and masks (B, H, W) of one size; "
                f"got {tuple(images.shape)} and {tuple(masks.shape)}"
            )
        scale = 1.0 if images.is_floating_point() else 1 / 255
        plain = mean is None and std is None and scale == 1.0 and masks.dtype == torch.long
        if not self.params.enabled or images.shape[0] == 0:
            if plain:
                return images, masks
            gen, p = torch.Generator(), NOTHING
        else:
            gen, p = generator, self.params
        x = images if images.is_floating_point() else images.float()
        x, masks = self._geometric(x, masks, gen, p)
        if p.elastic_p > 0:
            x, masks = self._elastic(x, masks, gen, p)
        x = degrade(draw_optics(draw_marks(x, 1 / scale, gen, p), gen, p), 1 / scale, gen, p)
        b, c = x.shape[:2]
        gains = illuminant_gains(b, c, gen, p) if p.illuminant_p > 0 else None
        return self._colour(x, scale, gen, p, mean, std, gains), masks.long()

    # ------------------------------------------------------------------------ geometry

    def _geometric(self, x: Tensor, masks: Tensor, gen: torch.Generator, p: AugmentParams):
        if p.hflip == 0 and p.vflip == 0 and p.affine_p == 0 and p.zoom_p == 0:
            return x, masks
        size = (x.shape[-2], x.shape[-1])
        hflip, vflip, use_affine, m = affine_matrices(p, x.shape[0], size, gen)
        if not (hflip | vflip | use_affine).any():
            return x, masks
        grid = sampling_grid(m, size, hflip, vflip, x.device).to(x.dtype)
        pad = p.padding  # the mask is padded the same way, so it stays aligned
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode=pad, align_corners=True)
        warped = F.grid_sample(
            masks[:, None].to(x.dtype),
            grid,
            mode="nearest",
            padding_mode=pad,
            align_corners=True,
        )
        return x, warped[:, 0]  # whole numbers already: nearest only copies class ids

    def _elastic(self, images: Tensor, masks: Tensor, gen: torch.Generator, p: AugmentParams):
        b, _, h, w = images.shape
        chosen = torch.rand(b, generator=gen) < p.elastic_p
        noise = (torch.rand(b, 2, h, w, generator=gen) * 2 - 1) * chosen[:, None, None, None]
        noise = noise.to(images.device, images.dtype)
        kernel, sigma, alpha = (33, 33), (8.0, 8.0), (1.0, 1.0)
        images = elastic_transform2d(images, noise, kernel, sigma, alpha, True, "bilinear")
        warped = elastic_transform2d(
            masks[:, None].to(images.dtype), noise, kernel, sigma, alpha, True, "nearest"
        )
        return images, warped[:, 0].round()

    # -------------------------------------------------------------------------- colour

    def _colour(
        self,
        x: Tensor,
        scale: float,
        gen: torch.Generator,
        p: AugmentParams,
        mean: Sequence[float] | None,
        std: Sequence[float] | None,
        gains: Tensor | None = None,
    ) -> Tensor:
        """Colour jitter, ``scale`` to [0, 1], clamp and normalisation as one pass:
        ``out = A x + beta`` per sample, then the clamp to [0, 1] in normalised units.
        ``gains`` (B, C), an illuminant change, act first: ``A`` is right-multiplied by
        their diagonal and the mean gray the contrast blends towards is theirs."""
        b, c, h, w = x.shape
        mu = torch.tensor([0.0] * c if mean is None else [float(v) for v in mean])
        sigma = torch.tensor([1.0] * c if std is None else [float(v) for v in std])
        if mu.numel() != c or sigma.numel() != c:
            raise ValueError(f"mean and std need {c} values, got {mean} and {std}")
        matrix = torch.eye(c).expand(b, c, c) * scale  # (B, C, C) in [0, 1] units
        shift = torch.zeros(b, c)  # (B, C), per unit of the mean gray
        if p.color_p > 0:
            chosen = (torch.rand(b, generator=gen) < p.color_p).float()

            def factor(spread: float) -> Tensor:  # 1 +- spread, only for chosen samples
                return 1 + chosen * spread * (2 * torch.rand(b, generator=gen) - 1)

            brightness, contrast = factor(p.brightness), factor(p.contrast)
            saturation = factor(p.saturation)
            hue = chosen * p.hue * (2 * torch.rand(b, generator=gen) - 1) * 2 * math.pi
            # contrast blends towards the (brightened) mean gray: x' = b*c*x + (1-c)*b*mean
            jitter = (
                self._colour_matrix(saturation, hue) if c == 3 else torch.eye(c).expand(b, c, c)
            )
            matrix = jitter * (brightness * contrast * scale).view(b, 1, 1)
            shift = jitter.sum(dim=2) * ((1 - contrast) * brightness).view(b, 1)
        if gains is not None:
            matrix = matrix * gains.view(b, 1, c)
        dev, dt = x.device, x.dtype
        matrix = (matrix / sigma.view(1, c, 1)).to(dev, dt)
        bias = (-mu / sigma).to(dev, dt).expand(b, c)
        if p.color_p > 0:
            channel_means = x.mean(dim=(2, 3)) * scale  # (B, C) in [0, 1] units
            if gains is not None:
                channel_means = channel_means * gains.to(dev, dt)
            gray = (
                channel_means @ torch.tensor(GRAY, device=dev, dtype=dt)
                if c == 3
                else channel_means.mean(dim=1)
            )
            bias = bias + (shift / sigma).to(dev, dt) * gray.view(b, 1)
        # one batched multiply-add over (B, C, H*W); the result is a fresh contiguous tensor
        out = torch.baddbmm(bias.view(b, c, 1), matrix, x.reshape(b, c, h * w)).view(b, c, h, w)
        for i, (lo, hi) in enumerate(
            zip((-mu / sigma).tolist(), ((1 - mu) / sigma).tolist(), strict=True)
        ):
            out[:, i].clamp_(lo, hi)
        return out

    @staticmethod
    def _colour_matrix(saturation: Tensor, hue: Tensor) -> Tensor:
        """(B, 3, 3): blend towards gray by ``saturation``, then rotate hue in YIQ space."""
        b = saturation.shape[0]
        gray = torch.tensor(GRAY).expand(3, 3)
        sat = saturation.view(b, 1, 1) * torch.eye(3) + (1 - saturation.view(b, 1, 1)) * gray
        yiq = torch.tensor(RGB_TO_YIQ)
        rot = torch.zeros(b, 3, 3)
        rot[:, 0, 0] = 1
        rot[:, 1, 1], rot[:, 1, 2] = torch.cos(hue), -torch.sin(hue)
        rot[:, 2, 1], rot[:, 2, 2] = torch.sin(hue), torch.cos(hue)
        return torch.linalg.inv(yiq) @ rot @ yiq @ sat
