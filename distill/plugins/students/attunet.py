"""Attention U-Net baseline (Oktay et al., MIDL 2018): additive attention gates on the skips."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Family, ModelParams, SegOutput, Student
from distill.nn import DoubleConv, PlainEncoder, UpMode, Upsample2x, resize_to


class AttentionGate(nn.Module):
    """Additive grid attention (Oktay 2018, eq. 1-2): the coarser decoder map ``g`` decides
    which pixels of the skip ``x`` pass.

    ``x`` is brought to ``g``'s grid by a 2x2 stride-2 conv (W_x), added to a 1x1 conv of
    ``g`` (W_g), ReLU, 1x1 conv to one channel (psi), sigmoid; the coefficients are
    resampled bilinearly to ``x``'s grid and multiply it.
    """

    def __init__(self, skip_ch: int, gate_ch: int, inter_ch: int) -> None:
        super().__init__()
        self.theta_x = nn.Conv2d(skip_ch, inter_ch, 2, stride=2, bias=False)
        self.phi_g = nn.Conv2d(gate_ch, inter_ch, 1)
        self.psi = nn.Conv2d(inter_ch, 1, 1)
        self.out = nn.Sequential(
            nn.Conv2d(skip_ch, skip_ch, 1, bias=False), nn.BatchNorm2d(skip_ch)
        )

    def forward(self, x: Tensor, g: Tensor) -> Tensor:
        theta = self.theta_x(x)
        q = F.relu(theta + resize_to(self.phi_g(g), theta))
        alpha = torch.sigmoid(self.psi(q))
        alpha = resize_to(alpha, x)
        return self.out(alpha * x)


class AttentionDecoderStep(nn.Module):
    """Gate the skip with the deeper map, upsample the deeper map, concatenate, double conv."""

    def __init__(self, deep_ch: int, skip_ch: int, up_mode: str) -> None:
        super().__init__()
        self.gate = AttentionGate(skip_ch, deep_ch, max(skip_ch // 2, 1))
        self.up = Upsample2x(deep_ch, skip_ch, up_mode)
        self.conv = DoubleConv(2 * skip_ch, skip_ch)

    def forward(self, deep: Tensor, skip: Tensor) -> Tensor:
        gated = self.gate(skip, deep)
        return self.conv(torch.cat([gated, resize_to(self.up(deep), skip)], dim=1))


class AttentionUNet(Student):
    """Attention U-Net (Oktay 2018): U-Net whose skips pass through attention gates; any size.

    2D version at width 64 (the paper's experiments are 3D CT); gates use the coarser
    decoder map as gating signal, as the paper describes, with the output 1x1 conv + BN of
    the authors' grid-attention block. Default ``up_mode='upconv'`` (bilinear + 3x3
    conv-BN-ReLU) matches the widely used 2D AttU_Net (LeeJunHyun/Image_Segmentation) whose
    34.88M count UCTransNet (Wang et al., AAAI 2022, Table 1) and others quote; ours is 3%
    above it (35.9M): the gate's W_x is a 2x2 stride-2 conv per the paper, not a 1x1 at the
    fine grid, and the gate ends with the authors' 1x1 conv + BN. Features are the encoder
    stages (strides 1..16).
    """

    family: ClassVar[Family] = "cnn"
    published_params: ClassVar[float] = 34.88
    published_source: ClassVar[str] = (
        "2D AttU_Net, LeeJunHyun/Image_Segmentation, quoted in UCTransNet (AAAI 2022) Table 1"
    )

    class Params(ModelParams):
        base_width: int = Field(
            64, ge=1, description="channels of the first stage (doubles per stage)"
        )
        up_mode: UpMode = Field(
            "upconv",
            description="decoder upsampling: 'upconv' (bilinear + 3x3 conv) or 'transpose' (2x2 up-conv)",
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        widths = [params.base_width * 2**i for i in range(5)]
        self.encoder = PlainEncoder(params.in_channels, widths)
        self.decoder = nn.ModuleList(
            AttentionDecoderStep(widths[i + 1], widths[i], params.up_mode)
            for i in reversed(range(4))
        )
        self.head = nn.Conv2d(widths[0], params.num_classes, 1)
        self.feature_channels = widths
        self.feature_strides = [1, 2, 4, 8, 16]

    def forward(self, x: Tensor) -> SegOutput:
        feats = self.encoder(x)
        y = feats[-1]
        for step, skip in zip(self.decoder, reversed(feats[:-1]), strict=True):
            y = step(y, skip)
        return SegOutput(logits=resize_to(self.head(y), x), features=feats)


@hookimpl
def distill_register_students(register) -> None:
    register("attunet", AttentionUNet)
