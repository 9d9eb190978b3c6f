"""MPDNet encoders: a compact residual CNN written here (default) or any timm backbone.

Both return four NCHW maps at strides 4, 8, 16, 32, the scales MPD distils into.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import Tensor, nn

from distill.core.interfaces import ConfigError
from distill.nn import (
    PYRAMID_STRIDES,
    ConvNormAct,
    PyramidFeatures,
    create_timm_features,
    projection,
)


class ResidualBlock(nn.Module):
    """Basic residual block (He et al. 2016): two 3x3 convs and a shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(in_channels, out_channels, 3, stride=stride),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        if stride == 1:
            self.shortcut = projection(in_channels, out_channels)
        else:
            self.shortcut = nn.Sequential(
                nn.AvgPool2d(stride), projection(in_channels, out_channels)
            )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class CompactEncoder(nn.Module):
    """Stem to stride 4, then one residual stage per pyramid level."""

    def __init__(self, in_channels: int, widths: Sequence[int], depths: Sequence[int]) -> None:
        super().__init__()
        if len(widths) != 4 or len(depths) != 4:
            raise ConfigError("mpdnet: 'widths' and 'depths' need one entry per stride 4,8,16,32")
        stem_width = max(widths[0] // 2, 16)
        self.stem = nn.Sequential(
            ConvNormAct(in_channels, stem_width, 3, stride=2),
            ConvNormAct(stem_width, widths[0], 3, stride=2),
        )
        stages, previous = [], widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            blocks = [ResidualBlock(previous, width, stride=1 if i == 0 else 2)]
            blocks += [ResidualBlock(width, width) for _ in range(depth - 1)]
            stages.append(nn.Sequential(*blocks))
            previous = width
        self.stages = nn.ModuleList(stages)
        self.channels = list(widths)
        self.strides = list(PYRAMID_STRIDES)

    def forward(self, x: Tensor) -> list[Tensor]:
        maps, x = [], self.stem(x)
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return maps


def timm_pyramid_encoder(
    name: str, in_channels: int, pretrained: bool, weights_file: Path | None
) -> PyramidFeatures:
    """A timm backbone (e.g. mobilenetv3_large_100) restricted to strides 4, 8, 16, 32."""
    raw = create_timm_features(
        name,
        pretrained=pretrained,
        weights_file=weights_file,
        in_channels=in_channels,
        out_indices=None,
    )
    return PyramidFeatures(raw, f"mpdnet encoder '{name}'")
