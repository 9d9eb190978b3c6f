"""Decoders shared by the built-in teachers (FPN for Swin, U-Net for CNN and hybrid)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from distill.nn import ConvNormAct, resize_to


class FPNDecoder(nn.Module):
    """UPerNet-style light decoder (Xiao et al. 2018, without PPM): lateral 1x1 convs, a
    top-down sum, a 3x3 smooth per level, and all levels fused at the finest stride."""

    def __init__(self, in_channels: Sequence[int], channels: int, num_classes: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(ConvNormAct(c, channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(ConvNormAct(channels, channels, 3) for _ in in_channels)
        self.fuse = ConvNormAct(channels * len(in_channels), channels, 3)
        self.head = nn.Conv2d(channels, num_classes, 1)

    def forward(self, maps: Sequence[Tensor], out_size: Sequence[int]) -> Tensor:
        laterals = [lat(m) for lat, m in zip(self.lateral, maps, strict=True)]
        for i in range(len(laterals) - 2, -1, -1):
            laterals[i] = laterals[i] + resize_to(laterals[i + 1], laterals[i])
        levels = [smooth(x) for smooth, x in zip(self.smooth, laterals, strict=True)]
        finest = levels[0]
        fused = self.fuse(torch.cat([finest] + [resize_to(x, finest) for x in levels[1:]], 1))
        return resize_to(self.head(fused), out_size)


class UNetDecoder(nn.Module):
    """U-Net decoder (Ronneberger et al. 2015): upsample, concatenate the skip, two 3x3
    convs; logits from the finest level, upsampled to the input size."""

    def __init__(self, in_channels: Sequence[int], widths: Sequence[int], num_classes: int) -> None:
        super().__init__()
        if len(widths) != len(in_channels) - 1:
            raise ValueError("one decoder width per skip level is needed")
        blocks, deeper = [], in_channels[-1]
        for skip, width in reversed(list(zip(in_channels[:-1], widths, strict=True))):
            blocks.append(
                nn.Sequential(ConvNormAct(skip + deeper, width, 3), ConvNormAct(width, width, 3))
            )
            deeper = width
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, maps: Sequence[Tensor], out_size: Sequence[int]) -> Tensor:
        x = maps[-1]
        for block, skip in zip(self.blocks, reversed(maps[:-1]), strict=True):
            x = block(torch.cat([skip, resize_to(x, skip)], dim=1))
        return resize_to(self.head(x), out_size)
