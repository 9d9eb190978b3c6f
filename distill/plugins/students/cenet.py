"""CE-Net baseline (Gu et al., IEEE TMI 2019): ResNet-34 encoder + DAC + RMP context extractor."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Family, SegOutput, Student
from distill.nn import BackboneWeightsParams, create_timm_features, resize_to

RMP_KERNELS = (2, 3, 5, 6)


class DenseAtrousConv(nn.Module):
    """DAC block: four cascaded branches of atrous 3x3 convs (rates 1; 3; 1,3; 1,3,5), each
    closed by a 1x1 conv except the first, summed with the input.

    The three atrous convs and the 1x1 conv are shared between branches, as in the
    authors' code: a branch's deeper receptive field reuses the shallower filters.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.rate1 = nn.Conv2d(channels, channels, 3, padding=1, dilation=1)
        self.rate3 = nn.Conv2d(channels, channels, 3, padding=3, dilation=3)
        self.rate5 = nn.Conv2d(channels, channels, 3, padding=5, dilation=5)
        self.project = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        r1 = self.rate1(x)
        r13 = self.rate3(r1)
        branches = [
            r1,
            self.project(self.rate3(x)),
            self.project(r13),
            self.project(self.rate5(r13)),
        ]
        return x + sum(F.relu(b) for b in branches)


class ResidualMultiKernelPooling(nn.Module):
    """RMP block: max-pool with kernels 2, 3, 5, 6, a 1x1 conv to one channel (shared),
    upsample back and concatenate with the input (C -> C + 4 channels).

    ``ceil_mode`` keeps the border pixels a floor division would drop and lets maps smaller
    than a kernel (tiny inputs) still pool to one cell.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(channels, 1, 1)
        self.out_channels = channels + len(RMP_KERNELS)

    def forward(self, x: Tensor) -> Tensor:
        pooled = [
            resize_to(self.squeeze(F.max_pool2d(x, k, k, ceil_mode=True)), x) for k in RMP_KERNELS
        ]
        return torch.cat([*pooled, x], dim=1)


class CENetDecoderBlock(nn.Module):
    """1x1 conv to a quarter of the channels, 3x3 stride-2 transposed conv, 1x1 conv out;
    BN + ReLU after each (the LinkNet-style decoder CE-Net uses)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        mid = in_ch // 4
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, mid, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.block(x)


class CENet(Student):
    """CE-Net (Gu 2019): timm ResNet-34 encoder, DAC + RMP context extractor, decoder; any size.

    Decoder blocks add the encoder skips (d4 + e3, d3 + e2, d2 + e1), then a 4x4 stride-2
    transposed conv and two 3x3 convs give the logits at input size. Features are the
    encoder stages (strides 4, 8, 16, 32). The paper prints no parameter count; the
    published figure is the count of the authors' code (Guzaiwang/CE-Net, ``CE_Net_``),
    29.0M, which ours matches (BN after the decoder convs replaces their conv biases).
    """

    family: ClassVar[Family] = "cnn"
    published_params: ClassVar[float] = 29.0
    published_source: ClassVar[str] = (
        "authors' code Guzaiwang/CE-Net networks/cenet.py CE_Net_ (paper gives no count)"
    )

    class Params(BackboneWeightsParams):
        encoder: str = Field("resnet34", description="timm encoder with 4 stages (paper: resnet34)")
        weights_file: Path | None = Field(
            None, description="local encoder weights (.pth/.safetensors)"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.encoder = create_timm_features(
            params.encoder,
            pretrained=params.pretrained,
            weights_file=params.weights_file,
            in_channels=params.in_channels,
            out_indices=(1, 2, 3, 4),
        )
        chans = self.encoder.channels
        self.dac = DenseAtrousConv(chans[3])
        self.rmp = ResidualMultiKernelPooling(chans[3])
        self.decoder = nn.ModuleList(
            [
                CENetDecoderBlock(self.rmp.out_channels, chans[2]),
                CENetDecoderBlock(chans[2], chans[1]),
                CENetDecoderBlock(chans[1], chans[0]),
                CENetDecoderBlock(chans[0], chans[0]),
            ]
        )
        self.head = nn.Sequential(
            nn.ConvTranspose2d(chans[0], 32, 4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, params.num_classes, 3, padding=1),
        )
        self.feature_channels = list(chans)
        self.feature_strides = list(self.encoder.strides)

    def forward(self, x: Tensor) -> SegOutput:
        feats = self.encoder(x)
        y = self.rmp(self.dac(feats[3]))
        for block, skip in zip(self.decoder[:3], reversed(feats[:3]), strict=True):
            y = resize_to(block(y), skip) + skip
        y = self.decoder[3](y)
        return SegOutput(logits=resize_to(self.head(y), x), features=feats)


@hookimpl
def distill_register_students(register) -> None:
    register("cenet", CENet)
