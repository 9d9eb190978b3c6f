"""HiFormer's CNN + Swin pyramid: ResNet-50 stages feed Swin-T stages at strides 4, 8, 16,
each level adding the CNN map (1x1-projected) to the Swin tokens; levels 1 and 3 come out as
token sequences with a leading average-pooled CLS token for the double-level fusion."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from distill.nn import create_timm_model

SWIN_DIMS = (96, 192, 384)
CNN_DIMS = {"resnet50": (256, 512, 1024), "resnet34": (64, 128, 256)}


def nchw_to_nhwc(x: Tensor) -> Tensor:
    return x.permute(0, 2, 3, 1)


def with_cls(tokens: Tensor) -> Tensor:
    """Prepend the mean token as CLS, as HiFormer does before fusion."""
    return torch.cat([tokens.mean(1, keepdim=True), tokens], dim=1)


class PyramidEncoder(nn.Module):
    """Returns (level-1 tokens with CLS, level-2 NCHW map, level-3 tokens with CLS)."""

    def __init__(
        self,
        cnn_name: str,
        img_size: int | tuple[int, int],
        in_channels: int,
        window_size: int,
        pretrained: bool,
        cnn_weights_file: Path | None,
        swin_weights_file: Path | None,
    ) -> None:
        super().__init__()
        cnn = create_timm_model(
            cnn_name,
            pretrained=pretrained,
            weights_file=cnn_weights_file,
            in_chans=in_channels,
            num_classes=0,
        )
        self.cnn = nn.ModuleList(
            [
                nn.Sequential(cnn.conv1, cnn.bn1, cnn.act1, cnn.maxpool, cnn.layer1),
                cnn.layer2,
                cnn.layer3,
            ]
        )
        swin = create_timm_model(
            "swin_tiny_patch4_window7_224",
            pretrained=pretrained,
            weights_file=swin_weights_file,
            img_size=img_size,
            window_size=window_size,
            strict_img_size=False,  # windows masks built per input; timm pads partial windows
        )
        self.swin_levels = nn.ModuleList(
            [swin.layers[0].blocks, swin.layers[1].blocks, swin.layers[2].blocks]
        )
        self.merges = nn.ModuleList([swin.layers[1].downsample, swin.layers[2].downsample])
        self.projs = nn.ModuleList(
            nn.Conv2d(c, s, 1) for c, s in zip(CNN_DIMS[cnn_name], SWIN_DIMS, strict=True)
        )
        self.norm1 = nn.LayerNorm(SWIN_DIMS[0])
        self.norm3 = nn.LayerNorm(SWIN_DIMS[2])

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, tuple[int, int]]:
        f1 = self.cnn[0](x)
        p1 = nchw_to_nhwc(self.projs[0](f1))
        s1 = p1 + self.swin_levels[0](p1)
        level1 = self.norm1(s1.flatten(1, 2))

        f2 = self.cnn[1](f1)
        s2 = nchw_to_nhwc(self.projs[1](f2)) + self.swin_levels[1](self.merges[0](s1))

        f3 = self.cnn[2](f2)
        s3 = nchw_to_nhwc(self.projs[2](f3)) + self.swin_levels[2](self.merges[1](s2))
        level3 = self.norm3(s3.flatten(1, 2))
        return (
            with_cls(level1),
            s2.permute(0, 3, 1, 2),
            with_cls(level3),
            (s3.shape[1], s3.shape[2]),
        )
