"""UCTransNet: a U-Net whose skips pass through the channel transformer and CCA fusion."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import ConfigError, ModelParams, SegOutput, Student
from distill.plugins.students.uctransnet.cct import ChannelTransformer


def ConvNormAct(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


def conv_stack(cin: int, cout: int, count: int) -> nn.Sequential:
    return nn.Sequential(*(ConvNormAct(cin if i == 0 else cout, cout) for i in range(count)))


class ChannelCrossAttentionFusion(nn.Module):
    """CCA: channel gates for the skip from the pooled skip and pooled decoder feature."""

    def __init__(self, decoder_channels: int, skip_channels: int) -> None:
        super().__init__()
        self.from_skip = nn.Linear(skip_channels, skip_channels)
        self.from_decoder = nn.Linear(decoder_channels, skip_channels)

    def forward(self, decoder: Tensor, skip: Tensor) -> Tensor:
        gate = (self.from_skip(skip.mean((2, 3))) + self.from_decoder(decoder.mean((2, 3)))) / 2
        return F.relu(skip * torch.sigmoid(gate)[:, :, None, None])


class UpBlock(nn.Module):
    """Upsample, gate the skip with CCA, concatenate, two conv-BN-ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        half = in_channels // 2
        self.fuse = ChannelCrossAttentionFusion(half, half)
        self.convs = conv_stack(in_channels, out_channels, 2)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        up = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        return self.convs(torch.cat([self.fuse(up, skip), up], dim=1))


class UCTransNet(Student):
    """UCTransNet (Wang et al. 2022): U-Net with channel-transformer skips (CCT) and CCA fusion; runs at any size divisible by 16, position tables interpolated from img_size.

    Published count: 66.24M (UCTransNet paper, AAAI 2022, Table 1; official repo
    McGregorWwww/UCTransNet, base 64, img 224). Ours at the same configuration:
    see ``tests/students/test_transformer_baselines.py`` (within 1%). The count barely
    depends on input size: only the four position tables (grid img/16 squared) change.
    """

    family: ClassVar[str] = "hybrid"
    published_params: ClassVar[float] = 66.24
    published_source: ClassVar[str] = (
        "Wang et al., UCTransNet, AAAI 2022, Table 1 (66.24M, 224x224); "
        "github.com/McGregorWwww/UCTransNet"
    )

    class Params(ModelParams):
        base_width: int = Field(64, ge=8, description="channels of the first U-Net stage")
        img_size: int | tuple[int, int] = Field(
            224, description="input size the CCT position tables are built for (H, W)"
        )
        transformer_layers: int = Field(4, ge=1, description="CCT layers")
        heads: int = Field(4, ge=1, description="attention heads in each CCT layer")
        expand_ratio: int = Field(4, ge=1, description="feed-forward expansion in CCT")
        dropout: float = Field(0.1, ge=0.0, lt=1.0, description="CCT dropout rate")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        w = params.base_width
        size = params.img_size if isinstance(params.img_size, tuple) else (params.img_size,) * 2
        if size[0] % 16 or size[1] % 16:
            raise ConfigError(f"uctransnet: img_size {size} must be divisible by 16")
        chans = [w, 2 * w, 4 * w, 8 * w]
        self.inc = ConvNormAct(params.in_channels, w)
        self.downs = nn.ModuleList(
            conv_stack(cin, cout, 2) for cin, cout in zip(chans, [*chans[1:], 8 * w], strict=True)
        )
        self.cct = ChannelTransformer(
            chans,
            patches=[16, 8, 4, 2],
            grid=(size[0] // 16, size[1] // 16),
            layers=params.transformer_layers,
            heads=params.heads,
            expand=params.expand_ratio,
            dropout=params.dropout,
        )
        self.ups = nn.ModuleList(
            [UpBlock(16 * w, 4 * w), UpBlock(8 * w, 2 * w), UpBlock(4 * w, w), UpBlock(2 * w, w)]
        )
        self.head = nn.Conv2d(w, params.num_classes, kernel_size=1)
        self.feature_channels = [w, w, 2 * w, 4 * w, 8 * w]
        self.feature_strides = [1, 2, 4, 8, 16]

    def forward(self, x: Tensor) -> SegOutput:
        if x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(f"uctransnet needs H and W divisible by 16, got {tuple(x.shape)}")
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(F.max_pool2d(skips[-1], 2)))
        bottom = skips.pop()
        skips = self.cct(skips)
        decoded = [bottom]
        for up, skip in zip(self.ups, reversed(skips), strict=True):
            decoded.append(up(decoded[-1], skip))
        return SegOutput(logits=self.head(decoded[-1]), features=decoded[::-1])
