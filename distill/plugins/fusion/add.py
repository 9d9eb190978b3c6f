"""Additive fusion, the FPN default: the cheapest merge, no attention."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import FusionBlock, FusionParams
from distill.nn import projection


class AddFusion(FusionBlock):
    """Project each input to the output width (1x1 conv + BN when needed) and sum."""

    class Params(FusionParams):
        activation: bool = Field(True, description="apply ReLU after the sum")

    def __init__(self, params: Params, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__(params, in_channels, out_channels)
        self.projections = nn.ModuleList(projection(c, out_channels) for c in self.in_channels)
        self.activation = nn.ReLU() if params.activation else nn.Identity()

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        total = torch.stack([p(x) for p, x in zip(self.projections, inputs, strict=True)]).sum(0)
        return self.activation(total)


@hookimpl
def distill_register_fusion_blocks(register):
    register("add", AddFusion)
