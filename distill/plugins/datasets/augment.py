"""On-device, batched augmentation, identical for an image and its mask.

The engine keeps the decoded training set as tensors on the device and augments whole
batches there, which removes the CPU decode/augment bottleneck of a conventional
DataLoader. For speed every geometric change of a sample (flips, rotation, zoom, shift) is
fused into ONE affine matrix and applied with a single ``grid_sample`` per tensor
(bilinear for images, nearest for masks, so class ids never blend); elastic jitter uses
kornia's ``elastic_transform2d`` with one displacement field shared by image and mask.
Colour jitter is one per-sample 3x3 colour matrix plus an offset, applied in one pass:
torchvision's brightness, contrast and saturation maths, and hue as a rotation of the YIQ
chroma plane (close to an HSV hue shift for the small shifts used), which avoids the HSV
round trip that costs more than everything else on a CPU.

Random parameters are drawn on the CPU from torch's global RNG (the engine seeds it) or an
explicit ``generator``, so a seed gives the same augmentation on CPU and CUDA.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from kornia.geometry.transform import elastic_transform2d
from torch import Tensor, nn

from distill.core.config import AugmentParams

GRAY = (0.299, 0.587, 0.114)
RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))


class BatchAugment(nn.Module):
    """Flips, affine (rotation, zoom, shift), optional elastic jitter and colour jitter."""

    def __init__(self, params: AugmentParams | None = None) -> None:
        super().__init__()
        self.params = params or AugmentParams()

    def forward(
        self, images: Tensor, masks: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """``images`` float (B, C, H, W) in [0, 1], ``masks`` long (B, H, W) -> same shapes."""
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
        if not self.params.enabled or images.shape[0] == 0:
            return images, masks
        gen = generator if generator is not None else torch.default_generator
        images, masks = self._geometric(images, masks, gen)
        if self.params.elastic_p > 0:
            images, masks = self._elastic(images, masks, gen)
        if self.params.color_p > 0:
            images = self._colour(images, gen)
        return images.clamp(0.0, 1.0), masks

    # ------------------------------------------------------------------------ geometry

    def affine_matrices(
        self, batch: int, size: tuple[int, int], gen: torch.Generator
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Per sample: horizontal flip, vertical flip (bool), whether the affine jitter is
        used (bool), and its (B, 2, 3) pixel-space matrix from the flipped source to the
        output (rotation and zoom about the centre, then shift); float32 on the CPU."""
        p = self.params
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
        cx, cy = (w - 1) / 2, (h - 1) / 2
        cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
        # x' = R S (x - c) + c + t
        m = torch.zeros(batch, 2, 3)
        m[:, 0, 0], m[:, 0, 1] = cos, -sin
        m[:, 1, 0], m[:, 1, 1] = sin, cos
        m[:, 0, 2] = cx + tx - (m[:, 0, 0] * cx + m[:, 0, 1] * cy)
        m[:, 1, 2] = cy + ty - (m[:, 1, 0] * cx + m[:, 1, 1] * cy)
        return hflip, vflip, use_affine, m

    def _geometric(self, images: Tensor, masks: Tensor, gen: torch.Generator):
        p = self.params
        if p.hflip == 0 and p.vflip == 0 and p.affine_p == 0:
            return images, masks
        size = (images.shape[-2], images.shape[-1])
        hflip, vflip, use_affine, m = self.affine_matrices(images.shape[0], size, gen)
        # flips are exact index operations; only samples with affine jitter are resampled
        dev = images.device
        h_img, v_img = hflip.to(dev).view(-1, 1, 1, 1), vflip.to(dev).view(-1, 1, 1, 1)
        images = torch.where(h_img, images.flip(-1), images)
        images = torch.where(v_img, images.flip(-2), images)
        masks = torch.where(h_img[:, 0], masks.flip(-1), masks)
        masks = torch.where(v_img[:, 0], masks.flip(-2), masks)
        if not use_affine.any():
            return images, masks
        idx = use_affine.nonzero()[:, 0]
        grid = sampling_grid(m[idx].to(dev), size).to(images.dtype)  # built on the device
        idx_dev = idx.to(dev)
        images[idx_dev] = F.grid_sample(
            images[idx_dev], grid, mode="bilinear", padding_mode="zeros", align_corners=True
        )
        warped = F.grid_sample(
            masks[idx_dev][:, None].to(images.dtype),
            grid,
            mode="nearest",
            padding_mode="zeros",
            align_corners=True,
        )
        masks[idx_dev] = warped[:, 0].round().to(masks.dtype)
        return images, masks

    def _elastic(self, images: Tensor, masks: Tensor, gen: torch.Generator):
        b, _, h, w = images.shape
        chosen = torch.rand(b, generator=gen) < self.params.elastic_p
        noise = (torch.rand(b, 2, h, w, generator=gen) * 2 - 1) * chosen[:, None, None, None]
        noise = noise.to(images.device, images.dtype)
        kernel, sigma, alpha = (33, 33), (8.0, 8.0), (1.0, 1.0)
        images = elastic_transform2d(images, noise, kernel, sigma, alpha, True, "bilinear")
        warped = elastic_transform2d(
            masks[:, None].to(images.dtype), noise, kernel, sigma, alpha, True, "nearest"
        )
        return images, warped[:, 0].round().to(masks.dtype)

    # -------------------------------------------------------------------------- colour

    def _colour(self, images: Tensor, gen: torch.Generator) -> Tensor:
        p = self.params
        b, c = images.shape[:2]
        chosen = (torch.rand(b, generator=gen) < p.color_p).float()

        def factor(spread: float) -> Tensor:  # 1 +- spread, only for chosen samples
            return 1 + chosen * spread * (2 * torch.rand(b, generator=gen) - 1)

        brightness, contrast = factor(p.brightness), factor(p.contrast)
        saturation = factor(p.saturation)
        hue = chosen * p.hue * (2 * torch.rand(b, generator=gen) - 1) * 2 * math.pi
        dev, dt = images.device, images.dtype
        bc = (brightness * contrast).to(dev, dt)
        # contrast blends towards the (brightened) mean gray: x' = b*c*x + (1-c)*b*mean
        offset = ((1 - contrast) * brightness).to(dev, dt)
        if c != 3:
            mean = images.mean(dim=(1, 2, 3))
            return images * bc.view(b, 1, 1, 1) + (offset * mean).view(b, 1, 1, 1)
        channel_means = images.mean(dim=(2, 3))  # (B, 3)
        mean = sum(w * channel_means[:, i] for i, w in enumerate(GRAY)) * offset
        matrix = self._colour_matrix(saturation, hue).to(dev, dt)
        scaled = matrix * bc.view(b, 1, 1)
        bias = matrix.sum(dim=2) * mean.view(b, 1)  # M applied to the gray offset
        # one pass: out_i = sum_j (b c M_ij) x_j + bias_i, as broadcast multiply-adds (a
        # batched matmul contends for threads on a busy CPU)
        return torch.stack(
            [
                sum(scaled[:, i, j].view(b, 1, 1) * images[:, j] for j in range(3))
                + bias[:, i].view(b, 1, 1)
                for i in range(3)
            ],
            dim=1,
        )

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


