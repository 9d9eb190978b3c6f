"""TransUNet's cascaded upsampler (CUP): conv on the transformer map, then 2x upsampling
blocks that concatenate the CNN skips and apply two 3x3 conv-BN-ReLU layers each."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from distill.nn import ConvNormAct, resize_to


class UpBlock(nn.Module):
    """x2 bilinear upsampling, optional skip concatenation, two conv-BN-ReLU."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            ConvNormAct(in_ch + skip_ch, out_ch), ConvNormAct(out_ch, out_ch)
        )

    def forward(self, x: Tensor, skip: Tensor | None) -> Tensor:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        x = resize_to(x, size)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.convs(x)


class CascadedUpsampler(nn.Module):
    """Four up-blocks from stride 16 to stride 1; skips from the CNN at strides 8, 4 and 2."""

    def __init__(
        self,
        embed_dim: int,
        skip_channels: Sequence[int],
        channels: Sequence[int] = (256, 128, 64, 16),
    ) -> None:
        super().__init__()
        self.conv_more = ConvNormAct(embed_dim, 512)
        skips = [*reversed(skip_channels), 0]  # deepest skip first; the last block has none
        ins = [512, *channels[:-1]]
        self.blocks = nn.ModuleList(
            UpBlock(i, s, o) for i, s, o in zip(ins, skips, channels, strict=True)
        )
        self.channels = list(channels)

    def forward(self, hidden: Tensor, skips: Sequence[Tensor]) -> list[Tensor]:
        """Outputs of every block, coarsest (stride 8) to finest (stride 1)."""
        x = self.conv_more(hidden)
        deep_first = [*reversed(skips), None]
        outs = []
        for block, skip in zip(self.blocks, deep_first, strict=True):
            x = block(x, skip)
            outs.append(x)
        return outs
