"""MPDNet decoder: top-down path whose every merge is a registered FusionBlock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from distill.nn import ConvNormAct, fusion_factory, resize_to


class FusionDecoder(nn.Module):
    """From the deepest map upwards: upsample, fuse with the skip, refine with a 3x3 conv.

    Returns the decoded maps finest first (strides 4, 8, 16) followed by the deepest input.
    """

    def __init__(
        self,
        encoder_channels: Sequence[int],
        decoder_channels: Sequence[int],
        fusion: str,
        fusion_params: dict[str, Any],
    ) -> None:
        super().__init__()
        build_fusion = fusion_factory(fusion, fusion_params, where=f"mpdnet fusion '{fusion}'")
        skips = list(encoder_channels[:-1])
        if len(decoder_channels) != len(skips):
            raise ValueError("one decoder width per skip level is needed")
        deeper = encoder_channels[-1]
        fusions, refines = [], []
        for skip, width in reversed(list(zip(skips, decoder_channels, strict=True))):
            fusions.append(build_fusion([skip, deeper], width))
            refines.append(ConvNormAct(width, width, 3))
            deeper = width
        self.fusions = nn.ModuleList(fusions)
        self.refines = nn.ModuleList(refines)
        self.out_channels = list(decoder_channels)

    def forward(self, maps: Sequence[Tensor]) -> list[Tensor]:
        x, decoded = maps[-1], []
        for fuse, refine, skip in zip(self.fusions, self.refines, reversed(maps[:-1]), strict=True):
            up = resize_to(x, skip)
            x = refine(fuse([skip, up]))
            decoded.append(x)
        return [*reversed(decoded), maps[-1]]