def sampling_grid(matrices: Tensor, size: tuple[int, int]) -> Tensor:
    """(B, H, W, 2) grid_sample coordinates (align_corners=True) for pixel-space matrices
    mapping source to output: each output pixel looks up the inverse-mapped source pixel.
    Built with broadcast multiply-adds instead of ``affine_grid`` (a batched matmul)."""
    h, w = size
    a, b_, tx = matrices[:, 0, 0], matrices[:, 0, 1], matrices[:, 0, 2]
    c, d, ty = matrices[:, 1, 0], matrices[:, 1, 1], matrices[:, 1, 2]
    det = a * d - b_ * c
    ia, ib, ic, id_ = d / det, -b_ / det, -c / det, a / det
    ys = torch.arange(h, dtype=torch.float32, device=matrices.device).view(1, h, 1)
    xs = torch.arange(w, dtype=torch.float32, device=matrices.device).view(1, 1, w)
    dx, dy = xs - tx.view(-1, 1, 1), ys - ty.view(-1, 1, 1)
    src_x = ia.view(-1, 1, 1) * dx + ib.view(-1, 1, 1) * dy
    src_y = ic.view(-1, 1, 1) * dx + id_.view(-1, 1, 1) * dy
    return torch.stack((src_x * (2 / max(w - 1, 1)) - 1, src_y * (2 / max(h - 1, 1)) - 1), -1)
