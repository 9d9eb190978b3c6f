"""U-Net baseline (Ronneberger et al., MICCAI 2015)."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Family, ModelParams, SegOutput, Student
from distill.nn import DoubleConv, PlainEncoder, UpMode, Upsample2x, resize_to


class UNetDecoderStep(nn.Module):
    """Upsample the deeper map, concatenate the skip, double conv: one expanding step."""

    def __init__(self, deep_ch: int, skip_ch: int, out_ch: int, up_mode: str) -> None:
        super().__init__()
        self.up = Upsample2x(deep_ch, skip_ch, up_mode)
        self.conv = DoubleConv(2 * skip_ch, out_ch)

    def forward(self, deep: Tensor, skip: Tensor) -> Tensor:
        return self.conv(torch.cat([skip, resize_to(self.up(deep), skip)], dim=1))


class UNet(Student):
    """U-Net (Ronneberger 2015): 5-stage double-conv encoder-decoder with skips; any input size.

    Features are the encoder stages (strides 1, 2, 4, 8, 16; widths w..16w). Batch norm after
    every conv and 'same' padding (the paper used valid convs and no BN), as every modern
    re-implementation does. Default ``up_mode='transpose'`` (2x2 up-convolution, as in the
    paper) gives 31.04M parameters at width 64, the count milesial/Pytorch-UNet reports for
    its transposed-conv variant and UNeXt (Valanarasu 2022, Table 1) quotes as 31.13M;
    ``up_mode='upconv'`` (bilinear + 3x3 conv) gives the 34.5M other papers quote.
    Width 32 (7.76M, 12.1 GMACs at 256x256) is the lighter benchmark setting.
    """

    family: ClassVar[Family] = "cnn"
    published_params: ClassVar[float] = 31.04
    published_source: ClassVar[str] = (
        "milesial/Pytorch-UNet README (bilinear=False, 31.04M); UNeXt (MICCAI 2022) Table 1: 31.13M"
    )

    class Params(ModelParams):
        base_width: int = Field(
            64, ge=1, description="channels of the first stage (doubles per stage)"
        )
        up_mode: UpMode = Field(
            "transpose",
            description="decoder upsampling: 'transpose' (2x2 up-conv, paper) or 'upconv' (bilinear + 3x3 conv)",
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        widths = [params.base_width * 2**i for i in range(5)]
        self.encoder = PlainEncoder(params.in_channels, widths)
        self.decoder = nn.ModuleList(
            UNetDecoderStep(widths[i + 1], widths[i], widths[i], params.up_mode)
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
    register("unet", UNet)
