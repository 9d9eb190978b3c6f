"""Concatenation fusion, the U-Net default: stack channels, let a conv mix them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import FusionBlock, FusionParams
from distill.nn import ConvNormAct


class ConcatFusion(FusionBlock):
    """Concatenate inputs along channels, then conv-BN-ReLU to the output width."""

    class Params(FusionParams):
        kernel_size: Literal[1, 3] = Field(3, description="kernel of the mixing convolution")

    def __init__(self, params: Params, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__(params, in_channels, out_channels)
        self.mix = ConvNormAct(sum(self.in_channels), out_channels, params.kernel_size)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.mix(torch.cat(list(inputs), dim=1))


@hookimpl
def distill_register_fusion_blocks(register):
    register("concat", ConcatFusion)
