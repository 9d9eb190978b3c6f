"""Convolution blocks shared by the CNN baselines (U-Net family and friends).

Kept tiny on purpose: each network's own module holds what makes it that network; only the
conv-BN-ReLU vocabulary the papers share lives here.
"""

from __future__ import annotations

from itertools import pairwise

import torch.nn.functional as F
from torch import Tensor, nn


class ConvBNReLU(nn.Sequential):
    """``k x k`` convolution (no bias: BN follows), batch norm, ReLU; 'same' padding."""

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, dilation: int = 1
    ) -> None:
        super().__init__(
            nn.Conv2d(
                in_ch,
                out_ch,
                kernel,
                stride=stride,
                padding=dilation * (kernel - 1) // 2,
                dilation=dilation,
                bias=False,
            ),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class DoubleConv(nn.Sequential):
    """Two 3x3 conv-BN-ReLU layers: the unit every U-Net-style encoder and decoder stacks."""

    def __init__(self, in_ch: int, out_ch: int, mid_ch: int | None = None) -> None:
        mid = mid_ch or out_ch
        super().__init__(ConvBNReLU(in_ch, mid), ConvBNReLU(mid, out_ch))


class SeparableConvBNReLU(nn.Sequential):
    """Depthwise ``k x k`` (optionally atrous) then pointwise 1x1 convolution, BN, ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, dilation: int = 1) -> None:
        super().__init__(
            nn.Conv2d(
                in_ch,
                in_ch,
                kernel,
                padding=dilation * (kernel - 1) // 2,
                dilation=dilation,
                groups=in_ch,
                bias=False,
            ),
            nn.Conv2d(in_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


def resize_to(x: Tensor, ref: Tensor) -> Tensor:
    """Bilinear resize of ``x`` to ``ref``'s spatial size; a no-op when they already match.

    Lets decoders run at any input size: after odd-sized maps are pooled, upsampling by 2
    can be one pixel short of the skip connection it is joined with.
    """
    if x.shape[-2:] == ref.shape[-2:]:
        return x
    return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)


def upsample_to_input(logits: Tensor, x: Tensor) -> Tensor:
    """Logits at the input's height and width (bilinear), as ``SegOutput`` requires."""
    return resize_to(logits, x)


class PlainEncoder(nn.Module):
    """U-Net's contracting path: a double conv per stage, a 2x2 max-pool before each stage
    but the first. Returns every stage's output, finest first (strides 1, 2, 4, ...)."""

    def __init__(self, in_ch: int, widths: list[int]) -> None:
        super().__init__()
        self.widths = list(widths)
        chans = [in_ch, *widths]
        self.stages = nn.ModuleList(DoubleConv(a, b) for a, b in pairwise(chans))

    def forward(self, x: Tensor) -> list[Tensor]:
        feats = []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        return feats


class Upsample2x(nn.Module):
    """Doubles the resolution and maps ``in_ch`` to ``out_ch`` channels.

    ``transpose``: a 2x2 stride-2 transposed convolution (Ronneberger's "up-convolution").
    ``upconv``: bilinear x2 then a 3x3 conv-BN-ReLU, as in the widely used 2D U-Net /
    Attention U-Net re-implementations whose counts (34.5M / 34.9M) papers quote.
    """

    def __init__(self, in_ch: int, out_ch: int, mode: str = "transpose") -> None:
        super().__init__()
        self.mode = mode
        if mode == "transpose":
            self.up = nn.ConvTranspose2d(in_ch, out_ch, 2, stride=2)
        elif mode == "upconv":
            self.up = ConvBNReLU(in_ch, out_ch)
        else:  # guarded by the Params Literal; kept for direct construction
            raise ValueError(f"unknown up mode '{mode}' (use 'transpose' or 'upconv')")

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "upconv":
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.up(x)
