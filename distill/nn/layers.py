"""Convolution blocks the built-in networks share: conv-norm-activation and the U-Net units.

One definition of each, so a fix reaches every network that uses it. Every block is an
``nn.Sequential`` (or a small module) whose submodule names are fixed: saved weights keep
loading when a network switches to the shared block.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

UpMode = Literal["transpose", "upconv"]


class ConvNormAct(nn.Sequential):
    """``k x k`` convolution with 'same' padding, BatchNorm, ReLU (``act=False``: none).

    The convolution has no bias: the norm's shift replaces it. Submodules ``0`` (conv),
    ``1`` (norm), ``2`` (activation).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        *,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        act: bool = True,
    ) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=dilation * (kernel_size - 1) // 2,
                dilation=dilation,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True) if act else nn.Identity(),
        )


class SeparableConvNormAct(nn.Sequential):
    """Depthwise ``k x k`` (optionally atrous) then pointwise 1x1 convolution, BN, ReLU:
    the cheap 3x3 of Xception and DeepLabv3+."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, dilation: int = 1
    ) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels,
                in_channels,
                kernel_size,
                padding=dilation * (kernel_size - 1) // 2,
                dilation=dilation,
                groups=in_channels,
                bias=False,
            ),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


def projection(in_channels: int, out_channels: int) -> nn.Module:
    """1x1 conv + BN to change channel count; identity when nothing needs changing."""
    if in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
    )


class DoubleConv(nn.Sequential):
    """Two 3x3 conv-BN-ReLU layers: the unit every U-Net-style encoder and decoder stacks."""

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int | None = None):
        mid = mid_channels or out_channels
        super().__init__(ConvNormAct(in_channels, mid), ConvNormAct(mid, out_channels))


class PlainEncoder(nn.Module):
    """U-Net's contracting path: a double conv per stage, a 2x2 max-pool before each stage
    but the first. Returns every stage's output, finest first (strides 1, 2, 4, ...)."""

    def __init__(self, in_channels: int, widths: list[int]) -> None:
        super().__init__()
        self.widths = list(widths)
        chans = [in_channels, *widths]
        self.stages = nn.ModuleList(DoubleConv(a, b) for a, b in pairwise(chans))

    def forward(self, x: Tensor) -> list[Tensor]:
        feats = []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        return feats


class Upsample2x(nn.Module):
    """Doubles the resolution and maps ``in_channels`` to ``out_channels``.

    ``transpose``: a 2x2 stride-2 transposed convolution (Ronneberger's "up-convolution").
    ``upconv``: bilinear x2 then a 3x3 conv-BN-ReLU, as in the widely used 2D U-Net /
    Attention U-Net re-implementations whose counts (34.5M / 34.9M) papers quote.
    """

    def __init__(self, in_channels: int, out_channels: int, mode: UpMode = "transpose") -> None:
        super().__init__()
        self.mode = mode
        if mode == "transpose":
            self.up: nn.Module = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        elif mode == "upconv":
            self.up = ConvNormAct(in_channels, out_channels)
        else:  # guarded by the Params Literal; kept for direct construction
            raise ValueError(f"unknown up mode '{mode}' (use 'transpose' or 'upconv')")

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "upconv":
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.up(x)
